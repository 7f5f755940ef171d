/**
 * Prometheus metrics of one API instance, in a registry of its own (so that
 * several instances in one process, as in the tests, do not collide).
 * Labels are bounded: routes are the spec's path templates, never raw URLs,
 * and at most MODEL_LABELS model ids are named one by one.
 * `network/monitoring/grafana-dashboard.json` charts them.
 */
import { ContractName, decodeResult, type AccessRecord, type Committed, type WriteCall } from '@model-ledger/contract';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * How many distinct model ids one instance labels the access counters with;
 * accesses of any model past them count under OTHER_MODELS. A model id is a
 * ledger key that anyone with a licence can make the API carry, so it must
 * not grow the series without bound.
 */
export const MODEL_LABELS = 100;
/** The `model` label of the accesses past MODEL_LABELS' models (no model id starts with `_`). */
export const OTHER_MODELS = '_other';

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
   * COMMIT_STATUS_TIMEOUT, ENDORSE_TIMEOUT, DEADLINE_EXCEEDED or a gRPC status (GRPC_UNAVAILABLE, ...).
   */
  readonly retries = new Counter({
    name: 'mll_api_ledger_retries_total',
    help: 'Writes tried again after a transient ledger failure, by transaction and cause (validation code, ENDORSEMENT_MISMATCH, COMMIT_STATUS_TIMEOUT, ENDORSE_TIMEOUT, GRPC_*)',
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

  /**
   * Accesses (`RecordAccess`, or each recorded in a `RecordAccessBatch`,
   * through `POST /v1/licenses/{id}/accesses` or an inference) this
   * instance committed, by model. A retry that the
   * chaincode answers with the first access (the same Idempotency-Key) is
   * not counted again.
   */
  readonly accesses = new Counter({
    name: 'mll_api_accesses_total',
    help: `Accesses (RecordAccess, or batched) this instance committed, by model (at most ${MODEL_LABELS} model ids, then ${OTHER_MODELS}); a replay of an Idempotency-Key is not counted`,
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  /** The units those accesses charged, by model. */
  readonly accessUnits = new Counter({
    name: 'mll_api_access_units_total',
    help: `Licence units charged by the accesses this instance committed, by model (at most ${MODEL_LABELS} model ids, then ${OTHER_MODELS})`,
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  /** Accesses per RecordAccessBatch this instance's meter sent (services/meter.ts); a single access is not a batch. */
  readonly accessBatchSize = new Histogram({
    name: 'mll_api_access_batch_size',
    help: 'Accesses in each RecordAccessBatch this instance sent (its count is the batches sent)',
    buckets: [2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [this.registry],
  });

  /** The model ids the access counters name, in the order first seen. */
  private readonly models = new Set<string>();

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

  /**
   * Counts a write that committed valid: an access, by its model. Any other
   * transaction, and an access the chaincode answered for an earlier
   * transaction (a replayed request id), changes nothing. Never throws: the
   * write has committed, and the typed client that decodes the same answer
   * next reports a malformed one.
   */
  countCommitted(call: WriteCall, committed: Committed): void {
    if (call.contract !== ContractName.license || call.transaction !== 'RecordAccess') {
      return;
    }
    let access: Partial<AccessRecord>;
    try {
      access = decodeResult<Partial<AccessRecord>>(committed.result);
    } catch {
      return;
    }
    if (access.txId === committed.transactionId) this.countAccesses([access]);
  }

  /**
   * Counts accesses that committed, by model: a single one, or those a batch
   * recorded (the meter reads them from the batch's record, since a batch's
   * answer names its accesses without repeating them).
   */
  countAccesses(accesses: readonly Partial<AccessRecord>[]): void {
    for (const access of accesses) {
      if (typeof access.modelId !== 'string') {
        continue;
      }
      const model = this.modelLabel(access.modelId);
      this.accesses.inc({ model });
      const units = Number(access.units);
      if (Number.isFinite(units) && units > 0) {
        this.accessUnits.inc({ model }, units);
      }
    }
  }

  /** The `model` label of a model id: itself while fewer than MODEL_LABELS are named, else OTHER_MODELS. */
  private modelLabel(modelId: string): string {
    if (this.models.has(modelId)) {
      return modelId;
    }
    if (this.models.size < MODEL_LABELS) {
      this.models.add(modelId);
      return modelId;
    }
    return OTHER_MODELS;
  }
}
