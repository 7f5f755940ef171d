/**
 * The export at scale (issue 16 §2) in `npm test`: 100 000 accesses of one
 * licence, seeded in batches of signed accesses (issue 17), exported whole
 * through a regulator's API instance in its own process, as NDJSON and as
 * CSV. `bench/src/exports.ts` does the work (`npm run bench:exports` is the
 * same run on a development network); this checks that every record came
 * out in both formats and reports the instance's peak memory. The memory
 * target (the full export's peak within 1.25x the first 1 000's) is the
 * bench's to judge, not a test's.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, runtimeDir } from '../support/network';

const RECORDS = Number(process.env.MLL_TEST_EXPORT_RECORDS ?? 100_000);

interface ExportsReport {
  readonly stored: number;
  readonly seedSeconds: number;
  readonly allRecords: boolean;
  readonly measures: readonly {
    path: string;
    format: string;
    records: number;
    bytes: number;
    seconds: number;
    rssBeforeMiB: number;
    rssPeakMiB: number;
  }[];
  readonly memory: { smallPeakMiB: number; fullPeakMiB: number; ratio: number };
}

describe(`an audit export of ${RECORDS} accesses`, () => {
  it(
    'streams every record as NDJSON and as CSV from a regulator’s instance, and reports its peak memory',
    async () => {
      execFileSync('npx', ['tsc', '-p', join(repoRoot, 'bench/tsconfig.json')], { cwd: repoRoot, stdio: 'inherit' });
      const out = join(`${runtimeDir}-results`, 'export-scale');
      mkdirSync(out, { recursive: true });
      const status = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, [join(repoRoot, 'bench/dist/exports.js')], {
          cwd: repoRoot,
          env: {
            ...process.env,
            MLL_RUNTIME_DIR: runtimeDir,
            BENCH_OUT: out,
            BENCH_EXPORT_RECORDS: String(RECORDS),
            BENCH_EXPORT_CHECK_MEMORY: '0',
          },
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        child.on('error', reject);
        child.on('exit', resolve);
      });
      expect(status).toBe(0);
      const report = JSON.parse(readFileSync(join(out, 'exports.json'), 'utf8')) as ExportsReport;
      expect(report.stored).toBe(RECORDS);
      const full = report.measures.filter((m) => !m.path.includes('&to='));
      expect(full.map((m) => m.format).sort()).toEqual(['csv', 'ndjson']);
      for (const m of full) expect(m.records).toBe(RECORDS);
      expect(report.allRecords).toBe(true);
      process.stdout.write(
        `export of ${RECORDS} accesses: seeded in ${report.seedSeconds}s; ` +
          full
            .map((m) => `${m.format} ${Math.round(m.bytes / 1e6)} MB in ${m.seconds}s, RSS ${m.rssBeforeMiB} -> peak ${m.rssPeakMiB} MiB`)
            .join('; ') +
          `; full/small peak ${report.memory.ratio}x (report: ${join(out, 'exports.json')})\n`,
      );
      // A bound on a stuck run, not a target: seeding and four exports take a few minutes.
    },
    30 * 60_000,
  );
});
