import type { AccessRecord, PurchaseRecord } from '../src/domain/records';
import { FakeFabric } from './support/fabric';
import {
  CLINIC,
  DATA_PROVIDER,
  HOSPITAL,
  LAB,
  access,
  accountOf,
  buy,
  contracts,
  digest,
  expectConserved,
  meteredOffering,
  mint,
  people,
  person,
  publish,
  registerModel,
  standardSetup,
  totals,
} from './support/world';

async function balance(fabric: FakeFabric, account: string): Promise<string> {
  return ((await fabric.evaluate(people.regulator, contracts.token, 'GetBalance', account)) as { amount: string }).amount;
}

async function unclaimed(fabric: FakeFabric, account: string): Promise<string> {
  return ((await fabric.evaluate(people.regulator, contracts.royalties, 'GetAccruedRoyalties', account)) as { unclaimed: string })
    .unclaimed;
}

describe('purchase and access', () => {
  it('moves the price of a purchase from the buyer into escrow and grants the units', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    const purchase = await buy(fabric, offeringId, '50');
    expect(purchase).toMatchObject({ buyer: HOSPITAL, units: '50', unitPrice: '10', price: '500' });
    expect(await balance(fabric, HOSPITAL)).toBe('99500');
    const license = (await fabric.evaluate(people.hospitalAdmin, contracts.licenses, 'GetLicense', purchase.licenseId)) as {
      remainingUnits: string;
      escrow: string;
    };
    expect(license).toMatchObject({ remainingUnits: '50', escrow: '500' });
    expect(fabric.ledger.events.at(-1)).toMatchObject({ name: 'LicensePurchased', payload: purchase });
  });

  it('releases the escrowed unit price to the beneficiaries on each access, losing no unit', async () => {
    const fabric = new FakeFabric();
    const { modelId, offeringId } = await standardSetup(fabric);
    const purchase = await buy(fabric, offeringId, '5');
    const record = await access(fabric, purchase.licenseId, people.practitioner, '1');
    expect(record).toMatchObject({
      modelId,
      version: '1.0.0',
      artifactSha256: digest('weights-1.0.0'),
      callerMspId: 'HospitalMSP',
      callerAccount: accountOf(people.practitioner),
      units: '1',
      amount: '10',
      purpose: 'clinical-diagnosis',
      requestHash: digest('request'),
      timestamp: expect.stringMatching(/^2026-/),
    });
    expect(record.royalties).toEqual([
      { account: LAB, amount: '7', modelId, depth: 0 },
      { account: DATA_PROVIDER, amount: '3', modelId, depth: 0 },
    ]);
    expect(await unclaimed(fabric, LAB)).toBe('7');
    expect(await unclaimed(fabric, DATA_PROVIDER)).toBe('3');
    const after = totals(fabric);
    expect(after.supply).toBe(after.balances + after.escrow + after.unclaimed);
    expect(after.escrow).toBe(40n);
    expect(fabric.ledger.events.at(-1)).toMatchObject({ name: 'AccessRecorded', payload: record });
  });

  it('passes the parent share of every royalty up the lineage to the base model', async () => {
    const fabric = new FakeFabric();
    const baseId = await registerModel(
      fabric,
      JSON.stringify({ beneficiaries: [{ account: 'org::BaseMSP', shareBps: 10000 }] }),
      people.baseAdmin,
    );
    const childId = await registerModel(
      fabric,
      JSON.stringify({ beneficiaries: [{ account: LAB, shareBps: 10000 }], parents: [{ modelId: baseId, shareBps: 2500 }] }),
    );
    const offeringId = await publish(fabric, childId, meteredOffering({ unitPrice: '101' }));
    await mint(fabric, HOSPITAL, '1000');
    const purchase = await buy(fabric, offeringId, '3');
    const record = await access(fabric, purchase.licenseId);
    expect(record.royalties).toEqual([
      { account: LAB, amount: '76', modelId: childId, depth: 0 },
      { account: 'org::BaseMSP', amount: '25', modelId: baseId, depth: 1 },
    ]);
  });

  describe('a lineage of more than Limits.maxLineagePolicies (64) models', () => {
    const single = (account: string, parents: string[] = []): string =>
      JSON.stringify({ beneficiaries: [{ account, shareBps: 10000 }], parents: parents.map((modelId) => ({ modelId, shareBps: 1000 })) });
    /** 64 base models and 8 mid models, mid i naming bases 8i…8i+7 as parents when `linked`. */
    async function tree(fabric: FakeFabric, linked: boolean): Promise<{ bases: string[]; mids: string[] }> {
      const bases: string[] = [];
      for (let i = 0; i < 64; i += 1) bases.push(await registerModel(fabric, single('org::BaseMSP'), people.baseAdmin));
      const mids: string[] = [];
      for (let i = 0; i < 8; i += 1) mids.push(await registerModel(fabric, single(LAB, linked ? bases.slice(8 * i, 8 * i + 8) : [])));
      return { bases, mids };
    }

    it('is refused when a royalty policy would make one, and accepted at 64', async () => {
      const fabric = new FakeFabric();
      const { mids } = await tree(fabric, true);
      const before = fabric.ledger.snapshot();
      await expect(registerModel(fabric, single(HOSPITAL, mids))).rejects.toThrow(
        /^INVALID_ARGUMENT: royaltyPolicy\.parents would make a lineage of more than 64 models/,
      );
      expect(fabric.ledger.snapshot()).toEqual(before);
      await expect(registerModel(fabric, single(HOSPITAL, mids.slice(0, 7)))).resolves.toMatch(/^M-/);
    });

    it('grown later by a parent\u2019s own policy, is split along the first 64 models loaded, losing no unit', async () => {
      const fabric = new FakeFabric();
      const { bases, mids } = await tree(fabric, false);
      const childId = await registerModel(fabric, single(HOSPITAL, mids));
      for (const [i, mid] of mids.entries()) {
        await fabric.submit(people.labAdmin, contracts.models, 'SetRoyaltyPolicy', mid, single(LAB, bases.slice(8 * i, 8 * i + 8)));
      }
      const offeringId = await publish(fabric, childId, meteredOffering({ unitPrice: '1000000' }));
      await mint(fabric, HOSPITAL, '1000000');
      const purchase = await buy(fabric, offeringId, '1');
      const record = await access(fabric, purchase.licenseId);
      const total = record.royalties.reduce((sum, r) => sum + BigInt(r.amount), 0n);
      expect(total).toBe(1000000n);
      const paid = new Set(record.royalties.map((r) => r.modelId));
      expect(paid.size).toBe(64);
      // Breadth first: the child, its 8 parents, then 55 grandparents; the last 9 bases are not reached.
      expect(bases.slice(55).filter((id) => paid.has(id))).toEqual([]);
      expect(bases.slice(0, 55).every((id) => paid.has(id))).toBe(true);
    });
  });

  it('returns the first purchase when a purchase is retried with the same request id', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    const first = await buy(fabric, offeringId, '10', 'req-1');
    const eventsBefore = fabric.ledger.events.length;
    const retry = await buy(fabric, offeringId, '10', 'req-1');
    expect(retry).toEqual(first);
    expect(await balance(fabric, HOSPITAL)).toBe('99900');
    expect(fabric.ledger.events.length).toBe(eventsBefore);
    await expect(buy(fabric, offeringId, '11', 'req-1')).rejects.toThrow(/^CONFLICT: request id req-1/);
  });

  it('rejects a purchase beyond the offering supply cap and changes nothing', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    await buy(fabric, offeringId, '990');
    const before = fabric.ledger.snapshot();
    await expect(buy(fabric, offeringId, '11')).rejects.toThrow(/^SUPPLY_EXHAUSTED: offering .* has 10 of 1000 units left/);
    expect(fabric.ledger.snapshot()).toEqual(before);
  });

  describe("an offering's supply, in shards", () => {
    const purchaseArgs = (offeringId: string, units: string, hint: string): string[] => [offeringId, units, 'org', hint, ''];
    const soldOf = async (fabric: FakeFabric, offeringId: string): Promise<string> =>
      ((await fabric.evaluate(people.regulator, contracts.offerings, 'GetOffering', offeringId)) as { sold: string }).sold;
    /** An offering any org may buy, and two buyers with their own treasuries: the hospital's and the clinic's admins. */
    const twoBuyers = async (supplyCap: string) => {
      const fabric = new FakeFabric();
      const modelId = await registerModel(fabric);
      const offeringId = await publish(fabric, modelId, meteredOffering({ supplyCap, allowedMspIds: [] }));
      await mint(fabric, HOSPITAL, '1000');
      await mint(fabric, CLINIC, '1000');
      const endorse = (buyer: 'hospital' | 'clinic', units: string, hint: string) =>
        fabric.endorse(
          buyer === 'hospital' ? people.hospitalAdmin : people.clinicAdmin,
          contracts.licenses,
          'PurchaseLicense',
          purchaseArgs(offeringId, units, hint),
        );
      return { fabric, offeringId, endorse };
    };

    it('lets concurrent purchases by two buyers with distinct hints both commit, rewriting no counter of the whole offering', async () => {
      const { fabric, offeringId, endorse } = await twoBuyers('1000');
      const hospital = await endorse('hospital', '3', '0');
      const clinic = await endorse('clinic', '2', '1');
      expect([hospital.commit(), clinic.commit()]).toEqual(['VALID', 'VALID']);
      expect([...fabric.ledger.state.keys()].filter((k) => k.startsWith(`sold/${offeringId}`)).sort()).toEqual([
        `sold/${offeringId}/000`,
        `sold/${offeringId}/001`,
      ]);
      expect(await soldOf(fabric, offeringId)).toBe('5');
      // The same hint is the same shard: of two such purchases, the second fails at commit and is retried by its caller.
      const again = await endorse('hospital', '1', '1');
      const clash = await endorse('clinic', '1', '1');
      expect([again.commit(), clash.commit()]).toEqual(['VALID', 'MVCC_READ_CONFLICT']);
      expect(await soldOf(fabric, offeringId)).toBe('6');
      expectConserved(fabric);
    });

    it('gives exactly one of two concurrent buyers the last unit, whatever their hints', async () => {
      const { fabric, offeringId, endorse } = await twoBuyers('1');
      const hospital = await endorse('hospital', '1', '0');
      const clinic = await endorse('clinic', '1', '7');
      expect([hospital.commit(), clinic.commit()]).toEqual(['VALID', 'MVCC_READ_CONFLICT']);
      await expect(
        fabric.submit(people.clinicAdmin, contracts.licenses, 'PurchaseLicense', ...purchaseArgs(offeringId, '1', '7')),
      ).rejects.toThrow(/^SUPPLY_EXHAUSTED: offering .* has 0 of 1 units left, fewer than the 1 requested/);
      expectConserved(fabric);
    });

    it('sells exactly the cap, drawing on the next shards when the first runs short', async () => {
      const fabric = new FakeFabric();
      const modelId = await registerModel(fabric);
      const offeringId = await publish(fabric, modelId, meteredOffering({ supplyCap: '10' }));
      await mint(fabric, HOSPITAL, '1000');
      // Ten units in ten shards of one: three from shard 8 on take 8, 9 and, wrapping, 0.
      await fabric.submit(people.hospitalAdmin, contracts.licenses, 'PurchaseLicense', ...purchaseArgs(offeringId, '3', '8'));
      expect([...fabric.ledger.state.keys()].filter((k) => k.startsWith(`sold/${offeringId}/`)).sort()).toEqual(
        ['000', '008', '009'].map((shard) => `sold/${offeringId}/${shard}`),
      );
      await fabric.submit(people.hospitalAdmin, contracts.licenses, 'PurchaseLicense', ...purchaseArgs(offeringId, '7', '8'));
      expect(await soldOf(fabric, offeringId)).toBe('10');
      const before = fabric.ledger.snapshot();
      await expect(
        fabric.submit(people.hospitalAdmin, contracts.licenses, 'PurchaseLicense', ...purchaseArgs(offeringId, '1', '')),
      ).rejects.toThrow(/^SUPPLY_EXHAUSTED: offering .* has 0 of 10 units left/);
      expect(fabric.ledger.snapshot()).toEqual(before);
    });

    it('answers a retry of a purchase from another shard with the first purchase, charging nothing more', async () => {
      const { fabric, offeringId } = await twoBuyers('1000');
      const buyWith = (hint: string) =>
        fabric.submit(people.hospitalAdmin, contracts.licenses, 'PurchaseLicense', offeringId, '3', 'org', hint, 'req-shard');
      const first = await buyWith('0');
      const before = fabric.ledger.snapshot();
      // A gateway may hand the retry another hint; the hint is not part of what the request id pins.
      expect(await buyWith('9')).toEqual(first);
      expect(fabric.ledger.snapshot()).toEqual(before);
      expect(await soldOf(fabric, offeringId)).toBe('3');
    });

    it('counts the units a ledger sold before its supply was sharded against the cap', async () => {
      const fabric = new FakeFabric();
      const modelId = await registerModel(fabric);
      const offeringId = await publish(fabric, modelId, meteredOffering({ supplyCap: '10' }));
      await mint(fabric, HOSPITAL, '1000');
      // What the previous chaincode kept: one counter per offering, rewritten by every purchase.
      fabric.ledger.state.set(`sold/${offeringId}`, { value: Buffer.from(JSON.stringify({ units: '6' })), version: 1 });
      expect(await soldOf(fabric, offeringId)).toBe('6');
      await expect(
        fabric.submit(people.hospitalAdmin, contracts.licenses, 'PurchaseLicense', ...purchaseArgs(offeringId, '5', '')),
      ).rejects.toThrow(/^SUPPLY_EXHAUSTED: offering .* has 4 of 10 units left, fewer than the 5 requested/);
      await fabric.submit(people.hospitalAdmin, contracts.licenses, 'PurchaseLicense', ...purchaseArgs(offeringId, '4', '3'));
      expect(await soldOf(fabric, offeringId)).toBe('10');
    });
  });

  it('rejects a purchase the buyer cannot pay for', async () => {
    const fabric = new FakeFabric();
    const modelId = await registerModel(fabric);
    const offeringId = await publish(fabric, modelId);
    await mint(fabric, HOSPITAL, '99');
    await expect(buy(fabric, offeringId, '10')).rejects.toThrow(/^INSUFFICIENT_FUNDS: /);
  });

  it('rejects purchases of a paused or retired offering and accepts them again after resuming', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    await fabric.submit(people.labAdmin, contracts.offerings, 'PauseOffering', offeringId);
    await expect(buy(fabric, offeringId, '1')).rejects.toThrow(/^OFFERING_PAUSED: /);
    await fabric.submit(people.labAdmin, contracts.offerings, 'ResumeOffering', offeringId);
    await buy(fabric, offeringId, '1');
    await fabric.submit(people.labAdmin, contracts.offerings, 'RetireOffering', offeringId);
    await expect(buy(fabric, offeringId, '1')).rejects.toThrow(/^OFFERING_RETIRED: /);
    await expect(fabric.submit(people.labAdmin, contracts.offerings, 'ResumeOffering', offeringId)).rejects.toThrow(/^CONFLICT: /);
  });

  it('rejects a buyer from an org outside the offering allowlist', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    await mint(fabric, 'org::LabMSP', '1000');
    await expect(fabric.submit(people.labAdmin, contracts.licenses, 'PurchaseLicense', offeringId, '1', 'org', '', '')).rejects.toThrow(
      /^FORBIDDEN: offering .* may only be held by HospitalMSP, not LabMSP/,
    );
  });

  it('keeps the terms a licence was bought under', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    const purchase = await buy(fabric, offeringId, '2');
    const offering = (await fabric.evaluate(people.regulator, contracts.offerings, 'GetOffering', offeringId)) as {
      termsHash: string;
    };
    expect(purchase.termsHash).toBe(offering.termsHash);
    const terms = (await fabric.evaluate(people.regulator, contracts.offerings, 'GetTerms', offeringId, '1')) as { hash: string };
    expect(terms.hash).toBe(purchase.termsHash);
  });

  describe('denied accesses leave no trace', () => {
    async function deniedSetup(offering = meteredOffering()): Promise<{ fabric: FakeFabric; purchase: PurchaseRecord }> {
      const fabric = new FakeFabric();
      const modelId = await registerModel(fabric);
      const offeringId = await publish(fabric, modelId, offering);
      await mint(fabric, HOSPITAL, '100000');
      return { fabric, purchase: await buy(fabric, offeringId, '2') };
    }

    it('refuses a member of the holder org without the required attribute', async () => {
      const { fabric, purchase } = await deniedSetup();
      const before = fabric.ledger.snapshot();
      await expect(access(fabric, purchase.licenseId, people.hospitalEngineer)).rejects.toThrow(
        /^FORBIDDEN: licence .* requires the certificate attribute role=practitioner/,
      );
      expect(fabric.ledger.snapshot()).toEqual(before);
    });

    it('refuses a practitioner of another org', async () => {
      const { fabric, purchase } = await deniedSetup();
      await expect(access(fabric, purchase.licenseId, person('OtherMSP', 'dr-x', 'practitioner'))).rejects.toThrow(
        /^FORBIDDEN: licence .* is held by another organisation/,
      );
    });

    it('refuses a purpose the licence does not permit', async () => {
      const { fabric, purchase } = await deniedSetup();
      const before = fabric.ledger.snapshot();
      await expect(access(fabric, purchase.licenseId, people.practitioner, '1', 'marketing')).rejects.toThrow(
        /^PURPOSE_NOT_PERMITTED: licence .* permits clinical-diagnosis, research, not marketing/,
      );
      expect(fabric.ledger.snapshot()).toEqual(before);
    });

    it('refuses a term licence at its expiry', async () => {
      const { fabric, purchase } = await deniedSetup(meteredOffering({ kind: 'term', termSeconds: 3600 }));
      await access(fabric, purchase.licenseId);
      fabric.advance(3600);
      const before = fabric.ledger.snapshot();
      await expect(access(fabric, purchase.licenseId)).rejects.toThrow(/^LICENSE_EXPIRED: licence .* expired at 2026-01-01T/);
      expect(fabric.ledger.snapshot()).toEqual(before);
    });

    it('refuses an access once the units are exhausted', async () => {
      const { fabric, purchase } = await deniedSetup();
      await access(fabric, purchase.licenseId);
      await access(fabric, purchase.licenseId, people.practitioner2);
      const before = fabric.ledger.snapshot();
      await expect(access(fabric, purchase.licenseId)).rejects.toThrow(
        /^INSUFFICIENT_UNITS: licence .* has 0 units left, fewer than the 1 requested/,
      );
      expect(fabric.ledger.snapshot()).toEqual(before);
    });

    it('refuses an access for more units than are left', async () => {
      const { fabric, purchase } = await deniedSetup();
      await expect(access(fabric, purchase.licenseId, people.practitioner, '3')).rejects.toThrow(/^INSUFFICIENT_UNITS: /);
    });
  });

  it('answers CheckEntitlement with the version to serve, or with the code RecordAccess would fail with', async () => {
    const fabric = new FakeFabric();
    const { modelId, offeringId } = await standardSetup(fabric);
    const purchase = await buy(fabric, offeringId, '2');
    const check = await fabric.evaluate(people.practitioner, contracts.licenses, 'CheckEntitlement', purchase.licenseId, '1', 'research');
    expect(check).toMatchObject({
      entitled: true,
      modelId,
      version: '1.0.0',
      inferenceEndpoint: 'http://127.0.0.1:8080/v2/models/derm',
      remainingUnits: '2',
    });
    await expect(
      fabric.evaluate(people.practitioner, contracts.licenses, 'CheckEntitlement', purchase.licenseId, '1', 'marketing'),
    ).rejects.toThrow(/^PURPOSE_NOT_PERMITTED: /);
  });

  it('records the newly activated version in later access records', async () => {
    const fabric = new FakeFabric();
    const { modelId, offeringId } = await standardSetup(fabric);
    const purchase = await buy(fabric, offeringId, '2');
    await fabric.submit(
      people.labEngineer,
      contracts.models,
      'AddModelVersion',
      modelId,
      '1.1.0',
      digest('weights-1.1.0'),
      's3://models/derm/1.1.0.onnx',
      'http://127.0.0.1:8080/v2/models/derm-1.1',
    );
    await fabric.submit(people.labEngineer, contracts.models, 'SetActiveVersion', modelId, '1.1.0');
    const record = await access(fabric, purchase.licenseId);
    expect(record).toMatchObject({ version: '1.1.0', artifactSha256: digest('weights-1.1.0') });
  });

  it('charges an access for a served inference only when the serving artifact is the active version\u2019s', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    const purchase = await buy(fabric, offeringId, '2');
    const before = totals(fabric);
    const served = (artifact: string): Promise<unknown> =>
      fabric.submit(
        people.practitioner,
        contracts.licenses,
        'RecordAccess',
        purchase.licenseId,
        '1',
        'research',
        digest('q'),
        '',
        artifact,
        '',
      );

    await expect(served(digest('weights-0.9.0'))).rejects.toThrow(
      /^ARTIFACT_MISMATCH: model .* serves version 1\.0\.0 with artifact [0-9a-f]{64}, not [0-9a-f]{64}/,
    );
    expect(totals(fabric)).toEqual(before);
    await expect(served('not-a-hash')).rejects.toThrow(/^INVALID_ARGUMENT: servedArtifactSha256 /);
    expect(await served(digest('weights-1.0.0'))).toMatchObject({ version: '1.0.0', artifactSha256: digest('weights-1.0.0') });
    expect(totals(fabric).consumed).toBe(before.consumed + 1n);
  });
});

