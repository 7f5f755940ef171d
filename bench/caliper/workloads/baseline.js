'use strict';
/**
 * The baseline of `npm run bench`: the baseline client's `put(value)` (the
 * benchmark build's Put), one blind write of about 100 bytes under a key
 * unique to the transaction, no read.
 * The value is 100 × 'v' plus the call's last decimal digit (101 characters),
 * as bench/src/main.ts sends it. Callers alternate between the invokers.
 */
const { HospitalSubmitWorkload } = require('./common');

const PREFIX = 'v'.repeat(100);

class BaselineWorkload extends HospitalSubmitWorkload {
  async submitTransaction() {
    const n = this.issued++;
    return this.submit((ledger) => ledger.baseline.put(PREFIX + String(n % 10)), n);
  }
}

function createWorkloadModule() {
  return new BaselineWorkload();
}

module.exports = { createWorkloadModule, BaselineWorkload };
