/**
 * The gateway API's meter (`gateway-api/src/services/meter.ts`) run inside
 * the benchmark's process, without HTTP: the same batching, signing, lot
 * spacing and read-back as an API instance, on its own Fabric connection.
 * It separates what batching on the ledger achieves from what an HTTP
 * server and client on the same two cores cost.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AccessRecord, BatchReceipt } from '@model-ledger/contract';
import type { Operation } from './runner';

/** What the bench uses of the gateway API's compiled modules (it has no type declarations). */
interface GatewayModules {
  loadConfig(env: Record<string, string>): { planFile: string; org: string; peer: string; metering: unknown };
  bindOrg(planFile: string, org: string, peer: string): unknown;
  Ledger: new (
    binding: unknown,
    config: unknown,
    log: unknown,
    metrics: unknown,
  ) => {
    user(name: string): unknown;
    session(user: unknown): unknown;
    close(): void;
  };
  Metrics: new (labels: Record<string, string>) => unknown;
  LotHints: new () => unknown;
  Meter: new (
    settings: unknown,
    hints: unknown,
    log: unknown,
  ) => {
    record(session: unknown, call: Record<string, string>): Promise<{ data: AccessRecord; transactionId: string; receipt?: BatchReceipt }>;
  };
  pino(options: { level: string }): unknown;
}

function gatewayModules(repoRoot: string): GatewayModules {
  const load = (path: string): Record<string, unknown> =>
    createRequire(__filename)(join(repoRoot, 'gateway-api', path)) as Record<string, unknown>;
  return {
    loadConfig: load('dist/config.js').loadConfig,
    bindOrg: load('dist/fabric/plan.js').bindOrg,
    Ledger: load('dist/fabric/ledger.js').Ledger,
    Metrics: load('dist/metrics.js').Metrics,
    LotHints: load('dist/services/lot-hints.js').LotHints,
    Meter: load('dist/services/meter.js').Meter,
    pino: createRequire(__filename)('pino') as GatewayModules['pino'],
  } as GatewayModules;
}

export interface DirectMeter {
  /** One access on `licenseId`, recorded through the meter; kept as the API answers it when `keep` is given. */
  operation(licenseId: string, keep?: { data: AccessRecord; transaction: { id: string }; receipt?: BatchReceipt }[]): Operation;
  close(): void;
}

/** A meter of `org`'s gateway for `user`, configured as an API instance is by default. */
export function directMeter(repoRoot: string, runtimeDir: string, org: string, user: string): DirectMeter {
  const gw = gatewayModules(repoRoot);
  const config = gw.loadConfig({
    MLL_API_ORG: org,
    MLL_RUNTIME_DIR: runtimeDir,
    MLL_API_LOG_LEVEL: 'warn',
    ...(JSON.parse(process.env.BENCH_API_ENV ?? '{}') as Record<string, string>),
  });
  const log = gw.pino({ level: 'warn' });
  const ledger = new gw.Ledger(gw.bindOrg(config.planFile, config.org, config.peer), config, log, new gw.Metrics({ org }));
  const session = ledger.session(ledger.user(user));
  const meter = new gw.Meter(config.metering, new gw.LotHints(), log);
  return {
    operation: (licenseId, keep) => async (seq) => {
      const started = performance.now();
      try {
        const access = await meter.record(session, {
          licenseId,
          units: '1',
          purpose: 'clinical-diagnosis',
          requestHash: createHash('sha256').update(`meter-${seq}-${started}`).digest('hex'),
        });
        const latencyMs = performance.now() - started;
        keep?.push({ data: access.data, transaction: { id: access.transactionId }, receipt: access.receipt });
        return { ok: true, latencyMs };
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'ERROR';
        return { ok: false, latencyMs: performance.now() - started, cause: code, message: String(err).slice(0, 300) };
      }
    },
    close: () => ledger.close(),
  };
}
