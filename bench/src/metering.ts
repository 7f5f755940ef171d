/**
 * Batched metering (issue 17), measured against the baseline blind write in
 * the same run:
 *
 * - committed accesses per second on one hot licence through the hospital's
 *   gateway API, which batches what is in flight, at 64, 256 and 1024 in
 *   flight, against the baseline's transactions per second at the same
 *   level (alternating slices);
 * - latency p50 and p99 of the same access path with batching on and off
 *   (two instances, MLL_API_BATCHING), at 1, 8 and 64 in flight;
 * - the ledger's growth per access, single against batched: the bytes the
 *   hospital peer's block files grew by during a run of each, over the
 *   accesses committed;
 * - that the units the licence consumed equal the accesses the client saw
 *   committed, and that every receipt's Merkle path leads to the root its
 *   batch wrote in the block (one proof per batch from the regulator's
 *   instance, every check passed; each access's leaf against that root).
 *
 * Part of `npm run bench`; `npm run bench:metering` runs it alone on a
 * running benchmark network (started by `npm run bench`, or by
 * `MLL_CHAINCODE_BENCH=1 bash scripts/network.sh up`).
 */
import { accessLeaf, verifyInclusion, type AccessRecord, type BatchReceipt } from '@model-ledger/contract';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Agent } from 'undici';
import { BENCH_OFFERING, Connections, loadPlan, timed, type Plan } from './fabric';
import { startGateway, type BenchGateway } from './http';
import { directMeter } from './meter-direct';
import { runInterleaved, runLevel, type LevelResult, type Operation } from './runner';

const repoRoot = resolve(__dirname, '../..');
const runtimeDir = resolve(process.env.MLL_RUNTIME_DIR ?? join(repoRoot, '.runtime'));

export const meteringSettings = {
  throughputLevels: (process.env.BENCH_METERING_LEVELS ?? '64,256,1024').split(',').map(Number),
  latencyLevels: (process.env.BENCH_METERING_LATENCY_LEVELS ?? '1,8,64').split(',').map(Number),
  sliceSeconds: Number(process.env.BENCH_METERING_SLICE_SECONDS ?? 5),
  slices: Number(process.env.BENCH_METERING_SLICES ?? 2),
  /** Accesses committed for each of the two ledger-growth runs. */
  growthAccesses: Number(process.env.BENCH_METERING_GROWTH_ACCESSES ?? 1000),
};

export interface MeteringReport {
  readonly settings: typeof meteringSettings;
  readonly licenseId: string;
  /** Per level: baseline tx/s and batched accesses/s, alternating slices, and their ratio. */
  readonly throughput: readonly {
    concurrency: number;
    baseline: LevelResult;
    batched: LevelResult;
    ratio: number;
    /** The same meter in the benchmark's process, without HTTP, and its ratio to the baseline. */
    meter: LevelResult;
    meterRatio: number;
  }[];
  /** Per level: the access path alone (batching off) and batched, alternating slices. */
  readonly latency: readonly { concurrency: number; single: LevelResult; batched: LevelResult; p50Ratio: number; p99Ratio: number }[];
  readonly ledgerGrowth: {
    single: { accesses: number; blockBytes: number; bytesPerAccess: number };
    batched: { accesses: number; blockBytes: number; bytesPerAccess: number; transactions: number };
    ratio: number;
  };
  readonly checks: {
    committedAccesses: number;
    consumedUnits: number;
    unitsMatch: boolean;
    receipts: number;
    receiptsVerified: number;
    batchesProven: number;
    batchProofFailures: readonly string[];
  };
  /** Batches the batched instance sent, and accesses in them, from its log. */
  readonly bars: {
    /** Through the API (HTTP server and client on the same cores as the network). */
    tenTimesBaseline: { met: boolean; minRatio: number };
    /** The same bar for the meter in the benchmark's process, without HTTP, per level. */
    tenTimesBaselineMeter: { met: boolean; minRatio: number; metAt: readonly number[] };
    latencyAtOne: { met: boolean; p50Ratio: number; note: string };
  };
}

