/**
 * Inference statistics in the shape of Triton's statistics extension
 * (`GET /v2/models/{name}/stats`). Every request that reaches a model's infer
 * route is counted once: as a success when the model ran and answered, as a
 * failure otherwise (a rejected request included). So
 * `success.count + fail.count` is the number of inference requests the model
 * received, and `success.count` the number it answered.
 */

/** A count and the total wall time of those requests, in nanoseconds. */
export interface Duration {
  count: number;
  ns: number;
}

/** One model's entry in the statistics response. */
export interface ModelStats {
  name: string;
  version: string;
  /** Milliseconds since the epoch of the last successful inference; 0 when none. */
  last_inference: number;
  /** Rows inferred (a batch of n rows counts n). */
  inference_count: number;
  /** Times the model was run. */
  execution_count: number;
  inference_stats: { success: Duration; fail: Duration };
}

/** Counters of one model; not persisted, reset on restart. */
export class Stats {
  private lastInference = 0;
  private rows = 0;
  private executions = 0;
  private readonly success: Duration = { count: 0, ns: 0 };
  private readonly fail: Duration = { count: 0, ns: 0 };

  constructor(
    private readonly name: string,
    private readonly version: string,
  ) {}

  /** Records an answered inference of `rows` rows that took `ns` nanoseconds. */
  succeeded(rows: number, ns: number): void {
    this.lastInference = Date.now();
    this.rows += rows;
    this.executions += 1;
    this.success.count += 1;
    this.success.ns += ns;
  }

  /** Records an inference request that was rejected or failed. */
  failed(ns: number): void {
    this.fail.count += 1;
    this.fail.ns += ns;
  }

  /** The current counters, as Triton's statistics extension shapes them. */
  snapshot(): ModelStats {
    return {
      name: this.name,
      version: this.version,
      last_inference: this.lastInference,
      inference_count: this.rows,
      execution_count: this.executions,
      inference_stats: { success: { ...this.success }, fail: { ...this.fail } },
    };
  }
}
