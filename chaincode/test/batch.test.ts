/**
 * RecordAccessBatch (issue 17): many accesses of one org's users in one
 * transaction, each signed by its caller, checked against the org's CA root
 * registered on the ledger, metered and paid as a single access is, and
 * provable on its own by a Merkle path to the root the batch wrote.
 */
import { X509Certificate, createHash, verify } from 'crypto';
import { ACCESS_REQUEST_KIND, accessLeaf, accessRequestBytes, batchReceipts, verifyInclusion } from '@model-ledger/contract';
import type {
  AccessBatchInput,
  AccessBatchRecord,
  AccessRecord,
  AccessRequest,
  BatchedAccessView,
  BatchReceipt,
  BatchResult,
  OrgRootRecord,
  Page,
} from '@model-ledger/contract';
import { MemberContract } from '../src';
import { Keys } from '../src/domain/keys';
import { FakeFabric } from './support/fabric';
import { TestCa, type TestUser } from './support/certs';
import { HOSPITAL, buy, contracts, expectConserved, meteredOffering, mint, people, publish, registerModel } from './support/world';

const members = new MemberContract();

let hospitalCa: TestCa;
let clinicCa: TestCa;
let rogueCa: TestCa;
let hospitalAdmin: TestUser;
let drAda: TestUser;
let drGrace: TestUser;
let engineer: TestUser;
let clinicAdmin: TestUser;
let clinicDoctor: TestUser;
let rogueDoctor: TestUser;

beforeAll(() => {
  hospitalCa = TestCa.create('HospitalMSP');
  clinicCa = TestCa.create('ClinicMSP');
  // Another CA naming itself the hospital's: nothing registered it.
  rogueCa = TestCa.create('HospitalMSP');
  hospitalAdmin = hospitalCa.issue('hospital-admin', { role: 'admin' });
  drAda = hospitalCa.issue('dr-ada', { role: 'practitioner' });
  drGrace = hospitalCa.issue('dr-grace', { role: 'practitioner' });
  engineer = hospitalCa.issue('hospital-engineer', { role: 'engineer' });
  clinicAdmin = clinicCa.issue('clinic-admin', { role: 'admin' });
  clinicDoctor = clinicCa.issue('dr-lin', { role: 'practitioner' });
  rogueDoctor = rogueCa.issue('dr-ada', { role: 'practitioner' });
});

afterAll(() => {
  for (const ca of [hospitalCa, clinicCa, rogueCa]) ca.dispose();
});

/** A fake ledger whose clock sits inside the test certificates' validity. */
function freshFabric(): FakeFabric {
  const fabric = new FakeFabric();
  fabric.ledger.millis = Date.parse(new X509Certificate(drAda.certificate).validFrom) + 3_600_000;
  return fabric;
}

function nowOf(fabric: FakeFabric): string {
  return new Date(fabric.ledger.millis).toISOString();
}

let sequence = 0;

/** An access request of `user` on a licence, signed now. */
function request(fabric: FakeFabric, user: TestUser, licenseId: string, overrides: Partial<AccessRequest> = {}): AccessRequest {
  sequence += 1;
  return {
    kind: ACCESS_REQUEST_KIND,
    mspId: user.mspId,
    licenseId,
    units: '1',
    purpose: 'clinical-diagnosis',
    requestHash: createHash('sha256').update(`request ${sequence}`).digest('hex'),
    requestId: `req-${sequence}`,
    signedAt: nowOf(fabric),
    ...overrides,
  };
}

/** A batch of requests, each signed by its user (or by `signer` when given), certificates once each. */
function batchOf(entries: readonly { user: TestUser; request: AccessRequest; signer?: TestUser; lotHint?: number }[]): string {
  const certificates: string[] = [];
  const input: AccessBatchInput = {
    certificates,
    accesses: entries.map((entry) => {
      let index = certificates.indexOf(entry.user.certificate);
      if (index < 0) index = certificates.push(entry.user.certificate) - 1;
      return {
        certificate: index,
        request: entry.request,
        signature: (entry.signer ?? entry.user).signRequest(entry.request),
        lotHint: entry.lotHint,
      };
    }),
  };
  return JSON.stringify(input);
}

