/** What the auth middleware attaches to a request, and how routes read it. */
import type { Window } from '@model-ledger/contract';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ApiCode, ApiError } from '../errors';
import type { EnrolledUser } from '../fabric/identity';
import type { Session } from '../fabric/ledger';
import type { PageRequest } from '../services/common';
import { RequestIds, type TransactionLookup } from '../services/requests';

export interface Caller {
  readonly user: EnrolledUser;
  readonly session: Session;
  /** The id of the API key the caller presented (never the key). */
  readonly keyId: string;
  /** For a response that outlives the request's one deadline (an export): a session whose every call gets its own, and the channel height. */
  readonly stream: { readonly session: Session; height(): Promise<bigint> };
}

export function callerOf(res: Response): Caller {
  const caller = res.locals.caller as Caller | undefined;
  if (caller === undefined) {
    throw new ApiError(ApiCode.UNAUTHENTICATED, 'no authenticated caller');
  }
  return caller;
}

/**
 * Starts the request's one deadline when it arrives (`MLL_API_REQUEST_DEADLINE_MS`):
 * the caller's session bounds every ledger call made for the request by it.
 */
export function requestDeadline(deadlineMs: number): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.locals.deadline = Date.now() + deadlineMs;
    next();
  };
}

/** When the request's ledger calls must have ended (epoch ms); undefined before `requestDeadline` ran. */
export function deadlineOf(res: Response): number | undefined {
  return res.locals.deadline as number | undefined;
}

/** The session that signs as the caller. */
export function sessionOf(res: Response): Session {
  return callerOf(res).session;
}

/** The caller's client request ids (Idempotency-Key), read as the caller; replays are logged with the request. */
export function requestIdsOf(req: Request, res: Response, ledger: TransactionLookup): RequestIds {
  return new RequestIds(sessionOf(res), ledger, req.log);
}

/**
 * The request body, which the OpenAPI validator has already checked against
 * the operation's schema: the one place a route takes the body's type on that
 * trust.
 */
export function bodyOf<T>(req: Request): T {
  return req.body as T;
}

function queryText(req: Request, name: string): string | undefined {
  const value: unknown = req.query[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The spec's default page size (parameter Limit). */
const DEFAULT_LIMIT = 25;

/**
 * `limit` and `cursor` of a list route (already checked against the spec).
 * The validator has coerced `limit` to the integer the spec declares, so it
 * arrives as a number; a string is accepted too, for a route it did not coerce.
 */
export function pageOf(req: Request): PageRequest {
  const limit: unknown = req.query.limit;
  const size = typeof limit === 'number' ? limit : typeof limit === 'string' && limit !== '' ? Number(limit) : DEFAULT_LIMIT;
  return { limit: size, cursor: queryText(req, 'cursor') };
}

/** `from` and `to` of an audit route. */
export function windowOf(req: Request): Window {
  return { from: queryText(req, 'from'), to: queryText(req, 'to') };
}

export function query(req: Request, name: string): string | undefined {
  return queryText(req, name);
}

/** A path parameter (always present on a matched route). */
export function param(req: Request, name: string): string {
  return String(req.params[name]);
}
