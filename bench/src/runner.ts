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

/** The raw figures of one stretch of load, before merging. */
export interface RawRun {
  latencies: number[];
  failures: Record<string, number>;
  samples: Record<string, string>;
  started: number;
  elapsedMs: number;
}

/**
 * Runs OPERATION with CONCURRENCY calls in flight for DURATION_MS (no new
 * call starts after it; calls in flight are waited for) or until MAX_CALLS
 * have started, whichever is first.
 */
export async function runRaw(
  concurrency: number,
  durationMs: number,
  maxCalls: number,
  operation: Operation,
  seqBase = 0,
): Promise<RawRun> {
  const raw: RawRun = { latencies: [], failures: {}, samples: {}, started: 0, elapsedMs: 0 };
  const start = performance.now();
  const deadline = start + durationMs;
  let lastEnd = start;
  const worker = async (index: number): Promise<void> => {
    while (performance.now() < deadline && raw.started < maxCalls) {
      const seq = seqBase + raw.started;
      raw.started += 1;
      const outcome = await operation(seq, index);
      lastEnd = Math.max(lastEnd, performance.now());
      if (outcome.ok) {
        raw.latencies.push(outcome.latencyMs);
      } else {
        const cause = outcome.cause ?? 'UNKNOWN';
        raw.failures[cause] = (raw.failures[cause] ?? 0) + 1;
        if (raw.samples[cause] === undefined && outcome.message !== undefined) raw.samples[cause] = outcome.message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  raw.elapsedMs = lastEnd - start;
  return raw;
}

/** Merges stretches of one workload at one level into its figures; throughput is successes over their summed time. */
export function summarizeRuns(workload: string, concurrency: number, runs: readonly RawRun[]): LevelResult {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const failures: Record<string, number> = {};
  const samples: Record<string, string> = {};
  for (const r of runs) {
    for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.samples)) samples[k] ??= v;
  }
  const elapsedSeconds = runs.reduce((t, r) => t + r.elapsedMs, 0) / 1000;
  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  return {
    workload,
    concurrency,
    attempted: runs.reduce((n, r) => n + r.started, 0),
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

/** Runs one workload at one level as a single stretch. */
export async function runLevel(
  workload: string,
  concurrency: number,
  durationMs: number,
  maxCalls: number,
  operation: Operation,
): Promise<LevelResult> {
  return summarizeRuns(workload, concurrency, [await runRaw(concurrency, durationMs, maxCalls, operation)]);
}

/**
 * Runs several workloads at one level in alternating slices (A B C A B C …),
 * so that a noisy neighbour slows them alike and their ratios stay fair.
 */
export async function runInterleaved(
  workloads: readonly (readonly [string, Operation])[],
  concurrency: number,
  slices: number,
  sliceMs: number,
  maxCallsPerWorkload: number,
): Promise<LevelResult[]> {
  const runs = workloads.map(() => [] as RawRun[]);
  for (let slice = 0; slice < slices; slice += 1) {
    for (const [i, [, operation]] of workloads.entries()) {
      const done = runs[i].reduce((n, r) => n + r.started, 0);
      runs[i].push(await runRaw(concurrency, sliceMs, Math.ceil(maxCallsPerWorkload / slices), operation, done));
    }
  }
  return workloads.map(([name], i) => summarizeRuns(name, concurrency, runs[i]));
}
