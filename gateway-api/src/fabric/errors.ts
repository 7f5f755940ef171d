/**
 * Turns what the Fabric Gateway client throws into an ApiError. This is the
 * one place in the API that reads the chaincode's `CODE: message` text.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { CommitError, CommitStatusError, EndorseError, GatewayError } from '@hyperledger/fabric-gateway';
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

/** The chaincode's refusal of an id a write was given that names no record: `licenseId refers to no licence (L-1)`. */
const UNKNOWN_ID = /^INVALID_ARGUMENT: (\w+) refers to no (.+) \(([^()]*)\)$/s;

/**
 * The argument, kind of record and id of a chaincode refusal that an id a
 * write was given names no record (`INVALID_ARGUMENT: modelId refers to no
 * model (M-1)`); undefined for any other error.
 */
export function unknownIdOf(error: ApiError): { field: string; kind: string; id: string } | undefined {
  const match = error.code === ApiCode.INVALID_ARGUMENT ? UNKNOWN_ID.exec(error.message) : null;
  return match === null ? undefined : { field: match[1], kind: match[2], id: match[3] };
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
 * What a failed ledger call means for whoever retries it.
 *
 * - `rejected`: the chaincode (or the API) refused; final, whatever is retried.
 * - `conflict`: the endorsers simulated at different heights, or the commit
 *   met an MVCC or phantom read conflict: a new transaction may pass.
 * - `unavailable`: a peer, the endorsers of enough orgs, or the orderers could
 *   not be reached, or the ordering service has no Raft leader: the same call
 *   may pass later.
 * - `timeout`: one call ran past its own deadline; what it carried may still
 *   take effect.
 * - `internal`: anything else; final.
 */
export type FailureKind = 'rejected' | 'conflict' | 'unavailable' | 'timeout' | 'internal';

/** A classified failure of one ledger call, with the ApiError it becomes when no retry follows. */
export class LedgerFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly error: ApiError,
    /** A short, stable name of the cause, for logs and the retry metric. */
    readonly reason: string,
  ) {
    super(error.message);
    this.name = 'LedgerFailure';
  }

  /** Whether running the call again may succeed. */
  get transient(): boolean {
    return this.kind === 'conflict' || this.kind === 'unavailable' || this.kind === 'timeout';
  }
}

/** gRPC codes of the Fabric Gateway that say a peer, the endorsers or the orderers were out of reach for now. */
const UNREACHABLE = new Set<number>([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.ABORTED,
  GrpcStatus.FAILED_PRECONDITION,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.CANCELLED,
  GrpcStatus.UNKNOWN,
]);

/** The gateway's detail when two endorsers simulated on different states (fabric internal/pkg/gateway). */
const PAYLOAD_MISMATCH = /ProposalResponsePayloads do not match/;
/** A chaincode's own failure that is not one of our codes: a bug, not a fault of the network. */
const CHAINCODE_RESPONSE = /chaincode response \d+,/;

/**
 * Classifies an error thrown by a ledger call.
 *
 * A chaincode code anywhere in the gateway's details is a rejection, even
 * when other endorsers failed for other reasons: the chaincode is
 * deterministic, so another attempt meets the same refusal.
 */
export function classifyFailure(err: unknown, transactionId?: string): LedgerFailure {
  if (err instanceof LedgerFailure) {
    return err;
  }
  if (err instanceof ApiError) {
    return new LedgerFailure('rejected', err, err.code);
  }
  if (err instanceof CommitError) {
    const error = new ApiError(ApiCode.COMMIT_FAILED, `transaction ${err.transactionId} was not valid: ${err.message}`, err.transactionId);
    return new LedgerFailure('internal', error, 'COMMIT_FAILED');
  }
  if (!(err instanceof GatewayError)) {
    const error = new ApiError(ApiCode.INTERNAL, err instanceof Error ? err.message : String(err), transactionId);
    return new LedgerFailure('internal', error, 'INTERNAL');
  }
  // EndorseError, SubmitError and CommitStatusError carry the transaction id.
  const txId = (err as GatewayError & { transactionId?: string }).transactionId ?? transactionId;
  const messages = messagesOf(err);
  for (const text of messages) {
    const coded = parseChaincodeMessage(text);
    if (coded !== undefined) {
      return new LedgerFailure('rejected', new ApiError(coded.code, coded.message), coded.code);
    }
  }
  const detail = messages.join(' | ');
  if (messages.some((text) => PAYLOAD_MISMATCH.test(text))) {
    const error = new ApiError(
      ApiCode.LEDGER_CONFLICT,
      `the endorsing peers simulated on different ledger states; retry later: ${detail}`,
      txId,
      CONFLICT_RETRY_AFTER_S,
    );
    return new LedgerFailure('conflict', error, 'ENDORSEMENT_MISMATCH');
  }
  if (err.code === (GrpcStatus.DEADLINE_EXCEEDED as number) && err instanceof EndorseError) {
    // Endorsing only simulates: a transaction still collecting endorsements was never sent to the orderers.
    const error = new ApiError(
      ApiCode.LEDGER_TIMEOUT,
      `timed out waiting for the endorsing peers; transaction ${txId} was never sent to the orderers, so nothing was committed and a retry is safe`,
      txId,
    );
    return new LedgerFailure('timeout', error, 'ENDORSE_TIMEOUT');
  }
  if (err.code === (GrpcStatus.DEADLINE_EXCEEDED as number)) {
    const what = err instanceof CommitStatusError ? 'the commit status' : 'the ledger';
    const error = new ApiError(
      ApiCode.LEDGER_TIMEOUT,
      `timed out waiting for ${what}; the transaction may still commit, so check its status before retrying`,
      txId,
    );
    return new LedgerFailure('timeout', error, err instanceof CommitStatusError ? 'COMMIT_STATUS_TIMEOUT' : 'DEADLINE_EXCEEDED');
  }
  if (UNREACHABLE.has(err.code) && !messages.some((text) => CHAINCODE_RESPONSE.test(text))) {
    const error = new ApiError(ApiCode.LEDGER_UNAVAILABLE, `the ledger is unavailable: ${detail}`, txId, UNAVAILABLE_RETRY_AFTER_S);
    return new LedgerFailure('unavailable', error, `GRPC_${GrpcStatus[err.code] ?? err.code}`);
  }
  return new LedgerFailure('internal', new ApiError(ApiCode.INTERNAL, `ledger call failed: ${detail}`, txId), 'INTERNAL');
}

/** `Retry-After` (seconds) of a conflict that outlasted the retries: contention passes quickly. */
export const CONFLICT_RETRY_AFTER_S = 1;
/** `Retry-After` (seconds) when the ledger stayed out of reach: about a Raft election or a peer restart. */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

/**
 * The ApiError a ledger call's failure becomes: a chaincode rejection keeps
 * the chaincode's code and message; a conflict becomes LEDGER_CONFLICT (409),
 * a deadline LEDGER_TIMEOUT (504), an unreachable peer or orderer
 * LEDGER_UNAVAILABLE (503), each with the transaction id when there is one, so
 * the caller can look it up.
 */
export function toApiError(err: unknown, transactionId?: string): ApiError {
  return classifyFailure(err, transactionId).error;
}
