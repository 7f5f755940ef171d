/**
 * No charge without a delivered result: the model owner refunds an access
 * whose inference failed after it committed. The units go back, each
 * beneficiary's share is reversed, and both records stay for the audit.
 */
import type { AccessRecord, RefundRecord } from '../src/domain/records';
import { FakeFabric } from './support/fabric';
import { DATA_PROVIDER, HOSPITAL, LAB, access, buy, contracts, people, expectConserved, standardSetup } from './support/world';

async function unclaimed(fabric: FakeFabric, account: string): Promise<bigint> {
  return BigInt(
    ((await fabric.evaluate(people.regulator, contracts.royalties, 'GetAccruedRoyalties', account)) as { unclaimed: string }).unclaimed,
  );
}

async function remaining(fabric: FakeFabric, licenseId: string): Promise<string> {
  return ((await fabric.evaluate(people.hospitalAdmin, contracts.licenses, 'GetLicense', licenseId)) as { remainingUnits: string })
    .remainingUnits;
}

describe('refunding an access', () => {
  it('returns the licence and every beneficiary\u2019s royalties to their values before the access, and keeps both records', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    const purchase = await buy(fabric, offeringId, '10');
    const before = {
      units: await remaining(fabric, purchase.licenseId),
      lab: await unclaimed(fabric, LAB),
      data: await unclaimed(fabric, DATA_PROVIDER),
    };
    const record: AccessRecord = await access(fabric, purchase.licenseId, people.practitioner, '2');
    expect(await remaining(fabric, purchase.licenseId)).toBe('8');
    const refund = (await fabric.submit(
      people.labEngineer,
      contracts.licenses,
      'RefundAccess',
      record.accessId,
      'MODEL_FAILED: the model crashed',
    )) as RefundRecord;
    expect(refund).toMatchObject({
      docType: 'refund',
      accessId: record.accessId,
      units: '2',
      amount: '20',
      holder: HOSPITAL,
      reason: 'MODEL_FAILED: the model crashed',
    });
    expect(refund.royalties.map((share) => share.amount)).toEqual(record.royalties.map((share) => `-${share.amount}`));
    expect(await remaining(fabric, purchase.licenseId)).toBe(before.units);
    expect(await unclaimed(fabric, LAB)).toBe(before.lab);
    expect(await unclaimed(fabric, DATA_PROVIDER)).toBe(before.data);
    expect(await fabric.evaluate(people.regulator, contracts.licenses, 'GetAccessRecord', record.accessId)).toEqual(record);
    expect(await fabric.evaluate(people.hospitalAdmin, contracts.licenses, 'GetAccessRefund', record.accessId)).toEqual(refund);
    expect(fabric.ledger.events.some((event) => event.name === 'AccessRefunded' && event.txId === refund.txId)).toBe(true);
    expectConserved(fabric);
  });

  it('refuses a second refund, a licensee and another org, changing nothing', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    const purchase = await buy(fabric, offeringId, '10');
    const record = await access(fabric, purchase.licenseId);
    await fabric.submit(people.labAdmin, contracts.licenses, 'RefundAccess', record.accessId, 'timeout');
    const before = fabric.ledger.snapshot();
    await expect(fabric.submit(people.labAdmin, contracts.licenses, 'RefundAccess', record.accessId, 'timeout')).rejects.toThrow(
      /^CONFLICT: access .* was already refunded/,
    );
    await expect(fabric.submit(people.hospitalAdmin, contracts.licenses, 'RefundAccess', record.accessId, 'please')).rejects.toThrow(
      /^FORBIDDEN: /,
    );
    await expect(fabric.submit(people.clinicAdmin, contracts.licenses, 'RefundAccess', record.accessId, 'please')).rejects.toThrow(
      /^FORBIDDEN: /,
    );
    await expect(fabric.submit(people.labAdmin, contracts.licenses, 'RefundAccess', 'no-such-access', 'x')).rejects.toThrow(/^NOT_FOUND: /);
    expect(fabric.ledger.snapshot()).toEqual(before);
  });

  it('claims nothing while reversals outweigh income, and nets them off later income', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    const purchase = await buy(fabric, offeringId, '10');
    const first = await access(fabric, purchase.licenseId);
    fabric.advance(10);
    // The lab claims the first access's share, and the owner refunds that access afterwards.
    expect(await fabric.submit(people.labAdmin, contracts.royalties, 'ClaimRoyalties', 'org', '')).toMatchObject({ amount: '7' });
    await fabric.submit(people.labAdmin, contracts.licenses, 'RefundAccess', first.accessId, 'late failure');
    expect(await unclaimed(fabric, LAB)).toBe(-7n);
    fabric.advance(10);
    expect(await fabric.submit(people.labAdmin, contracts.royalties, 'ClaimRoyalties', 'org', '')).toMatchObject({ amount: '0', rows: 0 });
    await access(fabric, purchase.licenseId);
    await access(fabric, purchase.licenseId);
    fabric.advance(10);
    expect(await fabric.submit(people.labAdmin, contracts.royalties, 'ClaimRoyalties', 'org', '')).toMatchObject({ amount: '7' });
    expectConserved(fabric);
  });
});