async function submitBatch(fabric: FakeFabric, batch: string, submitter: TestUser = engineer): Promise<BatchResult> {
  return (await fabric.submit(submitter, contracts.licenses, 'RecordAccessBatch', batch)) as BatchResult;
}

/** Registers the hospital's (and clinic's) roots, a model, an offering, money and a licence of `units`. */
async function setup(fabric: FakeFabric, units = '20', offering = meteredOffering()): Promise<{ modelId: string; licenseId: string }> {
  await fabric.submit(hospitalAdmin, members, 'RegisterOrgRoot', hospitalCa.certificate);
  await fabric.submit(clinicAdmin, members, 'RegisterOrgRoot', clinicCa.certificate);
  const modelId = await registerModel(fabric);
  const offeringId = await publish(fabric, modelId, offering);
  await mint(fabric, HOSPITAL, '100000');
  const purchase = await buy(fabric, offeringId, units);
  return { modelId, licenseId: purchase.licenseId };
}

async function remaining(fabric: FakeFabric, licenseId: string): Promise<string> {
  return ((await fabric.evaluate(people.hospitalAdmin, contracts.licenses, 'GetLicense', licenseId)) as { remainingUnits: string })
    .remainingUnits;
}

/** Every access of a licence through the audit, page by page. */
async function auditByLicense(fabric: FakeFabric, licenseId: string, pageSize: number): Promise<AccessRecord[]> {
  const all: AccessRecord[] = [];
  let bookmark = '';
  for (let pages = 0; pages < 100; pages += 1) {
    const page = (await fabric.evaluate(
      people.regulator,
      contracts.audit,
      'ListAccessByLicense',
      licenseId,
      '',
      '',
      String(pageSize),
      bookmark,
    )) as Page<AccessRecord>;
    expect(page.records.length).toBeLessThanOrEqual(pageSize);
    all.push(...page.records);
    if (page.bookmark === '') return all;
    bookmark = page.bookmark;
  }
  throw new Error('the audit never ended');
}

/** The recorded accesses of a batch as the regulator reads them, with their receipts, by the batch's outcomes. */
async function recordedOf(fabric: FakeFabric, result: BatchResult): Promise<{ access: AccessRecord; receipt: BatchReceipt }[]> {
  const batch = (await fabric.evaluate(people.regulator, contracts.licenses, 'GetAccessBatch', result.batchId)) as AccessBatchRecord;
  const receipts = batchReceipts(batch);
  return result.outcomes.flatMap((outcome) =>
    outcome.status === 'recorded' ? [{ access: batch.accesses[outcome.position], receipt: receipts[outcome.position] }] : [],
  );
}

function outcomeCodes(result: BatchResult): string[] {
  return result.outcomes.map((o) => (o.status === 'refused' ? o.code : o.status));
}

