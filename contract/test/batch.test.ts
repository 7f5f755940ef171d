/**
 * The stored form of a batch (src/batch.ts): for random batches of several
 * licences, callers, units and request ids, expanding the compact form gives
 * back the record exactly (so the Merkle leaves and root are the same), the
 * compact form is a fraction of the full one, and a batch whose accesses do
 * not share what the compact form keeps once is refused rather than stored
 * wrongly.
 */
import fc from 'fast-check';
import { accessLeaf, batchedAccessId, batchReceipts, compactAccessBatch, expandAccessBatch, type AccessBatchRecord } from '../src/batch';
import { canonicalJson } from '../src/canonical';
import { merkleRoot } from '../src/merkle';
import type { AccessRecord } from '../src/records';

const BATCH = 'b'.repeat(64);
const AT = '2026-12-07T10:00:00.000Z';
const hex = (seed: string): string => Buffer.from(seed.padEnd(32, '.')).toString('hex').slice(0, 64);

/** A batch as the chaincode makes one: accesses of `licences` by `callers`, each charged by its units. */
function batchOf(accesses: readonly { licence: number; caller: number; units: number; requestId?: string }[]): AccessBatchRecord {
  const records = accesses.map(({ licence, caller, units }, position): AccessRecord => {
    const amount = BigInt(units) * BigInt(7 + licence);
    return {
      docType: 'access',
      accessId: batchedAccessId(BATCH, position),
      licenseId: `L-${licence}`,
      offeringId: `O-${licence}`,
      modelId: `M-${licence % 2}`,
      version: '1',
      artifactSha256: hex(`artifact-${licence % 2}`),
      callerAccount: `x509::CN=practitioner${caller}::CN=ca.hospital`,
      callerMspId: 'HospitalMSP',
      holder: 'org::HospitalMSP',
      units: String(units),
      purpose: caller % 2 === 0 ? 'clinical-diagnosis' : 'research',
      requestHash: hex(`request-${position}`),
      amount: amount.toString(),
      royalties: [
        { account: 'org::LabMSP', amount: ((amount * 7n) / 10n).toString(), modelId: `M-${licence % 2}`, depth: 0 },
        { account: 'x509::CN=engineer1', amount: (amount - (amount * 7n) / 10n).toString(), modelId: `M-${licence % 2}`, depth: 0 },
      ],
      lots: [{ index: (position * 3) % 256, units: String(units) }],
      termsHash: hex(`terms-${licence}`),
      timestamp: AT,
      txId: BATCH,
    };
  });
  return {
    docType: 'accessBatch',
    batchId: BATCH,
    mspId: 'HospitalMSP',
    submitter: 'x509::CN=gateway::CN=ca.hospital',
    merkleRoot: merkleRoot(records.map(accessLeaf)).toString('hex'),
    accesses: records,
    signatures: accesses.map(({ requestId }, position) => ({
      signature: Buffer.from(`signature-${position}`).toString('base64'),
      signedAt: AT,
      ...(requestId === undefined ? {} : { requestId }),
    })),
    certificates: ['-----BEGIN CERTIFICATE-----\n0\n', '-----BEGIN CERTIFICATE-----\n1\n', '-----BEGIN CERTIFICATE-----\n2\n'],
    certificateOf: accesses.map(({ caller }) => caller),
    timestamp: AT,
    txId: BATCH,
  };
}

const accessArb = fc.record(
  {
    licence: fc.integer({ min: 0, max: 2 }),
    caller: fc.integer({ min: 0, max: 2 }),
    units: fc.integer({ min: 1, max: 4 }),
    requestId: fc.stringMatching(/^[a-z0-9-]{1,12}$/),
  },
  { requiredKeys: ['licence', 'caller', 'units'] },
);

describe('the stored form of a batch', () => {
  it('expands back to the record exactly, so its leaves, root and receipts are the same', () => {
    fc.assert(
      fc.property(fc.array(accessArb, { minLength: 1, maxLength: 40 }), (accesses) => {
        const batch = batchOf(accesses);
        // Through JSON, as the ledger stores and returns it.
        const stored = JSON.parse(canonicalJson(compactAccessBatch(batch))) as ReturnType<typeof compactAccessBatch>;
        const expanded = expandAccessBatch(stored);
        expect(canonicalJson(expanded)).toBe(canonicalJson(batch));
        expect(batchReceipts(expanded)).toEqual(batchReceipts(batch));
      }),
    );
  });

  it('reads a batch stored in full (before the compact form) as it is', () => {
    const batch = batchOf([{ licence: 0, caller: 0, units: 1 }]);
    expect(expandAccessBatch(batch)).toBe(batch);
  });

  it('stores a batch of one licence and two callers in under a third of the bytes', () => {
    const batch = batchOf(Array.from({ length: 256 }, (_, i) => ({ licence: 0, caller: i % 2, units: 1 })));
    const full = Buffer.byteLength(canonicalJson(batch));
    const compact = Buffer.byteLength(canonicalJson(compactAccessBatch(batch)));
    expect(compact / full).toBeLessThan(1 / 3);
  });

  it('refuses a batch whose accesses do not share what the compact form stores once', () => {
    const batch = batchOf([
      { licence: 0, caller: 0, units: 1 },
      { licence: 0, caller: 0, units: 1 },
    ]);
    const altered = (change: Partial<AccessRecord>): AccessBatchRecord => ({
      ...batch,
      accesses: [batch.accesses[0], { ...batch.accesses[1], ...change }],
    });
    expect(() => compactAccessBatch(altered({ holder: 'org::ClinicMSP' }))).toThrow(/the licence differs/);
    expect(() => compactAccessBatch(altered({ amount: '8' }))).toThrow(/the charge differs/);
    expect(() => compactAccessBatch(altered({ callerAccount: 'x509::CN=someone-else' }))).toThrow(/certificate's account differs/);
    expect(() => compactAccessBatch(altered({ callerMspId: 'ClinicMSP' }))).toThrow(/the MSP, time or transaction differs/);
    expect(() => compactAccessBatch(altered({ accessId: batchedAccessId(BATCH, 5) }))).toThrow(/the access id differs/);
  });
});
