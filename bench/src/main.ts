/**
 * `npm run bench`: measures the hot paths against the network's own limit in
 * one run. See bench/README.md for what runs and how to read the results.
 */
import { Agent } from 'undici';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderChart, Palette, PanelSpec } from './chart';
import { BENCH_OFFERING, Connections, loadPlan, timed } from './fabric';
import { measureMetering, meteringMarkdown, type MeteringReport } from './metering';
import { BenchGateway, ExportMeasure, httpTimed, measureExport, startGateway } from './http';
import { LevelResult, runInterleaved, runLevel } from './runner';

const repoRoot = resolve(__dirname, '../..');
const runtimeDir = resolve(process.env.MLL_RUNTIME_DIR ?? join(repoRoot, '.runtime'));

/** Knobs, all from the environment so that a quick run and the reference run use the same code. */
const settings = {
  levels: (process.env.BENCH_LEVELS ?? '1,8,32,64').split(',').map(Number),
  /** Seconds per submit workload and level. */
  submitSeconds: Number(process.env.BENCH_SUBMIT_SECONDS ?? 15),
  /** Seconds per query workload and level. */
  querySeconds: Number(process.env.BENCH_QUERY_SECONDS ?? 5),
  /** Upper bound on calls per level (keeps the ledger growth bounded). */
  maxCallsPerLevel: Number(process.env.BENCH_MAX_CALLS ?? 5000),
  /** Records of the audit model before the first audit measurement. */
  auditSmall: Number(process.env.BENCH_AUDIT_SMALL ?? 1000),
  /** Target for the large audit measurement; seeding stops earlier at BENCH_SEED_SECONDS. */
  auditLarge: Number(process.env.BENCH_AUDIT_LARGE ?? 100_000),
  seedSeconds: Number(process.env.BENCH_SEED_SECONDS ?? 180),
  /** Slices each submit level is cut into, alternating baseline and workloads. */
  slices: Number(process.env.BENCH_SLICES ?? 3),
  /** In-flight seeding accesses. */
  seedConcurrency: Number(process.env.BENCH_SEED_CONCURRENCY ?? 128),
  auditPageSize: 50,
  /** Units of the hot licence: min(N, 256) lots. */
  hotLicenseUnits: 100_000,
  /** Whether to measure the HTTP paths (gateway API and model server); BENCH_HTTP=0 skips them. */
  http: process.env.BENCH_HTTP !== '0',
  /** Whether to measure a BFT-ordered network against this one, after it (BENCH_BFT=0 skips it). */
  bft: process.env.BENCH_BFT !== '0',
  /** Whether to measure batched metering (issue 17, src/metering.ts); BENCH_METERING=0 skips it. */
  metering: process.env.BENCH_METERING !== '0',
};

/** The baseline write and RecordAccess at one level, on the Raft network and on the BFT one. */
interface OrderingLevel {
  concurrency: number;
  raftBaseline: number;
  bftBaseline: number;
  baselineRatio: number;
  raftRecordAccess: number;
  bftRecordAccess: number;
  recordAccessRatio: number;
  raftBaselineP50: number;
  bftBaselineP50: number;
  raftRecordAccessP50: number;
  bftRecordAccessP50: number;
}

/** The gateway's added latency over calling the model server directly, at one level. */
interface InferenceOverhead {
  concurrency: number;
  directP50: number;
  directP99: number;
  /** The entitlement check alone, through the API (what the inference path does before calling the model). */
  checkP50: number;
  checkP99: number;
  inferP50: number;
  inferP99: number;
  /** inference through the API minus the model server directly. */
  addedP50: number;
  addedP99: number;
}

const log = (message: string): void => {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
}

/**
 * Brings the network up (reusing a running one) with the caller's MLL_* variables and the chaincode's
 * benchmark build, which adds the baseline write the production build does not serve.
 */
function networkUp(outDir: string): void {
  log(`MLL_CHAINCODE_BENCH=1 bash scripts/network.sh up (MLL_PORT_OFFSET=${process.env.MLL_PORT_OFFSET ?? '0'}, runtime ${runtimeDir})`);
  const up = spawnSync('bash', [join(repoRoot, 'scripts/network.sh'), 'up'], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, MLL_CHAINCODE_BENCH: '1' },
  });
  writeFileSync(join(outDir, 'network-up.log'), `${up.stdout ?? ''}\n${up.stderr ?? ''}`);
  if (up.status !== 0) {
    throw new Error(
      `scripts/network.sh up failed (exit ${up.status}); see ${join(outDir, 'network-up.log')}:\n${(up.stderr ?? '').slice(-2000)}`,
    );
  }
}

/** Runs scripts/network.sh VERB with ENV added to the caller's environment, logging to LOG; throws on failure. */
function networkScript(outDir: string, logName: string, env: Record<string, string>, ...args: string[]): void {
  const run = spawnSync('bash', [join(repoRoot, 'scripts/network.sh'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, ...env },
  });
  writeFileSync(join(outDir, logName), `${run.stdout ?? ''}\n${run.stderr ?? ''}`);
  if (run.status !== 0) {
    throw new Error(
      `scripts/network.sh ${args.join(' ')} failed (exit ${run.status}); see ${join(outDir, logName)}:\n${(run.stderr ?? '').slice(-2000)}`,
    );
  }
}

/**
 * The same baseline write and RecordAccess on one hot licence, on a second,
 * fresh network ordered with BFT by the member orgs' own orderers, right
 * after the Raft network's run: the Raft network is stopped (its ports are
 * the BFT one's), the BFT one brought up in `<runtime>-bft`, measured and
 * removed, and the Raft network started again.
 */