describe('RegisterOrgRoot', () => {
  it('registers a root of the caller’s own org that issued the caller’s certificate, once', async () => {
    const fabric = freshFabric();
    const record = (await fabric.submit(hospitalAdmin, members, 'RegisterOrgRoot', hospitalCa.certificate)) as OrgRootRecord;
    expect(record).toMatchObject({ docType: 'orgRoot', mspId: 'HospitalMSP', registeredBy: expect.stringMatching(/^x509::HospitalMSP::/) });
    const again = (await fabric.submit(hospitalAdmin, members, 'RegisterOrgRoot', hospitalCa.certificate)) as OrgRootRecord;
    expect(again).toEqual(record);
    expect(await fabric.evaluate(people.regulator, members, 'ListOrgRoots', 'HospitalMSP')).toEqual([record]);
    // Pinned to the org, like its other keys.
    expect(fabric.ledger.keyPolicies.has(Keys.orgRoot('HospitalMSP', record.fingerprint))).toBe(true);
  });

  it('refuses another org’s root, a root that did not issue the caller, a non-CA, a caller without a certificate, and non-admins', async () => {
    const fabric = freshFabric();
    // The hospital's admin cannot register the clinic's root, nor a rogue root under its own name.
    await expect(fabric.submit(hospitalAdmin, members, 'RegisterOrgRoot', clinicCa.certificate)).rejects.toThrow(
      /^CERTIFICATE_UNTRUSTED: /,
    );
    await expect(fabric.submit(hospitalAdmin, members, 'RegisterOrgRoot', rogueCa.certificate)).rejects.toThrow(/^CERTIFICATE_UNTRUSTED: /);
    await expect(fabric.submit(hospitalAdmin, members, 'RegisterOrgRoot', drAda.certificate)).rejects.toThrow(
      /^INVALID_ARGUMENT: certificate must be a self-signed CA/,
    );
    await expect(fabric.submit(hospitalAdmin, members, 'RegisterOrgRoot', 'not a certificate')).rejects.toThrow(/^INVALID_ARGUMENT: /);
    // An admin whose creator carries no certificate (a forged or foreign identity) proves nothing.
    await expect(fabric.submit(people.hospitalAdmin, members, 'RegisterOrgRoot', hospitalCa.certificate)).rejects.toThrow(
      /^CERTIFICATE_UNTRUSTED: /,
    );
    await expect(fabric.submit(drAda, members, 'RegisterOrgRoot', hospitalCa.certificate)).rejects.toThrow(/^FORBIDDEN: /);
    await expect(fabric.submit(people.regulator, members, 'RegisterOrgRoot', hospitalCa.certificate)).rejects.toThrow(/^FORBIDDEN: /);
    expect(await fabric.evaluate(people.regulator, members, 'ListOrgRoots', 'HospitalMSP')).toEqual([]);
    expect(await fabric.evaluate(people.regulator, members, 'ListOrgRoots', 'ClinicMSP')).toEqual([]);
  });
});