describe('settling an expired term licence', () => {
  /** A term offering of one hour at 10 a unit, 10 units bought by the hospital treasury, 3 used. */
  async function expiring(): Promise<{ fabric: FakeFabric; licenseId: string; modelId: string }> {
    const fabric = new FakeFabric();
    const modelId = await registerModel(fabric);
    const offeringId = await publish(fabric, modelId, meteredOffering({ kind: 'term', termSeconds: 3600 }));
    await mint(fabric, HOSPITAL, '1000');
    const purchase = await buy(fabric, offeringId, '10');
    await access(fabric, purchase.licenseId, people.practitioner, '3');
    return { fabric, licenseId: purchase.licenseId, modelId };
  }
  const settle = (fabric: FakeFabric, licenseId: string, who = people.hospitalAdmin): Promise<unknown> =>
    fabric.submit(who, contracts.licenses, 'SettleExpiredLicense', licenseId);
  const balance = async (fabric: FakeFabric, account: string): Promise<bigint> =>
    BigInt(((await fabric.evaluate(people.regulator, contracts.token, 'GetBalance', account)) as { amount: string }).amount);

  it('refunds the unused units\u2019 escrow to the holder once, whoever settles it, and counts the units as consumed', async () => {
    const { fabric, licenseId } = await expiring();
    fabric.advance(3600);
    const before = totals(fabric);
    const held = await balance(fabric, HOSPITAL);
    // A member of another org may settle: the refund goes to the holder all the same.
    const record = await settle(fabric, licenseId, people.clinicAdmin);
    expect(record).toMatchObject({ docType: 'expirySettlement', licenseId, holder: HOSPITAL, units: '7', unitPrice: '10', refund: '70' });
    expect(fabric.ledger.events.at(-1)).toMatchObject({ name: 'LicenseExpirySettled', payload: record });
    expect(await balance(fabric, HOSPITAL)).toBe(held + 70n);
    const after = totals(fabric);
    expect(after.escrow).toBe(before.escrow - 70n);
    expect(after.supply).toBe(after.balances + after.escrow + after.unclaimed);
    expect(after.sold).toBe(after.held + after.listed + after.consumed);
    expect(await fabric.evaluate(people.hospitalAdmin, contracts.licenses, 'GetLicense', licenseId)).toMatchObject({
      remainingUnits: '0',
      consumedUnits: '10',
      escrow: '0',
    });
    const snapshot = fabric.ledger.snapshot();
    await expect(settle(fabric, licenseId)).rejects.toThrow(/^CONFLICT: licence .* has no unused units to settle/);
    expect(fabric.ledger.snapshot()).toEqual(snapshot);
  });

  it('refuses to settle before the expiry, a metered licence, an unknown licence or a regulator, changing nothing', async () => {
    const { fabric, licenseId, modelId } = await expiring();
    const metered = await buy(fabric, await publish(fabric, modelId), '2');
    // The fake clock also ticks one second per transaction.
    fabric.advance(3000);
    const before = fabric.ledger.snapshot();
    await expect(settle(fabric, licenseId)).rejects.toThrow(
      /^CONFLICT: licence .* expires at 2026-01-01T\S+; it can be settled from then on/,
    );
    await expect(settle(fabric, metered.licenseId)).rejects.toThrow(/^CONFLICT: licence .* is metered and never expires/);
    await expect(settle(fabric, 'L-missing')).rejects.toThrow(/^INVALID_ARGUMENT: licenseId refers to no licence/);
    await expect(settle(fabric, 'bad id!')).rejects.toThrow(/^INVALID_ARGUMENT: licenseId /);
    fabric.advance(600);
    await expect(settle(fabric, licenseId, people.regulator)).rejects.toThrow(/^FORBIDDEN: /);
    expect(fabric.ledger.snapshot()).toEqual(before);
  });

  it('settles units that come back from a listing cancelled after the expiry', async () => {
    const { fabric, licenseId } = await expiring();
    const listing = (await fabric.submit(people.hospitalAdmin, contracts.market, 'ListUnits', licenseId, '4', '12', '')) as {
      listingId: string;
    };
    fabric.advance(3600);
    expect(await settle(fabric, licenseId)).toMatchObject({ units: '3', refund: '30' });
    await fabric.submit(people.hospitalAdmin, contracts.market, 'CancelListing', listing.listingId);
    expect(await settle(fabric, licenseId)).toMatchObject({ units: '4', refund: '40' });
    expectConserved(fabric);
  });
});

