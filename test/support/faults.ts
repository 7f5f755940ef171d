/**
 * Faults on the running consortium, and the load that meets them: finding
 * the Raft leader from the orderers' own metrics, killing a node by the pid
 * `scripts/network.sh` recorded, and a load of concurrent accesses through an
 * API instance, each with its own Idempotency-Key, whose every answer (or
 * lack of one) is kept for the checks afterwards.
 */
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { Plan } from './network';
import type { OrdererPlan } from '@model-ledger/network-tools';
import { runtimeDir } from './network';
import { sha256, sleep } from './ledger';

/** The pid `scripts/network.sh` recorded for a node (`orderer0`, `peer0.hospital`, `chaincode.clinic`, `api.hospital`). */
export function pidOf(node: string): number {
  const pid = Number(readFileSync(join(runtimeDir, 'pids', `${node}.pid`), 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new Error(`no pid recorded for ${node}`);
  }
  return pid;
}

/** Whether PID (or the process `scripts/network.sh` recorded for a node name) is alive. */
export function isRunning(node: string | number): boolean {
  try {
    process.kill(typeof node === 'number' ? node : pidOf(node), 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs a node: no shutdown of its own, as when its host dies. */
export function kill(node: string): number {
  const pid = pidOf(node);
  process.kill(pid, 'SIGKILL');
  return pid;
}

/** GETs an orderer's operations endpoint with its own TLS pair as the client certificate (`/metrics` asks for one). */
function operations(node: OrdererPlan, path: string): Promise<string> {
  const address = node.health.replace(/^https:\/\//, '').replace(/\/healthz$/, '');
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host,
        port: Number(port),
        path,
        ca: readFileSync(node.tls.ca),
        cert: readFileSync(node.tls.cert),
        key: readFileSync(node.tls.key),
        timeout: 2000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path} answered ${res.statusCode}: ${body}`))));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * The orderer that leads the channel's ordering, by its own gauge
 * (`consensus_etcdraft_is_leader` with Raft, `consensus_BFT_is_leader` with
 * BFT); waits for one.
 */
export async function orderingLeader(plan: Plan, timeoutMs = 30_000): Promise<OrdererPlan> {
  const deadline = Date.now() + timeoutMs;
  const protocol = plan.ordering.consensus === 'bft' ? 'BFT' : 'etcdraft';
  const gauge = new RegExp(`^consensus_${protocol}_is_leader\\{channel="${plan.channel}"\\} 1$`, 'm');
  while (Date.now() < deadline) {
    for (const node of plan.orderers) {
      const metrics = await operations(node, '/metrics').catch(() => '');
      if (gauge.test(metrics)) {
        return node;
      }
    }
    await sleep(250);
  }
  throw new Error(`no orderer reported itself the ${protocol} leader of ${plan.channel} within ${timeoutMs} ms`);
}

/** The height of the channel's ledger on one orderer, from its own `ledger_blockchain_height` gauge; 0 when it does not answer. */
export async function ordererHeight(plan: Plan, node: OrdererPlan): Promise<number> {
  const metrics = await operations(node, '/metrics').catch(() => '');
  const match = new RegExp(`^ledger_blockchain_height\\{channel="${plan.channel}"\\} ([0-9]+)$`, 'm').exec(metrics);
  return match ? Number(match[1]) : 0;
}

/** One access the load asked for, and what became of it. */
export interface Attempt {
  readonly key: string;
  readonly requestHash: string;
  /** HTTP status, or 0 when no answer came (connection refused or reset). */
  status: number;
  code?: string;
  accessId?: string;
  /** When the answer came, ms since the load started. */
  answeredAt: number;
}

export interface LoadOptions {
  readonly url: string;
  /** API keys of the caller, one per worker in turn (an instance limits the requests of each key). */
  readonly apiKeys: readonly string[];
  readonly licenseId: string;
  readonly workers: number;
  /** Prefix of every Idempotency-Key (letters, digits, `.`, `_`, `-`; keys are at most 64 long), unique to the run and the fault. */
  readonly keyPrefix: string;
  /** Per-request client timeout; past it the request counts as unanswered. */
  readonly timeoutMs: number;
}

/** POSTs one access with its Idempotency-Key; any failure to get an answer is status 0. */
export async function postAccess(options: LoadOptions, key: string, started: number, worker = 0): Promise<Attempt> {
  const requestHash = sha256(key);
  const attempt: Attempt = { key, requestHash, status: 0, answeredAt: 0 };
  try {
    const response = await fetch(`${options.url}/v1/licenses/${options.licenseId}/accesses`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-API-Key': options.apiKeys[worker % options.apiKeys.length],
        'Idempotency-Key': key,
      },
      body: JSON.stringify({ purpose: 'research', requestHash }),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const body = (await response.json()) as { data?: { accessId?: string }; error?: { code?: string } };
    attempt.status = response.status;
    attempt.accessId = body.data?.accessId;
    attempt.code = body.error?.code;
  } catch {
    attempt.status = 0;
  }
  attempt.answeredAt = Date.now() - started;
  return attempt;
}

/**
 * Runs `workers` loops of accesses, one at a time each, until `stop` resolves;
 * `during` runs beside them (the fault). Every attempt is kept.
 */
export async function underLoad(options: LoadOptions, during: (elapsed: () => number) => Promise<void>): Promise<Attempt[]> {
  const started = Date.now();
  const attempts: Attempt[] = [];
  let stopping = false;
  const worker = async (index: number): Promise<void> => {
    for (let i = 0; !stopping; i++) {
      const attempt = await postAccess(options, `${options.keyPrefix}-${index}-${i}`, started, index);
      attempts.push(attempt);
      if (attempt.status !== 201) {
        // Nothing answered, the ledger is out of reach, or a refusal: as a client would, wait a little before the next one.
        await sleep(250);
      }
    }
  };
  const workers = Array.from({ length: options.workers }, (_, i) => worker(i));
  try {
    await during(() => Date.now() - started);
  } finally {
    stopping = true;
    await Promise.all(workers);
  }
  return attempts;
}

/** Acknowledged accesses per window of `windowMs`, from the first window to the last answer. */
export function ratePerWindow(attempts: readonly Attempt[], windowMs: number): number[] {
  const acknowledged = attempts.filter((a) => a.status === 201);
  const last = Math.max(0, ...attempts.map((a) => a.answeredAt));
  const windows = Array.from({ length: Math.floor(last / windowMs) + 1 }, () => 0);
  for (const a of acknowledged) {
    windows[Math.floor(a.answeredAt / windowMs)]++;
  }
  return windows;
}

/** The longest stretch, in ms, with no acknowledged access between the first and the last one. */
export function longestGap(attempts: readonly Attempt[]): number {
  const times = attempts
    .filter((a) => a.status === 201)
    .map((a) => a.answeredAt)
    .sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < times.length; i++) {
    gap = Math.max(gap, times[i] - times[i - 1]);
  }
  return gap;
}
