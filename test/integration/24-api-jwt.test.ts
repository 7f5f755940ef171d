/**
 * Bearer tokens on the real network: a hospital instance configured with its
 * identity provider's JWKS accepts a valid token as the enrolled user it
 * names, signs ledger calls as that user, and refuses a bad signature, an
 * expired token, a wrong audience and a user who is not enrolled.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Response } from 'supertest';
import { ApiFleet, startApiFleet } from '../support/api';
import { makeIdp, TestIdp } from '../support/api-jwt';
import { runtimeDir } from '../support/network';

function expectError(response: Response, status: number, code: string, message: RegExp): void {
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: { error: { code, message: expect.stringMatching(message) } },
  });
}

describe('bearer tokens from an org identity provider', () => {
  let api: ApiFleet;
  let idp: TestIdp;
  const jwksFile = join(runtimeDir, `api-test-jwks-${process.pid}.json`);

  const withToken = (token: string, path = '/v1/me'): Promise<Response> =>
    api
      .anonymous('hospital')
      .get(path)
      .set('Authorization', `Bearer ${token}`)
      .then((r) => r);

  beforeAll(async () => {
    idp = makeIdp(jwksFile);
    api = await startApiFleet({
      orgs: ['hospital'],
      env: {
        MLL_API_JWT_KEYS: jwksFile,
        MLL_API_JWT_ISSUER: idp.issuer,
        MLL_API_JWT_AUDIENCE: idp.audience,
        MLL_API_JWT_CLOCK_TOLERANCE_S: '5',
      },
    });
  });

  afterAll(async () => {
    await api?.stop();
    rmSync(jwksFile, { force: true });
  });

  it('signs as the enrolled user a valid token names', async () => {
    const response = await withToken(idp.token({ sub: 'practitioner1', jti: 'j-1' }));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ user: 'practitioner1', org: 'hospital', mspId: 'HospitalMSP', role: 'practitioner' });
    expect(response.body.account).toMatch(/^x509::HospitalMSP::/);
    // The same identity as its API key: the ledger sees one account.
    const byKey = await api.as('hospital', 'practitioner1').get('/v1/me');
    expect(byKey.body.account).toBe(response.body.account);
    // And the role guard applies to it like to a key: a practitioner may not mint.
    const mint = await api
      .anonymous('hospital')
      .post('/v1/token/mints')
      .set('Authorization', `Bearer ${idp.token({ sub: 'practitioner1' })}`)
      .send({ to: 'org::HospitalMSP', amount: '1' });
    expectError(mint, 403, 'FORBIDDEN', /needs role issuer/);
  });

  it('answers 401 to a token whose signature does not verify', async () => {
    expectError(await withToken(idp.token({ sub: 'practitioner1' }, idp.strangerKey)), 401, 'UNAUTHENTICATED', /signature does not verify/);
    const [header, payload, signature] = idp.token({ sub: 'practitioner1' }).split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'admin' })).toString(
      'base64url',
    );
    expectError(await withToken(`${header}.${forged}.${signature}`), 401, 'UNAUTHENTICATED', /signature does not verify/);
  });

  it('answers 401 to an expired token, a wrong audience, and a malformed header', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    expectError(await withToken(idp.token({ sub: 'practitioner1', iat: past - 60, exp: past })), 401, 'UNAUTHENTICATED', /expired/);
    expectError(await withToken(idp.token({ sub: 'practitioner1', aud: 'another-api' })), 401, 'UNAUTHENTICATED', /"aud"/);
    const garbled = await api.anonymous('hospital').get('/v1/me').set('Authorization', 'Basic cHJhY3RpdGlvbmVyMTp4');
    expectError(garbled, 401, 'UNAUTHENTICATED', /Bearer <JWT>/);
  });

  // Found by schemathesis: it sends a made-up bearer token beside the API key it was given, and every request got 401.
  it('authenticates by the API key when a request sends one beside a bearer token', async () => {
    const key = api.as('hospital', 'clerk1').key;
    const both = await api.anonymous('hospital').get('/v1/me').set('X-API-Key', key).set('Authorization', 'Bearer not.a.token');
    expect(both.status).toBe(200);
    expect(both.body).toMatchObject({ user: 'clerk1', org: 'hospital' });
    const badKey = await api
      .anonymous('hospital')
      .get('/v1/me')
      .set('X-API-Key', 'mll_0000000000000000_x')
      .set('Authorization', `Bearer ${idp.token({ sub: 'practitioner1' })}`);
    expectError(badKey, 401, 'UNAUTHENTICATED', /API key is unknown/);
  });

  it('answers 403 to a valid token that names no enrolled user of the org', async () => {
    expectError(await withToken(idp.token({ sub: 'mallory' })), 403, 'FORBIDDEN', /"mallory" is not an enrolled user of HospitalMSP/);
    // A user of another org is not a user of this one.
    expectError(await withToken(idp.token({ sub: 'auditor1' })), 403, 'FORBIDDEN', /not an enrolled user/);
  });
});
