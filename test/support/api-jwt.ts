/**
 * An identity provider for the tests: an RSA key pair, its JWKS file, and
 * RS256 tokens signed with node:crypto alone (not the library the API
 * verifies with, so the two check each other).
 */
import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';

export interface TestIdp {
  readonly issuer: string;
  readonly audience: string;
  /** Signs a token; `claims` override the defaults (sub, iss, aud, iat, exp an hour ahead). */
  token(claims: Record<string, unknown>, signWith?: KeyObject): string;
  /** Another private key, for tokens whose signature must not verify. */
  readonly strangerKey: KeyObject;
}

const b64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Makes a provider and writes its public JWKS to `jwksFile`. */
export function makeIdp(jwksFile: string, issuer = 'https://idp.hospital.example', audience = 'model-ledger-api'): TestIdp {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'test-key-1';
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] }), {
    mode: 0o600,
  });
  return {
    issuer,
    audience,
    strangerKey: stranger.privateKey,
    token(claims, signWith = privateKey) {
      const now = Math.floor(Date.now() / 1000);
      const header = b64url({ alg: 'RS256', typ: 'JWT', kid });
      const payload = b64url({ iss: issuer, aud: audience, iat: now, exp: now + 3600, ...claims });
      const signature = sign('sha256', Buffer.from(`${header}.${payload}`), signWith).toString('base64url');
      return `${header}.${payload}.${signature}`;
    },
  };
}