async function compareOrdering(outDir: string, raft: readonly LevelResult[]): Promise<{ levels: OrderingLevel[]; results: LevelResult[] }> {
  const bftRuntime = `${runtimeDir}-bft`;
  const bftEnv = { MLL_RUNTIME_DIR: bftRuntime, MLL_CONSENSUS: 'bft', MLL_CHAINCODE_BENCH: '1' };
  log('ordering: stopping the Raft network; bringing up a BFT-ordered one in ' + bftRuntime);
  networkScript(outDir, 'network-down.log', {}, 'down');
  networkScript(outDir, 'network-bft-clean.log', bftEnv, 'clean');
  const results: LevelResult[] = [];
  try {
    networkScript(outDir, 'network-bft-up.log', bftEnv, 'up');
    const plan = loadPlan(bftRuntime);
    if (plan.ordering.consensus !== 'bft') throw new Error(`${bftRuntime} is not ordered with BFT`);
    const connections = new Connections(plan);
    try {
      const labAdmin = connections.as('lab', 'admin');
      const engineer = connections.as('lab', 'engineer1');
      const practitioners = [connections.as('hospital', 'practitioner1'), connections.as('hospital', 'practitioner2')];
      const run = `bench-bft-${Date.now()}`;
      const engineerAccount = (await engineer.ledger.token.whoAmI()).account;
      const modelId = (
        await labAdmin.ledger.model.registerModel({
          name: `hot-${run}`,
          description: 'Benchmark model',
          task: 'tabular-classification',
          intendedUse: 'Benchmark only',
          version: '1',
          artifactSha256: sha256(`hot-${run}`),
          artifactUri: 'https://models.lab.example/bench.onnx',
          inferenceEndpoint: 'https://serving.lab.example/v2/models/bench',
          royaltyPolicy: JSON.stringify({
            beneficiaries: [
              { account: 'org::LabMSP', shareBps: 7000 },
              { account: engineerAccount, shareBps: 3000 },
            ],
            resaleRoyaltyBps: 500,
          }),
        })
      ).data.modelId;
      const offeringId = (await labAdmin.ledger.offering.publishOffering(modelId, BENCH_OFFERING)).data.offering.offeringId;
      await connections.as('clearing', 'issuer1').ledger.token.mint({ to: 'org::HospitalMSP', amount: '100000000' });
      const licenseId = (
        await connections.as('hospital', 'admin').ledger.license.purchaseLicense({
          offeringId,
          units: String(settings.hotLicenseUnits),
          payer: 'org',
          requestId: `${run}-hot`,
        })
      ).data.licenseId;
      const value = 'v'.repeat(100);
      const baseline = (seq: number, worker: number) =>
        timed(practitioners[worker % 2], (ledger) => ledger.baseline.put(value + String(seq % 10)));
      let hint = 0;
      const recordAccess = (seq: number, worker: number) => {
        const lotHint = String(hint % 256);
        hint += 1;
        const requestHash = sha256(`${run}-${seq}-${worker}`);
        return timed(practitioners[worker % 2], (ledger) =>
          ledger.license.recordAccess({ licenseId, units: '1', purpose: 'clinical-diagnosis', requestHash, lotHint }),
        );
      };
      log('ordering: warm-up on the BFT network, 32 baseline writes');
      await runLevel('warmup', 8, 60_000, 32, baseline);
      for (const c of settings.levels) {
        const [base, access] = await runInterleaved(
          [
            ['BFT baseline', baseline],
            ['BFT RecordAccess', recordAccess],
          ],
          c,
          settings.slices,
          (settings.submitSeconds * 1000) / settings.slices,
          settings.maxCallsPerLevel,
        );
        access.ratioToBaseline = base.throughput > 0 ? Math.round((access.throughput / base.throughput) * 1000) / 1000 : undefined;
        results.push(base, access);
        log(`${summarize(base)}\n${summarize(access)}`);
      }
    } finally {
      connections.close();
    }
  } finally {
    log('ordering: removing the BFT network; starting the Raft network again');
    networkScript(outDir, 'network-bft-clean.log', bftEnv, 'clean');
    networkScript(outDir, 'network-up-again.log', { MLL_CHAINCODE_BENCH: '1' }, 'up');
  }
  const find = (list: readonly LevelResult[], workload: string, c: number): LevelResult | undefined =>
    list.find((r) => r.workload === workload && r.concurrency === c);
  const ratioOf = (a: number, b: number): number => (b > 0 ? Math.round((a / b) * 1000) / 1000 : Number.NaN);
  const levels = settings.levels.flatMap((c) => {
    const rb = find(raft, 'baseline', c);
    const ra = find(raft, 'RecordAccess', c);
    const bb = find(results, 'BFT baseline', c);
    const ba = find(results, 'BFT RecordAccess', c);
    if (!rb || !ra || !bb || !ba) return [];
    return [
      {
        concurrency: c,
        raftBaseline: rb.throughput,
        bftBaseline: bb.throughput,
        baselineRatio: ratioOf(bb.throughput, rb.throughput),
        raftRecordAccess: ra.throughput,
        bftRecordAccess: ba.throughput,
        recordAccessRatio: ratioOf(ba.throughput, ra.throughput),
        raftBaselineP50: rb.latencyMs.p50,
        bftBaselineP50: bb.latencyMs.p50,
        raftRecordAccessP50: ra.latencyMs.p50,
        bftRecordAccessP50: ba.latencyMs.p50,
      },
    ];
  });
  return { levels, results };
}

/** The hospital's buyers buyer-1..COUNT, enrolled once per network (later runs reuse them). */
function enrollBuyers(outDir: string, count: number): void {
  log(`enrolling the buyers buyer-1..${count} of the hospital (once per network)`);
  const run = spawnSync('bash', [join(repoRoot, 'scripts/network.sh'), 'enroll-many', 'hospital', 'buyer', String(count), 'practitioner'], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: process.env,
  });
  writeFileSync(join(outDir, 'enroll-buyers.log'), `${run.stdout ?? ''}\n${run.stderr ?? ''}`);
  if (run.status !== 0) {
    throw new Error(`scripts/network.sh enroll-many failed (exit ${run.status}):\n${(run.stderr ?? '').slice(-2000)}`);
  }
}

