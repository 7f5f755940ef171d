/**
 * Operations of a gateway API instance on the real network: per-key rate
 * limiting (429 with the standard error body), CORS for configured origins
 * only, and the Prometheus metrics of requests, ledger calls and errors.
 */
import { ContractName } from '@model-ledger/contract';
import type { Response } from 'supertest';
import { ApiCaller, ApiFleet, startApiFleet } from '../support/api';
import { sample } from '../support/metrics';

const ALLOWED_ORIGIN = 'https://console.hospital.example';
const LIMIT = 5;

describe('operating a gateway API instance', () => {
  let api: ApiFleet;
  let practitioner: ApiCaller;
  let admin: ApiCaller;
  let clerk: ApiCaller;

  beforeAll(async () => {
    api = await startApiFleet({
      orgs: ['hospital'],
      env: { MLL_API_RATE_LIMIT: String(LIMIT), MLL_API_RATE_WINDOW_MS: '600000', MLL_API_CORS_ORIGINS: ALLOWED_ORIGIN },
    });
    practitioner = api.as('hospital', 'practitioner1');
    admin = api.as('hospital', 'admin');
    clerk = api.as('hospital', 'clerk1');
  });

  afterAll(async () => {
    await api?.stop();
  });

  it('answers 429 with the standard error body once a key passes its limit, and counts each key alone', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      statuses.push((await practitioner.get('/v1/me')).status);
    }
    expect(statuses).toEqual(Array(LIMIT).fill(200));
    const limited: Response = await practitioner.get('/v1/me');
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringMatching(/5 requests per 600 s/) } });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers.ratelimit).toMatch(/remaining=0/);
    // Another key of the same org is not affected.
    expect((await admin.get('/v1/me')).status).toBe(200);
  });

  it('sends CORS headers to a configured origin only', async () => {
    const preflight = await api
      .anonymous('hospital')
      .options('/v1/me')
      .set('Origin', ALLOWED_ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'x-api-key,content-type,prefer');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/X-API-Key/);
    const simple = await api.anonymous('hospital').get('/healthz').set('Origin', ALLOWED_ORIGIN);
    expect(simple.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(simple.headers['access-control-expose-headers']).toMatch(/Location/);
    const other = await api.anonymous('hospital').get('/healthz').set('Origin', 'https://evil.example');
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('exposes request latency by route and status, ledger latency by outcome, retries and errors by code', async () => {
    // clerk1 has no role attribute, so it may not buy: the chaincode refuses it, so the submit is timed with the outcome FORBIDDEN.
    const refused = await clerk.post('/v1/purchases', { offeringId: 'O-does-not-exist', units: '1', payer: 'self' });
    expect({ status: refused.status, message: refused.body.error.message }).toEqual({
      status: 403,
      message: expect.stringMatching(/^FORBIDDEN: /),
    });
    const response = await api.anonymous('hospital').get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.text;
    const org = 'hospital';
    expect(
      sample(text, 'mll_api_request_duration_seconds_count', { org, method: 'GET', route: '/v1/me', status: '200' }),
    ).toBeGreaterThanOrEqual(LIMIT);
    expect(sample(text, 'mll_api_request_duration_seconds_count', { org, method: 'POST', route: '/v1/purchases', status: '403' })).toBe(1);
    expect(
      sample(text, 'mll_api_ledger_duration_seconds_count', {
        org,
        kind: 'evaluate',
        contract: ContractName.token,
        transaction: 'WhoAmI',
        outcome: 'ok',
      }),
    ).toBeGreaterThanOrEqual(LIMIT);
    expect(
      sample(text, 'mll_api_ledger_duration_seconds_count', {
        org,
        kind: 'submit',
        contract: ContractName.license,
        transaction: 'PurchaseLicense',
        outcome: 'FORBIDDEN',
      }),
    ).toBe(1);
    expect(sample(text, 'mll_api_errors_total', { org, code: 'RATE_LIMITED', status: '429' })).toBe(1);
    expect(sample(text, 'mll_api_errors_total', { org, code: 'FORBIDDEN', status: '403' })).toBe(1);
    expect(text).toContain('# TYPE mll_api_ledger_retries_total counter');
  });
});
