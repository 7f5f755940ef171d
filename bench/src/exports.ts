/**
 * `npm run bench:exports`: the export of an audit list at scale (issue 16 §2),
 * on the running network (`npm start` first).
 *
 * It gives one model BENCH_EXPORT_RECORDS accesses (default 100 000; on a
 * network where an earlier run seeded that model, only what is missing),
 * then exports them whole through a regulator's API instance in its own
 * process, as NDJSON and as CSV, sampling the instance's resident memory
 * every 20 ms. The baseline, in the same run and through the same instance,
 * is the export of the first 1 000 accesses (`to` = the 1 000th's time):
 * the memory target is that the full export's peak stays within 1.25x of the
 * small one's, whatever the size. Results go to bench/results/<run>/exports.json.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BENCH_OFFERING, Connections, loadPlan, signedBatch, timed, userKeys } from './fabric';
import { measureExport, startGateway, type ExportMeasure } from './http';
import { runLevel } from './runner';
import { createHash } from 'node:crypto';

const repoRoot = resolve(__dirname, '..', '..');
const runtimeDir = resolve(process.env.MLL_RUNTIME_DIR ?? join(repoRoot, '.runtime'));
const target = Number(process.env.BENCH_EXPORT_RECORDS ?? 100_000);
/** Accesses a seeding batch carries, and batches in flight at once. */
const BATCH = Number(process.env.BENCH_SEED_BATCH ?? 500);
const BATCHES_IN_FLIGHT = Number(process.env.BENCH_SEED_BATCHES ?? 4);
const SMALL = 1000;