describe('the hot path under concurrency', () => {
  it('commits fifty concurrent accesses by different practitioners on one licence without a conflict', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    const purchase = await buy(fabric, offeringId, '1000');
    const practitioners = Array.from({ length: 50 }, (_, index) => person('HospitalMSP', `dr-${index}`, 'practitioner'));
    // Every access is endorsed against the same committed state, as in one block.
    const endorsements = await Promise.all(
      practitioners.map((who, index) =>
        fabric.endorse(who, contracts.licenses, 'RecordAccess', [
          purchase.licenseId,
          '1',
          'clinical-diagnosis',
          digest(`request-${index}`),
          String(index),
          '',
          '',
        ]),
      ),
    );
    expect(endorsements.map((endorsement) => endorsement.commit())).toEqual(endorsements.map(() => 'VALID'));
    const after = totals(fabric);
    expect(after.consumed).toBe(50n);
    expect(after.unclaimed).toBe(500n);
    expect(after.supply).toBe(after.balances + after.escrow + after.unclaimed);
  });

  it('lets a royalty claim commit while accesses that pay the same beneficiary commit too', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    const purchase = await buy(fabric, offeringId, '100');
    await access(fabric, purchase.licenseId);
    fabric.advance(60);
    const pending = await Promise.all(
      [0, 1, 2].map((index) =>
        fabric.endorse(people.practitioner, contracts.licenses, 'RecordAccess', [
          purchase.licenseId,
          '1',
          'research',
          digest(`r-${index}`),
          String(index * 7),
          '',
          '',
        ]),
      ),
    );
    const claim = await fabric.endorse(people.labAdmin, contracts.royalties, 'ClaimRoyalties', ['org', '']);
    expect([...pending.map((endorsement) => endorsement.commit()), claim.commit()]).toEqual(['VALID', 'VALID', 'VALID', 'VALID']);
    expect(claim.result).toMatchObject({ account: LAB, amount: '7', rows: 1 });
    expect(await balance(fabric, LAB)).toBe('7');
    expect(await unclaimed(fabric, LAB)).toBe('21');
  });

  it('detects a double spend of the last unit: the second of two concurrent accesses fails at commit', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    const purchase = await buy(fabric, offeringId, '1');
    const first = await fabric.endorse(people.practitioner, contracts.licenses, 'RecordAccess', [
      purchase.licenseId,
      '1',
      'research',
      digest('a'),
      '',
      '',
      '',
    ]);
    const second = await fabric.endorse(people.practitioner2, contracts.licenses, 'RecordAccess', [
      purchase.licenseId,
      '1',
      'research',
      digest('b'),
      '',
      '',
      '',
    ]);
    expect(first.commit()).toBe('VALID');
    expect(second.commit()).toBe('MVCC_READ_CONFLICT');
    expect(totals(fabric).consumed).toBe(1n);
  });
});