const round = (x: number, digits = 2): number => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);
const log = (message: string): void => {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

/** Bytes in a peer's block files (its ledger's chains folder). */
function blockBytes(peerDir: string): number {
  let total = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.startsWith('blockfile_')) total += statSync(path).size;
    }
  };
  walk(peerDir);
  return total;
}

interface Access {
  readonly data: AccessRecord;
  readonly transaction: { readonly id: string };
  readonly receipt?: BatchReceipt;
}

/** One access through an instance; the answer is kept when `keep` is given. */
function accessCall(api: BenchGateway, licenseId: string, dispatcher: Agent, keep?: Access[]): Operation {
  return async (seq) => {
    const started = performance.now();
    try {
      const response = await fetch(`${api.url}/v1/licenses/${licenseId}/accesses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': api.key },
        body: JSON.stringify({
          units: '1',
          purpose: 'clinical-diagnosis',
          requestHash: createHash('sha256').update(`metering-${seq}-${started}`).digest('hex'),
        }),
        dispatcher,
        signal: AbortSignal.timeout(120_000),
      });
      const text = await response.text();
      const latencyMs = performance.now() - started;
      if (response.status !== 201) {
        let code = '';
        try {
          code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '';
        } catch {
          // not JSON
        }
        return { ok: false, latencyMs, cause: `HTTP_${response.status}${code ? `:${code}` : ''}`, message: text.slice(0, 300) };
      }
      keep?.push(JSON.parse(text) as Access);
      return { ok: true, latencyMs };
    } catch (err) {
      return { ok: false, latencyMs: performance.now() - started, cause: 'NETWORK_ERROR', message: String(err) };
    }
  };
}

/** Runs the measurements on a running benchmark network; see the module's comment. */
export async function measureMetering(plan: Plan, connections: Connections, outDir: string): Promise<MeteringReport> {
  const s = meteringSettings;
  const labAdmin = connections.as('lab', 'admin');
  const engineer = connections.as('lab', 'engineer1');
  const issuer = connections.as('clearing', 'issuer1');
  const hospitalAdmin = connections.as('hospital', 'admin');
  const auditor = connections.as('regulator', 'auditor1');
  const practitioners = [connections.as('hospital', 'practitioner1'), connections.as('hospital', 'practitioner2')];

  // A model, a batched offering and one licence big enough for the whole run.
  const engineerAccount = (await engineer.ledger.token.whoAmI()).account;
  const modelId = (
    await labAdmin.ledger.model.registerModel({
      name: `metering-${Date.now()}`,
      description: 'Batched metering benchmark',
      task: 'tabular-classification',
      intendedUse: 'benchmark',
      version: '1',
      artifactSha256: createHash('sha256').update(`metering-${Date.now()}`).digest('hex'),
      artifactUri: 'https://models.lab.example/metering/1.onnx',
      inferenceEndpoint: 'https://serving.lab.example/v2/models/metering',
      royaltyPolicy: {
        beneficiaries: [
          { account: 'org::LabMSP', shareBps: 7000 },
          { account: engineerAccount, shareBps: 3000 },
        ],
        resaleRoyaltyBps: 500,
      },
    })
  ).data.modelId;
  const offering = { ...(JSON.parse(BENCH_OFFERING) as Record<string, unknown>), metering: 'batch' };
  const offeringId = (await labAdmin.ledger.offering.publishOffering(modelId, offering)).data.offering.offeringId;
  const units = 5_000_000;
  await issuer.ledger.token.mint({ to: 'org::HospitalMSP', amount: String(units) });
  const licenseId = (await hospitalAdmin.ledger.license.purchaseLicense({ offeringId, units, payer: 'org' })).data.licenseId;
  const consumed = async (): Promise<number> => Number((await auditor.ledger.license.getLicense(licenseId)).consumedUnits);
  log(`metering: licence ${licenseId} of ${units} units (offering ${offeringId}, metering batch)`);

  const batchedApi = await startGateway(repoRoot, runtimeDir, outDir, 'hospital', 'practitioner1', { name: 'hospital-batched' });
  const singleApi = await startGateway(repoRoot, runtimeDir, outDir, 'hospital', 'practitioner2', {
    name: 'hospital-single',
    env: { MLL_API_BATCHING: 'false' },
  });
  const regulatorApi = await startGateway(repoRoot, runtimeDir, outDir, 'regulator', 'auditor1', { name: 'regulator-proofs' });
  const dispatcher = new Agent({ connections: 2048, pipelining: 1, keepAliveTimeout: 30_000 });
  // The same meter as the batched instance's, in this process and on practitioner2's connection, without HTTP.
  const meter = directMeter(repoRoot, runtimeDir, 'hospital', 'practitioner2');
  const kept: Access[] = [];
  let committedByClient = 0;
  const startConsumed = await consumed();
  try {
    const value = 'v'.repeat(100);
    const baseline: Operation = (seq, worker) =>
      timed(practitioners[worker % 2], (ledger) => ledger.baseline.put(value + String(seq % 10)));
    const batched = accessCall(batchedApi, licenseId, dispatcher, kept);
    const single = accessCall(singleApi, licenseId, dispatcher, kept);
    const inProcess = meter.operation(licenseId, kept);
    log('metering: warm-up');
    await runLevel('warmup', 8, 30_000, 64, batched);
    await runLevel('warmup', 8, 30_000, 64, inProcess);
    await runLevel('warmup', 8, 30_000, 64, single);

    const throughput: MeteringReport['throughput'][number][] = [];
    for (const c of s.throughputLevels) {
      const [b, a, m] = await runInterleaved(
        [
          ['baseline', baseline],
          ['batched RecordAccess (API)', batched],
          ['batched RecordAccess (meter in process, no HTTP)', inProcess],
        ],
        c,
        s.slices,
        s.sliceSeconds * 1000,
        1e9,
      );
      throughput.push({
        concurrency: c,
        baseline: b,
        batched: a,
        ratio: round(a.throughput / b.throughput),
        meter: m,
        meterRatio: round(m.throughput / b.throughput),
      });
      log(
        `metering @${c}: baseline ${b.throughput} tx/s, batched ${a.throughput} accesses/s (${round(a.throughput / b.throughput)}x), p50 ${a.latencyMs.p50} ms; meter in process ${m.throughput} accesses/s (${round(m.throughput / b.throughput)}x), p50 ${m.latencyMs.p50} ms`,
      );
    }

    const latency: MeteringReport['latency'][number][] = [];
    for (const c of s.latencyLevels) {
      const [one, many] = await runInterleaved(
        [
          ['RecordAccess alone (API, batching off)', single],
          ['RecordAccess batched (API)', batched],
        ],
        c,
        s.slices,
        s.sliceSeconds * 1000,
        1e9,
      );
      latency.push({
        concurrency: c,
        single: one,
        batched: many,
        p50Ratio: round(many.latencyMs.p50 / one.latencyMs.p50),
        p99Ratio: round(many.latencyMs.p99 / one.latencyMs.p99),
      });
      log(
        `metering latency @${c}: alone p50 ${one.latencyMs.p50} p99 ${one.latencyMs.p99} ms; batched p50 ${many.latencyMs.p50} p99 ${many.latencyMs.p99} ms`,
      );
    }

    // Ledger growth: a fixed number of accesses each way, nothing else writing meanwhile.
    const hospitalPeer = plan.orgs.find((o) => o.name === 'hospital')?.peers[0];
    if (hospitalPeer === undefined) throw new Error('the plan has no hospital peer');
    const peerDir = hospitalPeer.data;
    const growth = async (
      api: BenchGateway,
      concurrency: number,
    ): Promise<{ accesses: number; blockBytes: number; transactions: number }> => {
      const mine: Access[] = [];
      const before = blockBytes(peerDir);
      const run = await runLevel('growth', concurrency, 600_000, s.growthAccesses, accessCall(api, licenseId, dispatcher, mine));
      // The last block is cut by the orderer's batch timeout: wait for it to land on the peer.
      await new Promise((r) => setTimeout(r, 2500));
      kept.push(...mine);
      return {
        accesses: run.committed,
        blockBytes: blockBytes(peerDir) - before,
        transactions: new Set(mine.map((m) => m.transaction.id)).size,
      };
    };
    const g1 = await growth(singleApi, 64);
    const g2 = await growth(batchedApi, 256);
    const ledgerGrowth = {
      single: { accesses: g1.accesses, blockBytes: g1.blockBytes, bytesPerAccess: round(g1.blockBytes / g1.accesses, 0) },
      batched: {
        accesses: g2.accesses,
        blockBytes: g2.blockBytes,
        bytesPerAccess: round(g2.blockBytes / g2.accesses, 0),
        transactions: g2.transactions,
      },
      ratio: round(g2.blockBytes / g2.accesses / (g1.blockBytes / g1.accesses)),
    };
    log(
      `metering ledger growth: alone ${ledgerGrowth.single.bytesPerAccess} B/access, batched ${ledgerGrowth.batched.bytesPerAccess} B/access`,
    );

    // Checks: units against the client's count; every receipt against its block.
    committedByClient = kept.length;
    const consumedUnits = (await consumed()) - startConsumed;
    await issuer.ledger.token.mint({ to: 'org::HospitalMSP', amount: '1' }); // a next block for the newest batch's header chain
    const roots = new Map<string, string>();
    const failures: string[] = [];
    const receipts = kept.filter((k) => k.receipt !== undefined);
    for (const batchId of new Set(receipts.map((k) => k.receipt?.batchId ?? ''))) {
      const sample = receipts.find((k) => k.receipt?.batchId === batchId);
      const response = await fetch(`${regulatorApi.url}/v1/audit/proofs/${sample?.data.accessId}`, {
        headers: { 'x-api-key': regulatorApi.key },
      });
      const proof = (await response.json()) as {
        checks?: { name: string; passed: boolean }[];
        transaction?: { writes: { key: string; value: string }[] };
      };
      const failed = (proof.checks ?? []).filter((c) => !c.passed).map((c) => c.name);
      if (response.status !== 200 || failed.length > 0) failures.push(`${batchId}: ${response.status} ${failed.join(',')}`);
      const write = proof.transaction?.writes.find((w) => w.key === `accbatch/${batchId}`);
      roots.set(batchId, write === undefined ? '' : (JSON.parse(write.value) as { merkleRoot: string }).merkleRoot);
    }
    let verified = 0;
    for (const k of receipts) {
      const r = k.receipt as BatchReceipt;
      const root = Buffer.from(roots.get(r.batchId) ?? '', 'hex');
      if (
        verifyInclusion(
          accessLeaf(k.data),
          r.position,
          r.size,
          r.path.map((h) => Buffer.from(h, 'hex')),
          root,
        )
      )
        verified += 1;
    }
    const minRatio = Math.min(...throughput.map((t) => t.ratio));
    const atOne = latency.find((l) => l.concurrency === 1);
    const report: MeteringReport = {
      settings: s,
      licenseId,
      throughput,
      latency,
      ledgerGrowth,
      checks: {
        committedAccesses: committedByClient,
        consumedUnits,
        unitsMatch: consumedUnits === committedByClient,
        receipts: receipts.length,
        receiptsVerified: verified,
        batchesProven: roots.size - failures.length,
        batchProofFailures: failures,
      },
      bars: {
        tenTimesBaseline: { met: minRatio >= 10, minRatio },
        tenTimesBaselineMeter: {
          met: throughput.every((t) => t.meterRatio >= 10),
          minRatio: Math.min(...throughput.map((t) => t.meterRatio)),
          metAt: throughput.filter((t) => t.meterRatio >= 10).map((t) => t.concurrency),
        },
        latencyAtOne: {
          met: atOne !== undefined && atOne.p50Ratio <= 1.1,
          p50Ratio: atOne?.p50Ratio ?? Number.NaN,
          note: 'at 1 in flight the meter records alone, so the batched instance takes the single path; within 10% counts as noise',
        },
      },
    };
    log(
      `metering checks: ${committedByClient} accesses committed, ${consumedUnits} units consumed; ${verified} of ${receipts.length} receipts verified; ${roots.size} batches proven, ${failures.length} failed`,
    );
    return report;
  } finally {
    await dispatcher.close();
    meter.close();
    await Promise.all([batchedApi.stop(), singleApi.stop(), regulatorApi.stop()]);
  }
}

/** The report as a Markdown section. */
export function meteringMarkdown(r: MeteringReport): string {
  const lines = [
    '## Batched metering (issue 17)',
    '',
    `One hot licence (${r.licenseId}), accesses through the hospital's gateway API, which records alone when idle and batches what is in flight, and through the same meter in the benchmark's process without HTTP; the baseline is the blind write at the same level, in alternating slices.`,
    '',
    '| in flight | baseline tx/s | API accesses/s | × baseline | API p50 ms | p99 ms | failed | meter accesses/s | × baseline | meter p50 ms | p99 ms | failed |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.throughput.map(
      (t) =>
        `| ${t.concurrency} | ${t.baseline.throughput} | ${t.batched.throughput} | ${t.ratio} | ${t.batched.latencyMs.p50} | ${t.batched.latencyMs.p99} | ${t.batched.failed} | ${t.meter.throughput} | ${t.meterRatio} | ${t.meter.latencyMs.p50} | ${t.meter.latencyMs.p99} | ${t.meter.failed} |`,
    ),
    '',
    '| in flight | alone p50 ms | alone p99 ms | batched p50 ms | batched p99 ms | p50 ratio | p99 ratio |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...r.latency.map(
      (l) =>
        `| ${l.concurrency} | ${l.single.latencyMs.p50} | ${l.single.latencyMs.p99} | ${l.batched.latencyMs.p50} | ${l.batched.latencyMs.p99} | ${l.p50Ratio} | ${l.p99Ratio} |`,
    ),
    '',
    `Ledger growth (the hospital peer's block files): alone ${r.ledgerGrowth.single.bytesPerAccess} B per access (${r.ledgerGrowth.single.accesses} accesses), batched ${r.ledgerGrowth.batched.bytesPerAccess} B per access (${r.ledgerGrowth.batched.accesses} accesses in ${r.ledgerGrowth.batched.transactions} transactions): ${r.ledgerGrowth.ratio}×.`,
    '',
    `Checks: ${r.checks.committedAccesses} accesses committed as the client counted them, ${r.checks.consumedUnits} units consumed (${r.checks.unitsMatch ? 'equal' : 'NOT equal'}); ${r.checks.receiptsVerified} of ${r.checks.receipts} receipts verified against the root their batch wrote; ${r.checks.batchesProven} batches proven with every check passed${r.checks.batchProofFailures.length > 0 ? `, failures: ${r.checks.batchProofFailures.join('; ')}` : ''}.`,
    '',
    `Bars: ≥ 10× the baseline at every level: through the API ${r.bars.tenTimesBaseline.met ? 'met' : 'NOT met'} (lowest ${r.bars.tenTimesBaseline.minRatio}×); through the meter without HTTP ${r.bars.tenTimesBaselineMeter.met ? 'met' : 'NOT met'} (lowest ${r.bars.tenTimesBaselineMeter.minRatio}×, met at ${r.bars.tenTimesBaselineMeter.metAt.join(', ') || 'no level'} in flight); at 1 in flight, batched p50 within 10% of alone: ${r.bars.latencyAtOne.met ? 'met' : 'NOT met'} (${r.bars.latencyAtOne.p50Ratio}×).`,
    '',
  ];
  return lines.join('\n');
}

/** `npm run bench:metering`: the measurements alone, on a running benchmark network. */
async function main(): Promise<void> {
  const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  const outDir = resolve(
    process.env.BENCH_OUT ?? join(repoRoot, 'bench/results', `${new Date().toISOString().slice(0, 10)}-${commit}-metering`),
  );
  mkdirSync(outDir, { recursive: true });
  const plan = loadPlan(runtimeDir);
  const connections = new Connections(plan);
  try {
    const report = await measureMetering(plan, connections, outDir);
    writeFileSync(join(outDir, 'metering.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(outDir, 'metering.md'), meteringMarkdown(report));
    log(`metering: results in ${outDir}`);
  } finally {
    connections.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
