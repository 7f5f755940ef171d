/**
 * The typed client (client/) on the real network, as an API consumer uses
 * it: signed in with an API key, paging a whole list, buying with an
 * Idempotency-Key it makes and replaying it with one the caller chose,
 * switching on the API's error codes, following the event stream and
 * resuming it after a break without a repeat, and running the demo model
 * that the start command seeds, through the start command's own instance.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, committed, createClient, ok, type LedgerClient, type Schemas } from '@model-ledger/client';
import { allPages, ApiFleet, startApiFleet } from '../support/api';
import { loadPlan, runtimeDir } from '../support/network';
import { labModel, meteredOffering } from '../support/story';

describe('the typed client on the consortium', () => {
  const tag = `${process.pid}-${Date.now()}`;
  let fleet: ApiFleet;
  let lab: LedgerClient;
  let hospital: LedgerClient;
  let auditor: LedgerClient;
  let offeringId: string;

  const clientOf = (org: 'lab' | 'hospital' | 'regulator' | 'clearing', user: string): LedgerClient => {
    const caller = fleet.as(org, user);
    return createClient({ baseUrl: caller.url, credentials: { apiKey: caller.key } });
  };

  beforeAll(async () => {
    fleet = await startApiFleet({ orgs: ['lab', 'hospital', 'clearing', 'regulator'] });
    lab = clientOf('lab', 'admin');
    hospital = clientOf('hospital', 'admin');
    auditor = clientOf('regulator', 'auditor1');
    const engineer = await clientOf('lab', 'engineer1').me();
    // The story's builder types its arrays readonly, as the chaincode client does; the body is the same JSON.
    const body = labModel({
      slug: 'client',
      description: 'A model bought through the typed client',
      run: tag,
      engineerAccount: engineer.account,
    });
    const model = committed(await lab.api.POST('/v1/models', { body: body as unknown as Schemas['NewModel'] }));
    const offering = committed(
      await lab.api.POST('/v1/offerings', {
        body: { modelId: model.data.modelId, ...meteredOffering({ unitPrice: '3', allowedMspIds: ['HospitalMSP'] }) },
      }),
    );
    offeringId = offering.data.offering.offeringId;
    ok(await clientOf('clearing', 'issuer1').api.POST('/v1/token/mints', { body: { to: 'org::HospitalMSP', amount: '300' } }));
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  it('buys once per Idempotency-Key: its own for each call, the caller’s replayed', async () => {
    const first = committed(await hospital.api.POST('/v1/purchases', { body: { offeringId, units: '2', payer: 'org' } }));
    const second = committed(await hospital.api.POST('/v1/purchases', { body: { offeringId, units: '2', payer: 'org' } }));
    expect(second.data.licenseId).not.toBe(first.data.licenseId);
    const key = { 'Idempotency-Key': `client-${tag}` };
    const mine = committed(
      await hospital.api.POST('/v1/purchases', { body: { offeringId, units: '1', payer: 'org' }, params: { header: key } }),
    );
    const again = committed(
      await hospital.api.POST('/v1/purchases', { body: { offeringId, units: '1', payer: 'org' }, params: { header: key } }),
    );
    expect(again.data.licenseId).toBe(mine.data.licenseId);
    expect(again.transaction).toEqual({ ...mine.transaction, replayed: true });
  });

  it('pages a whole list as one iteration, as the pages hold it', async () => {
    const items = [];
    for await (const purchase of auditor.items('/v1/offerings/{offeringId}/purchases', { path: { offeringId } }, 2)) items.push(purchase);
    expect(items).toHaveLength(3);
    expect(items).toEqual(await allPages(fleet.as('regulator', 'auditor1'), `/v1/offerings/${offeringId}/purchases`));
  });

  it('hands back the API’s refusal as an ApiError a caller switches on', async () => {
    const refused = await hospital.api.POST('/v1/purchases', { body: { offeringId, units: '100000', payer: 'org' } });
    let caught: unknown;
    try {
      ok(refused);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ApiError);
    // More units than the offering's supply cap: the chaincode's code, as the API maps it.
    expect(caught).toMatchObject({ status: 409, code: 'SUPPLY_EXHAUSTED' });
    await expect(auditor.api.POST('/v1/purchases', { body: { offeringId, units: '1', payer: 'org' } }).then(ok)).rejects.toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
  });

  it('follows the event stream and resumes it after a break with nothing missed and nothing repeated', async () => {
    const seen: string[] = [];
    const first = new AbortController();
    const buy = (units: string): Promise<string> =>
      hospital.api
        .POST('/v1/purchases', { body: { offeringId, units, payer: 'org' } })
        .then(committed)
        .then((r) => r.transaction.id);
    let lastEventId: string | undefined;
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const stream = (async () => {
      for await (const event of auditor.events({ signal: first.signal, onOpen: () => opened() })) {
        if (event.event !== 'LicensePurchased') continue;
        seen.push(event.data.transactionId);
        lastEventId = event.id;
        first.abort();
      }
    })();
    // The stream starts with the next event: write once the API has accepted it.
    await open;
    const one = await buy('1');
    await stream;
    expect(seen).toEqual([one]);

    // Two more purchases while nobody listens; the resumed stream gives them, and not the first again.
    const two = await buy('1');
    const three = await buy('1');
    const resumed = new AbortController();
    for await (const event of auditor.events({ lastEventId, signal: resumed.signal })) {
      if (event.event !== 'LicensePurchased') continue;
      seen.push(event.data.transactionId);
      if (seen.length === 3) resumed.abort();
    }
    expect(seen).toEqual([one, two, three]);
  });

  it('runs the demo model that the start command seeds, and says replayed when the same key asks again', async () => {
    const demo = JSON.parse(readFileSync(join(runtimeDir, 'api', 'demo.json'), 'utf8')) as { modelId: string; licenseId: string };
    const request = JSON.parse(readFileSync(join(runtimeDir, 'api', 'demo-infer.json'), 'utf8')) as Parameters<LedgerClient['infer']>[1];
    const key = readFileSync(join(runtimeDir, 'api', 'demo-keys.tsv'), 'utf8')
      .split('\n')
      .map((line) => line.split('\t'))
      .find(([org]) => org === 'hospital')?.[2];
    const url = (loadPlan().orgs.find((o) => o.name === 'hospital') as unknown as { api: { url: string } }).api.url;
    const practitioner = createClient({ baseUrl: url, credentials: { apiKey: key ?? '' } });
    const idempotencyKey = `demo-${tag}`;
    const answer = await practitioner.infer(demo.modelId, request, idempotencyKey);
    expect(answer.receipt).toMatchObject({ modelId: demo.modelId, licenseId: demo.licenseId });
    expect(answer.receipt.replayed).toBeUndefined();
    const replay = await practitioner.infer(demo.modelId, request, idempotencyKey);
    expect(replay.receipt).toEqual({ ...answer.receipt, replayed: true, remainingUnits: replay.receipt.remainingUnits });
    expect(replay.outputs).toEqual(answer.outputs);
  });
});