function summarize(r: LevelResult): string {
  const fails = Object.entries(r.failures)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `${r.workload} @${r.concurrency}: ${r.throughput}/s ok=${r.committed} failed=${r.failed} p50=${r.latencyMs.p50} p99=${r.latencyMs.p99}${fails ? ` (${fails})` : ''}${
    r.ratioToBaseline !== undefined ? ` ratio=${r.ratioToBaseline}` : ''
  }`;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const commit = git('rev-parse', '--short=12', 'HEAD');
  const dirty = git('status', '--porcelain', '--', 'chaincode/src', 'bench/src') !== '';
  const runName = `${startedAt.toISOString().slice(0, 10)}-${commit}${dirty ? '-dirty' : ''}`;
  const outDir = resolve(process.env.BENCH_OUT ?? join(repoRoot, 'bench/results', runName));
  mkdirSync(outDir, { recursive: true });
  log(`results go to ${outDir}`);

  if (process.env.BENCH_SKIP_UP !== '1') networkUp(outDir);
  const buyerCount = Math.max(...settings.levels);
  enrollBuyers(outDir, buyerCount);
  const plan = loadPlan(runtimeDir);
  const connections = new Connections(plan);
  let gateway: BenchGateway | undefined;
  try {
    const labAdmin = connections.as('lab', 'admin');
    const engineer = connections.as('lab', 'engineer1');
    const issuer = connections.as('clearing', 'issuer1');
    const hospitalAdmin = connections.as('hospital', 'admin');
    const practitioners = [connections.as('hospital', 'practitioner1'), connections.as('hospital', 'practitioner2')];
    const auditor = connections.as('regulator', 'auditor1');
    // One buyer per worker at the top level, each paying from its own account.
    const buyers = Array.from({ length: buyerCount }, (_, i) => connections.as('hospital', `buyer-${i + 1}`));

    // --- Setup: two models paying the same two beneficiaries, a hot licence, an audit licence.
    const run = `bench-${Date.now()}`;
    const engineerAccount = (await engineer.ledger.token.whoAmI()).account;
    const policy = JSON.stringify({
      beneficiaries: [
        { account: 'org::LabMSP', shareBps: 7000 },
        { account: engineerAccount, shareBps: 3000 },
      ],
      resaleRoyaltyBps: 500,
    });
    const offering = BENCH_OFFERING;
    const registerModel = async (name: string): Promise<string> =>
      (
        await labAdmin.ledger.model.registerModel({
          name: `${name}-${run}`,
          description: 'Benchmark model',
          task: 'tabular-classification',
          intendedUse: 'Benchmark only',
          version: '1',
          artifactSha256: sha256(`${name}-${run}`),
          artifactUri: 'https://models.lab.example/bench.onnx',
          inferenceEndpoint: 'https://serving.lab.example/v2/models/bench',
          royaltyPolicy: policy,
        })
      ).data.modelId;
    const publish = async (modelId: string): Promise<string> =>
      (await labAdmin.ledger.offering.publishOffering(modelId, offering)).data.offering.offeringId;

    log('setup: models, offerings, money, licences');
    const hotModel = await registerModel('hot');
    const auditModel = await registerModel('audit');
    const auditSmallModel = await registerModel('audit-small');
    const hotOffering = await publish(hotModel);
    const purchaseOffering = await publish(hotModel);
    const manyBuyersOffering = await publish(hotModel);
    const auditOffering = await publish(auditModel);
    const auditSmallOffering = await publish(auditSmallModel);
    await issuer.ledger.token.mint({ to: 'org::HospitalMSP', amount: '100000000' });
    // Mints one at a time: each also adds to the token's total supply, one key.
    for (const buyer of buyers) {
      await issuer.ledger.token.mint({ to: (await buyer.ledger.token.whoAmI()).account, amount: '1000000' });
    }
    const buy = async (offeringId: string, units: number): Promise<string> =>
      (
        await hospitalAdmin.ledger.license.purchaseLicense({
          offeringId,
          units: String(units),
          payer: 'org',
          requestId: `${run}-${offeringId}`,
        })
      ).data.licenseId;
    const hotLicense = await buy(hotOffering, settings.hotLicenseUnits);
    const auditLicense = await buy(auditOffering, 10_000_000);
    const hotLots = (await auditor.ledger.license.getLicense(hotLicense)).license.lotCount;
    log(`hot licence ${hotLicense} (${settings.hotLicenseUnits} units, ${String(hotLots)} lots) of model ${hotModel}`);

    // --- Workloads.
    const value = 'v'.repeat(100);
    const baseline = (seq: number, worker: number) =>
      timed(practitioners[worker % 2], (ledger) => ledger.baseline.put(value + String(seq % 10)));
    let hint = 0;
    /** Round-robin lot hints: concurrent calls start at distinct lots of the licence. */
    const recordAccess = (licenseId: string, tag: string) => (seq: number, worker: number) => {
      const lotHint = String(hint % 256);
      hint += 1;
      const requestHash = sha256(`${run}-${tag}-${seq}-${worker}`);
      return timed(practitioners[worker % 2], (ledger) =>
        ledger.license.recordAccess({ licenseId, units: '1', purpose: 'clinical-diagnosis', requestHash, lotHint }),
      );
    };
    let purchaseSeq = 0;
    const purchase = () => {
      purchaseSeq += 1;
      const requestId = `${run}-p${purchaseSeq}`;
      return timed(hospitalAdmin, (ledger) =>
        ledger.license.purchaseLicense({ offeringId: purchaseOffering, units: '1', payer: 'org', supplyHint: purchaseSeq, requestId }),
      );
    };
    /** Worker w buys as buyer w, from its own account: many buyers of one offering, no shared balance. */
    const purchaseByMany = (_seq: number, worker: number) => {
      purchaseSeq += 1;
      const requestId = `${run}-m${purchaseSeq}`;
      const supplyHint = purchaseSeq;
      return timed(buyers[worker], (ledger) =>
        ledger.license.purchaseLicense({ offeringId: manyBuyersOffering, units: '1', payer: 'self', supplyHint, requestId }),
      );
    };
    const checkEntitlement = (_seq: number, worker: number) =>
      timed(practitioners[worker % 2], (ledger) => ledger.license.checkEntitlement(hotLicense, '1', 'clinical-diagnosis'));

    const results: LevelResult[] = [];
    const record = (r: LevelResult): LevelResult => {
      results.push(r);
      log(summarize(r));
      return r;
    };

    log('warm-up: 32 baseline writes');
    await runLevel('warmup', 8, 60_000, 32, baseline);

    // Baseline and the submit workloads in alternating slices at each level, so each ratio compares like with like in time.
    for (const c of settings.levels) {
      const [base, ...others] = await runInterleaved(
        [
          ['baseline', baseline],
          ['RecordAccess', recordAccess(hotLicense, 'hot')],
          ['PurchaseLicense', purchase],
          ['PurchaseLicense many buyers', purchaseByMany],
        ],
        c,
        settings.slices,
        (settings.submitSeconds * 1000) / settings.slices,
        settings.maxCallsPerLevel,
      );
      record(base);
      for (const r of others) {
        r.ratioToBaseline = base.throughput > 0 ? Math.round((r.throughput / base.throughput) * 1000) / 1000 : undefined;
        record(r);
      }
      const ce = await runLevel('CheckEntitlement', c, settings.querySeconds * 1000, 1e9, checkEntitlement);
      ce.ratioToBaseline = base.throughput > 0 ? Math.round((ce.throughput / base.throughput) * 1000) / 1000 : undefined;
      record(ce);
    }
    // The ledger agrees with the client: every committed access took exactly one unit of the hot licence.
    const hotAfter = await auditor.ledger.license.getLicense(hotLicense);
    const accessesCommitted = results.filter((r) => r.workload === 'RecordAccess').reduce((n, r) => n + r.committed, 0);
    const ledgerCheck = {
      hotLicenseConsumedUnits: Number(hotAfter.consumedUnits),
      recordAccessCommittedByClient: accessesCommitted,
      agrees: Number(hotAfter.consumedUnits) === accessesCommitted,
    };
    log(`ledger check: ${JSON.stringify(ledgerCheck)}`);
    const baselineAt = (c: number): number | undefined => results.find((r) => r.workload === 'baseline' && r.concurrency === c)?.throughput;
    const ratio = (r: LevelResult): number | undefined => {
      const base = baselineAt(r.concurrency);
      return base ? Math.round((r.throughput / base) * 1000) / 1000 : undefined;
    };

    // --- Through HTTP: the shipped model, served by the model server, registered with its real hash; a
    // gateway API instance of the hospital; the model server called directly as the inference baseline.
    const overhead: InferenceOverhead[] = [];
    if (settings.http) {
      const card = JSON.parse(readFileSync(join(repoRoot, 'model/model.json'), 'utf8')) as {
        name: string;
        version: string;
        sha256: string;
      };
      const sample = (JSON.parse(readFileSync(join(repoRoot, 'model/heldout-samples.json'), 'utf8')) as { samples: { input: number[] }[] })
        .samples[0];
      // Registered as the lab's gate; the direct baseline calls the model server on its socket, as the gate does.
      const served = plan.modelServer.endpoint;
      const socket = new Agent({ connect: { socketPath: plan.modelServer.socket } });
      const servedModel = (
        await labAdmin.ledger.model.registerModel({
          name: `served-${run}`,
          description: 'Benchmark: the shipped model',
          task: 'tabular-classification',
          intendedUse: 'Benchmark only',
          version: card.version,
          artifactSha256: card.sha256,
          artifactUri: 'file://model/breast-cancer-diagnostic.onnx',
          inferenceEndpoint: served,
          royaltyPolicy: policy,
        })
      ).data.modelId;
      const httpLicense = await buy(await publish(servedModel), settings.hotLicenseUnits);
      gateway = await startGateway(repoRoot, runtimeDir, outDir, 'hospital', 'practitioner1');
      log(`HTTP: gateway API ${gateway.url} as practitioner1@hospital; model ${servedModel} served at ${served}; licence ${httpLicense}`);
      const api = gateway;
      const json = { 'content-type': 'application/json' };
      const keyed = { ...json, 'X-API-Key': api.key };
      const inputs = [{ name: 'input', shape: [1, sample.input.length], datatype: 'FP32', data: sample.input }];
      const direct = () =>
        httpTimed(`http://localhost/v2/models/${card.name}/infer`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ inputs }),
          dispatcher: socket,
        });
      const entitlement = () =>
        httpTimed(`${api.url}/v1/licenses/${httpLicense}/entitlement?purpose=clinical-diagnosis&units=1`, {
          headers: { 'X-API-Key': api.key },
        });
      const apiAccess = (seq: number, worker: number) =>
        httpTimed(
          `${api.url}/v1/licenses/${httpLicense}/accesses`,
          {
            method: 'POST',
            headers: keyed,
            body: JSON.stringify({ purpose: 'clinical-diagnosis', requestHash: sha256(`${run}-http-${seq}-${worker}`) }),
          },
          201,
        );
      const apiInfer = () =>
        httpTimed(`${api.url}/v1/models/${servedModel}/infer`, {
          method: 'POST',
          headers: keyed,
          body: JSON.stringify({ parameters: { licenseId: httpLicense, purpose: 'clinical-diagnosis' }, inputs }),
        });
      await runLevel('warmup', 4, 60_000, 16, apiInfer);
      for (const c of settings.levels) {
        const [d, e] = await runInterleaved(
          [
            ['model server direct', direct],
            ['API entitlement check', entitlement],
          ],
          c,
          settings.slices,
          (settings.querySeconds * 1000) / settings.slices,
          1e9,
        );
        const [a, i] = await runInterleaved(
          [
            ['API RecordAccess', apiAccess],
            ['API inference', apiInfer],
          ],
          c,
          settings.slices,
          (settings.submitSeconds * 1000) / settings.slices,
          settings.maxCallsPerLevel,
        );
        for (const r of [d, e, a, i]) {
          if (r !== d) r.ratioToBaseline = ratio(r);
          record(r);
        }
        const round1 = (x: number): number => Math.round(x * 10) / 10;
        overhead.push({
          concurrency: c,
          directP50: d.latencyMs.p50,
          directP99: d.latencyMs.p99,
          checkP50: e.latencyMs.p50,
          checkP99: e.latencyMs.p99,
          inferP50: i.latencyMs.p50,
          inferP99: i.latencyMs.p99,
          addedP50: round1(i.latencyMs.p50 - d.latencyMs.p50),
          addedP99: round1(i.latencyMs.p99 - d.latencyMs.p99),
        });
      }
      await gateway.stop();
      gateway = undefined;
    }

    // --- Audit: two models with their own licences. The small one gets BENCH_AUDIT_SMALL access records;
    // the large one is seeded as far as BENCH_SEED_SECONDS allows, probed as it grows. Comparing the two
    // in alternating calls at the end takes the machine's drift out of the comparison.
    const auditSmallLicense = await buy(auditSmallOffering, 10_000_000);
    const seedFailures: Record<string, number> = {};
    const seed = async (licenseId: string, tag: string, count: number, seconds: number): Promise<{ ok: number; seconds: number }> => {
      const r = await runLevel('seed', settings.seedConcurrency, seconds * 1000, count, recordAccess(licenseId, tag));
      for (const [k, v] of Object.entries(r.failures)) seedFailures[k] = (seedFailures[k] ?? 0) + v;
      return { ok: r.committed, seconds: r.elapsedSeconds };
    };
    // A window that covers every seeded record: from before the first seed to the far future.
    const windowFrom = new Date(Date.now() - 60_000).toISOString();
    const windowTo = '9999-12-31T23:59:59.999Z';
    const audit = (modelId: string, stored: () => number, pageSize: number) => (_seq: number, _worker: number) =>
      timed(
        auditor,
        (ledger) => ledger.audit.listAccessBy('model', modelId, { from: windowFrom, to: windowTo }, { pageSize }),
        (page) => {
          const expected = Math.min(pageSize, stored());
          if (page.records.length !== expected) throw new Error(`page of ${page.records.length} records, expected ${expected}`);
        },
      );
    const auditMatrix = async (label: string, modelId: string, stored: () => number): Promise<void> => {
      for (const c of settings.levels) {
        const r = await runLevel(label, c, settings.querySeconds * 1000, 1e9, audit(modelId, stored, settings.auditPageSize));
        const base = baselineAt(c);
        r.ratioToBaseline = base ? Math.round((r.throughput / base) * 1000) / 1000 : undefined;
        record(r);
      }
    };

    log(`seeding ${settings.auditSmall} access records on the small audit model`);
    let smallStored = 0;
    while (smallStored < settings.auditSmall)
      smallStored += (await seed(auditSmallLicense, 'small', settings.auditSmall - smallStored, 120)).ok;
    const auditSmallCount = smallStored;
    await auditMatrix(`ListAccessByModel@${auditSmallCount}`, auditSmallModel, () => smallStored);

    let stored = 0;
    const growth: { stored: number; p50: number; p95: number; throughput: number; seedRate: number }[] = [];
    const seedUntil = Date.now() + settings.seedSeconds * 1000;
    log(`seeding the large audit model towards ${settings.auditLarge} records for at most ${settings.seedSeconds}s`);
    while (stored < settings.auditLarge && Date.now() < seedUntil) {
      const chunk = await seed(
        auditLicense,
        'large',
        settings.auditLarge - stored,
        Math.min(20, Math.max(1, (seedUntil - Date.now()) / 1000)),
      );
      stored += chunk.ok;
      const r = await runLevel(
        'probe',
        1,
        3000,
        1e9,
        audit(auditModel, () => stored, settings.auditPageSize),
      );
      const seedRate = Math.round((chunk.ok / Math.max(chunk.seconds, 0.001)) * 10) / 10;
      growth.push({ stored, p50: r.latencyMs.p50, p95: r.latencyMs.p95, throughput: r.throughput, seedRate });
      log(
        `audit probe at ${stored} records (seeded at ${seedRate}/s): p50=${r.latencyMs.p50}ms p95=${r.latencyMs.p95}ms${r.failed ? ` FAILED ${JSON.stringify(r.failures)}` : ''}`,
      );
    }
    const auditLargeCount = stored;
    await auditMatrix(`ListAccessByModel@${auditLargeCount}`, auditModel, () => stored);

    // Small against large, alternating, one in flight, at three page sizes: what the cost follows.
    const pageSizes: { pageSize: number; small: LevelResult; large: LevelResult }[] = [];
    for (const size of [10, 50, 100]) {
      const [small, large] = await runInterleaved(
        [
          [`page ${size}@${auditSmallCount}`, audit(auditSmallModel, () => smallStored, size)],
          [`page ${size}@${auditLargeCount}`, audit(auditModel, () => stored, size)],
        ],
        1,
        4,
        (settings.querySeconds * 1000) / 4,
        1e9,
      );
      pageSizes.push({ pageSize: size, small, large });
      log(`${summarize(small)}\n${summarize(large)}`);
    }

    // --- Exports (issue 16 §2): each audit model's accesses, whole, through a regulator's instance, and its memory meanwhile.
    const exports: ExportMeasure[] = [];
    if (settings.http) {
      const auditorApi = await startGateway(repoRoot, runtimeDir, outDir, 'regulator', 'auditor1');
      try {
        for (const model of [auditSmallModel, auditModel]) {
          for (const format of ['ndjson', 'csv'] as const) {
            const m = await measureExport(auditorApi, `/v1/audit/accesses?modelId=${model}`, format);
            exports.push(m);
            log(
              `export ${format} of ${m.records} accesses: ${m.seconds}s (${m.recordsPerSecond}/s), instance RSS ${m.rssBeforeMiB} MiB, peak ${m.rssPeakMiB} MiB`,
            );
          }
        }
      } finally {
        await auditorApi.stop();
      }
    }

    // --- Batched metering (issue 17): its own licence and gateway instances, against the baseline in alternating slices.
    await gateway?.stop();
    gateway = undefined;
    const metering = settings.metering ? await measureMetering(plan, connections, outDir) : undefined;

    // --- Ordering: the same writes on a BFT-ordered network, against this (Raft) one. Last, since it stops this network for a while.
    connections.close();
    const ordering = settings.bft && plan.ordering.consensus === 'raft' ? await compareOrdering(outDir, results) : undefined;
    if (ordering)
      for (const l of ordering.levels)
        log(`ordering @${l.concurrency}: BFT/Raft baseline ${l.baselineRatio}x, RecordAccess ${l.recordAccessRatio}x`);

    // --- Verdicts on the issue's bars.
    const top = Math.max(...settings.levels);
    const hot = results.find((r) => r.workload === 'RecordAccess' && r.concurrency === top);
    const conflicts = hot ? (hot.failures.MVCC_READ_CONFLICT ?? 0) + (hot.failures.PHANTOM_READ_CONFLICT ?? 0) : Number.NaN;
    const ab = pageSizes.find((p) => p.pageSize === settings.auditPageSize);
    const small = ab?.small;
    const large = ab?.large;
    const auditGrowth = small && large ? Math.round((large.latencyMs.p50 / small.latencyMs.p50) * 100) / 100 : Number.NaN;
    const baselineLevel = (c: number): LevelResult | undefined => results.find((r) => r.workload === 'baseline' && r.concurrency === c);
    const purchases = results.find((r) => r.workload === 'PurchaseLicense' && r.concurrency === top);
    const manyBuyers = results.find((r) => r.workload === 'PurchaseLicense many buyers' && r.concurrency === top);
    // The 64-in-flight API workloads on one licence: no 5xx, and no failure of any kind once the API has retried.
    const apiAtTop = results.filter((r) => (r.workload === 'API RecordAccess' || r.workload === 'API inference') && r.concurrency === top);
    const count5xx = (r: LevelResult): number =>
      Object.entries(r.failures)
        .filter(([cause]) => /^HTTP_5/.test(cause))
        .reduce((sum, [, n]) => sum + n, 0);
    const bars = {
      recordAccessZeroConflicts: {
        concurrency: top,
        mvcc: hot?.failures.MVCC_READ_CONFLICT ?? 0,
        phantom: hot?.failures.PHANTOM_READ_CONFLICT ?? 0,
        met: conflicts === 0 && (hot?.committed ?? 0) > 0,
      },
      recordAccessThroughputRatio: {
        concurrency: top,
        ratio: hot?.ratioToBaseline ?? null,
        required: 0.8,
        met: (hot?.ratioToBaseline ?? 0) >= 0.8,
      },
      auditCostFollowsPageSize: {
        pageSize: settings.auditPageSize,
        smallCount: auditSmallCount,
        largeCount: auditLargeCount,
        targetLargeCount: settings.auditLarge,
        p50SmallMs: small?.latencyMs.p50 ?? null,
        p50LargeMs: large?.latencyMs.p50 ?? null,
        p50Growth: auditGrowth,
        rule: 'p50 of a page of 50, one in flight, calls alternating between the two models, grows by less than 1.5x from the small to the large count',
        met: auditGrowth < 1.5,
        reachedTarget: auditLargeCount >= settings.auditLarge,
      },
      inferenceAddedLatency: settings.http
        ? {
            met: overhead.length > 0 && overhead[0].addedP50 <= (baselineLevel(overhead[0].concurrency)?.latencyMs.p50 ?? 0) + 20,
            perLevel: overhead,
            rule: "at 1 in flight the inference path's added p50 is at most the baseline write's commit p50 + 20 ms",
            baselineP50: baselineLevel(overhead[0]?.concurrency ?? 1)?.latencyMs.p50 ?? null,
          }
        : { met: null, note: 'skipped (BENCH_HTTP=0)' },
      purchaseOneTreasury: {
        concurrency: top,
        ratio: purchases?.ratioToBaseline ?? null,
        mvcc: purchases?.failures.MVCC_READ_CONFLICT ?? 0,
        note: "every purchase is paid from one treasury, whose balance is the hot key; the offering's supply no longer is (shards)",
      },
      purchaseManyBuyers: {
        concurrency: top,
        buyers: buyerCount,
        ratio: manyBuyers?.ratioToBaseline ?? null,
        failed: manyBuyers?.failed ?? null,
        failures: manyBuyers?.failures ?? {},
        required: 0.5,
        met: manyBuyers === undefined ? null : (manyBuyers.ratioToBaseline ?? 0) >= 0.5 && manyBuyers.failed === 0,
        note: 'one offering, each worker a buyer of its own paying from its own account; supply hints round-robin',
      },
      exportMemoryFlat: (() => {
        const peak = (records: (m: ExportMeasure) => boolean): number => Math.max(...exports.filter(records).map((m) => m.rssPeakMiB));
        if (exports.length === 0) return { met: null, note: 'skipped (BENCH_HTTP=0)' };
        const smallPeak = peak((m) => m.path.endsWith(auditSmallModel));
        const largePeak = peak((m) => m.path.endsWith(auditModel));
        const ratio = Math.round((largePeak / smallPeak) * 100) / 100;
        return {
          smallRecords: exports.find((m) => m.path.endsWith(auditSmallModel))?.records ?? null,
          largeRecords: exports.find((m) => m.path.endsWith(auditModel))?.records ?? null,
          smallPeakMiB: smallPeak,
          largePeakMiB: largePeak,
          ratio,
          rule: "the regulator instance's peak RSS while exporting the large model is at most 1.25x its peak while exporting the small one",
          met: ratio <= 1.25,
        };
      })(),
      apiNoFailures: settings.http
        ? {
            concurrency: top,
            workloads: apiAtTop.map((r) => ({ workload: r.workload, committed: r.committed, failures: r.failures })),
            fiveHundreds: apiAtTop.reduce((sum, r) => sum + count5xx(r), 0),
            met: apiAtTop.length > 0 && apiAtTop.every((r) => r.failed === 0),
          }
        : { met: null, note: 'skipped (BENCH_HTTP=0)' },
    };

    const report = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      commit,
      dirty,
      network: {
        runtimeDir,
        portOffset: process.env.MLL_PORT_OFFSET ?? '0',
        channel: plan.channel,
        chaincode: plan.chaincode.name,
        endorsementPolicy: plan.chaincode.endorsementPolicy,
        client:
          'one @hyperledger/fabric-gateway Gateway per identity, sharing one gRPC channel to the org peer (peer0.hospital for practitioners)',
      },
      settings,
      setup: {
        hotModel,
        hotLicense,
        hotLots,
        purchaseOffering,
        auditModel,
        auditLicense,
        auditSmallModel,
        auditSmallLicense,
        auditWindow: [windowFrom, windowTo],
      },
      results,
      ordering: ordering ?? { note: 'skipped (BENCH_BFT=0, or the benchmarked network is not ordered with Raft)' },
      ledgerCheck,
      audit: { smallModel: auditSmallModel, smallCount: auditSmallCount, largeCount: auditLargeCount, growth, pageSizes, seedFailures },
      exports,
      metering: metering ?? { note: 'skipped (BENCH_METERING=0)' },
      bars,
    };
    writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(outDir, 'summary.md'), markdown(report, runName));
    writeFileSync(join(outDir, 'chart.png'), chart(report, runName));
    log(`wrote results.json, summary.md and chart.png to ${outDir}`);
  } finally {
    await gateway?.stop();
    connections.close();
  }
}

