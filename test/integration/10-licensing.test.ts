/**
 * The licensing story on the real network, through the Fabric Gateway client:
 * the lab registers a model and publishes offerings, the settlement agent mints
 * the payment token to the hospital, the hospital buys units, practitioners use
 * them, royalties reach the beneficiaries, and the regulator audits read-only.
 * Every refusal is checked to leave no trace.
 */
import { Client, connectAs, loadPlan, Plan } from '../support/network';
import { evaluate, Json, rejection, sha256, sleep, submit } from '../support/ledger';

describe('licensing a model on the consortium', () => {
  let plan: Plan;
  const clients: Client[] = [];
  const as = (org: string, user: string): Client => {
    const client = connectAs(plan, org, user);
    clients.push(client);
    return client;
  };
  let lab: Client;
  let engineer: Client;
  let issuer: Client;
  let hospital: Client;
  let practitioner: Client;
  let practitioner2: Client;
  let clerk: Client;
  let auditor: Client;

  const run = `${process.pid}-${Date.now()}`;
  let modelId: string;
  let meteredOfferingId: string;
  let licenseId: string;
  /** The lot the first access of the licence drew its unit from. */
  let firstLot: number;
  let engineerAccount: string;
  const unitPrice = 1_000n;

  beforeAll(async () => {
    plan = loadPlan();
    lab = as('lab', 'admin');
    engineer = as('lab', 'engineer1');
    issuer = as('clearing', 'issuer1');
    hospital = as('hospital', 'admin');
    practitioner = as('hospital', 'practitioner1');
    practitioner2 = as('hospital', 'practitioner2');
    clerk = as('hospital', 'clerk1');
    auditor = as('regulator', 'auditor1');
    engineerAccount = (await evaluate(engineer.contract('TokenContract'), 'WhoAmI')).account as string;
  });

  afterAll(() => {
    for (const client of clients) client.close();
  });

  const accrued = async (account: string): Promise<bigint> =>
    BigInt((await evaluate(auditor.contract('RoyaltyContract'), 'GetAccruedRoyalties', account)).unclaimed as string);
  const balance = async (account: string): Promise<bigint> =>
    BigInt((await evaluate(auditor.contract('TokenContract'), 'GetBalance', account)).amount as string);
  const remaining = async (id: string): Promise<string> =>
    (await evaluate(auditor.contract('LicenseContract'), 'GetLicense', id)).remainingUnits as string;
  const accessCount = async (id: string): Promise<number> =>
    ((await evaluate(auditor.contract('AuditContract'), 'ListAccessByLicense', id, '', '', '100', '')).records as unknown[]).length;

  it('lets the lab register a model with its royalty policy', async () => {
    const model = await submit(
      lab.contract('ModelContract'),
      'RegisterModel',
      `breast-cancer-screen-${run}`,
      'Logistic classifier over the Wisconsin diagnostic features',
      'tabular-classification',
      'Decision support for certified practitioners; not a diagnosis on its own',
      '1',
      sha256(`artifact-${run}`),
      'https://models.lab.example/bcs/1.onnx',
      'https://serving.lab.example/v2/models/bcs',
      JSON.stringify({
        beneficiaries: [
          { account: 'org::LabMSP', shareBps: 7000 },
          { account: engineerAccount, shareBps: 3000 },
        ],
        resaleRoyaltyBps: 500,
      }),
    );
    modelId = model.modelId as string;
    expect(modelId).toMatch(/^M-/);
    expect(model.ownerMspId).toBe('LabMSP');
    const read = await evaluate(auditor.contract('ModelContract'), 'GetModel', modelId);
    expect((read.model as Json).activeVersion).toBe('1');
  });

  it('lets the lab publish a metered offering for practitioners', async () => {
    const published = await submit(
      lab.contract('OfferingContract'),
      'PublishOffering',
      modelId,
      JSON.stringify({
        kind: 'metered',
        unitPrice: unitPrice.toString(),
        supplyCap: '100',
        transferable: true,
        requiredAttributes: { role: 'practitioner' },
        allowedMspIds: ['HospitalMSP'],
        purposes: ['clinical-diagnosis', 'research'],
      }),
    );
    meteredOfferingId = (published.offering as Json).offeringId as string;
    expect(meteredOfferingId).toMatch(/^O-/);
  });

  it('lets the settlement agent mint the payment token to the hospital, and nobody else', async () => {
    const before = await balance('org::HospitalMSP');
    await submit(issuer.contract('TokenContract'), 'Mint', 'org::HospitalMSP', '50000', '');
    expect(await balance('org::HospitalMSP')).toBe(before + 50_000n);

    expect(await rejection(() => hospital.contract('TokenContract').submitTransaction('Mint', 'org::HospitalMSP', '1', ''))).toMatch(/FORBIDDEN/);
    expect(await balance('org::HospitalMSP')).toBe(before + 50_000n);
  });

  it('moves the price of purchased units into escrow', async () => {
    const before = await balance('org::HospitalMSP');
    const purchase = await submit(hospital.contract('LicenseContract'), 'PurchaseLicense', meteredOfferingId, '10', 'org', `buy-${run}`);
    licenseId = purchase.licenseId as string;
    expect(purchase.price).toBe((10n * unitPrice).toString());
    expect(await balance('org::HospitalMSP')).toBe(before - 10n * unitPrice);
    const license = await evaluate(auditor.contract('LicenseContract'), 'GetLicense', licenseId);
    expect(license.remainingUnits).toBe('10');
    expect(license.escrow).toBe((10n * unitPrice).toString());

    // A retry with the same request id returns the first purchase and charges nothing.
    const retry = await submit(hospital.contract('LicenseContract'), 'PurchaseLicense', meteredOfferingId, '10', 'org', `buy-${run}`);
    expect(retry.licenseId).toBe(licenseId);
    expect(await balance('org::HospitalMSP')).toBe(before - 10n * unitPrice);
  });

  it('records a practitioner\u2019s access and pays the beneficiaries exactly the unit price', async () => {
    const labBefore = await accrued('org::LabMSP');
    const engineerBefore = await accrued(engineerAccount);
    const requestHash = sha256(`request-${run}`);

    const receipt = await submit(practitioner.contract('LicenseContract'), 'RecordAccess', licenseId, '1', 'clinical-diagnosis', requestHash, '', '', '');

    expect(receipt.licenseId).toBe(licenseId);
    expect(receipt.requestHash).toBe(requestHash);
    firstLot = (receipt.lots as Json[])[0].index as number;
    expect(receipt.callerMspId).toBe('HospitalMSP');
    expect(await remaining(licenseId)).toBe('9');
    const labGain = (await accrued('org::LabMSP')) - labBefore;
    const engineerGain = (await accrued(engineerAccount)) - engineerBefore;
    expect(labGain).toBe(700n);
    expect(engineerGain).toBe(300n);
    expect(labGain + engineerGain).toBe(unitPrice);

    const access = await evaluate(auditor.contract('LicenseContract'), 'GetAccessRecord', receipt.accessId as string);
    expect(access.modelId).toBe(modelId);
    expect(access.purpose).toBe('clinical-diagnosis');
    expect(access.txId).toBe(receipt.accessId);
  });

  it('commits concurrent accesses by two practitioners on one licence', async () => {
    const hashes = [0, 1, 2, 3].map((i) => sha256(`concurrent-${run}-${i}`));
    // Ten lots of one unit each; the first access emptied one of them. Distinct full lots, as a
    // gateway's round-robin hints give, never conflict: none of the four has to walk on to another lot.
    const fullLots = Array.from({ length: 10 }, (_, i) => i).filter((i) => i !== firstLot);
    const hints = [fullLots[0], fullLots[2], fullLots[4], fullLots[6]];
    const results = await Promise.allSettled(
      hashes.map((hash, i) =>
        submit((i % 2 === 0 ? practitioner : practitioner2).contract('LicenseContract'), 'RecordAccess', licenseId, '1', 'research', hash, String(hints[i]), '', ''),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(await remaining(licenseId)).toBe('5');
    expect(await accessCount(licenseId)).toBe(5);
  });

  describe('refusals that leave no trace', () => {
    const unchanged = async (call: () => Promise<unknown>, code: RegExp): Promise<void> => {
      const before = [await remaining(licenseId), await accessCount(licenseId), await accrued('org::LabMSP')];
      expect(await rejection(call)).toMatch(code);
      expect([await remaining(licenseId), await accessCount(licenseId), await accrued('org::LabMSP')]).toEqual(before);
    };

    it('refuses a hospital member without the practitioner attribute', async () => {
      await unchanged(
        () => clerk.contract('LicenseContract').submitTransaction('RecordAccess', licenseId, '1', 'research', sha256(`clerk-${run}`), '', '', ''),
        /FORBIDDEN/,
      );
    });

    it('refuses a purpose the licence does not permit', async () => {
      await unchanged(
        () => practitioner.contract('LicenseContract').submitTransaction('RecordAccess', licenseId, '1', 'marketing', sha256(`purpose-${run}`), '', '', ''),
        /PURPOSE_NOT_PERMITTED/,
      );
    });

    it('refuses more units than the licence has left', async () => {
      await unchanged(
        () => practitioner.contract('LicenseContract').submitTransaction('RecordAccess', licenseId, '6', 'research', sha256(`exhausted-${run}`), '', '', ''),
        /INSUFFICIENT_UNITS/,
      );
    });

    it('refuses a malformed request hash, naming the field', async () => {
      await unchanged(
        () => practitioner.contract('LicenseContract').submitTransaction('RecordAccess', licenseId, '1', 'research', 'not-a-hash', '', '', ''),
        /INVALID_ARGUMENT.*requestHash/,
      );
    });

    it('refuses a transaction the contract does not have with a stable code', async () => {
      await unchanged(
        () => practitioner.contract('LicenseContract').submitTransaction('NoSuchTransaction', licenseId),
        /NOT_FOUND: LicenseContract has no transaction NoSuchTransaction/,
      );
    });

    it('refuses every write from the regulator', async () => {
      await unchanged(
        () => auditor.contract('LicenseContract').submitTransaction('RecordAccess', licenseId, '1', 'research', sha256(`regulator-${run}`), '', '', ''),
        /FORBIDDEN/,
      );
      expect(await rejection(() => auditor.contract('TokenContract').submitTransaction('Mint', 'org::RegulatorMSP', '1', ''))).toMatch(/FORBIDDEN/);
      expect(await rejection(() => auditor.contract('ModelContract').submitTransaction('SetActiveVersion', modelId, '1'))).toMatch(/FORBIDDEN/);
    });

    it('refuses an expired term licence', async () => {
      const published = await submit(
        lab.contract('OfferingContract'),
        'PublishOffering',
        modelId,
        JSON.stringify({ kind: 'term', termSeconds: 2, unitPrice: '10', supplyCap: '10', purposes: ['research'], requiredAttributes: { role: 'practitioner' } }),
      );
      const termOffering = (published.offering as Json).offeringId as string;
      const purchase = await submit(hospital.contract('LicenseContract'), 'PurchaseLicense', termOffering, '3', 'org', '');
      const termLicense = purchase.licenseId as string;
      await sleep(3500);
      const before = await remaining(termLicense);
      expect(
        await rejection(
          () => practitioner.contract('LicenseContract').submitTransaction('RecordAccess', termLicense, '1', 'research', sha256(`expired-${run}`), '', '', ''),
        ),
      ).toMatch(/LICENSE_EXPIRED/);
      expect(await remaining(termLicense)).toBe(before);
    });
  });

  it('lets the regulator audit every access of the model', async () => {
    const page = await evaluate(auditor.contract('AuditContract'), 'ListAccessByModel', modelId, '', '', '50', '');
    const records = page.records as Json[];
    expect(records).toHaveLength(5);
    expect(records.every((r) => r.modelId === modelId && r.licenseId === licenseId)).toBe(true);
    const purchases = await evaluate(auditor.contract('AuditContract'), 'ListPurchasesByOffering', meteredOfferingId, '', '', '50', '');
    expect((purchases.records as Json[]).map((r) => r.licenseId)).toEqual([licenseId]);
    const history = await evaluate(auditor.contract('AuditContract'), 'GetAssetHistory', 'model', modelId, '', '');
    expect((history.records as Json[]).length).toBeGreaterThan(0);
    expect((history.records as Json[])[0].txId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lets the lab claim its royalties into its balance', async () => {
    await sleep(6000); // accruals become claimable after the settlement lag (5 s)
    const unclaimed = await accrued('org::LabMSP');
    const before = await balance('org::LabMSP');
    expect(unclaimed).toBeGreaterThanOrEqual(5n * 700n);
    const claim = await submit(lab.contract('RoyaltyContract'), 'ClaimRoyalties', 'org', '');
    expect(BigInt(claim.amount as string)).toBe(unclaimed);
    expect(await balance('org::LabMSP')).toBe(before + unclaimed);
    expect(await accrued('org::LabMSP')).toBe(0n);
  });

  it('keeps the payment token\u2019s supply equal to balances, escrow and unclaimed royalties for this story', async () => {
    // The hospital paid 10 units into escrow; 5 were used and paid out as royalties.
    const license = await evaluate(auditor.contract('LicenseContract'), 'GetLicense', licenseId);
    expect(license.escrow).toBe((5n * unitPrice).toString());
    expect(license.consumedUnits).toBe('5');
  });
});
