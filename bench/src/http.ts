/**
 * The HTTP side of the benchmark: a gateway API instance of the hospital of
 * its own (a separate process from gateway-api/dist, configured as `up`
 * configures one, but without a rate limit), and timed HTTP calls.
 */
import type { Dispatcher } from 'undici';
import { execFileSync, spawn, ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Outcome } from './fabric';

/** A running gateway API instance and the key of its one user. */
export interface BenchGateway {
  readonly url: string;
  readonly key: string;
  /** The instance's process, whose memory an export is measured by. */
  readonly pid: number;
  stop(): Promise<void>;
}

/** One whole export through an instance, and its process's resident memory while it ran. */
export interface ExportMeasure {
  readonly path: string;
  readonly format: 'csv' | 'ndjson';
  /** Records written (CSV rows without the header; NDJSON lines without the summary). */
  readonly records: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  /** Resident set of the instance just before the export, and the most seen while it ran (sampled every 20 ms). */
  readonly rssBeforeMiB: number;
  readonly rssPeakMiB: number;
}

/** The resident set of process PID, in MiB (Linux /proc). */
function rssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? Number.NaN : Math.round((Number(match[1]) / 1024) * 10) / 10;
}

/** Exports PATH whole from GATEWAY as CSV or NDJSON, reading the body as it streams, and measures it. */
export async function measureExport(gateway: BenchGateway, path: string, format: 'csv' | 'ndjson'): Promise<ExportMeasure> {
  const rssBeforeMiB = rssMiB(gateway.pid);
  let rssPeakMiB = rssBeforeMiB;
  const sampler = setInterval(() => {
    rssPeakMiB = Math.max(rssPeakMiB, rssMiB(gateway.pid));
  }, 20);
  const started = performance.now();
  let bytes = 0;
  let newlines = 0;
  try {
    const response = await fetch(`${gateway.url}${path}`, {
      headers: { 'X-API-Key': gateway.key, Accept: format === 'csv' ? 'text/csv' : 'application/x-ndjson' },
    });
    if (response.status !== 200 || response.body === null)
      throw new Error(`export of ${path} answered ${response.status}: ${await response.text()}`);
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      for (const byte of chunk) if (byte === 10) newlines++;
    }
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  rssPeakMiB = Math.max(rssPeakMiB, rssMiB(gateway.pid));
  // Both formats end every line with LF; the CSV header and the NDJSON summary are one line each.
  const records = newlines - 1;
  return {
    path,
    format,
    records,
    bytes,
    seconds: Math.round(seconds * 100) / 100,
    recordsPerSecond: Math.round(records / seconds),
    rssBeforeMiB,
    rssPeakMiB,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts `gateway-api/dist/server.js` for ORG, issues a key for USER into a
 * key file of this run, and waits for `/healthz`. The key file and the event
 * checkpoint go to the runtime folder (they are secrets and state, never
 * results); the instance's log goes to `outDir`.
 */
export async function startGateway(
  repoRoot: string,
  runtimeDir: string,
  outDir: string,
  org: string,
  user: string,
  options: { readonly name?: string; readonly env?: Readonly<Record<string, string>> } = {},
): Promise<BenchGateway> {
  const port = await freePort();
  const name = options.name ?? org;
  const stateDir = join(runtimeDir, 'bench-api');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    MLL_API_ORG: org,
    MLL_API_PORT: String(port),
    MLL_RUNTIME_DIR: runtimeDir,
    MLL_API_KEYS_FILE: join(stateDir, `${name}-keys.json`),
    MLL_API_EVENTS_CHECKPOINT_FILE: join(stateDir, `${name}-events.checkpoint.json`),
    MLL_API_RATE_LIMIT: '0',
    MLL_API_LOG_LEVEL: process.env.BENCH_API_LOG_LEVEL ?? 'warn',
    ...(JSON.parse(process.env.BENCH_API_ENV ?? '{}') as Record<string, string>),
    ...options.env,
  };
  const key = execFileSync(process.execPath, [join(repoRoot, 'gateway-api/dist/cli/keys.js'), 'issue', '--user', user], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim();
  const logFile = createWriteStream(join(outDir, `api.${name}.log`));
  const child: ChildProcess = spawn(
    process.execPath,
    [...(process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean), join(repoRoot, 'gateway-api/dist/server.js')],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.pipe(logFile);
  child.stderr?.pipe(logFile);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway API exited with ${child.exitCode}; see ${join(outDir, `api.${name}.log`)}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the gateway API on ${url} was not healthy within 60s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    url,
    key,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * One timed HTTP call: ok when the status is `expected`; otherwise the cause is
 * `HTTP:<status>:<error code>` (the API's stable code) or TIMEOUT / NETWORK_ERROR.
 */
export async function httpTimed(url: string, init: RequestInit & { dispatcher?: Dispatcher }, expected = 200): Promise<Outcome> {
  const started = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(120_000) });
    const text = await response.text();
    const latencyMs = performance.now() - started;
    if (response.status === expected) return { ok: true, latencyMs };
    let code = '';
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '';
    } catch {
      // not JSON
    }
    const isBusiness = response.status < 500 && response.status !== 409;
    const cause =
      code === 'LEDGER_CONFLICT'
        ? 'MVCC_READ_CONFLICT'
        : `${isBusiness ? 'BUSINESS:' : 'HTTP_'}${response.status}${code ? `:${code}` : ''}`;
    return { ok: false, latencyMs, cause, message: text.slice(0, 300) };
  } catch (err) {
    const latencyMs = performance.now() - started;
    const name = (err as { name?: string }).name;
    return { ok: false, latencyMs, cause: name === 'TimeoutError' ? 'TIMEOUT' : 'NETWORK_ERROR', message: String(err) };
  }
}
