/**
 * Key-level endorsement: no two orgs can move a third org's value, and no org
 * can rewrite its own value alone. The fake ledger checks the endorsement
 * policies as Fabric's validator does when a test names the endorsing orgs.
 */
import { Endorsement } from '../src/config';
import { decodeOwnerPolicy, ownerPolicy } from '../src/ledger/endorsement';
import type { PurchaseRecord } from '../src/domain/records';
import { FakeFabric } from './support/fabric';
import { HOSPITAL, LAB, accountOf, contracts, digest, mint, people, standardSetup } from './support/world';

const LAB_MSP = 'LabMSP';
const HOSPITAL_MSP = 'HospitalMSP';
const CLINIC_MSP = 'ClinicMSP';
const CLEARING_MSP = 'ClearingMSP';

describe('key-level endorsement policies', () => {
  it('pins an owned key to its owner and asks for a quorum less one of the other endorsing orgs', () => {
    const policy = decodeOwnerPolicy(ownerPolicy(HOSPITAL_MSP) ?? new Uint8Array());
    expect(policy.owner).toBe(HOSPITAL_MSP);
    expect(policy.others).toEqual(Endorsement.orgs.filter((mspId) => mspId !== HOSPITAL_MSP));
    expect(policy.othersNeeded).toBe(Endorsement.quorum - 1);
  });

  it('gives an org that runs no endorsing peer no key-level policy, which would lock its keys', () => {
    expect(ownerPolicy('RegulatorMSP')).toBeUndefined();
  });

  it('asks every transaction for a majority of the member orgs, so any two members need an honest third', () => {
    expect(Endorsement.quorum).toBe(Math.floor((Endorsement.orgs.length + Endorsement.nonEndorsing.length) / 2) + 1);
    expect(Endorsement.quorum).toBeGreaterThan(2);
  });

  it('gives an account of an org the consortium does not name no key-level policy, which would lock it to a peer that may never exist', () => {
    expect(ownerPolicy('async-test')).toBeUndefined();
    expect(ownerPolicy('NoSuchMSP')).toBeUndefined();
  });

  it('pins a key of an org that joined later to its own peer and the founding quorum less one', () => {
    const policy = decodeOwnerPolicy(ownerPolicy('PharmaMSP') ?? new Uint8Array());
    expect(policy.owner).toBe('PharmaMSP');
    expect(policy.others).toEqual([...Endorsement.orgs]);
    expect(policy.othersNeeded).toBe(Endorsement.quorum - 1);
  });
});

