#!/usr/bin/env node
/**
 * Turns Caliper's final results table (from the manager's log) into a
 * summary comparable with `npm run bench`:
 *
 *   node bench/caliper/summary.mjs --log caliper.log [--licence-after FILE] [--out summary.md]
 *
 * Caliper's "Throughput (TPS)" is (Succ + Fail) / (last finish − first
 * create) of the round: failed transactions count. The summary adds
 * committed tx/s = Throughput × Succ / (Succ + Fail), the project benchmark's
 * measure (failures never count), and RecordAccess ÷ baseline at each level.
 * Failures are counted by cause from the connector's error lines, each
 * under the round that was running: the validation code of an invalidated
 * transaction (MVCC_READ_CONFLICT, …), the chaincode's error code, a timeout,
 * or the stage that failed. With --licence-after (setup-licence.mjs --status
 * output) it also compares the licence's consumed units with the successful
 * RecordAccess calls.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), 'package.json'));

const { values: opts } = parseArgs({
  options: {
    log: { type: 'string' },
    'licence-after': { type: 'string' },
    out: { type: 'string' },
  },
});
if (!opts.log) {
  process.stderr.write('summary: --log FILE is required\n');
  process.exit(2);
}

// Caliper colours its log with ANSI escapes (ESC [ ... m), which the regex must match.
// eslint-disable-next-line no-control-regex
const ANSI_COLOUR = /\u001b\[[0-9;]*m/g;
const plain = readFileSync(opts.log, 'utf8').replace(ANSI_COLOUR, '').split(/\r?\n/);
const marker = plain.findLastIndex((line) => line.includes('### All test results ###'));
if (marker < 0) {
  process.stderr.write(`summary: no final results table in ${opts.log} (did the run finish?)\n`);
  process.exit(1);
}
const rows = [];
for (const line of plain.slice(marker + 1)) {
  const trimmed = line.trim();
  if (trimmed.startsWith('+') || trimmed === '') {
    if (rows.length > 0 && trimmed === '') break;
    continue;
  }
  if (!trimmed.startsWith('|')) {
    if (rows.length > 0) break;
    continue;
  }
  const cells = trimmed
    .slice(1, -1)
    .split('|')
    .map((cell) => cell.trim());
  if (cells.every((cell) => /^-*$/.test(cell))) continue; // a rule between rows
  rows.push(cells);
}
const [header, ...body] = rows;
if (!header || !header.includes('Name')) {
  process.stderr.write('summary: could not read the results table\n');
  process.exit(1);
}
const col = (name) => {
  const i = header.indexOf(name);
  if (i < 0) throw new Error(`no column ${name} in ${header.join(', ')}`);
  return i;
};
const num = (text) => (text === '-' || text === 'N/A' ? Number.NaN : Number(text));
const results = body.map((cells) => {
  const succ = num(cells[col('Succ')]);
  const fail = num(cells[col('Fail')]);
  const throughput = num(cells[col('Throughput (TPS)')]);
  const [workload, level] = cells[col('Name')].split('@');
  return {
    name: cells[col('Name')],
    workload,
    level: level === undefined ? undefined : Number(level),
    succ,
    fail,
    sendRate: num(cells[col('Send Rate (TPS)')]),
    throughput,
    committedPerSecond: succ + fail > 0 ? Math.round(((throughput * succ) / (succ + fail)) * 10) / 10 : 0,
    avgLatencyS: num(cells[col('Avg Latency (s)')]),
    maxLatencyS: num(cells[col('Max Latency (s)')]),
  };
});

// Failure causes, per round, from the peer-gateway connector's error lines.
const { StatusCode } = require('@hyperledger/fabric-gateway');
const grpcNames = new Set(Object.keys(require('@grpc/grpc-js').status));
const codeName = (code) => Object.entries(StatusCode).find(([, v]) => v === code)?.[0] ?? `VALIDATION_CODE_${code}`;
const isLogLine = (line) => /^\d{4}\.\d{2}\.\d{2}-/.test(line);
const causes = new Map();
let current;
for (let i = 0; i < plain.length; i += 1) {
  const line = plain[i];
  const started = line.match(/Started round \d+ \((.*)\)\s*$/);
  if (started) current = started[1];
  if (current === undefined || !line.includes('Failed to perform submit transaction')) continue;
  const detail = [line];
  for (let j = i + 1; j < plain.length && !isLogLine(plain[j]); j += 1) detail.push(plain[j]);
  const text = detail.join('\n');
  let cause;
  const status = text.match(/status code: (\d+)/);
  if (status) cause = codeName(Number(status[1]));
  else if (text.includes('DEADLINE_EXCEEDED')) cause = 'TIMEOUT';
  else {
    const business = [...text.matchAll(/\b([A-Z][A-Z_]{3,}[A-Z]): /g)].map((m) => m[1]).find((c) => !grpcNames.has(c));
    const stage = text.match(/\b(EndorseError|SubmitError|CommitStatusError|CommitError)\b/)?.[1];
    cause = business ? `BUSINESS:${business}` : stage ? stage.replace(/Error$/, '').toUpperCase() + '_ERROR' : 'OTHER';
  }
  const perRound = causes.get(current) ?? {};
  perRound[cause] = (perRound[cause] ?? 0) + 1;
  causes.set(current, perRound);
}
for (const r of results) r.failures = causes.get(r.name) ?? {};

const fmt = (x) => (Number.isNaN(x) ? '–' : String(x));
const lines = [
  '# Caliper cross-check',
  '',
  'From Caliper\u2019s final table. "Caliper tx/s" counts failed transactions too; "committed tx/s" = Caliper tx/s × Succ ÷ (Succ + Fail), comparable with the `ok/s` of `npm run bench`. Latencies are of successful transactions (Caliper reports no percentiles).',
  '',
  '| round | succ | fail | Caliper tx/s | committed tx/s | × baseline (committed) | avg latency s | max latency s | failures by cause |',
  '|---|---|---|---|---|---|---|---|---|',
];
for (const r of results) {
  const base = results.find((b) => b.workload === 'baseline' && b.level === r.level);
  const ratio =
    r.workload !== 'baseline' && base && base.committedPerSecond > 0
      ? Math.round((r.committedPerSecond / base.committedPerSecond) * 1000) / 1000
      : undefined;
  lines.push(
    `| ${r.name} | ${r.succ} | ${r.fail} | ${fmt(r.throughput)} | ${r.committedPerSecond} | ${ratio ?? (r.workload === 'baseline' ? '1' : '–')} | ${fmt(r.avgLatencyS)} | ${fmt(r.maxLatencyS)} | ${
      Object.entries(r.failures)
        .map(([c, n]) => `${c}×${n}`)
        .join(', ') || '–'
    } |`,
  );
}
const summary = { results };
if (opts['licence-after']) {
  const after = JSON.parse(readFileSync(opts['licence-after'], 'utf8'));
  const committed = results.filter((r) => r.workload === 'RecordAccess').reduce((n, r) => n + r.succ, 0);
  summary.ledgerCheck = {
    licenseId: after.licenseId,
    consumedUnits: Number(after.consumedUnits),
    recordAccessSucceeded: committed,
    agrees: Number(after.consumedUnits) === committed,
  };
  lines.push(
    '',
    `Ledger check: licence ${after.licenseId} reports ${after.consumedUnits} consumed units; Caliper counted ${committed} successful RecordAccess calls of one unit (${summary.ledgerCheck.agrees ? 'they agree' : '**they disagree**'}).`,
  );
}
lines.push(
  '',
  'Failure causes are not in Caliper\u2019s table; they are counted here from the log lines "Failed to perform submit transaction" (an invalidated transaction reads "status code: N", its Fabric validation code).',
  '',
);
const text = lines.join('\n');
if (opts.out) {
  writeFileSync(opts.out, text);
  writeFileSync(opts.out.replace(/\.md$/, '') + '.json', `${JSON.stringify(summary, null, 2)}\n`);
}
process.stdout.write(text);
