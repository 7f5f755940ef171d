/**
 * Stable error codes. Only the message string of a chaincode error reaches the
 * client, so every message starts with one of these codes, then `: `, then a
 * sentence a person can act on. The gateway parses the code in one place.
 */
export const ErrorCode = {
  /** Input is malformed; the message names the field. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** The caller's identity, role or org may not perform this action. */
  FORBIDDEN: 'FORBIDDEN',
  /** A referenced model, version, offering, licence or record does not exist. */
  NOT_FOUND: 'NOT_FOUND',
  /** The request clashes with existing state (duplicate id, reused request id). */
  CONFLICT: 'CONFLICT',
  /** A term licence was used at or after its expiry. */
  LICENSE_EXPIRED: 'LICENSE_EXPIRED',
  /** A licence has fewer units left than the access needs. */
  INSUFFICIENT_UNITS: 'INSUFFICIENT_UNITS',
  /** The paying account's balance is below the amount. */
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
  /** A purchase would exceed the offering's supply cap. */
  SUPPLY_EXHAUSTED: 'SUPPLY_EXHAUSTED',
  /** The offering is paused and sells nothing until resumed. */
  OFFERING_PAUSED: 'OFFERING_PAUSED',
  /** The offering is retired and sells nothing, ever again. */
  OFFERING_RETIRED: 'OFFERING_RETIRED',
  /** The access purpose is not among the licence's permitted purposes. */
  PURPOSE_NOT_PERMITTED: 'PURPOSE_NOT_PERMITTED',
} as const;

/** One of the stable error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * An error whose message is `<CODE>: <human message>`. Throwing it fails the
 * transaction, so nothing the transaction wrote is committed.
 */
export class ChaincodeError extends Error {
  /** The stable code at the front of the message. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'ChaincodeError';
    this.code = code;
  }
}

/** Builds an INVALID_ARGUMENT error that names the offending field first. */
export function invalidArgument(field: string, problem: string): ChaincodeError {
  return new ChaincodeError(ErrorCode.INVALID_ARGUMENT, `${field} ${problem}`);
}

/** Builds a NOT_FOUND error for a kind of asset and its id. */
export function notFound(kind: string, id: string): ChaincodeError {
  return new ChaincodeError(ErrorCode.NOT_FOUND, `${kind} ${id} does not exist`);
}

/** Builds a FORBIDDEN error. */
export function forbidden(message: string): ChaincodeError {
  return new ChaincodeError(ErrorCode.FORBIDDEN, message);
}
