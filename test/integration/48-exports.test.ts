/**
 * Exports for auditors (issue 16 §2): an audit list asked for with
 * `Accept: text/csv` or `Accept: application/x-ndjson` streams every record,
 * page after page, and ends with the count and the block height. The export
 * holds exactly what paging the JSON list gives, CSV parses strictly as
 * RFC 4180, a refusal comes as the usual JSON error before anything streams,
 * and a client that leaves mid-export costs the instance nothing.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { allPages, ApiCaller, ApiFleet, expectStatus, startApiFleet } from '../support/api';
import { sha256 } from '../support/ledger';
import { labModel, meteredOffering } from '../support/story';

/** Accesses recorded on the test's licence: more than two export pages (100 each). */
const ACCESSES = 230;

interface Export {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  trailers: NodeJS.Dict<string>;
}

/** GET PATH from CALLER's instance with ACCEPT, read whole, trailers included (fetch does not expose them). */
function exportOf(caller: ApiCaller, path: string, accept: string): Promise<Export> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, caller.url), { headers: { 'X-API-Key': caller.key, Accept: accept } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          trailers: res.trailers,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The records of an NDJSON export and its last line's summary. */
function ndjson(body: string): {
  records: Record<string, unknown>[];
  summary: { count: number; blockHeight: string; startBlockHeight: string };
} {
  expect(body.endsWith('\n')).toBe(true);
  const lines = body
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const last = lines.pop() as { export?: { count: number; blockHeight: string; startBlockHeight: string } };
  expect(last.export).toBeDefined();
  return { records: lines, summary: last.export! };
}

describe('exports of audit lists', () => {
  const tag = `${process.pid}-${Date.now()}`;
  let api: ApiFleet;
  let auditor: ApiCaller;
  let hospitalAdmin: ApiCaller;
  let licenseId: string;
  let offeringId: string;
  let modelId: string;
  /** The licence's accesses as the regulator pages them, oldest first. */
  let paged: Record<string, unknown>[];

  beforeAll(async () => {
    api = await startApiFleet({ orgs: ['lab', 'hospital', 'clearing', 'regulator'] });
    auditor = api.as('regulator', 'auditor1');
    hospitalAdmin = api.as('hospital', 'admin');
    const labAdmin = api.as('lab', 'admin');
    const practitioner = api.as('hospital', 'practitioner1');
    const engineerAccount = expectStatus(await api.as('lab', 'engineer1').get('/v1/me'), 200).account as string;
    modelId = expectStatus(
      await labAdmin.post(
        '/v1/models',
        labModel({ slug: 'exported', description: 'A model whose accesses are exported', run: tag, engineerAccount }),
      ),
      201,
    ).data.modelId as string;
    offeringId = expectStatus(
      await labAdmin.post('/v1/offerings', {
        modelId,
        ...meteredOffering({ unitPrice: '1', allowedMspIds: ['HospitalMSP'] }),
        supplyCap: '1000',
      }),
      201,
    ).data.offering.offeringId as string;
    expectStatus(await api.as('clearing', 'issuer1').post('/v1/token/mints', { to: 'org::HospitalMSP', amount: '1000' }), 201);
    licenseId = expectStatus(await hospitalAdmin.post('/v1/purchases', { offeringId, units: String(ACCESSES), payer: 'org' }), 201).data
      .licenseId as string;
    // 23 in flight at a time: the licence's lots take them without conflicts.
    for (let done = 0; done < ACCESSES; done += 23) {
      const batch = Array.from({ length: Math.min(23, ACCESSES - done) }, (_, i) =>
        practitioner.post(`/v1/licenses/${licenseId}/accesses`, { purpose: 'research', requestHash: sha256(`export-${tag}-${done + i}`) }),
      );
      for (const response of await Promise.all(batch)) expectStatus(response, 201);
    }
    paged = await allPages(auditor, `/v1/audit/accesses?licenseId=${licenseId}`);
    expect(paged).toHaveLength(ACCESSES);
  });

  afterAll(async () => {
    await api?.stop();
  });

  it('exports every access of a licence as NDJSON, record for record what the pages hold, then the count and the height', async () => {
    const response = await exportOf(auditor, `/v1/audit/accesses?licenseId=${licenseId}`, 'application/x-ndjson');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(response.headers['content-disposition']).toBe('attachment; filename="audit-accesses.ndjson"');
    const { records, summary } = ndjson(response.body);
    expect(records).toEqual(paged);
    expect(summary.count).toBe(ACCESSES);
    expect(BigInt(summary.blockHeight)).toBeGreaterThanOrEqual(BigInt(summary.startBlockHeight));
  });

  it('exports them as RFC 4180 CSV with a header row, and the count and height as HTTP trailers', async () => {
    const response = await exportOf(auditor, `/v1/audit/accesses?licenseId=${licenseId}`, 'text/csv');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(response.headers.trailer).toBe('Export-Count, Export-Block-Height');
    expect(response.trailers['export-count']).toBe(String(ACCESSES));
    expect(Number(response.trailers['export-block-height'])).toBeGreaterThan(0);
    expect(response.body.split('\r\n').at(-1)).toBe('');
    const rows = parseCsv<Record<string, string>>(response.body, { columns: true, relax_quotes: false, relax_column_count: false });
    expect(rows).toHaveLength(ACCESSES);
    expect(Object.keys(rows[0]).slice(0, 4)).toEqual(['accessId', 'licenseId', 'offeringId', 'modelId']);
    rows.forEach((row, i) => {
      const record = paged[i];
      expect(row.accessId).toBe(record.accessId);
      expect(row.units).toBe(record.units);
      expect(row.timestamp).toBe(record.timestamp);
      expect(JSON.parse(row.royalties)).toEqual(record.royalties);
    });
  });

  it('starts an export where a page’s cursor points, so an interrupted export resumes', async () => {
    const first = expectStatus(await auditor.get(`/v1/audit/accesses?licenseId=${licenseId}&limit=40`), 200);
    const rest = await exportOf(
      auditor,
      `/v1/audit/accesses?licenseId=${licenseId}&cursor=${first.nextCursor as string}`,
      'application/x-ndjson',
    );
    const { records, summary } = ndjson(rest.body);
    expect(summary.count).toBe(ACCESSES - 40);
    expect(records).toEqual(paged.slice(40));
  });

  it('exports purchases, royalty payments, trades and balance history the same way', async () => {
    for (const path of [
      `/v1/offerings/${offeringId}/purchases`,
      `/v1/accounts/org::LabMSP/royalty-payments?modelId=${modelId}`,
      `/v1/models/${modelId}/trades`,
      `/v1/licenses/${licenseId}/accesses`,
    ]) {
      const pages = await allPages(auditor, path);
      const { records, summary } = ndjson((await exportOf(auditor, path, 'application/x-ndjson')).body);
      expect({ path, records }).toEqual({ path, records: pages });
      expect(summary.count).toBe(pages.length);
      const csv = await exportOf(auditor, path, 'text/csv');
      expect({ path, trailer: csv.trailers['export-count'] }).toEqual({ path, trailer: String(pages.length) });
    }
    // A member exports what it may page: its own treasury's balance history.
    const history = await allPages(hospitalAdmin, '/v1/accounts/org::HospitalMSP/balance-history');
    const exported = ndjson((await exportOf(hospitalAdmin, '/v1/accounts/org::HospitalMSP/balance-history', 'application/x-ndjson')).body);
    expect(exported.summary.count).toBe(history.length);
  });

  it('fills each page of royalty payments filtered by model, so no page is empty while payments remain', async () => {
    // The lab is paid by two models from now on: three accesses of a second model among sixty of the first.
    const from = new Date(Date.now() - 1000).toISOString();
    const labAdmin = api.as('lab', 'admin');
    const practitioner = api.as('hospital', 'practitioner1');
    const engineerAccount = expectStatus(await api.as('lab', 'engineer1').get('/v1/me'), 200).account as string;
    const rareModel = expectStatus(
      await labAdmin.post('/v1/models', labModel({ slug: 'rarely-used', description: 'A model seldom called', run: tag, engineerAccount })),
      201,
    ).data.modelId as string;
    const rareOffering = expectStatus(
      await labAdmin.post('/v1/offerings', { modelId: rareModel, ...meteredOffering({ unitPrice: '1', allowedMspIds: ['HospitalMSP'] }) }),
      201,
    ).data.offering.offeringId as string;
    const rareLicense = expectStatus(await hospitalAdmin.post('/v1/purchases', { offeringId: rareOffering, units: '3', payer: 'org' }), 201)
      .data.licenseId as string;
    const busyLicense = expectStatus(await hospitalAdmin.post('/v1/purchases', { offeringId, units: '60', payer: 'org' }), 201).data
      .licenseId as string;
    for (let round = 0; round < 3; round++) {
      const busy = Array.from({ length: 20 }, (_, i) =>
        practitioner.post(`/v1/licenses/${busyLicense}/accesses`, {
          purpose: 'research',
          requestHash: sha256(`busy-${tag}-${round}-${i}`),
        }),
      );
      for (const response of await Promise.all(busy)) expectStatus(response, 201);
      expectStatus(
        await practitioner.post(`/v1/licenses/${rareLicense}/accesses`, {
          purpose: 'research',
          requestHash: sha256(`rare-${tag}-${round}`),
        }),
        201,
      );
    }
    const path = `/v1/accounts/org::LabMSP/royalty-payments?modelId=${rareModel}&from=${from}&limit=2`;
    const first = expectStatus(await auditor.get(path), 200);
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = expectStatus(await auditor.get(`${path}&cursor=${first.nextCursor as string}`), 200);
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect([...first.items, ...second.items].every((row: { modelId: string }) => row.modelId === rareModel)).toBe(true);
  });

  it('refuses a bad request with the JSON error before anything streams', async () => {
    const badCursor = await exportOf(auditor, `/v1/audit/accesses?licenseId=${licenseId}&cursor=not-ours`, 'text/csv');
    expect(badCursor.status).toBe(400);
    expect(badCursor.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(badCursor.body)).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/cursor/) } });
    const twoFilters = await exportOf(auditor, `/v1/audit/accesses?licenseId=${licenseId}&modelId=${modelId}`, 'application/x-ndjson');
    expect(twoFilters.status).toBe(400);
    expect(JSON.parse(twoFilters.body)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    const noKey = await exportOf({ url: auditor.url, key: 'mll_nope' } as ApiCaller, '/v1/audit/accesses', 'text/csv');
    expect(noKey.status).toBe(401);
    // A type no list offers is not an export: the JSON page, as for any client that asks for JSON.
    const json = await exportOf(auditor, `/v1/audit/accesses?licenseId=${licenseId}&limit=5`, 'application/json');
    expect((JSON.parse(json.body) as { items: unknown[] }).items).toHaveLength(5);
  });

  it('lets a client leave mid-export, and answers the next export whole', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        new URL(`/v1/audit/accesses?licenseId=${licenseId}`, auditor.url),
        { headers: { 'X-API-Key': auditor.key, Accept: 'text/csv' } },
        (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve() : reject(err)));
      req.end();
    });
    const again = await exportOf(auditor, `/v1/audit/accesses?licenseId=${licenseId}`, 'application/x-ndjson');
    expect(ndjson(again.body).summary.count).toBe(ACCESSES);
    expect((await api.anonymous('regulator').get('/healthz')).status).toBe(200);
  });
});
