'use strict';
/**
 * The hot path of `npm run bench`: the licence client's `recordAccess` of one
 * unit for 'clinical-diagnosis' on ONE licence (made by setup-licence.mjs),
 * with a request hash (64 hex) new for every call and a lot hint taken round
 * robin over 0..lotHints-1; no served artifact and no request id, as
 * bench/src/main.ts sends it.
 *
 * Round arguments, besides those of common.js (all optional):
 *   licenceFile  JSON written by setup-licence.mjs (default $MLL_CALIPER_LICENCE,
 *                else <repo>/.runtime/caliper/licence.json)
 *   lotHints     how many lot hints to cycle through (default 256, the licence's lot count)
 *   purpose      default clinical-diagnosis
 */
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { HospitalSubmitWorkload } = require('./common');

function licenceFileFor(args) {
  if (args.licenceFile) {
    return path.resolve(args.licenceFile);
  }
  if (process.env.MLL_CALIPER_LICENCE) {
    return path.resolve(process.env.MLL_CALIPER_LICENCE);
  }
  const runtime = process.env.MLL_RUNTIME_DIR || path.resolve(__dirname, '../../../.runtime');
  return path.join(runtime, 'caliper', 'licence.json');
}

class RecordAccessWorkload extends HospitalSubmitWorkload {
  async initializeWorkloadModule(workerIndex, totalWorkers, roundIndex, roundArguments, sutAdapter, sutContext) {
    await super.initializeWorkloadModule(workerIndex, totalWorkers, roundIndex, roundArguments, sutAdapter, sutContext);
    const args = roundArguments || {};
    const file = licenceFileFor(args);
    let licence;
    try {
      licence = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`RecordAccess workload: cannot read the licence from ${file} (run setup-licence.mjs first): ${err.message}`);
    }
    if (typeof licence.licenseId !== 'string' || licence.licenseId === '') {
      throw new Error(`RecordAccess workload: ${file} names no licenseId`);
    }
    this.licenseId = licence.licenseId;
    this.purpose = args.purpose || 'clinical-diagnosis';
    const lotCount = Number(licence.lotCount) > 0 ? Number(licence.lotCount) : 256;
    this.lotHints = Number(args.lotHints) > 0 ? Number(args.lotHints) : Math.min(256, lotCount);
    // Request hashes must differ between calls, workers, rounds and runs.
    this.hashPrefix = `${licence.licenseId}:${crypto.randomUUID()}:w${workerIndex}:r${roundIndex}:`;
  }

  async submitTransaction() {
    const n = this.issued++;
    // Workers interleave so that concurrent calls start at distinct lots.
    const lotHint = (this.workerIndex + n * this.totalWorkers) % this.lotHints;
    const requestHash = crypto
      .createHash('sha256')
      .update(this.hashPrefix + n)
      .digest('hex');
    return this.submit(
      (ledger) =>
        ledger.license.recordAccess({
          licenseId: this.licenseId,
          units: '1',
          purpose: this.purpose,
          requestHash,
          lotHint: String(lotHint),
        }),
      n,
    );
  }
}

function createWorkloadModule() {
  return new RecordAccessWorkload();
}

module.exports = { createWorkloadModule, RecordAccessWorkload };