type Report = {
  results: LevelResult[];
  ordering: { levels: OrderingLevel[]; results: LevelResult[] } | { note: string };
  ledgerCheck: { hotLicenseConsumedUnits: number; recordAccessCommittedByClient: number; agrees: boolean };
  settings: typeof settings;
  audit: {
    smallCount: number;
    largeCount: number;
    growth: { stored: number; p50: number; p95: number; throughput: number; seedRate: number }[];
    pageSizes: { pageSize: number; small: LevelResult; large: LevelResult }[];
    seedFailures: Record<string, number>;
  };
  exports: ExportMeasure[];
  metering: MeteringReport | { note: string };
  bars: Record<string, Record<string, unknown>>;
  network: Record<string, string>;
  startedAt: string;
};

const FAILURE_COLUMNS = ['MVCC_READ_CONFLICT', 'PHANTOM_READ_CONFLICT', 'ENDORSEMENT_POLICY_FAILURE'];

function failureCells(r: LevelResult): string[] {
  const other: string[] = [];
  let validation = 0;
  let stage = 0;
  let timeout = 0;
  let business = 0;
  for (const [cause, n] of Object.entries(r.failures)) {
    if (FAILURE_COLUMNS.includes(cause)) continue;
    if (cause === 'TIMEOUT') timeout += n;
    else if (cause.startsWith('BUSINESS:')) {
      business += n;
      other.push(`${cause.slice(9)}×${n}`);
    } else if (cause.endsWith('_ERROR') || cause === 'ENDORSEMENT_MISMATCH') {
      stage += n;
      other.push(`${cause}×${n}`);
    } else {
      validation += n;
      other.push(`${cause}×${n}`);
    }
  }
  return [
    ...FAILURE_COLUMNS.map((c) => String(r.failures[c] ?? 0)),
    String(validation),
    String(stage),
    String(timeout),
    business ? `${business} (${other.filter((o) => !o.includes('_ERROR') && !o.includes('MISMATCH')).join(', ')})` : '0',
  ];
}

