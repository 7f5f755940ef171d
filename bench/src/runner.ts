/**
 * The closed-loop load generator: C workers each keep one call in flight until
 * the level's time or transaction budget is spent. Only successful calls count
 * towards throughput; failures are counted by cause.
 */
import type { Outcome } from './fabric';

/** One call of a workload; `seq` numbers the calls of a level from 0, `worker` is 0..C-1. */
export type Operation = (seq: number, worker: number) => Promise<Outcome>;

/** The figures of one workload at one concurrency level. */
export interface LevelResult {
  workload: string;
  concurrency: number;
  /** Calls started. */
  attempted: number;
  committed: number;
  failed: number;
  /** Failed calls by cause (validation code, stage error, TIMEOUT or BUSINESS:<code>). */
  failures: Record<string, number>;
  /** One sample message per cause, to see what happened. */
  failureSamples: Record<string, string>;
  /** From the first call's start to the last call's end. */
  elapsedSeconds: number;
  /** Successful calls per second; failures never count. */
  throughput: number;
  /** Latency of successful calls, milliseconds (submit: proposal to commit status). */
  latencyMs: { p50: number; p95: number; p99: number; mean: number; max: number };
  /** throughput / baseline throughput at the same concurrency, when there is a baseline. */
  ratioToBaseline?: number;
}

/** The q-quantile (0..1) of sorted values by the nearest-rank method; NaN for none. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const round = (x: number, digits = 1): number => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

/**
 * Runs OPERATION with CONCURRENCY calls in flight for DURATION_MS (no new
 * call starts after it) or until MAX_CALLS have started, whichever is first.
 */
export async function runLevel(
  workload: string,
  concurrency: number,
  durationMs: number,
  maxCalls: number,
  operation: Operation,
): Promise<LevelResult> {
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const samples: Record<string, string> = {};
  let started = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  let lastEnd = start;

  const worker = async (index: number): Promise<void> => {
    while (performance.now() < deadline && started < maxCalls) {
      const seq = started;
      started += 1;
      const outcome = await operation(seq, index);
      lastEnd = Math.max(lastEnd, performance.now());
      if (outcome.ok) {
        latencies.push(outcome.latencyMs);
      } else {
        const cause = outcome.cause ?? 'UNKNOWN';
        failures[cause] = (failures[cause] ?? 0) + 1;
        if (samples[cause] === undefined && outcome.message !== undefined) samples[cause] = outcome.message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));

  const elapsedSeconds = (lastEnd - start) / 1000;
  latencies.sort((a, b) => a - b);
  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  return {
    workload,
    concurrency,
    attempted: started,
    committed: latencies.length,
    failed,
    failures,
    failureSamples: samples,
    elapsedSeconds: round(elapsedSeconds, 2),
    throughput: round(elapsedSeconds > 0 ? latencies.length / elapsedSeconds : 0, 2),
    latencyMs: {
      p50: round(quantile(latencies, 0.5)),
      p95: round(quantile(latencies, 0.95)),
      p99: round(quantile(latencies, 0.99)),
      mean: round(latencies.length === 0 ? Number.NaN : latencies.reduce((a, b) => a + b, 0) / latencies.length),
      max: round(latencies.length === 0 ? Number.NaN : latencies[latencies.length - 1]),
    },
  };
}