describe('royalty claims', () => {
  it('moves settled accruals into the balance and leaves recent ones for later', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    const purchase = await buy(fabric, offeringId, '10');
    await access(fabric, purchase.licenseId);
    await access(fabric, purchase.licenseId);
    fabric.advance(30);
    await access(fabric, purchase.licenseId);
    const claim = await fabric.submit(people.labAdmin, contracts.royalties, 'ClaimRoyalties', 'org', '');
    expect(claim).toMatchObject({ account: LAB, amount: '14', rows: 2 });
    expect(await balance(fabric, LAB)).toBe('14');
    expect(await unclaimed(fabric, LAB)).toBe('7');
    expect(fabric.ledger.events.at(-1)).toMatchObject({ name: 'RoyaltiesClaimed', payload: claim });
    const statement = (await fabric.evaluate(people.labAdmin, contracts.royalties, 'GetRoyaltyStatement', LAB, '', '', '', '', '')) as {
      records: unknown[];
    };
    expect(statement.records).toHaveLength(3);
  });

  it('lets only an admin claim into the org treasury', async () => {
    const fabric = new FakeFabric();
    await expect(fabric.submit(people.labEngineer, contracts.royalties, 'ClaimRoyalties', 'org', '')).rejects.toThrow(
      /^FORBIDDEN: only role admin may claim royalties for the LabMSP treasury/,
    );
  });
});

