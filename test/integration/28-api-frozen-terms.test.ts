/**
 * Terms that a later change cannot reach, through the gateway API only, on
 * the real network: the resale royalty rate frozen on a licence when it is
 * bought, and a lineage that a child model cannot cut without the parent
 * owner's consent. Every response is validated against the spec; every
 * refusal is checked to leave the ledger as it was.
 */
import { allPages, ApiCaller, ApiFleet, apiReads, expectError, expectStatus, Json, startApiFleet } from '../support/api';
import { sha256, sleep } from '../support/ledger';

describe('frozen terms through the gateway API', () => {
  let api: ApiFleet;
  let labAdmin: ApiCaller;
  let labEngineer: ApiCaller;
  let issuer: ApiCaller;
  let hospitalAdmin: ApiCaller;
  let clinicAdmin: ApiCaller;
  let auditor: ApiCaller;

  const run = `${process.pid}-${Date.now()}`;
  let labAdminAccount: string;
  let clinicAdminAccount: string;

  const model = async (id: string): Promise<Json> => expectStatus(await auditor.get(`/v1/models/${id}`), 200);
  const { license, balance } = apiReads(() => auditor);
  /**
   * The royalty rows an account got from one transaction on one model, read
   * by the regulator once its own peer holds that transaction: a write's
   * answer means the writer's peer committed it, and another org's peer may
   * commit the block some milliseconds later.
   */
  const paymentsOf = async (account: string, modelId: string, txId: string): Promise<Json[]> => {
    for (let i = 0; i < 100 && (await auditor.get(`/v1/transactions/${txId}`)).status === 404; i++) await sleep(50);
    return (await allPages(auditor, `/v1/accounts/${account}/royalty-payments?modelId=${modelId}`)).filter((row) => row.txId === txId);
  };

  const register = async (caller: ApiCaller, name: string, royaltyPolicy: object): Promise<string> =>
    expectStatus(
      await caller.post('/v1/models', {
        name: `${name}-${run}`,
        description: 'Frozen-terms test model',
        task: 'tabular-classification',
        intendedUse: 'Decision support for certified practitioners',
        version: '1',
        artifactSha256: sha256(`${name}-${run}`),
        artifactUri: `https://models.example/${name}/1.onnx`,
        inferenceEndpoint: `https://serving.example/v2/models/${name}`,
        royaltyPolicy,
      }),
      201,
    ).data.modelId;

  beforeAll(async () => {
    api = await startApiFleet();
    labAdmin = api.as('lab', 'admin');
    labEngineer = api.as('lab', 'engineer1');
    issuer = api.as('clearing', 'issuer1');
    hospitalAdmin = api.as('hospital', 'admin');
    clinicAdmin = api.as('clinic', 'admin');
    auditor = api.as('regulator', 'auditor1');
    labAdminAccount = expectStatus(await labAdmin.get('/v1/me'), 200).account;
    clinicAdminAccount = expectStatus(await clinicAdmin.get('/v1/me'), 200).account;
  });

  afterAll(async () => {
    await api?.stop();
  });

  describe('the resale royalty rate frozen at purchase', () => {
    let modelId: string;
    let offeringId: string;
    let earlyLicense: string; // bought at 10 %
    let lateLicense: string; // bought at 100 %

    beforeAll(async () => {
      modelId = await register(labAdmin, 'frozen-resale', {
        beneficiaries: [{ account: 'org::LabMSP', shareBps: 10000 }],
        resaleRoyaltyBps: 1000,
      });
      offeringId = expectStatus(
        await labAdmin.post('/v1/offerings', {
          modelId,
          kind: 'metered',
          unitPrice: '1000',
          supplyCap: '100',
          transferable: true,
          allowedMspIds: ['HospitalMSP', 'ClinicMSP'],
          purposes: ['research'],
        }),
        201,
      ).data.offering.offeringId;
      expectStatus(await issuer.post('/v1/token/mints', { to: 'org::HospitalMSP', amount: '20000' }), 201);
      expectStatus(await issuer.post('/v1/token/mints', { to: clinicAdminAccount, amount: '20000' }), 201);
    });

    it('freezes the model\u2019s resale rate on a licence when it is bought', async () => {
      earlyLicense = expectStatus(await hospitalAdmin.post('/v1/purchases', { offeringId, units: '5', payer: 'org' }), 201).data.licenseId;
      expect((await license(earlyLicense)).license).toMatchObject({
        licenseId: earlyLicense,
        holder: 'org::HospitalMSP',
        resaleRoyaltyBps: 1000,
      });
    });

    it('lets the owner raise the model\u2019s resale rate to 100 %, and leaves the licence already sold at 10 %', async () => {
      const body = expectStatus(
        await labAdmin.put(`/v1/models/${modelId}/royalty-policy`, {
          beneficiaries: [{ account: 'org::LabMSP', shareBps: 10000 }],
          resaleRoyaltyBps: 10000,
        }),
        200,
      );
      expect(body.data.royaltyPolicy).toEqual({
        beneficiaries: [{ account: 'org::LabMSP', shareBps: 10000 }],
        parents: [],
        resaleRoyaltyBps: 10000,
      });
      expect(body.transaction.id).toBe(body.data.txId);
      expect(expectStatus(await auditor.get(`/v1/models/${modelId}/royalty-policy`), 200).resaleRoyaltyBps).toBe(10000);
      expect((await license(earlyLicense)).license.resaleRoyaltyBps).toBe(1000);
    });

    it('charges a resale of the early units the frozen 10 %, gives the seller the rest, and carries the rate to the buyer\u2019s licence', async () => {
      const listed = expectStatus(
        await hospitalAdmin.post('/v1/listings', { licenseId: earlyLicense, units: '3', askUnitPrice: '1200' }),
        201,
      );
      const listingId = listed.data.listingId;
      expect(listed.data.items).toMatchObject([{ licenseId: earlyLicense, units: '3', resaleRoyaltyBps: 1000 }]);
      expect(expectStatus(await auditor.get(`/v1/listings/${listingId}`), 200).items[0].resaleRoyaltyBps).toBe(1000);

      const before = await balance(clinicAdminAccount);
      const body = expectStatus(await clinicAdmin.post(`/v1/listings/${listingId}/trades`, { units: '2', payer: 'self' }), 201);
      const txId = body.transaction.id as string;
      // 2 × 1200 = 2400; royalty 10 % of max(2400, escrow 2000) = 240, all to the lab; the seller gets 2160.
      expect(body.data).toMatchObject({
        docType: 'trade',
        listingId,
        seller: 'org::HospitalMSP',
        buyer: clinicAdminAccount,
        price: '2400',
        royalty: '240',
        proceeds: '2160',
      });
      expect(body.data.items).toMatchObject([
        { fromLicenseId: earlyLicense, units: '2', escrow: '2000', royaltyBase: '2400', resaleRoyaltyBps: 1000, royalty: '240' },
      ]);
      expect(body.data.royalties).toEqual([{ account: 'org::LabMSP', amount: '240', modelId, depth: 0 }]);

      expect(await balance(clinicAdminAccount)).toBe(before - 2400n);
      expect((await paymentsOf('org::LabMSP', modelId, txId)).map((p) => [p.kind, p.amount])).toEqual([['resaleRoyalty', '240']]);
      expect((await paymentsOf('org::HospitalMSP', modelId, txId)).map((p) => [p.kind, p.amount])).toEqual([['saleProceeds', '2160']]);
      const bought = await license(body.data.items[0].toLicenseId);
      expect(bought).toMatchObject({
        license: { holder: clinicAdminAccount, offeringId, resaleRoyaltyBps: 1000 },
        remainingUnits: '2',
        escrow: '2000',
      });
      expect(expectStatus(await auditor.get(`/v1/listings/${listingId}`), 200).items[0]).toMatchObject({
        remaining: '1',
        resaleRoyaltyBps: 1000,
      });
    });

    it('freezes the new rate on a licence bought after the change, and charges its resale 100 %', async () => {
      lateLicense = expectStatus(await hospitalAdmin.post('/v1/purchases', { offeringId, units: '2', payer: 'org' }), 201).data.licenseId;
      expect((await license(lateLicense)).license).toMatchObject({ holder: 'org::HospitalMSP', resaleRoyaltyBps: 10000 });

      const listed = expectStatus(
        await hospitalAdmin.post('/v1/listings', { licenseId: lateLicense, units: '1', askUnitPrice: '1000' }),
        201,
      );
      expect(listed.data.items).toMatchObject([{ licenseId: lateLicense, resaleRoyaltyBps: 10000 }]);
      const body = expectStatus(await clinicAdmin.post(`/v1/listings/${listed.data.listingId}/trades`, { payer: 'self' }), 201);
      const txId = body.transaction.id as string;
      expect(body.data).toMatchObject({ price: '1000', royalty: '1000', proceeds: '0' });
      expect(body.data.items).toMatchObject([{ fromLicenseId: lateLicense, resaleRoyaltyBps: 10000, royalty: '1000' }]);
      expect((await paymentsOf('org::LabMSP', modelId, txId)).map((p) => [p.kind, p.amount])).toEqual([['resaleRoyalty', '1000']]);
      expect(await paymentsOf('org::HospitalMSP', modelId, txId)).toEqual([]);
      expect((await license(body.data.items[0].toLicenseId)).license.resaleRoyaltyBps).toBe(10000);
    });

    it('refuses an ask on the late licence that does not cover its 100 % royalty, and lists nothing', async () => {
      expectError(
        await hospitalAdmin.post('/v1/listings', { licenseId: lateLicense, units: '1', askUnitPrice: '999' }),
        409,
        'ASK_BELOW_ROYALTY',
      );
      expect(await license(lateLicense)).toMatchObject({ remainingUnits: '1', movedUnits: '1' });
    });
  });

  describe('a lineage cut needs the parent owner\u2019s consent', () => {
    let parentId: string;
    let childId: string;
    const childPolicy = (shareBps?: number): object => ({
      beneficiaries: [{ account: 'org::HospitalMSP', shareBps: 10000 }],
      ...(shareBps === undefined ? {} : { parents: [{ modelId: parentId, shareBps }] }),
      resaleRoyaltyBps: 500,
    });

    beforeAll(async () => {
      parentId = await register(labAdmin, 'lineage-parent', { beneficiaries: [{ account: 'org::LabMSP', shareBps: 10000 }] });
      childId = await register(hospitalAdmin, 'lineage-child', childPolicy(2000));
      expect((await model(childId)).model).toMatchObject({
        ownerMspId: 'HospitalMSP',
        royaltyPolicy: { parents: [{ modelId: parentId, shareBps: 2000 }] },
      });
    });

    it('refuses with 409 LINEAGE_CONSENT_REQUIRED the child owner\u2019s policy that drops the parent, or pays it less, and changes nothing', async () => {
      const before = await model(childId);
      const dropped = expectError(
        await hospitalAdmin.put(`/v1/models/${childId}/royalty-policy`, childPolicy()),
        409,
        'LINEAGE_CONSENT_REQUIRED',
      );
      expect(dropped.message).toContain(parentId);
      expectError(await hospitalAdmin.put(`/v1/models/${childId}/royalty-policy`, childPolicy(1000)), 409, 'LINEAGE_CONSENT_REQUIRED');
      expect(await model(childId)).toEqual(before);
      expect(expectStatus(await auditor.get(`/v1/models/${childId}/royalty-policy`), 200).parents).toEqual([
        { modelId: parentId, shareBps: 2000 },
      ]);
    });

    it('refuses a proposal that would cut the parent with 409 LINEAGE_CONSENT_REQUIRED, and records none', async () => {
      const { governancePolicy } = expectStatus(await auditor.get(`/v1/models/${childId}/governance-policy`), 200);
      expectError(
        await hospitalAdmin.post('/v1/proposals', {
          modelId: childId,
          change: { kind: 'setRoyaltyPolicy', royaltyPolicy: childPolicy() },
          description: 'Stop paying the base model',
          votingSeconds: governancePolicy.minVotingSeconds,
          proposer: 'self',
        }),
        409,
        'LINEAGE_CONSENT_REQUIRED',
      );
      expect(expectStatus(await auditor.get(`/v1/models/${childId}/proposals`), 200).items).toEqual([]);
    });

    it('answers 403 to a consent from anyone but an admin of the parent\u2019s owner, and consents to nothing', async () => {
      const before = await model(childId);
      // The child's owner cannot consent for the parent, nor can a third org; the chaincode refuses both.
      for (const caller of [hospitalAdmin, clinicAdmin]) {
        const error = expectError(
          await caller.post(`/v1/models/${childId}/lineage-consents`, { parentModelId: parentId, shareBps: 0 }),
          403,
          'FORBIDDEN',
        );
        expect(error.message).toContain('LabMSP');
      }
      // The parent owner's engineer lacks the role: refused before the ledger.
      expectError(
        await labEngineer.post(`/v1/models/${childId}/lineage-consents`, { parentModelId: parentId, shareBps: 0 }),
        403,
        'FORBIDDEN',
      );
      expectError(await auditor.post(`/v1/models/${childId}/lineage-consents`, { parentModelId: parentId, shareBps: 0 }), 403, 'FORBIDDEN');
      // Had any of them consented, dropping the parent would now pass.
      expectError(await hospitalAdmin.put(`/v1/models/${childId}/royalty-policy`, childPolicy()), 409, 'LINEAGE_CONSENT_REQUIRED');
      expect(await model(childId)).toEqual(before);
    });

    it('answers 400 to a consent above the share the child pays and for a model that is not a parent, and 404 for an unknown child', async () => {
      expectError(
        await labAdmin.post(`/v1/models/${childId}/lineage-consents`, { parentModelId: parentId, shareBps: 3000 }),
        400,
        'INVALID_ARGUMENT',
      );
      const notParent = expectError(
        await labAdmin.post(`/v1/models/${parentId}/lineage-consents`, { parentModelId: parentId, shareBps: 0 }),
        400,
        'INVALID_ARGUMENT',
      );
      expect(notParent.message).toContain('parentModelId');
      expectError(
        await labAdmin.post(`/v1/models/${childId}/lineage-consents`, { parentModelId: parentId, shareBps: -1 }),
        400,
        'INVALID_ARGUMENT',
      );
      // The child the path names does not exist: 404, as a read of it answers (a missing parent in the body is a 400).
      const unknown = expectError(
        await labAdmin.post('/v1/models/M-does-not-exist/lineage-consents', { parentModelId: parentId, shareBps: 0 }),
        404,
        'NOT_FOUND',
      );
      expect(unknown.message).toContain('M-does-not-exist');
    });

    it('records the parent owner admin\u2019s consent with 201', async () => {
      const body = expectStatus(
        await labAdmin.post(`/v1/models/${childId}/lineage-consents`, { parentModelId: parentId, shareBps: 1000 }),
        201,
      );
      expect(body.data).toEqual({
        docType: 'lineageConsent',
        modelId: childId,
        parentModelId: parentId,
        shareBps: 1000,
        consentedBy: labAdminAccount,
        consentedAt: expect.any(String),
        txId: body.transaction.id,
      });
      const status = expectStatus(await auditor.get(`/v1/transactions/${body.transaction.id}`), 200);
      expect(status).toMatchObject({ transactionId: body.transaction.id, valid: true });
    });

    it('then lets the child pay the parent no less than the consented share', async () => {
      const before = await model(childId);
      expectError(await hospitalAdmin.put(`/v1/models/${childId}/royalty-policy`, childPolicy(999)), 409, 'LINEAGE_CONSENT_REQUIRED');
      expectError(await hospitalAdmin.put(`/v1/models/${childId}/royalty-policy`, childPolicy()), 409, 'LINEAGE_CONSENT_REQUIRED');
      expect(await model(childId)).toEqual(before);

      const body = expectStatus(await hospitalAdmin.put(`/v1/models/${childId}/royalty-policy`, childPolicy(1000)), 200);
      expect(body.data.royaltyPolicy.parents).toEqual([{ modelId: parentId, shareBps: 1000 }]);
      expect(expectStatus(await auditor.get(`/v1/models/${childId}/royalty-policy`), 200)).toEqual({
        beneficiaries: [{ account: 'org::HospitalMSP', shareBps: 10000 }],
        parents: [{ modelId: parentId, shareBps: 1000 }],
        resaleRoyaltyBps: 500,
      });
      // The consent covered 2000 → 1000; the new share is now the floor, so going lower needs a new consent.
      expectError(await hospitalAdmin.put(`/v1/models/${childId}/royalty-policy`, childPolicy(500)), 409, 'LINEAGE_CONSENT_REQUIRED');
    });
  });

  it('sent no response that broke the spec, and no 5xx', () => {
    const broken = api.responses.filter((r) => r.status >= 500).map((r) => `${r.status} ${JSON.stringify(r.body)}`);
    expect(broken).toEqual([]);
  });
});
