import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The sidecar's Prometheus metrics, on their own registry so several apps in one process (tests)
 * do not collide. Names follow Prometheus conventions: base units, `_total` for counters.
 */
export class SidecarMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'runtrail_http_requests_total',
    help: 'HTTP requests answered, by method, matched route and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'runtrail_http_request_duration_seconds',
    help: 'Time from receiving a request to answering it, by method and matched route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly neo4jQueryDuration = new Histogram({
    name: 'runtrail_neo4j_query_duration_seconds',
    help: 'Neo4j unit-of-work latency (session open to result consumed), by operation and outcome.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly neo4jConnectionErrors = new Counter({
    name: 'runtrail_neo4j_connection_errors_total',
    help: 'Failures to reach Neo4j (refused, timed out, lost), by Neo4j error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly redisErrors = new Counter({
    name: 'runtrail_redis_errors_total',
    help: 'Redis connection and command errors, by error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly ingestRecords = new Counter({
    name: 'runtrail_ingest_records_total',
    help: 'Node records committed (acknowledged as durable).',
    registers: [this.registry],
  });

  readonly ingestRejected = new Counter({
    name: 'runtrail_ingest_rejected_requests_total',
    help: 'Ingest requests not committed, by reason (queue_full, store_error, conflict, unprocessable, not_found).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly ingestQueueDepth = new Gauge({
    name: 'runtrail_ingest_queue_records',
    help: 'Records waiting for the next group commit.',
    registers: [this.registry],
  });

  readonly ingestBatchRecords = new Histogram({
    name: 'runtrail_ingest_batch_records',
    help: 'Records per group commit.',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000, 10000],
    registers: [this.registry],
  });

  readonly ingestCommitDuration = new Histogram({
    name: 'runtrail_ingest_commit_duration_seconds',
    help: 'Time to write one group commit to the store, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly sseClients = new Gauge({
    name: 'runtrail_sse_clients',
    help: 'Open GET /api/events connections.',
    registers: [this.registry],
  });

  readonly sseDisconnects = new Counter({
    name: 'runtrail_sse_disconnects_total',
    help: 'SSE connections closed by the sidecar, by reason (slow_client).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly relayPublished = new Counter({
    name: 'runtrail_relay_published_total',
    help: 'Events written to the Redis relay streams by this sidecar.',
    registers: [this.registry],
  });

  readonly relayDropped = new Counter({
    name: 'runtrail_relay_dropped_total',
    help: 'Events this sidecar never wrote to the Redis relay, by reason (buffer_full while Redis was unreachable, rejected by Redis, unserializable, closed).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly relayBuffered = new Gauge({
    name: 'runtrail_relay_buffered_events',
    help: 'Events waiting in this sidecar to be written to Redis (grows while Redis is unreachable, bounded by RUNTRAIL_RELAY_BUFFER).',
    registers: [this.registry],
  });

  readonly relayLag = new Histogram({
    name: 'runtrail_relay_lag_seconds',
    help: "Time from publishing an event to this sidecar's stream reader receiving it back from Redis (local buffering included).",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'runtrail_' });
  }
}
