import type { ErrorCode } from '@model-ledger/contract';

/**
 * The one error type that crosses the API's layers. It carries a stable code
 * and a message a person can act on; the HTTP status is chosen from the code
 * in exactly one place, the error middleware (`http/errors.ts`).
 */
export class ApiError extends Error {
  constructor(
    /** A stable code: a chaincode code such as `INSUFFICIENT_UNITS`, or one of the API's own. */
    readonly code: Code,
    message: string,
    /** The ledger transaction the error concerns, when there is one. */
    readonly transactionId?: string,
    /** When to try again, sent as the `Retry-After` header (seconds), for a refusal that lifts by itself. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Codes the API itself raises, besides the chaincode's. */
export const ApiCode = {
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  /** An MVCC or phantom read conflict outlasted every retry. */
  LEDGER_CONFLICT: 'LEDGER_CONFLICT',
  /** The transaction was ordered but the peers marked it invalid for another reason. */
  COMMIT_FAILED: 'COMMIT_FAILED',
  /** The peer cannot be reached. */
  LEDGER_UNAVAILABLE: 'LEDGER_UNAVAILABLE',
  /** A ledger call ran past its deadline; the transaction may still commit. */
  LEDGER_TIMEOUT: 'LEDGER_TIMEOUT',
  /** The API key made more requests than its window allows. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The API key, or the instance, already holds as many event streams as it may; nothing was opened. */
  TOO_MANY_STREAMS: 'TOO_MANY_STREAMS',
  /** A Last-Event-ID resumes further back than the instance replays; page through the audit API instead. */
  REPLAY_TOO_FAR: 'REPLAY_TOO_FAR',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** A response did not match the spec: a bug in the API, never the caller's fault. */
  RESPONSE_INVALID: 'RESPONSE_INVALID',
  INTERNAL: 'INTERNAL',
  /** The model's serving endpoint refused the inputs (it answered 4xx); nothing was charged. */
  MODEL_INPUT_REJECTED: 'MODEL_INPUT_REJECTED',
  /** The model's serving endpoint could not be reached; nothing was charged. */
  MODEL_UNAVAILABLE: 'MODEL_UNAVAILABLE',
  /** The model's serving endpoint failed or answered something that is not an OIP v2 response; nothing was charged. */
  MODEL_FAILED: 'MODEL_FAILED',
  /** The serving endpoint does not report the artifact sha256 that is active on the ledger; the model was not called. */
  MODEL_INTEGRITY_MISMATCH: 'MODEL_INTEGRITY_MISMATCH',
  /** The model did not answer within the inference timeout; nothing was charged, or the gate refunded the access. */
  MODEL_TIMEOUT: 'MODEL_TIMEOUT',
  /**
   * The registered endpoint is not one the gateway may call: not https (and
   * not allowed plain), or its TLS certificate does not chain to the model
   * owner org's TLS root on the channel. No request was sent; nothing was charged.
   */
  MODEL_ENDPOINT_UNTRUSTED: 'MODEL_ENDPOINT_UNTRUSTED',
  /** A serving gate was called for inference without an access id and signature. */
  ACCESS_REQUIRED: 'ACCESS_REQUIRED',
  /** The gate's own peer holds no valid committed access with that id. */
  ACCESS_NOT_COMMITTED: 'ACCESS_NOT_COMMITTED',
  /** The access pays for another model or artifact, or for a request with another hash. */
  ACCESS_MISMATCH: 'ACCESS_MISMATCH',
  /** The signature is not the access creator's over the access id and the request hash. */
  ACCESS_SIGNATURE_INVALID: 'ACCESS_SIGNATURE_INVALID',
  /** The access is older than the gate's freshness window; nothing ran, and nothing was refunded. */
  ACCESS_STALE: 'ACCESS_STALE',
  /** The access was served (or refunded) before; a result is served once. */
  ACCESS_ALREADY_SERVED: 'ACCESS_ALREADY_SERVED',
} as const;

/** One of the API's own codes. */
export type ApiCode = (typeof ApiCode)[keyof typeof ApiCode];

/** Every code an ApiError carries: the chaincode's and the API's own. */
export type Code = ErrorCode | ApiCode;
