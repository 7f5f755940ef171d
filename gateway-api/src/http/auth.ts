/**
 * Authentication and the API's own authorisation. Every /v1 request carries
 * an API key (`X-API-Key`) or, where the org configured its identity
 * provider's keys, a bearer token (`Authorization: Bearer <JWT>`); either
 * maps to an enrolled Fabric identity of this org, and every ledger call is
 * signed as that identity. Write routes check the
 * caller's role before anything reaches the ledger; the chaincode checks the
 * same rules again and is the authority.
 */
import type { Role } from '@model-ledger/contract';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { BearerVerifier } from '../auth/jwt';
import type { KeyStore } from '../auth/keys';
import { ApiCode, ApiError } from '../errors';
import { certificateChanged, EnrolledUser, isReadOnly, isRegulator } from '../fabric/identity';
import type { Ledger } from '../fabric/ledger';
import { type Caller, callerOf, deadlineOf } from './context';

/**
 * Resolves the API key or, when no key is sent, the bearer token to a
 * caller. 401 when neither is sent or the one used does not verify; 403 when
 * a valid token names a user who is not enrolled in this org.
 */
export function authenticate(keys: KeyStore, ledger: Ledger, bearer: BearerVerifier | undefined): RequestHandler {
  const users = new Map<string, EnrolledUser>();
  const userNamed = (name: string): EnrolledUser => {
    let user = users.get(name);
    // A renewed certificate (and key) is loaded at the user's next request; no restart.
    if (user === undefined || certificateChanged(user)) {
      user = ledger.user(name);
      users.set(name, user);
    }
    return user;
  };
  const streamOf = (user: EnrolledUser): Caller['stream'] => ({ session: ledger.session(user), height: () => ledger.height() });
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    // An API key, when sent, is what authenticates: it is a whole credential, so a bearer token beside it adds nothing.
    const presented = req.get('x-api-key');
    if (presented !== undefined && presented !== '') {
      const entry = keys.verify(presented);
      if (entry === undefined) {
        throw new ApiError(ApiCode.UNAUTHENTICATED, 'the API key is unknown or revoked');
      }
      const user = userNamed(entry.user);
      res.locals.caller = { user, session: ledger.session(user, deadlineOf(res)), keyId: entry.id, stream: streamOf(user) };
      req.log.info({ user: user.name, role: user.role, keyId: entry.id }, 'authenticated');
      next();
      return;
    }
    const authorization = req.get('authorization');
    if (authorization === undefined || authorization === '') {
      throw new ApiError(ApiCode.UNAUTHENTICATED, 'send an API key in the X-API-Key header, or a bearer token');
    }
    const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(authorization);
    if (match === null) {
      throw new ApiError(ApiCode.UNAUTHENTICATED, 'the Authorization header must read "Bearer <JWT>"');
    }
    if (bearer === undefined) {
      throw new ApiError(ApiCode.UNAUTHENTICATED, 'this instance accepts no bearer tokens; send an API key in the X-API-Key header');
    }
    const token = await bearer.verify(match[1]);
    if (!ledger.isEnrolled(token.user)) {
      throw new ApiError(
        ApiCode.FORBIDDEN,
        `the bearer token is valid, but "${token.user}" is not an enrolled user of ${ledger.binding.org.mspId}`,
      );
    }
    const user = userNamed(token.user);
    // Rate limited per user: a token has no stable id of its own across refreshes.
    res.locals.caller = { user, session: ledger.session(user, deadlineOf(res)), keyId: `jwt:${token.user}`, stream: streamOf(user) };
    req.log.info({ user: user.name, role: user.role, subject: token.subject, tokenId: token.tokenId }, 'authenticated by bearer token');
    next();
  };
}

/** Who may call a write route. */
export interface WriteRule {
  /** What the route does, for the error message: "register a model". */
  readonly action: string;
  /** Roles allowed; omitted means any caller that is not read-only (the chaincode still needs a role it knows). */
  readonly roles?: readonly Role[];
  /** MSP ids allowed; omitted means any member org. */
  readonly mspIds?: readonly string[];
}

/**
 * Guards a write route. A read-only caller always gets 403 here, so its
 * writes never reach the ledger: a regulator (any RegulatorMSP identity), or
 * a member identity whose certificate says `role=regulator`, as the
 * chaincode's `requireWriter` rules. Other callers need one of the rule's roles.
 */
export function writer(rule: WriteRule): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const { user } = callerOf(res);
    if (isRegulator(user)) {
      throw new ApiError(ApiCode.FORBIDDEN, `regulators may read and audit but never ${rule.action}`);
    }
    if (isReadOnly(user)) {
      throw new ApiError(
        ApiCode.FORBIDDEN,
        `${user.name} has role regulator, which is read-only: it may never ${rule.action} (and reads only what ${user.mspId} may)`,
      );
    }
    if (rule.roles !== undefined && (user.role === null || !rule.roles.includes(user.role))) {
      throw new ApiError(
        ApiCode.FORBIDDEN,
        `to ${rule.action} needs role ${rule.roles.join(' or ')}; ${user.name} has role ${user.role ?? 'none'}`,
      );
    }
    if (rule.mspIds !== undefined && !rule.mspIds.includes(user.mspId)) {
      throw new ApiError(ApiCode.FORBIDDEN, `only ${rule.mspIds.join(' or ')} may ${rule.action}, not ${user.mspId}`);
    }
    next();
  };
}
