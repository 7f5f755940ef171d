/**
 * The one error middleware: every failure becomes
 * `{ "error": { "code", "message", "transactionId"? } }` with the status its
 * code maps to. Nothing else in the API picks an error status.
 */
import type { NextFunction, Request, Response } from 'express';
import { error as validatorErrors } from 'express-openapi-validator';
import { ApiCode, ApiError, type Code } from '../errors';
import { unknownIdOf } from '../fabric/errors';

/**
 * HTTP status by code. 402 marks the states that paying lifts: too little
 * money (INSUFFICIENT_FUNDS), too few units left on a licence
 * (INSUFFICIENT_UNITS), or a term licence that expired (LICENSE_EXPIRED); in
 * each case buying is what lets the caller proceed. Other state clashes are 409.
 * Every code has an entry, so a new code without a status does not compile.
 */
const STATUS: Readonly<Record<Code, number>> = {
  INVALID_ARGUMENT: 400,
  MODEL_INPUT_REJECTED: 400,
  UNAUTHENTICATED: 401,
  INSUFFICIENT_FUNDS: 402,
  INSUFFICIENT_UNITS: 402,
  LICENSE_EXPIRED: 402,
  FORBIDDEN: 403,
  PURPOSE_NOT_PERMITTED: 403,
  TRANSFER_RESTRICTED: 403,
  BELOW_PROPOSAL_THRESHOLD: 403,
  SIGNATURE_INVALID: 403,
  CERTIFICATE_UNTRUSTED: 403,
  BATCH_NOT_PERMITTED: 403,
  NOT_FOUND: 404,
  LISTING_NOT_FOUND: 404,
  PROPOSAL_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  SUPPLY_EXHAUSTED: 409,
  OFFERING_PAUSED: 409,
  OFFERING_RETIRED: 409,
  LEDGER_CONFLICT: 409,
  LISTING_CLOSED: 409,
  NOT_TRANSFERABLE: 409,
  UNITS_LOCKED: 409,
  ASK_BELOW_ROYALTY: 409,
  ALREADY_VOTED: 409,
  VOTING_CLOSED: 409,
  VOTING_OPEN: 409,
  QUORUM_NOT_MET: 409,
  PROPOSAL_REJECTED: 409,
  PROPOSAL_NOT_EXECUTABLE: 409,
  LINEAGE_CONSENT_REQUIRED: 409,
  ARTIFACT_MISMATCH: 409,
  REPLAY_TOO_FAR: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  TOO_MANY_STREAMS: 429,
  COMMIT_FAILED: 502,
  MODEL_UNAVAILABLE: 502,
  MODEL_FAILED: 502,
  MODEL_INTEGRITY_MISMATCH: 502,
  LEDGER_UNAVAILABLE: 503,
  LEDGER_TIMEOUT: 504,
  MODEL_TIMEOUT: 504,
  MODEL_ENDPOINT_UNTRUSTED: 502,
  ACCESS_REQUIRED: 401,
  ACCESS_NOT_COMMITTED: 403,
  ACCESS_MISMATCH: 403,
  ACCESS_SIGNATURE_INVALID: 403,
  ACCESS_STALE: 403,
  ACCESS_ALREADY_SERVED: 409,
  RESPONSE_INVALID: 500,
  INTERNAL: 500,
};

/** The status an error code answers with; 500 for anything unknown. */
export function statusOf(code: string): number {
  return Object.hasOwn(STATUS, code) ? STATUS[code as Code] : 500;
}

interface ValidatorIssue {
  path?: string;
  message?: string;
}

