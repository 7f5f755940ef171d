import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BearerVerifier } from '../src/auth/jwt';
import { ConfigError, loadConfig } from '../src/config';

const b64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('bearer token settings and verification', () => {
  const dir = mkdtempSync(join(tmpdir(), 'api-jwt-'));
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pemFile = join(dir, 'idp.pem');
  writeFileSync(pemFile, publicKey.export({ format: 'pem', type: 'spki' }));
  const settings = {
    keysFile: pemFile,
    issuer: 'https://idp.example',
    audience: 'api',
    userClaim: 'preferred_username',
    algorithms: ['ES256'],
    clockToleranceSeconds: 0,
  };
  const es256 = (claims: object): string => {
    const signingInput = `${b64url({ alg: 'ES256', typ: 'JWT' })}.${b64url(claims)}`;
    return `${signingInput}.${sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists every missing or bad JWT variable at start-up', () => {
    const attempt = (): unknown =>
      loadConfig({
        MLL_API_ORG: 'hospital',
        MLL_RUNTIME_DIR: dir,
        MLL_API_JWT_KEYS: join(dir, 'none.json'),
        MLL_API_JWT_ALGORITHMS: 'RS256,HS256',
      });
    expect(attempt).toThrow(ConfigError);
    const problems = (() => {
      try {
        attempt();
        return [];
      } catch (err) {
        return [...(err as ConfigError).problems];
      }
    })();
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^MLL_API_JWT_KEYS: no key file/),
        expect.stringMatching(/not "HS256"/),
        'MLL_API_JWT_ISSUER is required',
        'MLL_API_JWT_AUDIENCE is required',
      ]),
    );
  });

  it('verifies an ES256 token against a PEM public key and reads the configured user claim', async () => {
    const now = Math.floor(Date.now() / 1000);
    const verifier = new BearerVerifier(settings);
    await expect(
      verifier.verify(es256({ iss: settings.issuer, aud: 'api', exp: now + 60, sub: 'u-1', preferred_username: 'clerk1' })),
    ).resolves.toEqual({ user: 'clerk1', subject: 'u-1' });
    await expect(
      verifier.verify(es256({ iss: 'https://other.example', aud: 'api', exp: now + 60, preferred_username: 'clerk1' })),
    ).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/"iss"/) });
    await expect(verifier.verify(es256({ iss: settings.issuer, aud: 'api', preferred_username: 'clerk1' }))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringMatching(/"exp"/),
    });
    await expect(verifier.verify(es256({ iss: settings.issuer, aud: 'api', exp: now + 60 }))).rejects.toMatchObject({
      message: expect.stringMatching(/no "preferred_username" claim/),
    });
    const unsigned = `${b64url({ alg: 'none' })}.${b64url({ iss: settings.issuer, aud: 'api', exp: now + 60, preferred_username: 'admin' })}.`;
    await expect(verifier.verify(unsigned)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
