import { ErrorCode } from '@model-ledger/contract';

export { ErrorCode };

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