function markdown(report: Report, runName: string): string {
  const lines: string[] = [];
  lines.push(`# Benchmark ${runName}`, '');
  lines.push(
    `Started ${report.startedAt}. Network: ${report.network.endorsementPolicy} on channel ${report.network.channel}; ${report.network.client}.`,
    `Each submit level ran ${report.settings.submitSeconds}s closed-loop per workload (at most ${report.settings.maxCallsPerLevel} calls), in ${report.settings.slices} slices alternating baseline, RecordAccess, PurchaseLicense (one treasury pays) and PurchaseLicense many buyers (each worker its own buyer); each query level ran ${report.settings.querySeconds}s. Endorse/submit errors include ENDORSEMENT_MISMATCH (endorsers simulated at different heights: contention seen before ordering). Throughput counts only committed (or answered) calls; latency is of successful calls, from proposal to commit status.`,
    '',
  );
  lines.push(
    '| workload | in-flight | ok/s | × baseline | p50 ms | p95 ms | p99 ms | ok | MVCC | phantom | endorsement policy | other validation | endorse/submit errors | timeouts | business errors |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of report.results) {
    lines.push(
      `| ${r.workload} | ${r.concurrency} | ${r.throughput} | ${r.ratioToBaseline ?? (r.workload === 'baseline' ? '1' : '–')} | ${r.latencyMs.p50} | ${r.latencyMs.p95} | ${r.latencyMs.p99} | ${r.committed} | ${failureCells(r).join(' | ')} |`,
    );
  }
  lines.push(
    '',
    `Ledger check: the hot licence reports ${report.ledgerCheck.hotLicenseConsumedUnits} consumed units; the client counted ${report.ledgerCheck.recordAccessCommittedByClient} committed RecordAccess calls of one unit (${report.ledgerCheck.agrees ? 'they agree' : '**they disagree**'}).`,
  );
  if (report.exports.length > 0) {
    lines.push(
      '',
      '## Exports',
      '',
      "Each audit model's accesses exported whole (`GET /v1/audit/accesses?modelId=…` with `Accept: text/csv` or `application/x-ndjson`) through a regulator's API instance; its resident memory sampled every 20 ms.",
      '',
      '| records | format | MB | s | records/s | RSS before (MiB) | RSS peak (MiB) |',
      '|---|---|---|---|---|---|---|',
      ...report.exports.map(
        (m) =>
          `| ${m.records} | ${m.format} | ${Math.round(m.bytes / 1e5) / 10} | ${m.seconds} | ${m.recordsPerSecond} | ${m.rssBeforeMiB} | ${m.rssPeakMiB} |`,
      ),
    );
  }
  if ('levels' in report.ordering) {
    lines.push(
      '',
      '## Ordering: BFT against Raft',
      '',
      'The same baseline write and RecordAccess on one hot licence, on a fresh network ordered with SmartBFT by one orderer in each of lab, hospital, clinic and clearing, measured right after the Raft network above (same levels, slices and seconds). Ratio = BFT ÷ Raft, committed calls per second.',
      '',
      '| in-flight | baseline Raft/s | baseline BFT/s | BFT ÷ Raft | RecordAccess Raft/s | RecordAccess BFT/s | BFT ÷ Raft | baseline p50 ms Raft / BFT | RecordAccess p50 ms Raft / BFT |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    for (const l of report.ordering.levels) {
      lines.push(
        `| ${l.concurrency} | ${l.raftBaseline} | ${l.bftBaseline} | ${l.baselineRatio} | ${l.raftRecordAccess} | ${l.bftRecordAccess} | ${l.recordAccessRatio} | ${l.raftBaselineP50} / ${l.bftBaselineP50} | ${l.raftRecordAccessP50} / ${l.bftRecordAccessP50} |`,
      );
    }
  }
  lines.push('', `## Audit: \`ListAccessByModel\`, page of ${report.settings.auditPageSize}, one in flight, as records grow`, '');
  lines.push('| stored records | p50 ms | p95 ms | queries/s | seeding rate before it (access tx/s) |', '|---|---|---|---|---|');
  for (const g of report.audit.growth) lines.push(`| ${g.stored} | ${g.p50} | ${g.p95} | ${g.throughput} | ${g.seedRate || '–'} |`);
  lines.push(
    '',
    `Page size against stored records, one in flight, calls alternating between the model with ${report.audit.smallCount} and the one with ${report.audit.largeCount} records:`,
    '',
    `| page size | p50 ms @${report.audit.smallCount} | p50 ms @${report.audit.largeCount} | large ÷ small | p95 ms @${report.audit.smallCount} | p95 ms @${report.audit.largeCount} |`,
    '|---|---|---|---|---|---|',
  );
  for (const p of report.audit.pageSizes) {
    lines.push(
      `| ${p.pageSize} | ${p.small.latencyMs.p50} | ${p.large.latencyMs.p50} | ${Math.round((p.large.latencyMs.p50 / p.small.latencyMs.p50) * 100) / 100} | ${p.small.latencyMs.p95} | ${p.large.latencyMs.p95} |`,
    );
  }
  if (Object.keys(report.audit.seedFailures).length) lines.push('', `Seeding failures: ${JSON.stringify(report.audit.seedFailures)}`);
  const b = report.bars;
  const verdict = (m: unknown): string => (m === true ? '**met**' : m === false ? '**not met**' : 'not measured');
  /** How far a latency is over its bar, said where it is. */
  const overBy = (ms: number, bar: number): string => (ms > bar ? `, over by ${(ms - bar).toFixed(1)} ms` : '');
  /** How far a ratio falls short of its bar, said where it does. */
  const shortBy = (ratio: unknown, required: number): string =>
    typeof ratio === 'number' && ratio < required
      ? `, short by ${(required - ratio).toFixed(3)}× (${Math.round((ratio / required) * 100)} % of the bar)`
      : '';
  lines.push('', '## The issue\u2019s bars', '');
  lines.push(
    `- RecordAccess at ${String(b.recordAccessZeroConflicts.concurrency)} in flight, one licence: MVCC ${String(b.recordAccessZeroConflicts.mvcc)}, phantom ${String(b.recordAccessZeroConflicts.phantom)}: ${verdict(b.recordAccessZeroConflicts.met)}.`,
  );
  lines.push(
    `- RecordAccess throughput ≥ 0.8× baseline at ${String(b.recordAccessThroughputRatio.concurrency)}: ${String(b.recordAccessThroughputRatio.ratio)}×: ${verdict(b.recordAccessThroughputRatio.met)}${shortBy(b.recordAccessThroughputRatio.ratio, 0.8)}.`,
  );
  lines.push(
    `- Audit cost grows with page size, not records: p50 ${String(b.auditCostFollowsPageSize.p50SmallMs)} ms at ${String(b.auditCostFollowsPageSize.smallCount)} → ${String(b.auditCostFollowsPageSize.p50LargeMs)} ms at ${String(b.auditCostFollowsPageSize.largeCount)} records (${String(b.auditCostFollowsPageSize.p50Growth)}×; rule: < 1.5×): ${verdict(b.auditCostFollowsPageSize.met)}${b.auditCostFollowsPageSize.reachedTarget ? '' : `; seeding reached ${String(b.auditCostFollowsPageSize.largeCount)}, not the ${String(b.auditCostFollowsPageSize.targetLargeCount)} the issue names, within ${report.settings.seedSeconds}s`}.`,
  );
  lines.push(
    `- PurchaseLicense, one hot offering, one paying treasury, at ${String(b.purchaseOneTreasury.concurrency)} in flight: ${String(b.purchaseOneTreasury.ratio)}× the baseline, ${String(b.purchaseOneTreasury.mvcc)} MVCC conflicts (${String(b.purchaseOneTreasury.note)}).`,
  );
  lines.push(
    `- PurchaseLicense by many buyers ≥ ${String(b.purchaseManyBuyers.required)}× baseline at ${String(b.purchaseManyBuyers.concurrency)} in flight, 0 failed: ${String(b.purchaseManyBuyers.ratio)}×, ${String(b.purchaseManyBuyers.failed)} failed ${JSON.stringify(b.purchaseManyBuyers.failures)}: ${verdict(b.purchaseManyBuyers.met)}${shortBy(b.purchaseManyBuyers.ratio, 0.5)} (${String(b.purchaseManyBuyers.note)}).`,
  );
  if (b.apiNoFailures.met !== null) {
    const workloads = b.apiNoFailures.workloads as { workload: string; committed: number; failures: Record<string, number> }[];
    lines.push(
      `- API workloads at ${String(b.apiNoFailures.concurrency)} in flight on one licence: ${String(b.apiNoFailures.fiveHundreds)} 5xx; ${workloads.map((w) => `${w.workload} ${w.committed} ok, failures ${JSON.stringify(w.failures)}`).join('; ')}: ${verdict(b.apiNoFailures.met)}.`,
    );
  }
  const perLevel = (b.inferenceAddedLatency.perLevel ?? []) as InferenceOverhead[];
  if (perLevel.length === 0) {
    lines.push(`- Inference path's added latency: ${verdict(null)} (${String(b.inferenceAddedLatency.note)}).`, '');
  } else {
    const top = perLevel[perLevel.length - 1];
    lines.push(
      `- Inference path's added p50 at 1 in flight ≤ the baseline's commit p50 (${String(b.inferenceAddedLatency.baselineP50)} ms) + 20 ms: +${perLevel[0].addedP50} ms: ${verdict(b.inferenceAddedLatency.met)}${overBy(perLevel[0].addedP50, Number(b.inferenceAddedLatency.baselineP50) + 20)}. At ${top.concurrency} in flight, p50 +${top.addedP50} ms, p99 +${top.addedP99} ms (table below).`,
      '',
      '## Through HTTP: what the gateway adds to an inference',
      '',
      'The shipped model on the model server, called directly, against `POST /v1/models/{id}/infer` on a hospital gateway API instance (entitlement evaluate, artifact check, the model, the committed access, the receipt). The entitlement check is `GET /v1/licenses/{id}/entitlement` alone. Latencies in ms, of successful calls.',
      '',
      '| in-flight | model direct p50 | p99 | entitlement check p50 | p99 | inference via API p50 | p99 | added p50 | added p99 |',
      '|---|---|---|---|---|---|---|---|---|',
      ...perLevel.map(
        (o) =>
          `| ${o.concurrency} | ${o.directP50} | ${o.directP99} | ${o.checkP50} | ${o.checkP99} | ${o.inferP50} | ${o.inferP99} | ${o.addedP50} | ${o.addedP99} |`,
      ),
      '',
    );
  }
  if ('throughput' in report.metering) lines.push(meteringMarkdown(report.metering));
  return `${lines.join('\n')}\n`;
}

