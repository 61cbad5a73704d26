import java.nio.file.Path;
import java.time.Duration;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;

/**
 * Runs a real Neo4j 5 Community server in this JVM with only the Bolt connector, for tests and
 * benchmarks on machines without Docker. Usage: java -cp 'lib/*' Neo4jLauncher.java HOME PORT
 *
 * Contract with test/fixtures/services/neo4jServer.ts: prints "RUNTRAIL_NEO4J_READY bolt://..."
 * on stdout once the default database answers queries; exits non-zero with the reason on stderr
 * when it cannot start; shuts the database down cleanly on SIGTERM/SIGINT, and also when its
 * stdin closes, so a test runner that dies without cleaning up leaves no Neo4j behind.
 */
public class Neo4jLauncher {
    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: Neo4jLauncher HOME PORT");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        DatabaseManagementService dbms;
        try {
            dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(128))
                // Short so a stop in a fault test does not wait on idle client transactions.
                .setConfig(GraphDatabaseSettings.shutdown_transaction_end_timeout, Duration.ofSeconds(2))
                .build();
        } catch (RuntimeException e) {
            System.err.println("Neo4j failed to start: " + e);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown, "neo4j-shutdown"));
        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        // The Bolt port accepts connections before the database is available; wait for a query.
        db.executeTransactionally("RETURN 1");
        System.out.println("RUNTRAIL_NEO4J_READY bolt://127.0.0.1:" + port);
        System.out.flush();
        exitWhenStdinCloses();
    }

    private static void exitWhenStdinCloses() {
        Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // Input is ignored; only end-of-file matters.
                }
            } catch (java.io.IOException ignored) {
                // A broken pipe means the parent is gone too.
            }
            System.exit(0);
        }, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }
}
