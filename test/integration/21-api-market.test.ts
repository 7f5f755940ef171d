/**
 * The secondary market and token-holder governance through the gateway API
 * only, on the real network: a hospital lists licence units, a clinic buys
 * part of them, the resale royalty and the seller's proceeds accrue, holders
 * vote a price change through. Every response is validated against the spec;
 * every refusal is checked to leave the ledger as it was.
 */
import type { Response } from 'supertest';
import { allPages, ApiCaller, ApiFleet, apiReads, expectError, expectStatus, Json, startApiFleet } from '../support/api';
import { sleep } from '../support/ledger';
import { labModel } from '../support/story';

describe('the market and governance through the gateway API', () => {
  let api: ApiFleet;
  let labAdmin: ApiCaller;
  let engineer: ApiCaller;
  let issuer: ApiCaller;
  let hospitalAdmin: ApiCaller;
  let practitioner: ApiCaller;
  let practitioner2: ApiCaller;
  let clinicAdmin: ApiCaller;
  let auditor: ApiCaller;

  const run = `${process.pid}-${Date.now()}`;
  let engineerAccount: string;
  let practitionerAccount: string;
  let modelId: string;
  let offeringId: string;
  let licenseA: string; // 10 units bought by the hospital treasury
  let licenseB: string; // 4 units bought by the hospital treasury
  let listingId: string;
  let clinicLicense: string;

  const { balance, accrued, license } = apiReads(() => auditor);
  const listing = async (id: string): Promise<Json> => expectStatus(await auditor.get(`/v1/listings/${id}`), 200);

  beforeAll(async () => {
    api = await startApiFleet();
    labAdmin = api.as('lab', 'admin');
    engineer = api.as('lab', 'engineer1');
    issuer = api.as('clearing', 'issuer1');
    hospitalAdmin = api.as('hospital', 'admin');
    practitioner = api.as('hospital', 'practitioner1');
    practitioner2 = api.as('hospital', 'practitioner2');
    clinicAdmin = api.as('clinic', 'admin');
    auditor = api.as('regulator', 'auditor1');

    engineerAccount = expectStatus(await engineer.get('/v1/me'), 200).account;
    practitionerAccount = expectStatus(await practitioner.get('/v1/me'), 200).account;
    const model = await labAdmin.post(
      '/v1/models',
      labModel({ slug: 'sepsis-early-warning', description: 'Gradient-boosted early warning score over vitals', run, engineerAccount }),
    );
    modelId = expectStatus(model, 201).data.modelId;
    const offering = await labAdmin.post('/v1/offerings', {
      modelId,
      kind: 'metered',
      unitPrice: '1000',
      supplyCap: '100',
      transferable: true,
      allowedMspIds: ['HospitalMSP', 'ClinicMSP'],
      purposes: ['research'],
    });
    offeringId = expectStatus(offering, 201).data.offering.offeringId;
    for (const to of ['org::HospitalMSP', 'org::ClinicMSP']) {
      expectStatus(await issuer.post('/v1/token/mints', { to, amount: '100000' }), 201);
    }
    licenseA = expectStatus(await hospitalAdmin.post('/v1/purchases', { offeringId, units: '10', payer: 'org' }), 201).data.licenseId;
    licenseB = expectStatus(await hospitalAdmin.post('/v1/purchases', { offeringId, units: '4', payer: 'org' }), 201).data.licenseId;
  });

  afterAll(async () => {
    await api?.stop();
  });

  describe('the market', () => {
    it('lists units of a hospital licence; they leave the licence while listed', async () => {
      const response = await hospitalAdmin.post('/v1/listings', { licenseId: licenseA, units: '6', askUnitPrice: '1200' });
      const body = expectStatus(response, 201);
      listingId = body.data.listingId;
      expect(body.data).toMatchObject({
        seller: 'org::HospitalMSP',
        status: 'open',
        bundle: false,
        askUnitPrice: '1200',
        modelIds: [modelId],
      });
      expect(body.data.items).toMatchObject([{ licenseId: licenseA, units: '6', remaining: '6', unitPrice: '1000' }]);
      expect(body.transaction.id).toBe(body.data.txId);
      expect(await listing(listingId)).toEqual(body.data);
      expect(await license(licenseA)).toMatchObject({ remainingUnits: '4', movedUnits: '6', escrow: '4000' });
    });

    it('lets a clinic admin buy part of it: the clinic pays, the resale royalty and the seller\u2019s proceeds accrue', async () => {
      const before = {
        clinic: await balance('org::ClinicMSP'),
        hospital: await accrued('org::HospitalMSP'),
        lab: await accrued('org::LabMSP'),
        engineer: await accrued(engineerAccount),
      };
      const body = expectStatus(await clinicAdmin.post(`/v1/listings/${listingId}/trades`, { units: '2', payer: 'org' }), 201);
      // 2 × 1200 = 2400; royalty 5% of max(2400, escrow 2000) = 120, split 70/30; the seller gets the rest.
      expect(body.data).toMatchObject({
        docType: 'trade',
        listingId,
        seller: 'org::HospitalMSP',
        buyer: 'org::ClinicMSP',
        price: '2400',
        royalty: '120',
        proceeds: '2280',
      });
      expect(body.data.items).toMatchObject([
        { fromLicenseId: licenseA, units: '2', escrow: '2000', royaltyBase: '2400', resaleRoyaltyBps: 500, royalty: '120' },
      ]);
      clinicLicense = body.data.items[0].toLicenseId;

      expect(await balance('org::ClinicMSP')).toBe(before.clinic - 2400n);
      expect((await accrued('org::HospitalMSP')) - before.hospital).toBe(2280n);
      expect((await accrued('org::LabMSP')) - before.lab).toBe(84n);
      expect((await accrued(engineerAccount)) - before.engineer).toBe(36n);
      expect((await listing(listingId)).items[0].remaining).toBe('4');
      expect(await license(clinicLicense)).toMatchObject({
        license: { holder: 'org::ClinicMSP', offeringId, unitPrice: '1000' },
        remainingUnits: '2',
        escrow: '2000',
      });

      // Filtered by model, a page may be short or empty on a ledger that earlier runs filled: read every page.
      const payments = await allPages(auditor, `/v1/accounts/${engineerAccount}/royalty-payments?modelId=${modelId}`);
      expect(payments.map((p) => [p.amount, p.txId])).toContainEqual(['36', body.transaction.id]);
      const byModel = expectStatus(await labAdmin.get(`/v1/models/${modelId}/trades`), 200);
      expect(byModel.items.map((t: Json) => t.txId)).toEqual([body.transaction.id]);
      const byBuyer = expectStatus(await clinicAdmin.get('/v1/accounts/org::ClinicMSP/trades'), 200);
      expect(byBuyer.items.map((t: Json) => t.txId)).toContain(body.transaction.id);
      // Trades of a model are for its owner org and regulators.
      expectError(await clinicAdmin.get(`/v1/models/${modelId}/trades`), 403, 'FORBIDDEN');
    });

    it('accepts a buy with Prefer: respond-async as 202 and a transaction to poll until it commits', async () => {
      const response = await clinicAdmin.post(
        `/v1/listings/${listingId}/trades`,
        { units: '1', payer: 'org' },
        { Prefer: 'respond-async' },
      );
      const body = expectStatus(response, 202);
      expect(response.headers['preference-applied']).toBe('respond-async');
      expect(body.transaction).toMatchObject({ status: 'submitted', location: `/v1/transactions/${body.transaction.id}` });
      expect(response.headers.location).toBe(body.transaction.location);
      let status: Response | undefined;
      for (let i = 0; i < 60; i++) {
        status = await clinicAdmin.get(response.headers.location);
        if (status.status !== 404) break;
        await sleep(250);
      }
      expect(status?.status).toBe(200);
      expect(status?.body).toMatchObject({ transactionId: body.transaction.id, validationCode: 'VALID', valid: true });
      expect((await listing(listingId)).items[0].remaining).toBe('3');
    });

    it('answers 402 to a buy of more units than are left, and moves nothing', async () => {
      const before = await balance('org::ClinicMSP');
      expectError(await clinicAdmin.post(`/v1/listings/${listingId}/trades`, { units: '4', payer: 'org' }), 402, 'INSUFFICIENT_UNITS');
      expect(await balance('org::ClinicMSP')).toBe(before);
      expect((await listing(listingId)).items[0].remaining).toBe('3');
    });

    it('lists a bundle of two licences and pages through the model\u2019s open listings with a cursor', async () => {
      const bundle = expectStatus(
        await hospitalAdmin.post('/v1/listings', {
          items: [
            { licenseId: licenseA, units: '2' },
            { licenseId: licenseB, units: '2' },
          ],
          askPrice: '5000',
        }),
        201,
      );
      expect(bundle.data).toMatchObject({ bundle: true, askPrice: '5000', status: 'open' });
      expect(bundle.data.items.map((i: Json) => i.licenseId)).toEqual([licenseA, licenseB]);
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 5; pages++) {
        const page: Json = expectStatus(
          await practitioner.get(`/v1/models/${modelId}/listings?limit=1${cursor === null ? '' : `&cursor=${cursor}`}`),
          200,
        );
        seen.push(...page.items.map((l: Json) => l.listingId as string));
        cursor = page.nextCursor;
        if (cursor === null) break;
      }
      expect(seen.sort()).toEqual([listingId, bundle.data.listingId].sort());
      const bySeller = expectStatus(await auditor.get('/v1/accounts/org::HospitalMSP/listings?limit=100'), 200);
      expect(bySeller.items.map((l: Json) => l.listingId)).toEqual(expect.arrayContaining([listingId, bundle.data.listingId]));

      const cancelled = expectStatus(await hospitalAdmin.delete(`/v1/listings/${bundle.data.listingId}`), 200);
      expect(cancelled.data).toMatchObject({ status: 'cancelled', items: [{ remaining: '0' }, { remaining: '0' }] });
      expect((await license(licenseA)).remainingUnits).toBe('4');
      expect((await license(licenseB)).remainingUnits).toBe('4');
      const open = expectStatus(await practitioner.get(`/v1/models/${modelId}/listings`), 200);
      expect(open.items.map((l: Json) => l.listingId)).toEqual([listingId]);
      expectError(await hospitalAdmin.delete(`/v1/listings/${bundle.data.listingId}`), 409, 'LISTING_CLOSED');
    });

    it('transfers units to a practitioner of the same org, and refuses a transfer to another org', async () => {
      const body = expectStatus(
        await hospitalAdmin.post(`/v1/licenses/${licenseB}/transfers`, { units: '1', to: practitionerAccount }),
        201,
      );
      expect(body.data).toMatchObject({
        docType: 'transfer',
        fromLicenseId: licenseB,
        from: 'org::HospitalMSP',
        to: practitionerAccount,
        units: '1',
        escrow: '1000',
      });
      expect((await license(licenseB)).remainingUnits).toBe('3');
      expect((await license(body.data.toLicenseId)).license.holder).toBe(practitionerAccount);

      expectError(
        await hospitalAdmin.post(`/v1/licenses/${licenseB}/transfers`, { units: '1', to: 'org::ClinicMSP' }),
        403,
        'TRANSFER_RESTRICTED',
      );
      expect((await license(licenseB)).remainingUnits).toBe('3');
    });

    it('answers 404 for a missing listing and 400 for a listing that is neither a licence nor a bundle', async () => {
      expectError(await auditor.get('/v1/listings/LS-does-not-exist'), 404, 'LISTING_NOT_FOUND');
      expectError(await clinicAdmin.post('/v1/listings/LS-does-not-exist/trades', { payer: 'org' }), 404, 'LISTING_NOT_FOUND');
      expectError(await hospitalAdmin.post('/v1/listings', { licenseId: licenseA, units: '1', askPrice: '10' }), 400, 'INVALID_ARGUMENT');
      expect((await license(licenseA)).remainingUnits).toBe('4');
    });
  });

  describe('governance', () => {
    let proposalId: string;
    let votingEndsAt: string;

    it('lets the owner propose a price change, and shows it with an empty tally', async () => {
      const policy = expectStatus(await auditor.get(`/v1/models/${modelId}/governance-policy`), 200);
      expect(policy.modelId).toBe(modelId);
      const body = expectStatus(
        await labAdmin.post('/v1/proposals', {
          modelId,
          change: { kind: 'setPrice', offeringId, unitPrice: '2000' },
          description: 'Raise the unit price to cover serving costs',
          votingSeconds: policy.governancePolicy.minVotingSeconds,
          proposer: 'self',
        }),
        201,
      );
      proposalId = body.data.proposalId;
      votingEndsAt = body.data.votingEndsAt;
      expect(body.data).toMatchObject({ modelId, state: 'open', eligibleUnits: '14', change: { kind: 'setPrice', unitPrice: '2000' } });
      const read = expectStatus(await practitioner.get(`/v1/proposals/${proposalId}`), 200);
      expect(read).toMatchObject({ proposal: { proposalId, state: 'open' }, tally: { yes: '0', no: '0', abstain: '0', voters: 0 } });
      const open = expectStatus(await auditor.get(`/v1/models/${modelId}/proposals?state=open`), 200);
      expect(open.items.map((p: Json) => p.proposalId)).toEqual([proposalId]);
      const executed = expectStatus(await auditor.get(`/v1/models/${modelId}/proposals?state=executed`), 200);
      expect(executed.items).toEqual([]);
    });

    it('counts the holders\u2019 votes by units held, once each, and locks the units that voted', async () => {
      const clinicVote = expectStatus(await clinicAdmin.post(`/v1/proposals/${proposalId}/votes`, { choice: 'yes', voter: 'org' }), 201);
      expect(clinicVote.data).toMatchObject({ proposalId, voter: 'org::ClinicMSP', choice: 'yes', weight: '3' });
      const hospitalVote = expectStatus(
        await hospitalAdmin.post(`/v1/proposals/${proposalId}/votes`, { choice: 'yes', voter: 'org' }),
        201,
      );
      // The treasury's licences A (4 left) and B (3 left); listed units do not vote.
      expect(hospitalVote.data).toMatchObject({ voter: 'org::HospitalMSP', weight: '7' });
      expectError(await hospitalAdmin.post(`/v1/proposals/${proposalId}/votes`, { choice: 'no', voter: 'org' }), 409, 'ALREADY_VOTED');

      const read = expectStatus(await auditor.get(`/v1/proposals/${proposalId}`), 200);
      expect(read.tally).toEqual({ yes: '10', no: '0', abstain: '0', voters: 2 });
      const votes = expectStatus(await auditor.get(`/v1/proposals/${proposalId}/votes`), 200);
      expect(votes.items.map((v: Json) => v.voter).sort()).toEqual(['org::ClinicMSP', 'org::HospitalMSP']);

      expectError(await hospitalAdmin.post('/v1/listings', { licenseId: licenseB, units: '1', askUnitPrice: '1200' }), 409, 'UNITS_LOCKED');
      expect((await license(licenseB)).remainingUnits).toBe('3');
    });

    it('refuses a proposal from a holder below the threshold with 403, and closing before the deadline with 409', async () => {
      const before = expectStatus(await auditor.get(`/v1/models/${modelId}/proposals`), 200).items.length;
      expectError(
        await practitioner2.post('/v1/proposals', {
          modelId,
          change: { kind: 'setOfferingStatus', offeringId, status: 'paused' },
          description: 'Pause it',
          votingSeconds: 60,
          proposer: 'self',
        }),
        403,
        'BELOW_PROPOSAL_THRESHOLD',
      );
      expect(expectStatus(await auditor.get(`/v1/models/${modelId}/proposals`), 200).items).toHaveLength(before);
      expectError(await labAdmin.post(`/v1/proposals/${proposalId}/closure`, {}), 409, 'VOTING_OPEN');
      expectError(await auditor.get('/v1/proposals/P-does-not-exist'), 404, 'PROPOSAL_NOT_FOUND');
      expectError(
        await clinicAdmin.post('/v1/proposals/P-does-not-exist/votes', { choice: 'yes', voter: 'org' }),
        404,
        'PROPOSAL_NOT_FOUND',
      );
    });

    it('answers 403 to every market and governance write of the regulator before it reaches the ledger', async () => {
      const before = [
        await listing(listingId),
        await license(licenseA),
        expectStatus(await auditor.get(`/v1/proposals/${proposalId}`), 200),
      ];
      const writes: [string, string, object?][] = [
        ['post', '/v1/listings', { licenseId: licenseA, units: '1', askUnitPrice: '1200' }],
        [
          'post',
          '/v1/listings',
          {
            items: [
              { licenseId: licenseA, units: '1' },
              { licenseId: licenseB, units: '1' },
            ],
            askPrice: '5000',
          },
        ],
        ['delete', `/v1/listings/${listingId}`],
        ['post', `/v1/listings/${listingId}/trades`, { units: '1', payer: 'self' }],
        ['post', `/v1/licenses/${licenseA}/transfers`, { units: '1', to: 'org::RegulatorMSP' }],
        [
          'post',
          '/v1/proposals',
          { modelId, change: { kind: 'activateVersion', version: '1' }, description: 'x', votingSeconds: 60, proposer: 'self' },
        ],
        ['post', `/v1/proposals/${proposalId}/votes`, { choice: 'no', voter: 'self' }],
        ['post', `/v1/proposals/${proposalId}/closure`, {}],
        ['post', `/v1/proposals/${proposalId}/execution`, {}],
        ['post', '/v1/holdings-reindexes', { holder: 'self' }],
      ];
      for (const [method, path, body] of writes) {
        const response = method === 'delete' ? await auditor.delete(path) : await auditor.post(path, body ?? {});
        const error = expectError(response, 403, 'FORBIDDEN');
        expect(error.message).toMatch(/^regulators may read and audit but never /);
      }
      expect([
        await listing(listingId),
        await license(licenseA),
        expectStatus(await auditor.get(`/v1/proposals/${proposalId}`), 200),
      ]).toEqual(before);
    });

    it('reindexes the hospital treasury\u2019s holdings page by page, and refuses a bad holder with 400', async () => {
      let after: string | undefined;
      let scanned = 0;
      for (let calls = 0; calls < 20; calls++) {
        const body = expectStatus(
          await hospitalAdmin.post('/v1/holdings-reindexes', after === undefined ? { holder: 'org' } : { holder: 'org', after }),
          201,
        );
        expect(body.data.holder).toBe('org::HospitalMSP');
        expect(body.data.indexed + body.data.dropped).toBe(body.data.scanned);
        scanned += body.data.scanned as number;
        if (body.data.next === '') break;
        after = body.data.next;
      }
      expect(scanned).toBeGreaterThanOrEqual(1);
      expectError(await hospitalAdmin.post('/v1/holdings-reindexes', { holder: 'everyone' }), 400, 'INVALID_ARGUMENT');
    });

    it('executes the accepted proposal after the deadline, changing the offering\u2019s price, once', async () => {
      await sleep(Math.max(0, Date.parse(votingEndsAt) - Date.now()) + 3000);
      const body = expectStatus(await labAdmin.post(`/v1/proposals/${proposalId}/execution`, {}), 201);
      expect(body.data.proposal).toMatchObject({ proposalId, state: 'executed', tally: { yes: '10', voters: 2 } });
      const offering = expectStatus(await auditor.get(`/v1/offerings/${offeringId}`), 200);
      expect(offering.terms.unitPrice).toBe('2000');
      expectError(await labAdmin.post(`/v1/proposals/${proposalId}/execution`, {}), 409, 'PROPOSAL_NOT_EXECUTABLE');
      const history = expectStatus(await auditor.get(`/v1/proposals/${proposalId}/history`), 200);
      // Oldest first, as the spec says (Fabric itself answers newest first).
      expect(history.items.map((h: Json) => h.value.state)).toEqual(['open', 'executed']);
      const executed = expectStatus(await auditor.get(`/v1/models/${modelId}/proposals?state=executed`), 200);
      expect(executed.items.map((p: Json) => p.proposalId)).toEqual([proposalId]);
    });
  });

  it('sent no response that broke the spec, and no 5xx', () => {
    const broken = api.responses.filter((r) => r.status >= 500).map((r) => `${r.status} ${JSON.stringify(r.body)}`);
    expect(broken).toEqual([]);
  });
});
