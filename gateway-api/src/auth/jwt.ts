/**
 * Bearer tokens (JWT) from an org's own identity provider. A token is
 * accepted when its signature verifies against the configured public keys
 * (a JWKS file, or one PEM public key), with an allowed algorithm, the
 * configured issuer and audience, and it is neither expired nor not yet
 * valid. Its user claim names the enrolled Fabric user of this org that the
 * caller signs as.
 */
import { createPublicKey, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, errors, JSONWebKeySet, JWTPayload, JWTVerifyGetKey, jwtVerify } from 'jose';
import { ApiCode, ApiError } from '../errors';

/** Settings of bearer tokens (from `config.ts`). */
export interface JwtSettings {
  /** A JWKS (JSON `{ "keys": [...] }`) or a PEM public key. */
  readonly keysFile: string;
  readonly issuer: string;
  readonly audience: string;
  /** The claim that holds the enrolled user's name (`sub` by default). */
  readonly userClaim: string;
  readonly algorithms: readonly string[];
  readonly clockToleranceSeconds: number;
}

/** A verified token: the user it names, and its id for the logs and the rate limit. */
export interface VerifiedToken {
  readonly user: string;
  readonly subject: string;
  readonly tokenId?: string;
}

type Key = KeyObject | JWTVerifyGetKey;

/**
 * Reads the key file.
 *
 * @throws Error when it is neither a PEM public key nor a JWKS.
 */
function loadKeys(file: string): Key {
  const text = readFileSync(file, 'utf8');
  if (text.trimStart().startsWith('-----BEGIN')) {
    return createPublicKey(text);
  }
  let jwks: JSONWebKeySet;
  try {
    jwks = JSON.parse(text) as JSONWebKeySet;
  } catch {
    throw new Error(`${file} is neither a PEM public key nor a JWKS (JSON)`);
  }
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) {
    throw new Error(`${file} is a JWKS with no keys`);
  }
  return createLocalJWKSet(jwks);
}

export class BearerVerifier {
  private readonly key: Key;

  /** @throws Error when the key file cannot be read or parsed. */
  constructor(private readonly settings: JwtSettings) {
    this.key = loadKeys(settings.keysFile);
  }

  /**
   * Verifies a compact JWT.
   *
   * @throws ApiError UNAUTHENTICATED saying why: a bad signature, an unknown
   *   key, an expired or not-yet-valid token, a wrong issuer or audience, a
   *   disallowed algorithm, or no user claim.
   */
  async verify(token: string): Promise<VerifiedToken> {
    const { issuer, audience, algorithms, clockToleranceSeconds, userClaim } = this.settings;
    let payload: JWTPayload;
    try {
      const options = { issuer, audience, algorithms: [...algorithms], clockTolerance: clockToleranceSeconds, requiredClaims: ['exp'] };
      // jwtVerify is overloaded on the key's type; both branches take the same options.
      ({ payload } = this.key instanceof KeyObject ? await jwtVerify(token, this.key, options) : await jwtVerify(token, this.key, options));
    } catch (err) {
      throw new ApiError(ApiCode.UNAUTHENTICATED, `the bearer token was refused: ${reasonOf(err)}`);
    }
    const user = payload[userClaim];
    if (typeof user !== 'string' || user === '') {
      throw new ApiError(ApiCode.UNAUTHENTICATED, `the bearer token has no "${userClaim}" claim naming a user`);
    }
    return { user, subject: payload.sub ?? user, tokenId: payload.jti };
  }
}

/** A reason a caller can act on, without echoing the token. */
function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'it has expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `claim "${err.claim}" is not acceptable (${err.reason})`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no configured key matches it';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'its algorithm is not allowed';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'it is not a well-formed JWT';
  return 'it cannot be verified';
}
