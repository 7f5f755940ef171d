/**
 * The licensing story through the gateway API only, on the real network: one
 * API instance per member org, each signing as the identity its API key maps
 * to. Every refusal is checked to leave the ledger as it was, and every
 * response to match the spec (the response validator is on).
 */
import type { Response } from 'supertest';
import { allPages, ApiCaller, ApiFleet, apiReads, expectError, expectStatus, Json, startApiFleet } from '../support/api';
import { sha256, sleep } from '../support/ledger';
import { labModel, meteredOffering } from '../support/story';

describe('the gateway API on the consortium', () => {
  let api: ApiFleet;
  let labAdmin: ApiCaller;
  let engineer: ApiCaller;
  let issuer: ApiCaller;
  let hospitalAdmin: ApiCaller;
  let practitioner: ApiCaller;
  let clerk: ApiCaller;
  let auditor: ApiCaller;

  const run = `${process.pid}-${Date.now()}`;
  const unitPrice = 1_000n;
  let engineerAccount: string;
  let modelId: string;
  let offeringId: string;
  let licenseId: string;

  beforeAll(async () => {
    api = await startApiFleet();
    labAdmin = api.as('lab', 'admin');
    engineer = api.as('lab', 'engineer1');
    issuer = api.as('clearing', 'issuer1');
    hospitalAdmin = api.as('hospital', 'admin');
    practitioner = api.as('hospital', 'practitioner1');
    clerk = api.as('hospital', 'clerk1');
    auditor = api.as('regulator', 'auditor1');
  });

  afterAll(async () => {
    await api?.stop();
  });

  const { balance, accrued, remaining } = apiReads(() => auditor);

  describe('operations', () => {
    it('reports each instance healthy with its org and peer', async () => {
      for (const org of ['lab', 'hospital', 'clinic', 'clearing', 'regulator'] as const) {
        const response = await api.anonymous(org).get('/healthz');
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ status: 'ok', org, peer: `peer0.${org}` });
        expect(BigInt(response.body.blockHeight)).toBeGreaterThan(0n);
      }
    });

    it('serves its spec and the Swagger UI', async () => {
      const spec = await api.anonymous('hospital').get('/openapi.yaml');
      expect(spec.status).toBe(200);
      expect(spec.text).toMatch(/^openapi: 3\.1\.0/);
      const docs = await api.anonymous('hospital').get('/docs/');
      expect(docs.status).toBe(200);
      expect(docs.text).toContain('swagger-ui');
    });

    it('tells a caller who they are on the ledger', async () => {
      const response = await engineer.get('/v1/me');
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ user: 'engineer1', org: 'lab', mspId: 'LabMSP', role: 'engineer', regulator: false });
      engineerAccount = response.body.account;
      expect(engineerAccount).toMatch(/^x509::LabMSP::[0-9a-f]{64}$/);
    });
  });

  describe('the story', () => {
    it('registers a model and returns the committed transaction', async () => {
      const response = await labAdmin.post(
        '/v1/models',
        labModel({
          slug: 'breast-cancer-screen',
          description: 'Logistic classifier over the Wisconsin diagnostic features',
          run,
          engineerAccount,
        }),
      );
      expect(response.status).toBe(201);
      modelId = response.body.data.modelId;
      expect(modelId).toMatch(/^M-/);
      expect(response.body.data.ownerMspId).toBe('LabMSP');

      const tx = await auditor.get(`/v1/transactions/${response.body.transaction.id}`);
      expect(tx.status).toBe(200);
      expect(tx.body).toEqual({
        transactionId: response.body.transaction.id,
        validationCode: 'VALID',
        valid: true,
        blockNumber: response.body.transaction.blockNumber,
      });
      const read = await auditor.get(`/v1/models/${modelId}`);
      expect(read.status).toBe(200);
      expect(read.body.model.activeVersion).toBe('1');
      expect(read.body.versions).toHaveLength(1);
    });

    it('publishes a metered offering for practitioners', async () => {
      const response = await labAdmin.post('/v1/offerings', { modelId, ...meteredOffering({ unitPrice, allowedMspIds: ['HospitalMSP'] }) });
      expect(response.status).toBe(201);
      offeringId = response.body.data.offering.offeringId;
      const read = await hospitalAdmin.get(`/v1/offerings/${offeringId}`);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({
        sold: '0',
        offering: { status: 'active', modelId },
        terms: { unitPrice: '1000', kind: 'metered' },
      });
    });

    it('lets the settlement agent mint the payment token to the hospital', async () => {
      const before = await balance('org::HospitalMSP');
      const response = await issuer.post('/v1/token/mints', { to: 'org::HospitalMSP', amount: '50000' });
      expect(response.status).toBe(201);
      expect(response.body.data).toMatchObject({ to: 'org::HospitalMSP', amount: '50000' });
      expect(await balance('org::HospitalMSP')).toBe(before + 50_000n);
    });

    it('buys units into escrow, and a retry with the same Idempotency-Key charges nothing', async () => {
      const before = await balance('org::HospitalMSP');
      const body = { offeringId, units: '10', payer: 'org' };
      const response = await hospitalAdmin.post('/v1/purchases', body, { 'Idempotency-Key': `buy-${run}` });
      expect(response.status).toBe(201);
      licenseId = response.body.data.licenseId;
      expect(response.body.data).toMatchObject({ price: '10000', units: '10', requestId: `buy-${run}` });
      expect(await balance('org::HospitalMSP')).toBe(before - 10n * unitPrice);

      const retry = await hospitalAdmin.post('/v1/purchases', body, { 'Idempotency-Key': `buy-${run}` });
      expect(retry.status).toBe(201);
      expect(retry.body.data.licenseId).toBe(licenseId);
      expect(await balance('org::HospitalMSP')).toBe(before - 10n * unitPrice);
      const license = await hospitalAdmin.get(`/v1/licenses/${licenseId}`);
      expect(license.body).toMatchObject({ remainingUnits: '10', escrow: '10000', consumedUnits: '0' });
    });

    it('confirms a practitioner\u2019s entitlement without writing anything', async () => {
      const response = await practitioner.get(`/v1/licenses/${licenseId}/entitlement?purpose=research&units=1`);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ entitled: true, licenseId, modelId, version: '1', remainingUnits: '10' });
      expect(await remaining(licenseId)).toBe('10');
    });

    it('records a practitioner\u2019s access and pays the beneficiaries exactly the unit price', async () => {
      const labBefore = await accrued('org::LabMSP');
      const engineerBefore = await accrued(engineerAccount);
      const requestHash = sha256(`request-${run}`);
      const response = await practitioner.post(`/v1/licenses/${licenseId}/accesses`, { purpose: 'clinical-diagnosis', requestHash });
      expect(response.status).toBe(201);
      expect(response.body.data).toMatchObject({ licenseId, modelId, requestHash, callerMspId: 'HospitalMSP', units: '1', amount: '1000' });
      expect(response.body.data.accessId).toBe(response.body.transaction.id);
      expect(await remaining(licenseId)).toBe('9');
      expect((await accrued('org::LabMSP')) - labBefore).toBe(700n);
      expect((await accrued(engineerAccount)) - engineerBefore).toBe(300n);
      const record = await auditor.get(`/v1/accesses/${response.body.data.accessId}`);
      expect(record.status).toBe(200);
      expect(record.body.purpose).toBe('clinical-diagnosis');
    });

    it('pages through the model\u2019s accesses with opaque cursors', async () => {
      for (const i of [1, 2]) {
        const response = await practitioner.post(`/v1/licenses/${licenseId}/accesses`, {
          purpose: 'research',
          requestHash: sha256(`page-${run}-${i}`),
        });
        expect(response.status).toBe(201);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Response = await auditor.get(
          `/v1/audit/accesses?modelId=${modelId}&limit=1${cursor === null ? '' : `&cursor=${cursor}`}`,
        );
        expect(page.status).toBe(200);
        // The limit is honoured: the validator hands it over as a number (a regression once read as no limit).
        expect(page.body.items.length).toBeLessThanOrEqual(1);
        seen.push(...page.body.items.map((r: Json) => r.accessId as string));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor !== null && pages < 10);
      expect(seen).toHaveLength(3);
      expect(pages).toBeGreaterThanOrEqual(3);
      expect(new Set(seen).size).toBe(3);
      const byLicense = await hospitalAdmin.get(`/v1/licenses/${licenseId}/accesses?limit=10`);
      expect(byLicense.status).toBe(200);
      expect(byLicense.body.items.map((r: Json) => r.accessId).sort()).toEqual([...seen].sort());
    });

    it('lets the regulator audit purchases, royalty payments and history', async () => {
      const purchases = await auditor.get(`/v1/offerings/${offeringId}/purchases`);
      expect(purchases.status).toBe(200);
      expect(purchases.body.items.map((p: Json) => p.licenseId)).toEqual([licenseId]);
      // Filtered by model, a page may be short or empty on a ledger that earlier runs filled: read every page.
      const payments = await allPages(auditor, `/v1/accounts/${engineerAccount}/royalty-payments?modelId=${modelId}`);
      expect(payments).toHaveLength(3);
      expect(payments.every((p) => p.amount === '300')).toBe(true);
      const history = await auditor.get(`/v1/audit/history/license/${licenseId}`);
      expect(history.status).toBe(200);
      expect(history.body).toMatchObject({ items: [{ txId: expect.stringMatching(/^[0-9a-f]{64}$/), isDelete: false }], nextCursor: null });
    });

    it('pages through a balance history oldest first, ending at the balance as it is now', async () => {
      const path = '/v1/accounts/org::HospitalMSP/balance-history';
      // The story so far wrote the account twice (mint, purchase): one more write makes a second page on any ledger.
      expectStatus(await issuer.post('/v1/token/mints', { to: 'org::HospitalMSP', amount: '1' }), 201);
      // The regulator reads from its own peer, which may commit that block a moment after the clearing's.
      for (let i = 0; i < 50 && (await allPages(auditor, path)).length < 3; i++) await sleep(200);
      const first = await auditor.get(`${path}?limit=2`);
      expect(first.status).toBe(200);
      expect(first.body.items).toHaveLength(2);
      expect(first.body.nextCursor).not.toBeNull();
      const second = await auditor.get(`${path}?limit=2&cursor=${first.body.nextCursor}`);
      expect(second.status).toBe(200);
      const all = await allPages(auditor, path);
      expect(all.slice(0, 4)).toEqual([...first.body.items, ...second.body.items]);
      const times = all.map((entry) => entry.timestamp as string);
      expect([...times].sort()).toEqual(times);
      expect((all.at(-1)?.value as Json).amount).toBe((await balance('org::HospitalMSP')).toString());
      expectError(await auditor.get(`${path}?limit=2&cursor=bm90LWEtY3Vyc29y`), 400, 'INVALID_ARGUMENT');
    });

    it('lets the lab claim its settled royalties into its balance', async () => {
      await sleep(6000); // accruals become claimable after the chaincode's settlement lag (5 s)
      const unclaimed = await accrued('org::LabMSP');
      const before = await balance('org::LabMSP');
      expect(unclaimed).toBeGreaterThanOrEqual(3n * 700n);
      const response = await labAdmin.post('/v1/royalty-claims', { beneficiary: 'org' });
      expect(response.status).toBe(201);
      expect(BigInt(response.body.data.amount)).toBe(unclaimed);
      expect(await balance('org::LabMSP')).toBe(before + unclaimed);
      expect(await accrued('org::LabMSP')).toBe(0n);
      const claims = await auditor.get('/v1/accounts/org::LabMSP/claims?limit=100');
      expect(claims.status).toBe(200);
      expect(claims.body.items.map((c: Json) => c.txId)).toContain(response.body.transaction.id);
    });

    it('refunds the unused units of an expired term licence to the holder, once, whoever settles it', async () => {
      const published = await labAdmin.post('/v1/offerings', {
        modelId,
        kind: 'term',
        termSeconds: 2,
        unitPrice: '10',
        supplyCap: '10',
        purposes: ['research'],
      });
      expect(published.status).toBe(201);
      const bought = await hospitalAdmin.post('/v1/purchases', {
        offeringId: published.body.data.offering.offeringId,
        units: '3',
        payer: 'org',
      });
      expect(bought.status).toBe(201);
      const termLicense = bought.body.data.licenseId as string;
      const early = expectError(await labAdmin.post(`/v1/licenses/${termLicense}/expiry-settlements`, {}), 409, 'CONFLICT');
      expect(early.message).toMatch(/it can be settled from then on/);
      await sleep(3000);
      const before = await balance('org::HospitalMSP');
      // The lab settles the hospital's licence: the refund goes to the holder all the same.
      const settled = await labAdmin.post(`/v1/licenses/${termLicense}/expiry-settlements`, {});
      expect(settled.status).toBe(201);
      expect(settled.body.data).toMatchObject({ licenseId: termLicense, holder: 'org::HospitalMSP', units: '3', refund: '30' });
      expect(await balance('org::HospitalMSP')).toBe(before + 30n);
      const license = await auditor.get(`/v1/licenses/${termLicense}`);
      expect(license.body).toMatchObject({ remainingUnits: '0', consumedUnits: '3', escrow: '0' });
      const again = expectError(await labAdmin.post(`/v1/licenses/${termLicense}/expiry-settlements`, {}), 409, 'CONFLICT');
      expect(again.message).toMatch(/no unused units to settle/);
      expectError(await labAdmin.post(`/v1/licenses/${licenseId}/expiry-settlements`, {}), 409, 'CONFLICT');
      expect(await balance('org::HospitalMSP')).toBe(before + 30n);
    });
  });

  describe('errors', () => {
    it('answers 400 naming every malformed field, and writes nothing', async () => {
      const before = await balance('org::HospitalMSP');
      const response = await hospitalAdmin.post('/v1/purchases', { offeringId, units: '0', payer: 'treasury' });
      const error = expectError(response, 400, 'INVALID_ARGUMENT');
      expect(error.message).toContain('body.units');
      expect(error.message).toContain('body.payer');
      expect(await balance('org::HospitalMSP')).toBe(before);
    });

    it('answers 400 with the chaincode\u2019s field when only the ledger can tell', async () => {
      const response = await labAdmin.put(`/v1/models/${modelId}/royalty-policy`, {
        beneficiaries: [{ account: 'org::LabMSP', shareBps: 9000 }],
      });
      const error = expectError(response, 400, 'INVALID_ARGUMENT');
      expect(error.message).toMatch(/^INVALID_ARGUMENT: royaltyPolicy\.beneficiaries/);
      const model = await auditor.get(`/v1/models/${modelId}/royalty-policy`);
      expect(model.body.beneficiaries).toHaveLength(2);
    });

    it('answers 401 without a key or with an unknown key', async () => {
      expectError(await api.anonymous('hospital').get('/v1/me'), 401, 'UNAUTHENTICATED');
      const forged = await api
        .anonymous('hospital')
        .get('/v1/me')
        .set('X-API-Key', `mll_0123456789abcdef_${'A'.repeat(43)}`);
      expectError(forged, 401, 'UNAUTHENTICATED');
      const otherOrg = await api.anonymous('hospital').get('/v1/me').set('X-API-Key', labAdmin.key);
      expectError(otherOrg, 401, 'UNAUTHENTICATED');
    });

    it('answers 403 to every write of the regulator before it reaches the ledger', async () => {
      const before = [await balance('org::HospitalMSP'), await remaining(licenseId), await balance('org::RegulatorMSP')];
      const writes: [string, string, object][] = [
        [
          'post',
          '/v1/models',
          {
            name: 'x',
            description: 'x',
            task: 'x',
            intendedUse: 'x',
            version: '1',
            artifactSha256: sha256('x'),
            artifactUri: 'https://x.example/a',
            inferenceEndpoint: 'https://x.example/v2',
            royaltyPolicy: { beneficiaries: [{ account: 'org::RegulatorMSP', shareBps: 10000 }] },
          },
        ],
        [
          'post',
          `/v1/models/${modelId}/versions`,
          { version: '2', artifactSha256: sha256('y'), artifactUri: 'https://x.example/b', inferenceEndpoint: 'https://x.example/v2' },
        ],
        ['put', `/v1/models/${modelId}/active-version`, { version: '1' }],
        ['put', `/v1/models/${modelId}/royalty-policy`, { beneficiaries: [{ account: 'org::RegulatorMSP', shareBps: 10000 }] }],
        ['post', '/v1/offerings', { modelId, kind: 'metered', unitPrice: '1', supplyCap: '1', purposes: ['research'] }],
        ['patch', `/v1/offerings/${offeringId}`, { status: 'paused' }],
        ['post', '/v1/purchases', { offeringId, units: '1', payer: 'self' }],
        ['post', `/v1/licenses/${licenseId}/accesses`, { purpose: 'research', requestHash: sha256(`regulator-${run}`) }],
        ['post', `/v1/licenses/${licenseId}/expiry-settlements`, {}],
        ['post', '/v1/token/transfers', { from: 'self', to: 'org::LabMSP', amount: '1' }],
        ['post', '/v1/token/mints', { to: 'org::RegulatorMSP', amount: '1' }],
        ['post', '/v1/token/burns', { amount: '1' }],
        ['post', '/v1/royalty-claims', { beneficiary: 'self' }],
      ];
      for (const [method, path, body] of writes) {
        const response =
          method === 'post'
            ? await auditor.post(path, body)
            : method === 'put'
              ? await auditor.put(path, body)
              : await auditor.patch(path, body);
        const error = expectError(response, 403, 'FORBIDDEN');
        // The API's own message: the chaincode's would start with "FORBIDDEN:".
        expect(error.message).toMatch(/^regulators may read and audit but never /);
      }
      expect([await balance('org::HospitalMSP'), await remaining(licenseId), await balance('org::RegulatorMSP')]).toEqual(before);
      const offering = await auditor.get(`/v1/offerings/${offeringId}`);
      expect(offering.body.offering.status).toBe('active');
    });

    it('answers 403 to a role that may not write, whether the API or the chaincode refuses it', async () => {
      const supply = (await auditor.get('/v1/token/supply')).body.amount;
      const mint = expectError(await practitioner.post('/v1/token/mints', { to: 'org::HospitalMSP', amount: '1' }), 403, 'FORBIDDEN');
      expect(mint.message).toMatch(/needs role issuer/);
      expect((await auditor.get('/v1/token/supply')).body.amount).toBe(supply);

      const unitsBefore = await remaining(licenseId);
      const access = expectError(
        await clerk.post(`/v1/licenses/${licenseId}/accesses`, { purpose: 'research', requestHash: sha256(`clerk-${run}`) }),
        403,
        'FORBIDDEN',
      );
      expect(access.message).toMatch(/^FORBIDDEN: /);
      expect(await remaining(licenseId)).toBe(unitsBefore);

      const offering = expectError(await engineer.patch(`/v1/offerings/${offeringId}`, { status: 'paused' }), 403, 'FORBIDDEN');
      expect(offering.message).toMatch(/needs role admin/);
    });

    it('answers 404 for a missing model, a missing transaction and an unknown route', async () => {
      expectError(await auditor.get('/v1/models/M-does-not-exist'), 404, 'NOT_FOUND');
      expectError(await auditor.get(`/v1/transactions/${'0'.repeat(64)}`), 404, 'NOT_FOUND');
      expectError(await auditor.get('/v1/nothing-here'), 404, 'NOT_FOUND');
    });

    it('answers 405 naming the methods the route has (Allow), and reads query values whose colons are not percent-encoded', async () => {
      const refused = await auditor.put('/v1/models', {});
      expectError(refused, 405, 'METHOD_NOT_ALLOWED');
      expect(refused.headers.allow).toBe('GET, POST');
      // A colon is legal in a query string (RFC 3986): account ids and instants go as they are.
      const raw = expectStatus(await auditor.get('/v1/audit/accesses?caller=org::HospitalMSP&from=2000-01-01T00:00:00.000Z&limit=5'), 200);
      const encoded = expectStatus(
        await auditor.get('/v1/audit/accesses?caller=org%3A%3AHospitalMSP&from=2000-01-01T00%3A00%3A00.000Z&limit=5'),
        200,
      );
      expect(raw.items).toEqual(encoded.items);
    });

    it('answers 402 to a purchase the payer cannot afford, and charges nothing', async () => {
      const me = (await practitioner.get('/v1/me')).body.account as string;
      const before = await balance(me);
      // One unit more than the balance pays for (the demo that `up` seeds gave practitioner1 some tokens).
      const units = (before / unitPrice + 1n).toString();
      const error = expectError(await practitioner.post('/v1/purchases', { offeringId, units, payer: 'self' }), 402, 'INSUFFICIENT_FUNDS');
      expect(error.message).toMatch(/^INSUFFICIENT_FUNDS: /);
      expect(await balance(me)).toBe(before);
    });

    it('answers 409 to an Idempotency-Key reused for a different purchase, and charges nothing', async () => {
      const before = await balance('org::HospitalMSP');
      const response = await hospitalAdmin.post(
        '/v1/purchases',
        { offeringId, units: '3', payer: 'org' },
        { 'Idempotency-Key': `buy-${run}` },
      );
      expectError(response, 409, 'CONFLICT');
      expect(await balance('org::HospitalMSP')).toBe(before);
      expect(await remaining(licenseId)).toBe('7');
    });

    it('answers 409 to a purchase of a paused offering', async () => {
      const paused = await labAdmin.patch(`/v1/offerings/${offeringId}`, { status: 'paused' });
      expect(paused.status).toBe(200);
      expect(paused.body.data.status).toBe('paused');
      const before = await balance('org::HospitalMSP');
      expectError(await hospitalAdmin.post('/v1/purchases', { offeringId, units: '1', payer: 'org' }), 409, 'OFFERING_PAUSED');
      expect(await balance('org::HospitalMSP')).toBe(before);
      const resumed = await labAdmin.patch(`/v1/offerings/${offeringId}`, { status: 'active' });
      expect(resumed.status).toBe(200);
    });
  });

  describe('retries with an Idempotency-Key', () => {
    it('mints once for a key however often the issuer retries', async () => {
      const before = await balance('org::HospitalMSP');
      const key = { 'Idempotency-Key': `mint-${run}` };
      const first = await issuer.post('/v1/token/mints', { to: 'org::HospitalMSP', amount: '5' }, key);
      expect(first.status).toBe(201);
      const retry = await issuer.post('/v1/token/mints', { to: 'org::HospitalMSP', amount: '5' }, key);
      expect(retry.status).toBe(201);
      expect(retry.body.data).toEqual(first.body.data);
      expect(first.body.transaction.replayed).toBeUndefined();
      expect(retry.body.transaction).toEqual({ ...first.body.transaction, replayed: true });
      expect(await balance('org::HospitalMSP')).toBe(before + 5n);
    });

    it('pays a transfer once for a key, and refuses the key for another amount with 409', async () => {
      const me = (await practitioner.get('/v1/me')).body.account as string;
      const before = await balance('org::HospitalMSP');
      const key = { 'Idempotency-Key': `pay-${run}` };
      const body = { from: 'org', to: me, amount: '7' };
      const first = await hospitalAdmin.post('/v1/token/transfers', body, key);
      expect(first.status).toBe(201);
      const retry = await hospitalAdmin.post('/v1/token/transfers', body, key);
      expect(retry.status).toBe(201);
      expect(retry.body.data).toEqual(first.body.data);
      expect(retry.body.transaction).toEqual({ ...first.body.transaction, replayed: true });
      expect(await balance('org::HospitalMSP')).toBe(before - 7n);
      const error = expectError(await hospitalAdmin.post('/v1/token/transfers', { ...body, amount: '8' }, key), 409, 'CONFLICT');
      expect(error.message).toContain(first.body.data.txId);
      expect(await balance('org::HospitalMSP')).toBe(before - 7n);
    });

    it('records one access for a key, and the retry answers that access', async () => {
      const before = await remaining(licenseId);
      const key = { 'Idempotency-Key': `use-${run}` };
      const body = { purpose: 'clinical-diagnosis', requestHash: sha256(`retried-${run}`) };
      const first = await practitioner.post(`/v1/licenses/${licenseId}/accesses`, body, key);
      expect(first.status).toBe(201);
      const retry = await practitioner.post(`/v1/licenses/${licenseId}/accesses`, body, key);
      expect(retry.status).toBe(201);
      expect(retry.body.data.accessId).toBe(first.body.data.accessId);
      expect(retry.body.transaction).toEqual({ ...first.body.transaction, replayed: true });
      expect(await remaining(licenseId)).toBe(String(Number(before) - 1));
    });

    it('answers 400 to a malformed key, before the ledger', async () => {
      const before = await balance('org::HospitalMSP');
      const response = await issuer.post('/v1/token/mints', { to: 'org::HospitalMSP', amount: '5' }, { 'Idempotency-Key': 'has spaces' });
      const error = expectError(response, 400, 'INVALID_ARGUMENT');
      expect(error.message).toMatch(/idempotency-key/i);
      expect(await balance('org::HospitalMSP')).toBe(before);
    });
  });

  it('named in Location, on every 201, where the regulator reads what the write created', async () => {
    const created = api.responses.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThan(10);
    const kinds = new Set<string>();
    for (const response of created) {
      const location = response.headers.location;
      expect(location).toMatch(/^\/v1\/(models|offerings|licenses|accesses|listings|proposals|transactions)\/[^/]+/);
      kinds.add(location.split('/')[2]);
      expect({ location, status: (await auditor.get(location)).status }).toEqual({ location, status: 200 });
    }
    // The story creates a model, an offering, a licence and an access, and writes transfers that are only transactions.
    expect([...kinds].sort()).toEqual(['accesses', 'licenses', 'models', 'offerings', 'transactions']);
  });

  it('sent no response that broke the spec, and no 5xx', () => {
    const broken = api.responses.filter((r) => r.status >= 500).map((r) => `${r.status} ${JSON.stringify(r.body)}`);
    expect(broken).toEqual([]);
    expect(api.responses.length).toBeGreaterThan(40);
  });
});
