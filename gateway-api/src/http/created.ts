/**
 * `Location` on every 201 (RFC 9110 §10.2.2): where the created resource can
 * be read. A write that creates something the API serves (a model, a
 * version, an offering, a licence, an access, a listing, a proposal) points
 * at it; every other write (a transfer, a vote, a claim) created a
 * transaction, and points at its status.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';

interface Written {
  data?: Record<string, unknown>;
  transaction?: { id?: unknown };
}

/** POST routes whose 201 names a resource of its own, and how to find its path in the answer. */
const RESOURCES: readonly [RegExp, (body: Written, match: RegExpExecArray) => string | undefined][] = [
  [/^\/v1\/models$/, (b) => idIn(b.data, 'modelId', '/v1/models/')],
  [/^\/v1\/models\/([^/]+)\/versions$/, (b, m) => idIn(b.data, 'version', `/v1/models/${m[1]}/versions/`)],
  [/^\/v1\/offerings$/, (b) => idIn(b.data?.offering, 'offeringId', '/v1/offerings/')],
  [/^\/v1\/purchases$/, (b) => idIn(b.data, 'licenseId', '/v1/licenses/')],
  [/^\/v1\/licenses\/[^/]+\/accesses$/, (b) => idIn(b.data, 'accessId', '/v1/accesses/')],
  [/^\/v1\/listings$/, (b) => idIn(b.data, 'listingId', '/v1/listings/')],
  [/^\/v1\/proposals$/, (b) => idIn(b.data, 'proposalId', '/v1/proposals/')],
];

/** PREFIX and the string at KEY of an object, percent-encoded as a path segment. */
function idIn(value: unknown, key: string, prefix: string): string | undefined {
  const id = (value as Record<string, unknown> | undefined)?.[key];
  return typeof id === 'string' ? `${prefix}${encodeURIComponent(id)}` : undefined;
}

/** The Location of a 201 to `path` with `body`, if it can name one. */
export function locationOf(path: string, body: unknown): string | undefined {
  const written = (body ?? {}) as Written;
  for (const [pattern, find] of RESOURCES) {
    const match = pattern.exec(path);
    if (match === null) continue;
    const found = find(written, match);
    if (found !== undefined) return found;
  }
  const transactionId = written.transaction?.id;
  return typeof transactionId === 'string' ? `/v1/transactions/${transactionId}` : undefined;
}

/** Sets `Location` on each 201 a route answers with JSON, unless the route set one. */
export function createdLocation(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode === 201 && !res.hasHeader('Location')) {
        const location = locationOf(new URL(req.originalUrl, 'http://api.invalid').pathname, body);
        if (location !== undefined) res.setHeader('Location', location);
      }
      return json(body);
    };
    next();
  };
}
