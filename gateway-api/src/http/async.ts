/**
 * `Prefer: respond-async` (RFC 7240) on a write: the caller does not wait
 * for the commit. The write's session is swapped for one that stops once the
 * orderer has the transaction; the answer is 202 with `Location:
 * /v1/transactions/{id}`, which answers 404 until the transaction is in a
 * block and then its validation code.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Submitted } from '../fabric/ledger';
import type { Ledger } from '../fabric/ledger';
import { callerOf, deadlineOf } from './context';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Inference answers with the model's result, which exists only once the access has committed. */
const ALWAYS_SYNC = /^\/models\/[^/]+\/infer$/;

/** Whether the request prefers an asynchronous answer. */
function prefersAsync(req: Request): boolean {
  return (req.get('prefer') ?? '')
    .split(',')
    .some((preference) => preference.trim().split(';')[0].trim().toLowerCase() === 'respond-async');
}

/** Gives a write that prefers respond-async the caller's asynchronous session. */
export function preferAsync(ledger: Ledger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (WRITES.has(req.method) && prefersAsync(req) && !ALWAYS_SYNC.test(req.path)) {
      const caller = callerOf(res);
      res.locals.caller = { ...caller, session: ledger.asyncSession(caller.user, deadlineOf(res)) };
    }
    next();
  };
}

/** Answers 202 for a write that reached the orderer; passes every real error on. */
export function acceptedWrites(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (!(err instanceof Submitted) || res.headersSent) {
    next(err);
    return;
  }
  const location = `/v1/transactions/${err.transactionId}`;
  res
    .status(202)
    .set('Location', location)
    .set('Preference-Applied', 'respond-async')
    .json({ transaction: { id: err.transactionId, status: 'submitted', location } });
}