describe('RecordAccessBatch', () => {
  it('records many signed accesses of several callers in one transaction, each attributed, metered and paid', async () => {
    const fabric = freshFabric();
    const { licenseId } = await setup(fabric, '20');
    const before = fabric.ledger.state.size;
    const requests = [drAda, drGrace, drAda, drGrace, drAda, drAda].map((user) => ({ user, request: request(fabric, user, licenseId) }));
    const result = await submitBatch(fabric, batchOf(requests));
    expect(result).toMatchObject({ recorded: 6, refused: 0, replayed: 0 });
    expect(await remaining(fabric, licenseId)).toBe('14');
    expectConserved(fabric);
    const recorded = await recordedOf(fabric, result);
    expect(result.outcomes.map((o) => (o.status === 'recorded' ? o.accessId : ''))).toEqual(recorded.map((r) => r.access.accessId));
    for (const [i, outcome] of recorded.entries()) {
      expect(outcome.access).toMatchObject({
        accessId: `${result.batchId}-${i}`,
        callerAccount: requests[i].user === drAda ? expect.stringMatching(/^x509::HospitalMSP::/) : expect.any(String),
        callerMspId: 'HospitalMSP',
        requestHash: requests[i].request.requestHash,
        units: '1',
        amount: '10',
        txId: result.batchId,
      });
    }
    // Each caller is the signer, not the submitter (the engineer).
    const adaAccount = recorded[0].access.callerAccount;
    expect(recorded[2].access.callerAccount).toBe(adaAccount);
    expect(recorded[1].access.callerAccount).not.toBe(adaAccount);
    // Written per batch: one record; one index row by model, org, licence and time, and one per caller; two
    // royalty rows per beneficiary (accrual and payment); one request record per access; the lots drawn from.
    const written = [...fabric.ledger.state.keys()].filter((key) => !key.startsWith('lot/'));
    expect(written.filter((key) => key.startsWith('accbatch/'))).toHaveLength(1);
    expect(written.filter((key) => key.startsWith('acc') && !key.startsWith('accbatch/') && !key.startsWith('accrual/'))).toHaveLength(
      4 + 2,
    );
    expect(written.filter((key) => key.startsWith('accrual/'))).toHaveLength(2);
    // New keys: the record, six index rows, four royalty rows and six request records (each access has a request
    // id here); six single accesses with request ids would have written 6 × (1 + 5 + 4 + 1) = 66.
    expect(fabric.ledger.state.size - before).toBe(1 + 6 + 4 + 6);
    expect(fabric.ledger.events.at(-1)).toMatchObject({ name: 'AccessBatchRecorded', payload: { recorded: 6, batchId: result.batchId } });
  });

  it('gives every access a receipt that proves it against the batch’s root, and fails for any changed byte', async () => {
    const fabric = freshFabric();
    const { licenseId } = await setup(fabric, '20');
    const requestsSent = [0, 1, 2, 3, 4].map(() => request(fabric, drAda, licenseId));
    const result = await submitBatch(fabric, batchOf(requestsSent.map((sent) => ({ user: drAda, request: sent }))));
    const stored = JSON.parse(new TextDecoder().decode(fabric.ledger.state.get(Keys.accessBatch(result.batchId))?.value)) as {
      merkleRoot: string;
    };
    const recorded = await recordedOf(fabric, result);
    expect(recorded).toHaveLength(5);
    for (const outcome of recorded) {
      const { receipt } = outcome;
      const read = (await fabric.evaluate(
        people.regulator,
        contracts.licenses,
        'GetAccessRecord',
        outcome.access.accessId,
      )) as AccessRecord;
      expect(read).toEqual(outcome.access);
      const view = (await fabric.evaluate(people.regulator, contracts.licenses, 'GetBatchedAccess', read.accessId)) as BatchedAccessView;
      expect(view).toMatchObject({
        access: read,
        receipt,
        certificate: drAda.certificate,
        requestId: requestsSent[receipt.position].requestId,
      });
      // The signature it shows is the caller's over the request the batch carried.
      const key = new X509Certificate(view.certificate).publicKey;
      expect(verify('sha256', accessRequestBytes(requestsSent[receipt.position]), key, Buffer.from(view.signature, 'base64'))).toBe(true);
      expect(receipt.merkleRoot).toBe(stored.merkleRoot);
      const path = receipt.path.map((hash) => Buffer.from(hash, 'hex'));
      const root = Buffer.from(receipt.merkleRoot, 'hex');
      expect(verifyInclusion(accessLeaf(read), receipt.position, receipt.size, path, root)).toBe(true);
      const changed = accessLeaf({ ...read, units: '2' });
      expect(verifyInclusion(changed, receipt.position, receipt.size, path, root)).toBe(false);
      const leaf = accessLeaf(read);
      leaf[leaf.length - 3] ^= 0x01;
      expect(verifyInclusion(leaf, receipt.position, receipt.size, path, root)).toBe(false);
    }
    const single = (await fabric.submit(
      drAda,
      contracts.licenses,
      'RecordAccess',
      licenseId,
      '1',
      'research',
      'a'.repeat(64),
      '',
      '',
      '',
    )) as AccessRecord;
    await expect(fabric.evaluate(people.regulator, contracts.licenses, 'GetBatchedAccess', single.accessId)).rejects.toThrow(
      /^NOT_FOUND: /,
    );
    await expect(fabric.evaluate(people.clinicAdmin, contracts.licenses, 'GetBatchedAccess', `${result.batchId}-0`)).rejects.toThrow(
      /^FORBIDDEN: /,
    );
  });

  it('commits the accesses that fit and refuses the rest, each with its own code', async () => {
    const fabric = freshFabric();
    const { licenseId } = await setup(fabric, '5');
    const result = await submitBatch(
      fabric,
      batchOf([
        { user: drAda, request: request(fabric, drAda, licenseId, { units: '2' }) },
        { user: drGrace, request: request(fabric, drGrace, licenseId, { units: '2' }) },
        { user: drAda, request: request(fabric, drAda, licenseId, { units: '2' }) },
        { user: drGrace, request: request(fabric, drGrace, licenseId, { units: '1' }) },
        { user: drAda, request: request(fabric, drAda, licenseId, { units: '1' }) },
      ]),
    );
    expect(outcomeCodes(result)).toEqual(['recorded', 'recorded', 'INSUFFICIENT_UNITS', 'recorded', 'INSUFFICIENT_UNITS']);
    expect(await remaining(fabric, licenseId)).toBe('0');
    expectConserved(fabric);
    // Nothing the refused accesses asked for was remembered: their request ids are free.
    const refused = result.outcomes[2];
    expect(refused).toMatchObject({ status: 'refused', message: expect.stringMatching(/^INSUFFICIENT_UNITS: /) });
  });

  it('refuses alone a forged, tampered, foreign, untrusted, stale or unentitled access', async () => {
    const fabric = freshFabric();
    const { licenseId } = await setup(fabric, '20');
    const tampered = request(fabric, drAda, licenseId);
    const tamperedSignature = drAda.signRequest(tampered);
    const entries = [
      // Signed by another practitioner's key under dr Ada's certificate.
      { user: drAda, request: request(fabric, drAda, licenseId), signer: drGrace },
      // A good one.
      { user: drGrace, request: request(fabric, drGrace, licenseId) },
      // A clinic practitioner's certificate in a hospital batch (naming either org).
      { user: clinicDoctor, request: request(fabric, clinicDoctor, licenseId, { mspId: 'HospitalMSP' }) },
      { user: clinicDoctor, request: request(fabric, clinicDoctor, licenseId) },
      // A certificate from a CA the hospital never registered, with the same names.
      { user: rogueDoctor, request: request(fabric, rogueDoctor, licenseId) },
      // Signed more than five minutes before the batch.
      { user: drAda, request: request(fabric, drAda, licenseId, { signedAt: new Date(fabric.ledger.millis - 600_000).toISOString() }) },
      // An engineer lacks the terms' role=practitioner.
      { user: engineer, request: request(fabric, engineer, licenseId) },
      // A purpose the terms do not permit.
      { user: drGrace, request: request(fabric, drGrace, licenseId, { purpose: 'marketing' }) },
      { user: drAda, request: tampered },
    ];
    const input = JSON.parse(batchOf(entries)) as { accesses: { request: AccessRequest; signature: string }[] };
    // Units raised after signing.
    input.accesses[8] = { ...input.accesses[8], request: { ...tampered, units: '5' }, signature: tamperedSignature };
    const result = await submitBatch(fabric, JSON.stringify(input));
    expect(outcomeCodes(result)).toEqual([
      'SIGNATURE_INVALID',
      'recorded',
      'CERTIFICATE_UNTRUSTED',
      'CERTIFICATE_UNTRUSTED',
      'CERTIFICATE_UNTRUSTED',
      'SIGNATURE_INVALID',
      'FORBIDDEN',
      'PURPOSE_NOT_PERMITTED',
      'SIGNATURE_INVALID',
    ]);
    expect(await remaining(fabric, licenseId)).toBe('19');
    expectConserved(fabric);
  });

  it('answers a replayed signed access with its first record and charges nothing, in any later batch or singly', async () => {
    const fabric = freshFabric();
    const { licenseId } = await setup(fabric, '20');
    const first = request(fabric, drAda, licenseId);
    const batch = batchOf([{ user: drAda, request: first }]);
    const original = await submitBatch(fabric, batch);
    const replay = await submitBatch(fabric, batch);
    expect(outcomeCodes(replay)).toEqual(['replayed']);
    expect(replay.outcomes[0]).toMatchObject({ access: (await recordedOf(fabric, original))[0].access });
    // The same request id in one batch twice: the second is refused.
    const twice = request(fabric, drGrace, licenseId);
    expect(
      outcomeCodes(
        await submitBatch(
          fabric,
          batchOf([
            { user: drGrace, request: twice },
            { user: drGrace, request: twice },
          ]),
        ),
      ),
    ).toEqual(['recorded', 'CONFLICT']);
    // The caller's retry through RecordAccess with the same request id gets the batched access.
    const single = (await fabric.submit(
      drAda,
      contracts.licenses,
      'RecordAccess',
      licenseId,
      first.units,
      first.purpose,
      first.requestHash,
      '',
      '',
      first.requestId ?? '',
    )) as AccessRecord;
    expect(single.accessId).toBe(`${original.batchId}-0`);
    // The same id for another request is a conflict.
    const other = request(fabric, drAda, licenseId, { requestId: first.requestId, units: '2' });
    expect(outcomeCodes(await submitBatch(fabric, batchOf([{ user: drAda, request: other }])))).toEqual(['CONFLICT']);
    expect(await remaining(fabric, licenseId)).toBe('18');
    expectConserved(fabric);
  });

  it('records an access without a request id with no request record, as often as its own org carries it while fresh', async () => {
    const fabric = freshFabric();
    const { licenseId } = await setup(fabric, '20');
    const { requestId: _omitted, ...anonymous } = request(fabric, drAda, licenseId);
    const before = [...fabric.ledger.state.keys()].filter((key) => key.startsWith('req/')).length;
    const batch = batchOf([{ user: drAda, request: anonymous }]);
    expect(outcomeCodes(await submitBatch(fabric, batch))).toEqual(['recorded']);
    expect([...fabric.ledger.state.keys()].filter((key) => key.startsWith('req/')).length).toBe(before);
    // Its own org's gateway, which holds the caller's key anyway, may carry it again; nothing else may.
    expect(outcomeCodes(await submitBatch(fabric, batch))).toEqual(['recorded']);
    expect(outcomeCodes(await submitBatch(fabric, batch, clinicAdmin))).toEqual(['CERTIFICATE_UNTRUSTED']);
    expect(await remaining(fabric, licenseId)).toBe('18');
    expectConserved(fabric);
  });

  it('refuses every access of a licence whose terms insist on one transaction per access, and expired ones', async () => {
    const fabric = freshFabric();
    const { licenseId } = await setup(fabric, '20', meteredOffering({ metering: 'single' }));
    const result = await submitBatch(fabric, batchOf([{ user: drAda, request: request(fabric, drAda, licenseId) }]));
    expect(outcomeCodes(result)).toEqual(['BATCH_NOT_PERMITTED']);
    expect(result.merkleRoot).toBeUndefined();
    expect(await remaining(fabric, licenseId)).toBe('20');

    const modelId = await registerModel(fabric);
    const termOffering = await publish(fabric, modelId, meteredOffering({ kind: 'term', termSeconds: 60 }));
    const term = await buy(fabric, termOffering, '10');
    fabric.advance(61);
    const expired = await submitBatch(fabric, batchOf([{ user: drAda, request: request(fabric, drAda, term.licenseId) }]));
    expect(outcomeCodes(expired)).toEqual(['LICENSE_EXPIRED']);
  });

  it('checks the artifact the endpoint reported against the active version, as RecordAccess does', async () => {
    const fabric = freshFabric();
    const { licenseId } = await setup(fabric, '20');
    const entitlement = (await fabric.evaluate(drAda, contracts.licenses, 'CheckEntitlement', licenseId, '1', 'research')) as {
      artifactSha256: string;
      metering: string;
    };
    expect(entitlement.metering).toBe('batch');
    const result = await submitBatch(
      fabric,
      batchOf([
        { user: drAda, request: request(fabric, drAda, licenseId, { artifactSha256: entitlement.artifactSha256 }) },
        { user: drAda, request: request(fabric, drAda, licenseId, { artifactSha256: 'f'.repeat(64) }) },
      ]),
    );
    expect(outcomeCodes(result)).toEqual(['recorded', 'ARTIFACT_MISMATCH']);
    expect(await remaining(fabric, licenseId)).toBe('19');
  });

  it('refuses a malformed batch whole, and any batch from a regulator or a caller with no role', async () => {
    const fabric = freshFabric();
    const { licenseId } = await setup(fabric, '20');
    for (const bad of [
      '',
      'not json',
      '[]',
      '{"certificates":[],"accesses":[]}',
      '{"certificates":["x"],"accesses":[{"certificate":3}]}',
    ]) {
      await expect(submitBatch(fabric, bad)).rejects.toThrow(/^INVALID_ARGUMENT: batch/);
    }
    const good = batchOf([{ user: drAda, request: request(fabric, drAda, licenseId) }]);
    await expect(fabric.submit(people.regulator, contracts.licenses, 'RecordAccessBatch', good)).rejects.toThrow(/^FORBIDDEN: /);
    await expect(fabric.submit(people.stranger, contracts.licenses, 'RecordAccessBatch', good)).rejects.toThrow(/^FORBIDDEN: /);
    // A clinic submitter carries no hospital accesses.
    const result = await submitBatch(fabric, good, clinicAdmin);
    expect(outcomeCodes(result)).toEqual(['CERTIFICATE_UNTRUSTED']);
    expect(await remaining(fabric, licenseId)).toBe('20');
  });

  it('lists batched and single accesses one by one in the audit, across pages that split a batch', async () => {
    const fabric = freshFabric();
    const { licenseId } = await setup(fabric, '50');
    const ids: string[] = [];
    const single = async (): Promise<void> => {
      fabric.advance(1);
      const record = (await fabric.submit(
        drAda,
        contracts.licenses,
        'RecordAccess',
        licenseId,
        '1',
        'research',
        'b'.repeat(64),
        '',
        '',
        '',
      )) as AccessRecord;
      ids.push(record.accessId);
    };
    const batch = async (size: number): Promise<void> => {
      fabric.advance(1);
      const users = [drAda, drGrace];
      const result = await submitBatch(
        fabric,
        batchOf(Array.from({ length: size }, (_, i) => ({ user: users[i % 2], request: request(fabric, users[i % 2], licenseId) }))),
      );
      ids.push(...result.outcomes.map((o) => (o.status === 'recorded' ? o.accessId : '')));
    };
    await single();
    await batch(7);
    await single();
    await batch(1);
    await batch(4);
    await single();
    for (const pageSize of [1, 2, 3, 5, 100]) {
      expect((await auditByLicense(fabric, licenseId, pageSize)).map((record) => record.accessId)).toEqual(ids);
    }
    // By caller: dr Grace's accesses only, in order.
    const grace = (await fabric.evaluate(
      people.regulator,
      contracts.audit,
      'ListAccessByCaller',
      (await graceAccount()) ?? '',
      '',
      '',
      '2',
      '',
    )) as Page<AccessRecord>;
    expect(grace.records.every((record) => record.callerAccount === grace.records[0].callerAccount)).toBe(true);
    expect(grace.records).toHaveLength(2);
    // A bookmark made up to start inside another row is refused as any foreign bookmark is.
    await expect(
      fabric.evaluate(people.regulator, contracts.audit, 'ListAccessByLicense', licenseId, '', '', '2', '+1+model/x'),
    ).rejects.toThrow(/^INVALID_ARGUMENT: bookmark/);

    async function graceAccount(): Promise<string | undefined> {
      const page = await auditByLicense(fabric, licenseId, 100);
      return page.find((record) => record.callerAccount !== page[0].callerAccount)?.callerAccount;
    }
  });

  it('refunds one batched access: its units come back, its shares are reversed, and the sums still hold', async () => {
    const fabric = freshFabric();
    const { licenseId } = await setup(fabric, '10');
    const result = await submitBatch(
      fabric,
      batchOf([0, 1, 2].map(() => ({ user: drAda, request: request(fabric, drAda, licenseId, { units: '2' }) }))),
    );
    const target = (await recordedOf(fabric, result))[1].access;
    await fabric.submit(people.labAdmin, contracts.licenses, 'RefundAccess', target.accessId, 'the model timed out');
    expect(await remaining(fabric, licenseId)).toBe('6');
    expectConserved(fabric);
    await expect(fabric.submit(people.labAdmin, contracts.licenses, 'RefundAccess', target.accessId, 'again')).rejects.toThrow(
      /^CONFLICT: /,
    );
  });
});