function chart(report: Report, runName: string): Buffer {
  const levels = report.settings.levels;
  const seriesOf = (workload: string, pick: (r: LevelResult) => number) =>
    levels.map((c) => {
      const r = report.results.find((x) => x.workload === workload && x.concurrency === c);
      return [c, r ? pick(r) : Number.NaN] as const;
    });
  /** p50 (solid) and p99 (dashed) lines of each workload, one colour each. */
  const latencySeries = (names: readonly string[]) =>
    names.flatMap((w, i) => [
      { label: `${w} p50`, color: Palette[i], points: seriesOf(w, (r) => r.latencyMs.p50) },
      { label: `${w} p99`, color: Palette[i], dash: 4, points: seriesOf(w, (r) => r.latencyMs.p99) },
    ]);
  const submitNames = ['baseline', 'RecordAccess', 'PurchaseLicense', 'PurchaseLicense many buyers'];
  const queryNames = ['CheckEntitlement', `ListAccessByModel@${report.audit.smallCount}`, `ListAccessByModel@${report.audit.largeCount}`];
  const httpNames = ['model server direct', 'API entitlement check', 'API RecordAccess', 'API inference'];
  const panels: PanelSpec[] = [
    {
      title: 'Committed tx/s (failures excluded)',
      xLabel: 'in-flight requests',
      yLabel: 'tx/s',
      xLog: true,
      xTicks: levels,
      series: submitNames.map((w, i) => ({ label: w, color: Palette[i], points: seriesOf(w, (r) => r.throughput) })),
    },
    {
      title: 'Submit latency p50 (solid), p99 (dashed)',
      xLabel: 'in-flight requests',
      yLabel: 'ms',
      xLog: true,
      xTicks: levels,
      series: latencySeries(submitNames),
    },
    {
      title: 'Queries answered/s (evaluate, no commit)',
      xLabel: 'in-flight requests',
      yLabel: 'queries/s',
      xLog: true,
      xTicks: levels,
      series: queryNames.map((w, i) => ({ label: w, color: Palette[i + 3], points: seriesOf(w, (r) => r.throughput) })),
    },
    {
      title: 'HTTP latency p50 (solid), p99 (dashed)',
      xLabel: 'in-flight requests',
      yLabel: 'ms',
      xLog: true,
      xTicks: levels,
      series: latencySeries(httpNames),
    },
    {
      title: `Audit page of ${report.settings.auditPageSize} vs stored records`,
      xLabel: 'access records of the model',
      yLabel: 'ms, one in flight',
      xLog: true,
      series: [
        { label: 'p50', color: Palette[4], points: report.audit.growth.map((g) => [g.stored, g.p50] as const) },
        { label: 'p95', color: Palette[4], dash: 4, points: report.audit.growth.map((g) => [g.stored, g.p95] as const) },
      ],
    },
  ];
  return renderChart(`model-ledger bench ${runName}`, panels);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