describe("no two orgs can move a third org's value", () => {
  it('invalidates a mint endorsed by the hospital and the clinic, and commits it endorsed with the clearing org', async () => {
    const fabric = new FakeFabric();
    await mint(fabric, HOSPITAL, '100');
    const before = fabric.ledger.snapshot();
    const colluding = await fabric.endorse(people.issuer, contracts.token, 'Mint', [HOSPITAL, '1000000', '']);
    expect(colluding.commit([HOSPITAL_MSP, CLINIC_MSP])).toBe('ENDORSEMENT_POLICY_FAILURE');
    // A majority without the issuer is not enough either: the supply key needs the issuer's peer.
    const majority = await fabric.endorse(people.issuer, contracts.token, 'Mint', [HOSPITAL, '1000000', '']);
    expect(majority.commit([HOSPITAL_MSP, CLINIC_MSP, LAB_MSP])).toBe('ENDORSEMENT_POLICY_FAILURE');
    expect(fabric.ledger.snapshot()).toEqual(before);
    const honest = await fabric.endorse(people.issuer, contracts.token, 'Mint', [HOSPITAL, '5', '']);
    expect(honest.commit([CLEARING_MSP, HOSPITAL_MSP, CLINIC_MSP])).toBe('VALID');
    expect(await fabric.evaluate(people.issuer, contracts.token, 'GetTotalSupply')).toEqual({ amount: '105' });
  });

  it('invalidates a transfer out of the lab treasury endorsed without the lab, and commits it with the lab', async () => {
    const fabric = new FakeFabric();
    await mint(fabric, LAB, '100');
    const before = fabric.ledger.snapshot();
    const theft = await fabric.endorse(people.labAdmin, contracts.token, 'Transfer', ['org', HOSPITAL, '100', '']);
    expect(theft.commit([HOSPITAL_MSP, CLINIC_MSP, CLEARING_MSP])).toBe('ENDORSEMENT_POLICY_FAILURE');
    expect(fabric.ledger.snapshot()).toEqual(before);
    const payment = await fabric.endorse(people.labAdmin, contracts.token, 'Transfer', ['org', HOSPITAL, '60', '']);
    expect(payment.commit([LAB_MSP, HOSPITAL_MSP, CLINIC_MSP])).toBe('VALID');
    // The payment pinned the hospital's new balance and rewrote the treasury's value only: its key keeps the lab's policy.
    expect(payment.policiesSet).toEqual([`bal/${HOSPITAL}`]);
    const again = await fabric.endorse(people.labAdmin, contracts.token, 'Transfer', ['org', HOSPITAL, '40', '']);
    expect(again.commit([HOSPITAL_MSP, CLINIC_MSP, CLEARING_MSP])).toBe('ENDORSEMENT_POLICY_FAILURE');
  });

  it('invalidates an owner rewriting its own balance with one accomplice', async () => {
    const fabric = new FakeFabric();
    await mint(fabric, HOSPITAL, '100');
    await mint(fabric, LAB, '100');
    const pair = await fabric.endorse(people.hospitalAdmin, contracts.token, 'Transfer', ['org', LAB, '1', '']);
    expect(pair.commit([HOSPITAL_MSP, LAB_MSP])).toBe('ENDORSEMENT_POLICY_FAILURE');
  });

  it("invalidates an access that consumes the hospital's units without the hospital, and commits it with the hospital", async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    const purchase = (await fabric.submit(
      people.hospitalAdmin,
      contracts.licenses,
      'PurchaseLicense',
      offeringId,
      '10',
      'org',
      '',
      '',
    )) as PurchaseRecord;
    const args = [purchase.licenseId, '1', 'clinical-diagnosis', digest('request'), '0', '', ''];
    // Lot 0 was written and pinned to the hospital with the licence; an access rewrites its value only.
    const first = await fabric.endorse(people.practitioner, contracts.licenses, 'RecordAccess', args);
    expect(first.policiesSet).toEqual([]);
    expect(first.commit([HOSPITAL_MSP, LAB_MSP, CLINIC_MSP])).toBe('VALID');
    const before = fabric.ledger.snapshot();
    const forged = await fabric.endorse(people.practitioner, contracts.licenses, 'RecordAccess', args);
    expect(forged.commit([LAB_MSP, CLINIC_MSP, CLEARING_MSP])).toBe('ENDORSEMENT_POLICY_FAILURE');
    expect(fabric.ledger.snapshot()).toEqual(before);
    const honest = await fabric.endorse(people.practitioner, contracts.licenses, 'RecordAccess', args);
    expect(honest.commit([HOSPITAL_MSP, LAB_MSP, CLEARING_MSP])).toBe('VALID');
  });

  it('writes a key\u2019s policy only when the key lacks it, so that two writes of one key in a block conflict as MVCC, not as a policy failure', async () => {
    const fabric = new FakeFabric();
    const first = await fabric.endorse(people.issuer, contracts.token, 'Mint', [HOSPITAL, '100', '']);
    expect([...first.policiesSet].sort()).toEqual([`bal/${HOSPITAL}`, 'token/supply']);
    expect(first.commit()).toBe('VALID');
    const second = await fabric.endorse(people.issuer, contracts.token, 'Mint', [HOSPITAL, '100', '']);
    expect(second.policiesSet).toEqual([]);
    const racing = await fabric.endorse(people.issuer, contracts.token, 'Mint', [HOSPITAL, '1', '']);
    expect(second.commit()).toBe('VALID');
    expect(racing.commit()).toBe('MVCC_READ_CONFLICT');
  });

  it("pins the supply to the settlement org, balances and licences to their holders' orgs", async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    await fabric.submit(people.issuer, contracts.token, 'Mint', accountOf(people.practitioner), '50', '');
    const purchase = (await fabric.submit(
      people.hospitalAdmin,
      contracts.licenses,
      'PurchaseLicense',
      offeringId,
      '3',
      'org',
      '',
      '',
    )) as PurchaseRecord;
    const ownerOf = (key: string): string => decodeOwnerPolicy(fabric.ledger.keyPolicies.get(key) ?? new Uint8Array()).owner;
    expect(ownerOf('token/supply')).toBe(CLEARING_MSP);
    expect(ownerOf(`bal/${HOSPITAL}`)).toBe(HOSPITAL_MSP);
    expect(ownerOf(`bal/${accountOf(people.practitioner)}`)).toBe(HOSPITAL_MSP);
    expect(ownerOf(`lic/${purchase.licenseId}`)).toBe(HOSPITAL_MSP);
  });
});