const log = (message: string): void => {
  process.stderr.write(`[bench:exports ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The model and licence this script seeds, kept in the runtime folder so that a rerun adds only what is missing. */
interface Seeded {
  modelId: string;
  licenseId: string;
}

async function main(): Promise<void> {
  if (!existsSync(join(runtimeDir, 'plan.json'))) throw new Error(`no network in ${runtimeDir}: run npm start first`);
  const plan = loadPlan(runtimeDir);
  const connections = new Connections(plan);
  const runName = `exports-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const outDir = resolve(process.env.BENCH_OUT ?? join(repoRoot, 'bench/results', runName));
  mkdirSync(outDir, { recursive: true });
  const stateFile = join(runtimeDir, 'bench-exports.json');
  try {
    const labAdmin = connections.as('lab', 'admin');
    const practitioners = [connections.as('hospital', 'practitioner1'), connections.as('hospital', 'practitioner2')];
    let seeded: Seeded;
    if (existsSync(stateFile)) {
      seeded = JSON.parse(readFileSync(stateFile, 'utf8')) as Seeded;
      log(`reusing model ${seeded.modelId} and licence ${seeded.licenseId}`);
    } else {
      const run = `exports-${Date.now()}`;
      const modelId = (
        await labAdmin.ledger.model.registerModel({
          name: run,
          description: 'Model whose accesses are exported at scale',
          task: 'tabular-classification',
          intendedUse: 'Benchmark only',
          version: '1',
          artifactSha256: sha256(run),
          artifactUri: 'https://models.lab.example/bench.onnx',
          inferenceEndpoint: 'https://serving.lab.example/v2/models/bench',
          royaltyPolicy: JSON.stringify({ beneficiaries: [{ account: 'org::LabMSP', shareBps: 10000 }], resaleRoyaltyBps: 0 }),
        })
      ).data.modelId;
      const offeringId = (await labAdmin.ledger.offering.publishOffering(modelId, BENCH_OFFERING)).data.offering.offeringId;
      await connections.as('clearing', 'issuer1').ledger.token.mint({ to: 'org::HospitalMSP', amount: String(target * 2) });
      const licenseId = (
        await connections
          .as('hospital', 'admin')
          .ledger.license.purchaseLicense({ offeringId, units: String(target * 2), payer: 'org', requestId: `${run}-licence` })
      ).data.licenseId;
      seeded = { modelId, licenseId };
      writeFileSync(stateFile, `${JSON.stringify(seeded)}\n`);
    }

    const auditor = connections.as('regulator', 'auditor1');
    // Each access of this licence uses one unit: its consumed units count them, in one read rather than a walk of the list.
    // Read through the hospital's gateway, whose peer has committed every batch it answered: the regulator's peer may
    // still be a block or two behind (a CI run read 99 000 there after 100 000 had committed, and seeded 1 000 too many).
    const consumedAt = async (reader: typeof auditor): Promise<number> =>
      Number((await reader.ledger.license.getLicense(seeded.licenseId)).consumedUnits);
    const holder = connections.as('hospital', 'admin');
    const consumed = (): Promise<number> => consumedAt(holder);
    let stored = await consumed();
    // Seeded in batches of signed accesses (RecordAccessBatch), BATCH at a time, a few batches in flight:
    // the practitioners sign their own requests, as the gateway's meter has them do.
    const callers = [userKeys(plan, 'hospital', 'practitioner1'), userKeys(plan, 'hospital', 'practitioner2')];
    const run = Date.now();
    let round = 0;
    const recordBatch = (seq: number, worker: number) => {
      const size = Math.min(BATCH, target - stored - seq * BATCH);
      // One start lot per batch, a few lots apart from the batches around it: a batch draws from one or two
      // lots (a lot holds about 780 units here), so concurrent batches share none and never conflict.
      const lotHint = (seq * 4) % 256;
      const batch = signedBatch(
        callers,
        Array.from({ length: Math.max(1, size) }, (_, i) => ({
          caller: i % 2,
          licenseId: seeded.licenseId,
          requestHash: sha256(`${seeded.licenseId}-${run}-${round}-${seq}-${i}`),
          lotHint,
        })),
      );
      return timed(practitioners[worker % 2], (ledger) => ledger.license.recordAccessBatch(batch));
    };
    const seedStarted = Date.now();
    while (stored < target) {
      const batches = Math.ceil((target - stored) / BATCH);
      const r = await runLevel('seed', BATCHES_IN_FLIGHT, 600_000, batches, recordBatch);
      const before = stored;
      stored = await consumed();
      round += 1;
      log(
        `${stored} / ${target} accesses (${Math.round(((stored - before) / r.elapsedSeconds) * 10) / 10}/s in ${r.committed} batches${r.failed > 0 ? `, ${r.failed} failed: ${JSON.stringify(r.failures)}` : ''})`,
      );
      if (stored === before) throw new Error(`seeding made no progress: ${JSON.stringify(r.failureSamples)}`);
    }
    const seedSeconds = Math.round((Date.now() - seedStarted) / 1000);
    // The exports read through the regulator's peer: it has every seeded access before they start.
    for (let tries = 0; (await consumedAt(auditor)) < stored; tries += 1) {
      if (tries >= 60) throw new Error(`30 s after seeding, the regulator's peer still has fewer than the ${stored} accesses seeded`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }

    // The time of the 1000th access bounds the small export, through the same index and instance.
    let thousandth = '';
    let bookmark = '';
    for (let read = 0; read < SMALL;) {
      const page = await auditor.ledger.audit.listAccessBy('license', seeded.licenseId, {}, { pageSize: 100, bookmark });
      read += page.records.length;
      thousandth = page.records[page.records.length - 1].timestamp;
      bookmark = page.bookmark;
    }
    const smallTo = new Date(Date.parse(thousandth) + 1).toISOString();

    const api = await startGateway(repoRoot, runtimeDir, outDir, 'regulator', 'auditor1');
    const measures: ExportMeasure[] = [];
    try {
      const path = `/v1/audit/accesses?licenseId=${seeded.licenseId}`;
      for (const [label, p] of [
        ['small', `${path}&to=${encodeURIComponent(smallTo)}`],
        ['full', path],
        ['small', `${path}&to=${encodeURIComponent(smallTo)}`],
      ] as const) {
        for (const format of ['ndjson', 'csv'] as const) {
          const m = await measureExport(api, p, format);
          measures.push(m);
          log(
            `${label} ${format}: ${m.records} records, ${Math.round(m.bytes / 1e6)} MB in ${m.seconds}s (${m.recordsPerSecond}/s); RSS ${m.rssBeforeMiB} MiB before, ${m.rssPeakMiB} MiB peak`,
          );
        }
      }
    } finally {
      await api.stop();
    }
    const full = measures.filter((m) => !m.path.includes('&to='));
    const small = measures.filter((m) => m.path.includes('&to='));
    const peakFull = Math.max(...full.map((m) => m.rssPeakMiB));
    const peakSmall = Math.max(...small.map((m) => m.rssPeakMiB));
    const report = {
      target,
      stored,
      seedSeconds,
      seeded,
      measures,
      memory: {
        smallPeakMiB: peakSmall,
        fullPeakMiB: peakFull,
        ratio: Math.round((peakFull / peakSmall) * 100) / 100,
        rule: "the instance's peak RSS exporting every record is at most 1.25x its peak exporting the first 1000",
        met: peakFull / peakSmall <= 1.25,
      },
      allRecords: full.every((m) => m.records === stored),
    };
    writeFileSync(join(outDir, 'exports.json'), `${JSON.stringify(report, null, 2)}\n`);
    log(
      `memory: full ${peakFull} MiB against small ${peakSmall} MiB peak (${report.memory.ratio}x); every record exported: ${report.allRecords}`,
    );
    log(`wrote ${join(outDir, 'exports.json')}`);
    // npm test (test/integration/52-export-scale) checks the records and reports the memory; the target is the bench's.
    const checkMemory = process.env.BENCH_EXPORT_CHECK_MEMORY !== '0';
    if ((checkMemory && !report.memory.met) || !report.allRecords) process.exitCode = 1;
  } finally {
    connections.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:exports failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
