/**
 * Prometheus metrics of one API instance, in a registry of its own (so that
 * several instances in one process, as in the tests, do not collide).
 * Labels are bounded: routes are the spec's path templates, never raw URLs.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();

  /** HTTP request latency by method, route template and status. */
  readonly requestSeconds = new Histogram({
    name: 'mll_api_request_duration_seconds',
    help: 'HTTP request latency by method, route (the spec path template) and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  /** Ledger call latency: evaluate (query) or submit (endorse, order and, unless async, commit). */
  readonly ledgerSeconds = new Histogram({
    name: 'mll_api_ledger_duration_seconds',
    help: 'Ledger call latency by kind (evaluate or submit), contract, transaction and outcome',
    labelNames: ['kind', 'contract', 'transaction', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  /**
   * Writes tried again after a transient failure. `validation_code` is the
   * cause: a validation code (MVCC_READ_CONFLICT, ...), ENDORSEMENT_MISMATCH,
   * COMMIT_STATUS_TIMEOUT, DEADLINE_EXCEEDED or a gRPC status (GRPC_UNAVAILABLE, ...).
   */
  readonly retries = new Counter({
    name: 'mll_api_ledger_retries_total',
    help: 'Writes tried again after a transient ledger failure, by transaction and cause (validation code, ENDORSEMENT_MISMATCH, COMMIT_STATUS_TIMEOUT, GRPC_*)',
    labelNames: ['transaction', 'validation_code'] as const,
    registers: [this.registry],
  });

  /** Error responses by error code and HTTP status. */
  readonly errors = new Counter({
    name: 'mll_api_errors_total',
    help: 'Error responses by error code and HTTP status',
    labelNames: ['code', 'status'] as const,
    registers: [this.registry],
  });

  /** Open `GET /v1/events` streams. */
  readonly eventStreams = new Gauge({
    name: 'mll_api_event_streams',
    help: 'Open Server-Sent Events streams of GET /v1/events',
    registers: [this.registry],
  });

  /** Event streams dropped because their client stayed too far behind. */
  readonly eventStreamsDropped = new Counter({
    name: 'mll_api_event_streams_dropped_total',
    help: 'Event streams dropped because their client left more than MLL_API_EVENTS_MAX_BUFFERED_BYTES unread for too long',
    registers: [this.registry],
  });

  constructor(labels: Readonly<Record<string, string>> = {}) {
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry, prefix: 'mll_api_' });
  }

  /** Times a ledger call and records its outcome (`ok`, or the error's code). */
  async timeLedger<T>(kind: 'evaluate' | 'submit', contract: string, transaction: string, call: () => Promise<T>): Promise<T> {
    const stop = this.ledgerSeconds.startTimer({ kind, contract, transaction });
    try {
      const value = await call();
      stop({ outcome: 'ok' });
      return value;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      stop({ outcome: typeof code === 'string' ? code : 'error' });
      throw err;
    }
  }
}