/** `/body/units` → `body.units`; `/query/limit` → `query.limit`. */
function fieldOf(issue: ValidatorIssue): string {
  return (issue.path ?? '').replace(/^\//, '').replace(/\//g, '.').replace(/^\.+/, '');
}

/** Turns whatever was thrown into an ApiError. */
function classify(err: unknown): ApiError {
  if (err instanceof ApiError) {
    return err;
  }
  if (err instanceof validatorErrors.InternalServerError) {
    // Only the response validator raises this: our answer broke our own spec.
    return new ApiError(ApiCode.RESPONSE_INVALID, `the response did not match the API spec: ${err.message}`);
  }
  const http = err as { status?: number; type?: string; errors?: ValidatorIssue[]; message?: string };
  if (http.type === 'entity.too.large') {
    return new ApiError(ApiCode.PAYLOAD_TOO_LARGE, 'the request body is larger than this API accepts');
  }
  if (http.type === 'entity.parse.failed') {
    return new ApiError(ApiCode.INVALID_ARGUMENT, 'body is not valid JSON');
  }
  switch (http.status) {
    case 400: {
      const issues = (http.errors ?? []).map((e) => `${fieldOf(e)} ${e.message ?? 'is invalid'}`.trim());
      return new ApiError(ApiCode.INVALID_ARGUMENT, issues.length > 0 ? issues.join('; ') : (http.message ?? 'invalid request'));
    }
    case 404:
      return new ApiError(ApiCode.NOT_FOUND, 'no such route');
    case 405:
      return new ApiError(ApiCode.METHOD_NOT_ALLOWED, http.message ?? 'method not allowed');
    case 413:
      return new ApiError(ApiCode.PAYLOAD_TOO_LARGE, 'the request body is larger than this API accepts');
    case 415:
      return new ApiError(ApiCode.UNSUPPORTED_MEDIA_TYPE, http.message ?? 'unsupported media type');
    default:
      return new ApiError(ApiCode.INTERNAL, 'internal error');
  }
}

/**
 * The chaincode refuses an id a write was given that names no record as a
 * bad argument (400 `modelId refers to no model (M-1)`), which is right for an
 * id in the body. When the id is the record the request's path names
 * (`PUT /v1/models/M-1/royalty-policy`), that record is what is missing, and
 * the answer is the 404 NOT_FOUND a read of it gets.
 */
function missingPathRecord(error: ApiError, req: Request): ApiError {
  const unknown = unknownIdOf(error);
  // The spec validator's match of the route; Express's own req.params is the error middleware's, empty.
  const pathParams = (req as Request & { openapi?: { pathParams?: Record<string, string> } }).openapi?.pathParams;
  if (unknown === undefined || pathParams === undefined || pathParams[unknown.field] !== unknown.id) {
    return error;
  }
  return new ApiError(ApiCode.NOT_FOUND, `NOT_FOUND: ${unknown.kind} ${unknown.id} does not exist`, error.transactionId);
}

/** `Retry-After` of a 429 or 503 whose cause gave none: about one ledger round trip and a retry. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;

/** Express error middleware (four arguments, as Express requires). */
export function errorMiddleware(err: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(err);
    return;
  }
  const apiError = missingPathRecord(classify(err), req);
  const status = statusOf(apiError.code);
  const level = status >= 500 ? 'error' : 'info';
  req.log[level]({ err, code: apiError.code, status, transactionId: apiError.transactionId }, apiError.message);
  // Read by the metrics middleware when the response finishes.
  res.locals.errorCode = apiError.code;
  if (apiError.retryAfterSeconds !== undefined) {
    res.set('Retry-After', String(apiError.retryAfterSeconds));
  } else if (status === 429 || status === 503) {
    // Every 429 and 503 says when to come back, even one whose cause gave no estimate.
    res.set('Retry-After', String(DEFAULT_RETRY_AFTER_SECONDS));
  }
  // RFC 9110: a 405 names the methods the resource has. The spec validator puts them on its error.
  const allow = (err as { headers?: Record<string, unknown> } | undefined)?.headers?.Allow;
  if (status === 405 && typeof allow === 'string' && allow !== '') {
    res.set(
      'Allow',
      allow
        .split(',')
        .map((method) => method.trim().toUpperCase())
        .sort()
        .join(', '),
    );
  }
  res.status(status).json({
    error: {
      code: apiError.code,
      message: apiError.message,
      ...(apiError.transactionId !== undefined ? { transactionId: apiError.transactionId } : {}),
    },
  });
}
