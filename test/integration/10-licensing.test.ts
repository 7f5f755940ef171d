/**
 * The licensing story on the real network, through the Fabric Gateway client:
 * the lab registers a model and publishes offerings, the settlement agent mints
 * the payment token to the hospital, the hospital buys units, practitioners use
 * them, royalties reach the beneficiaries, and the regulator audits read-only.
 * Every refusal is checked to leave no trace.
 */
import { ContractName } from '@model-ledger/contract';
import { Client, Connections } from '../support/network';
import { ledgerReads, rejection, sha256, sleep } from '../support/ledger';
import { labModel, meteredOffering } from '../support/story';

describe('licensing a model on the consortium', () => {
  const connections = new Connections();
  const as = connections.as;
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
    lab = as('lab', 'admin');
    engineer = as('lab', 'engineer1');
    issuer = as('clearing', 'issuer1');
    hospital = as('hospital', 'admin');
    practitioner = as('hospital', 'practitioner1');
    practitioner2 = as('hospital', 'practitioner2');
    clerk = as('hospital', 'clerk1');
    auditor = as('regulator', 'auditor1');
    engineerAccount = (await engineer.ledger.token.whoAmI()).account;
  });

  afterAll(() => {
    connections.closeAll();
  });

  const { accrued, balance, remaining } = ledgerReads(() => auditor);
  const accessCount = async (id: string): Promise<number> =>
    (await auditor.ledger.audit.listAccessBy('license', id, {}, { pageSize: 100 })).records.length;

  it('lets the lab register a model with its royalty policy', async () => {
    const { data: model } = await lab.ledger.model.registerModel(
      labModel({
        slug: 'breast-cancer-screen',
        description: 'Logistic classifier over the Wisconsin diagnostic features',
        run,
        engineerAccount,
      }),
    );
    modelId = model.modelId;
    expect(modelId).toMatch(/^M-/);
    expect(model.ownerMspId).toBe('LabMSP');
    const read = await auditor.ledger.model.getModel(modelId);
    expect(read.model.activeVersion).toBe('1');
  });

  it('lets the lab publish a metered offering for practitioners', async () => {
    const published = await lab.ledger.offering.publishOffering(modelId, meteredOffering({ unitPrice, allowedMspIds: ['HospitalMSP'] }));
    meteredOfferingId = published.data.offering.offeringId;
    expect(meteredOfferingId).toMatch(/^O-/);
  });

  it('lets the settlement agent mint the payment token to the hospital, and nobody else', async () => {
    const before = await balance('org::HospitalMSP');
    await issuer.ledger.token.mint({ to: 'org::HospitalMSP', amount: '50000' });
    expect(await balance('org::HospitalMSP')).toBe(before + 50_000n);

    expect(await rejection(() => hospital.ledger.token.mint({ to: 'org::HospitalMSP', amount: '1' }))).toMatch(/FORBIDDEN/);
    expect(await balance('org::HospitalMSP')).toBe(before + 50_000n);
  });

  it('moves the price of purchased units into escrow', async () => {
    const before = await balance('org::HospitalMSP');
    const { data: purchase } = await hospital.ledger.license.purchaseLicense({
      offeringId: meteredOfferingId,
      units: '10',
      payer: 'org',
      requestId: `buy-${run}`,
    });
    licenseId = purchase.licenseId;
    expect(purchase.price).toBe((10n * unitPrice).toString());
    expect(await balance('org::HospitalMSP')).toBe(before - 10n * unitPrice);
    const license = await auditor.ledger.license.getLicense(licenseId);
    expect(license.remainingUnits).toBe('10');
    expect(license.escrow).toBe((10n * unitPrice).toString());

    // A retry with the same request id returns the first purchase and charges nothing.
    const { data: retry } = await hospital.ledger.license.purchaseLicense({
      offeringId: meteredOfferingId,
      units: '10',
      payer: 'org',
      requestId: `buy-${run}`,
    });
    expect(retry.licenseId).toBe(licenseId);
    expect(await balance('org::HospitalMSP')).toBe(before - 10n * unitPrice);
  });

  it('records a practitioner\u2019s access and pays the beneficiaries exactly the unit price', async () => {
    const labBefore = await accrued('org::LabMSP');
    const engineerBefore = await accrued(engineerAccount);
    const requestHash = sha256(`request-${run}`);

    const { data: receipt } = await practitioner.ledger.license.recordAccess({
      licenseId,
      units: '1',
      purpose: 'clinical-diagnosis',
      requestHash,
    });

    expect(receipt.licenseId).toBe(licenseId);
    expect(receipt.requestHash).toBe(requestHash);
    firstLot = receipt.lots[0].index;
    expect(receipt.callerMspId).toBe('HospitalMSP');
    expect(await remaining(licenseId)).toBe('9');
    const labGain = (await accrued('org::LabMSP')) - labBefore;
    const engineerGain = (await accrued(engineerAccount)) - engineerBefore;
    expect(labGain).toBe(700n);
    expect(engineerGain).toBe(300n);
    expect(labGain + engineerGain).toBe(unitPrice);

    const access = await auditor.ledger.license.getAccessRecord(receipt.accessId);
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
        (i % 2 === 0 ? practitioner : practitioner2).ledger.license.recordAccess({
          licenseId,
          units: '1',
          purpose: 'research',
          requestHash: hash,
          lotHint: hints[i],
        }),
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
        () => clerk.ledger.license.recordAccess({ licenseId, units: '1', purpose: 'research', requestHash: sha256(`clerk-${run}`) }),
        /FORBIDDEN/,
      );
    });

    it('refuses a purpose the licence does not permit', async () => {
      await unchanged(
        () =>
          practitioner.ledger.license.recordAccess({ licenseId, units: '1', purpose: 'marketing', requestHash: sha256(`purpose-${run}`) }),
        /PURPOSE_NOT_PERMITTED/,
      );
    });

    it('refuses more units than the licence has left', async () => {
      await unchanged(
        () =>
          practitioner.ledger.license.recordAccess({ licenseId, units: '6', purpose: 'research', requestHash: sha256(`exhausted-${run}`) }),
        /INSUFFICIENT_UNITS/,
      );
    });

    it('refuses a malformed request hash, naming the field', async () => {
      await unchanged(
        () => practitioner.ledger.license.recordAccess({ licenseId, units: '1', purpose: 'research', requestHash: 'not-a-hash' }),
        /INVALID_ARGUMENT.*requestHash/,
      );
    });

    it('refuses a transaction the contract does not have with a stable code', async () => {
      // No typed client has it, so the call goes to the same transport by hand.
      await unchanged(
        () => practitioner.ledger.transport.submit({ contract: ContractName.license, transaction: 'NoSuchTransaction', args: [licenseId] }),
        new RegExp(`NOT_FOUND: ${ContractName.license} has no transaction NoSuchTransaction`),
      );
    });

    it('refuses every write from the regulator', async () => {
      await unchanged(
        () => auditor.ledger.license.recordAccess({ licenseId, units: '1', purpose: 'research', requestHash: sha256(`regulator-${run}`) }),
        /FORBIDDEN/,
      );
      expect(await rejection(() => auditor.ledger.token.mint({ to: 'org::RegulatorMSP', amount: '1' }))).toMatch(/FORBIDDEN/);
      expect(await rejection(() => auditor.ledger.model.setActiveVersion(modelId, '1'))).toMatch(/FORBIDDEN/);
    });

    it('refuses an expired term licence', async () => {
      const published = await lab.ledger.offering.publishOffering(modelId, {
        kind: 'term',
        termSeconds: 2,
        unitPrice: '10',
        supplyCap: '10',
        purposes: ['research'],
        requiredAttributes: { role: 'practitioner' },
      });
      const termOffering = published.data.offering.offeringId;
      const purchase = await hospital.ledger.license.purchaseLicense({ offeringId: termOffering, units: '3', payer: 'org' });
      const termLicense = purchase.data.licenseId;
      await sleep(3500);
      const before = await remaining(termLicense);
      expect(
        await rejection(() =>
          practitioner.ledger.license.recordAccess({
            licenseId: termLicense,
            units: '1',
            purpose: 'research',
            requestHash: sha256(`expired-${run}`),
          }),
        ),
      ).toMatch(/LICENSE_EXPIRED/);
      expect(await remaining(termLicense)).toBe(before);
    });
  });

  it('lets the regulator audit every access of the model', async () => {
    const page = await auditor.ledger.audit.listAccessBy('model', modelId, {}, { pageSize: 50 });
    const records = page.records;
    expect(records).toHaveLength(5);
    expect(records.every((r) => r.modelId === modelId && r.licenseId === licenseId)).toBe(true);
    const purchases = await auditor.ledger.audit.listPurchasesByOffering(meteredOfferingId, {}, { pageSize: 50 });
    expect(purchases.records.map((r) => r.licenseId)).toEqual([licenseId]);
    // A page of 20, the chaincode's default page size (the typed client always names the size).
    const history = await auditor.ledger.audit.getAssetHistory('model', modelId, { pageSize: 20 });
    expect(history.records.length).toBeGreaterThan(0);
    expect(history.records[0].txId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lets the lab claim its royalties into its balance', async () => {
    await sleep(6000); // accruals become claimable after the settlement lag (5 s)
    const unclaimed = await accrued('org::LabMSP');
    const before = await balance('org::LabMSP');
    expect(unclaimed).toBeGreaterThanOrEqual(5n * 700n);
    const { data: claim } = await lab.ledger.royalty.claimRoyalties('org');
    expect(BigInt(claim.amount)).toBe(unclaimed);
    expect(await balance('org::LabMSP')).toBe(before + unclaimed);
    expect(await accrued('org::LabMSP')).toBe(0n);
  });

  it('keeps the payment token\u2019s supply equal to balances, escrow and unclaimed royalties for this story', async () => {
    // The hospital paid 10 units into escrow; 5 were used and paid out as royalties.
    const license = await auditor.ledger.license.getLicense(licenseId);
    expect(license.escrow).toBe((5n * unitPrice).toString());
    expect(license.consumedUnits).toBe('5');
  });
});
