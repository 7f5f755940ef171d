/**
 * Turns what the Fabric Gateway client throws into an ApiError. This is the
 * one place in the API that reads the chaincode's `CODE: message` text.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { CommitError, CommitStatusError, GatewayError } from '@hyperledger/fabric-gateway';
import { ERROR_CODES, type ErrorCode } from '@model-ledger/contract';
import { ApiCode, ApiError } from '../errors';

/** A chaincode code (the contract package's list), then `: ` and the message. */
const CODED_MESSAGE = new RegExp(`\\b(${ERROR_CODES.join('|')}): (.*)$`, 's');

/**
 * Finds the chaincode's `CODE: message` in a message of a peer. Peers wrap it,
 * for example `chaincode response 500, INSUFFICIENT_UNITS: licence L-1 has ...`.
 */
export function parseChaincodeMessage(text: string): { code: ErrorCode; message: string } | undefined {
  const match = CODED_MESSAGE.exec(text);
  // The pattern matches nothing but the codes of ERROR_CODES.
  return match === null ? undefined : { code: match[1] as ErrorCode, message: `${match[1]}: ${match[2].trim()}` };
}

/** Every message a gateway error carries: its own and each peer's detail. */
function messagesOf(err: GatewayError): string[] {
  return [...err.details.map((d) => d.message), err.message];
}

/**
 * Whether qscc answered that it has no such transaction: its lookups fail
 * with a plain message, not a chaincode code.
 */
export function isUnknownTransaction(err: unknown): boolean {
  const messages = err instanceof GatewayError ? messagesOf(err) : [err instanceof Error ? err.message : String(err)];
  return messages.some((text) => /no such transaction ID|not found/i.test(text));
}

/**
 * Classifies an error thrown by a ledger call.
 *
 * - A chaincode rejection keeps the chaincode's code and message.
 * - A deadline becomes LEDGER_TIMEOUT, an unreachable peer LEDGER_UNAVAILABLE.
 * - A commit that the peers marked invalid becomes COMMIT_FAILED.
 * Each keeps the transaction id when there is one, so the caller can look it up.
 */
export function toApiError(err: unknown, transactionId?: string): ApiError {
  if (err instanceof ApiError) {
    return err;
  }
  if (err instanceof CommitError) {
    return new ApiError(ApiCode.COMMIT_FAILED, `transaction ${err.transactionId} was not valid: ${err.message}`, err.transactionId);
  }
  if (err instanceof GatewayError) {
    // EndorseError, SubmitError and CommitStatusError carry the transaction id.
    const txId = (err as GatewayError & { transactionId?: string }).transactionId ?? transactionId;
    for (const text of messagesOf(err)) {
      const coded = parseChaincodeMessage(text);
      if (coded !== undefined) {
        return new ApiError(coded.code, coded.message);
      }
    }
    if (err.code === (GrpcStatus.DEADLINE_EXCEEDED as number)) {
      const what = err instanceof CommitStatusError ? 'the commit status' : 'the ledger';
      return new ApiError(
        ApiCode.LEDGER_TIMEOUT,
        `timed out waiting for ${what}; the transaction may still commit, so check its status before retrying`,
        txId,
      );
    }
    if (err.code === (GrpcStatus.UNAVAILABLE as number)) {
      return new ApiError(ApiCode.LEDGER_UNAVAILABLE, `the peer is unavailable: ${err.message}`, txId);
    }
    return new ApiError(ApiCode.INTERNAL, `ledger call failed: ${messagesOf(err).join(' | ')}`, txId);
  }
  return new ApiError(ApiCode.INTERNAL, err instanceof Error ? err.message : String(err), transactionId);
}