describe('audit queries', () => {
  async function withAccesses(
    count: number,
  ): Promise<{ fabric: FakeFabric; modelId: string; offeringId: string; records: AccessRecord[] }> {
    const fabric = new FakeFabric();
    const { modelId, offeringId } = await standardSetup(fabric);
    const purchase = await buy(fabric, offeringId, '100');
    const records: AccessRecord[] = [];
    for (let index = 0; index < count; index += 1) {
      records.push(await access(fabric, purchase.licenseId, index % 2 === 0 ? people.practitioner : people.practitioner2));
    }
    return { fabric, modelId, offeringId, records };
  }

  it('pages through access records by model with bookmarks, oldest first', async () => {
    const { fabric, modelId, records } = await withAccesses(5);
    const first = (await fabric.evaluate(people.regulator, contracts.audit, 'ListAccessByModel', modelId, '', '', '2', '')) as {
      records: AccessRecord[];
      bookmark: string;
    };
    expect(first.records.map((record) => record.accessId)).toEqual(records.slice(0, 2).map((record) => record.accessId));
    const rest = (await fabric.evaluate(people.regulator, contracts.audit, 'ListAccessByModel', modelId, '', '', '10', first.bookmark)) as {
      records: AccessRecord[];
      bookmark: string;
    };
    expect(rest.records.map((record) => record.accessId)).toEqual(records.slice(2).map((record) => record.accessId));
    expect(rest.bookmark).toBe('');
  });

  it('filters access records by caller and by time range', async () => {
    const { fabric, records } = await withAccesses(4);
    const byCaller = (await fabric.evaluate(
      people.hospitalAdmin,
      contracts.audit,
      'ListAccessByCaller',
      accountOf(people.practitioner2),
      '',
      '',
      '',
      '',
    )) as { records: AccessRecord[] };
    expect(byCaller.records.map((record) => record.accessId)).toEqual([records[1].accessId, records[3].accessId]);
    const byTime = (await fabric.evaluate(
      people.regulator,
      contracts.audit,
      'ListAccessByTime',
      records[1].timestamp,
      records[3].timestamp,
      '',
      '',
    )) as { records: AccessRecord[] };
    expect(byTime.records.map((record) => record.accessId)).toEqual([records[1].accessId, records[2].accessId]);
  });

  it('lists access records by licensee org, purchases by offering and royalty payments by beneficiary', async () => {
    const { fabric, offeringId, records } = await withAccesses(3);
    const byOrg = (await fabric.evaluate(people.hospitalAdmin, contracts.audit, 'ListAccessByOrg', 'HospitalMSP', '', '', '', '')) as {
      records: unknown[];
    };
    expect(byOrg.records).toHaveLength(3);
    const purchases = (await fabric.evaluate(people.labAdmin, contracts.audit, 'ListPurchasesByOffering', offeringId, '', '', '', '')) as {
      records: PurchaseRecord[];
    };
    expect(purchases.records.map((purchase) => purchase.units)).toEqual(['100']);
    const payments = (await fabric.evaluate(people.regulator, contracts.audit, 'ListRoyaltyPayments', DATA_PROVIDER, '', '', '', '')) as {
      records: { amount: string; accessId: string }[];
    };
    expect(payments.records.map((row) => [row.amount, row.accessId])).toEqual(records.map((record) => ['3', record.accessId]));
  });

  it('shows a member only what concerns its org and a regulator everything', async () => {
    const { fabric, modelId } = await withAccesses(1);
    await expect(fabric.evaluate(people.hospitalAdmin, contracts.audit, 'ListAccessByModel', modelId, '', '', '', '')).rejects.toThrow(
      /^FORBIDDEN: HospitalMSP may not read the accesses of model/,
    );
    await expect(fabric.evaluate(people.labAdmin, contracts.audit, 'ListAccessByTime', '', '', '', '')).rejects.toThrow(/^FORBIDDEN: /);
    await expect(fabric.evaluate(people.labAdmin, contracts.audit, 'ListAccessByOrg', 'HospitalMSP', '', '', '', '')).rejects.toThrow(
      /^FORBIDDEN: /,
    );
  });

  it('returns the history of an asset with transaction ids', async () => {
    const { fabric, offeringId } = await withAccesses(0);
    await fabric.submit(people.labAdmin, contracts.offerings, 'PauseOffering', offeringId);
    const history = (await fabric.evaluate(people.regulator, contracts.audit, 'GetAssetHistory', 'offering', offeringId, '', '')) as {
      records: { txId: string; value: { status: string } }[];
      bookmark: string;
    };
    expect(history.records.map((entry) => entry.value.status)).toEqual(['active', 'paused']);
    expect(history.records.every((entry) => /^[0-9a-f]{64}$/.test(entry.txId))).toBe(true);
    expect(history.bookmark).toBe('');
  });

  it('pages through a long history oldest first, and refuses a bookmark it did not make', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    for (let i = 0; i < 5; i += 1) {
      await buy(fabric, offeringId, '1');
    }
    const page = (bookmark: string): Promise<{ records: { value: { amount: string } }[]; bookmark: string }> =>
      fabric.evaluate(people.regulator, contracts.token, 'GetBalanceHistory', HOSPITAL, '2', bookmark) as Promise<{
        records: { value: { amount: string } }[];
        bookmark: string;
      }>;
    const amounts: string[] = [];
    let bookmark = '';
    let pages = 0;
    do {
      const next = await page(bookmark);
      expect(next.records.length).toBeLessThanOrEqual(2);
      amounts.push(...next.records.map((entry) => entry.value.amount));
      bookmark = next.bookmark;
      pages += 1;
    } while (bookmark !== '');
    // The mint, then one debit per purchase of 10.
    expect(amounts).toEqual(['100000', '99990', '99980', '99970', '99960', '99950']);
    expect(pages).toBe(3);
    await expect(page('-1')).rejects.toThrow(/^INVALID_ARGUMENT: bookmark /);
    await expect(page('x')).rejects.toThrow(/^INVALID_ARGUMENT: bookmark /);
  });
});
