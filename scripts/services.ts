// `npm run services`: starts the same Neo4j and Redis the tests use and prints the environment to
// point a sidecar at them; Ctrl-C stops both.
import { Neo4jTestServer } from '../test/fixtures/services/neo4jServer';
import { RedisTestServer } from '../test/fixtures/services/redisServer';

async function main(): Promise<void> {
  const [neo4j, redis] = await Promise.all([Neo4jTestServer.create(), RedisTestServer.create()]);
  await Promise.all([neo4j.start(), redis.start()]);
  console.log(`export NEO4J_URI=${neo4j.uri}`);
  console.log(`export REDIS_URL=${redis.url}`);
  console.log('# Ctrl-C stops both');
  const stop = async () => {
    await Promise.all([neo4j.dispose(), redis.dispose()]);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(`services: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
