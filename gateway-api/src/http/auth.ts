/**
 * Authentication and the API's own authorisation. Every /v1 request carries
 * an API key (`X-API-Key`), which maps to an enrolled Fabric identity of this
 * org; every ledger call is signed as that identity. Write routes check the
 * caller's role before anything reaches the ledger; the chaincode checks the
 * same rules again and is the authority.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { KeyStore } from '../auth/keys';
import { ApiCode, ApiError } from '../errors';
import { EnrolledUser, isRegulator, Role } from '../fabric/identity';
import type { Ledger } from '../fabric/ledger';
import { callerOf } from './context';

/** Resolves the API key to a caller, or answers 401. */
export function authenticate(keys: KeyStore, ledger: Ledger): RequestHandler {
  const users = new Map<string, EnrolledUser>();
  return (req: Request, res: Response, next: NextFunction): void => {
    const presented = req.get('x-api-key');
    if (presented === undefined || presented === '') {
      throw new ApiError(ApiCode.UNAUTHENTICATED, 'send an API key in the X-API-Key header');
    }
    const entry = keys.verify(presented);
    if (entry === undefined) {
      throw new ApiError(ApiCode.UNAUTHENTICATED, 'the API key is unknown or revoked');
    }
    let user = users.get(entry.user);
    if (user === undefined) {
      user = ledger.user(entry.user);
      users.set(entry.user, user);
    }
    res.locals.caller = { user, session: ledger.session(user), keyId: entry.id };
    req.log.info({ user: user.name, role: user.role, keyId: entry.id }, 'authenticated');
    next();
  };
}

/** Who may call a write route. */
export interface WriteRule {
  /** What the route does, for the error message: "register a model". */
  readonly action: string;
  /** Roles allowed; omitted means any non-regulator role. */
  readonly roles?: readonly Role[];
  /** MSP ids allowed; omitted means any member org. */
  readonly mspIds?: readonly string[];
}

/**
 * Guards a write route. A regulator always gets 403 here, so its writes
 * never reach the ledger; other callers need one of the rule's roles.
 */
export function writer(rule: WriteRule): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const { user } = callerOf(res);
    if (isRegulator(user)) {
      throw new ApiError(ApiCode.FORBIDDEN, `regulators may read and audit but never ${rule.action}`);
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
