/**
 * How one write reaches the ledger through faults and contention: endorse,
 * order, wait for the commit, and retry what is transient within the
 * request's deadline, with jittered exponential backoff.
 *
 * Each failure is retried the way that cannot charge twice:
 * - endorsement failed (endorsers disagreed or out of reach): nothing was
 *   ordered, so the write is endorsed again;
 * - ordering failed, or the commit status did not come in time: the orderer
 *   may hold the transaction, so the same signed transaction (same id) is
 *   sent again; the peers keep the first copy and mark a second one
 *   DUPLICATE_TXID, and the commit status names the first;
 * - the commit met an MVCC or phantom read conflict: that transaction is
 *   invalid on every peer, so a new one is made, up to a bounded number.
 */
import { StatusCode } from '@hyperledger/fabric-gateway';
import { peer as peerProtos } from '@hyperledger/fabric-protos';
import type { Committed, WriteCall } from '@model-ledger/contract';
import { backOff } from 'exponential-backoff';
import { ApiCode, ApiError } from '../errors';
import { classifyFailure, CONFLICT_RETRY_AFTER_S, LedgerFailure } from './errors';

/** A gRPC deadline, as the Fabric Gateway client takes it per call. */
export interface CallOptions {
  readonly deadline: number;
}

/** A transaction's commit status, as the Fabric Gateway client reports it. */
export interface CommitStatus {
  readonly successful: boolean;
  readonly code: number;
  readonly blockNumber: bigint;
}

/** The parts of the Fabric Gateway client a write uses (`Contract` fits), so tests can stand in for it. */
export interface WriteContract {
  newProposal(
    transaction: string,
    options: { arguments: string[] },
  ): {
    getTransactionId(): string;
    endorse(options: CallOptions): Promise<EndorsedTransaction>;
  };
}

/** A transaction's commit status, asked of the org's peer (fabric-gateway's Commit). */
export interface CommitWait {
  getStatus(options: CallOptions): Promise<CommitStatus>;
}

export interface EndorsedTransaction {
  getResult(): Uint8Array;
  submit(options: CallOptions): Promise<CommitWait>;
}

/**
 * Whether a submission failed only because the ordering service already
 * holds the transaction: with BFT ordering the gateway sends it to several
 * orderers, and one that already has it (forwarded by another, or in a block)
 * answers "request already processed", which the gateway counts against its
 * quorum. Sending it again gets the same answer; its commit is what to wait for.
 */
export function alreadyOrdered(err: unknown): boolean {
  const details = (err as { details?: { message?: unknown }[] } | undefined)?.details ?? [];
  const messages = [err instanceof Error ? err.message : String(err), ...details.map((d) => String(d.message))];
  return messages.some((text) => /request already processed/i.test(text));
}

/** How writes are retried; from the API's config. */
export interface WritePolicy {
  /** New transactions one write may make after read conflicts, the first included. */
  readonly conflictAttempts: number;
  /** Per-call deadlines, each cut to what is left of the request's. */
  readonly endorseMs: number;
  readonly submitMs: number;
  /** How long one wait for the commit status lasts before the transaction is sent again. */
  readonly commitWaitMs: number;
  /** First and largest backoff between attempts (full jitter). */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

/** The backoff between two attempts of one call, read or write: exponential from the first delay, full jitter. */
export function backoffBetween(policy: Pick<WritePolicy, 'minDelayMs' | 'maxDelayMs'>): {
  startingDelay: number;
  maxDelay: number;
  jitter: 'full';
} {
  return { startingDelay: policy.minDelayMs, maxDelay: policy.maxDelayMs, jitter: 'full' };
}

/** Reports each retry: the transaction, why, and the attempt that follows. */
export type RetryObserver = (transaction: string, reason: string, transactionId: string | undefined) => void;

/** Told once the write committed valid, with the chaincode's answer (the metrics count accesses by model so). */
export type CommitObserver = (committed: Committed) => void;

/** Names of Fabric's transaction validation codes, by number. */
export const VALIDATION_CODE_NAMES = new Map<number, string>(
  Object.entries(peerProtos.TxValidationCode).map(([name, code]) => [code, name]),
);

/**
 * Validation codes of a committed-but-invalid transaction that a new
 * transaction may not meet again. ENDORSEMENT_POLICY_FAILURE is one of them
 * here: the gateway plans endorsements from the key-level policies the state
 * held at endorsement, so an honest plan fails only when an earlier
 * transaction changed a key's policy meanwhile (two first writes of a new owned key).
 */
const CONFLICT_CODES = new Set<number>([
  StatusCode.MVCC_READ_CONFLICT,
  StatusCode.PHANTOM_READ_CONFLICT,
  StatusCode.ENDORSEMENT_POLICY_FAILURE,
]);

/** Attempts no write exceeds, whatever the deadline: a bound on the work one request can cause. */
const MAX_ATTEMPTS = 60;

/**
 * One write, from its first endorsement to its commit. `untilOrdered` stops
 * once the orderer has the transaction (for `Prefer: respond-async`);
 * `untilCommitted` may then be called, at once or later, and carries on from
 * that same transaction.
 */
export class Write {
  /** The endorsed transaction in flight, which is sent again rather than replaced while its fate is unknown. */
  private pending: { id: string; transaction: EndorsedTransaction; submitted?: CommitWait } | undefined;
  private lastTransactionId: string | undefined;
  private conflicts = 0;
  /** What the last attempt met, when a retry followed it. */
  private lastFailure: LedgerFailure | undefined;
  /** Every transaction id this write made, in order. */
  readonly transactionIds: string[] = [];

  constructor(
    private readonly contract: WriteContract,
    private readonly call: WriteCall,
    private readonly policy: WritePolicy,
    private readonly deadline: number,
    private readonly onRetry: RetryObserver,
    private readonly onCommitted: CommitObserver = () => undefined,
    /** The commit status of a transaction by its id, for one the ordering service took though the submission failed. */
    private readonly commitOf?: (transactionId: string) => CommitWait,
  ) {}

  /** The id of the transaction the write currently stands on. */
  get transactionId(): string | undefined {
    return this.lastTransactionId;
  }

  /**
   * Endorses and orders; resolves with the transaction id once an orderer has it.
   *
   * @throws ApiError as `untilCommitted` does.
   */
  async untilOrdered(): Promise<string> {
    return this.retrying(async () => {
      const pending = await this.ordered();
      return pending.id;
    });
  }

  /**
   * Runs the write to its commit.
   *
   * @throws ApiError with the chaincode's code; LEDGER_CONFLICT (409) after
   *   the last read conflict; LEDGER_UNAVAILABLE (503) when the ledger stayed
   *   out of reach; LEDGER_TIMEOUT (504) when the deadline passed with the
   *   transaction's fate unknown; COMMIT_FAILED when the peers invalidated it
   *   for another reason. Each names the transaction when there is one.
   */
  async untilCommitted(): Promise<Committed> {
    const committed = await this.retrying(async (): Promise<Committed> => {
      const pending = await this.ordered();
      const submitted = pending.submitted;
      if (submitted === undefined) {
        throw new Error('a transaction was ordered without its submission');
      }
      let status: CommitStatus;
      try {
        status = await submitted.getStatus(this.within(this.policy.commitWaitMs));
      } catch (err) {
        // Its fate is unknown: the next attempt sends the same transaction again and waits anew.
        pending.submitted = undefined;
        throw classifyFailure(err, pending.id);
      }
      this.pending = undefined;
      if (status.successful) {
        return { result: pending.transaction.getResult(), transactionId: pending.id, blockNumber: status.blockNumber };
      }
      const codeName = VALIDATION_CODE_NAMES.get(status.code) ?? String(status.code);
      if (!CONFLICT_CODES.has(status.code)) {
        const error = new ApiError(ApiCode.COMMIT_FAILED, `transaction ${pending.id} was invalidated with ${codeName}`, pending.id);
        throw new LedgerFailure('internal', error, 'COMMIT_FAILED');
      }
      this.conflicts++;
      const error = new ApiError(
        ApiCode.LEDGER_CONFLICT,
        `${this.call.transaction} met ${codeName} on each of ${this.conflicts} attempts; retry later`,
        pending.id,
        CONFLICT_RETRY_AFTER_S,
      );
      throw new LedgerFailure('conflict', error, codeName);
    });
    // Outside the retries: nothing the observer does may send the transaction again.
    this.onCommitted(committed);
    return committed;
  }

  /** Endorses a new transaction unless one is in flight, then has the orderer take it. */
  private async ordered(): Promise<NonNullable<Write['pending']>> {
    if (this.pending === undefined) {
      const proposal = this.contract.newProposal(this.call.transaction, { arguments: [...this.call.args] });
      const id = proposal.getTransactionId();
      this.lastTransactionId = id;
      this.transactionIds.push(id);
      try {
        this.pending = { id, transaction: await proposal.endorse(this.within(this.policy.endorseMs)) };
      } catch (err) {
        throw classifyFailure(err, id);
      }
    }
    const pending = this.pending;
    if (pending.submitted === undefined) {
      try {
        pending.submitted = await pending.transaction.submit(this.within(this.policy.submitMs));
      } catch (err) {
        if (this.commitOf === undefined || !alreadyOrdered(err)) throw classifyFailure(err, pending.id);
        pending.submitted = this.commitOf(pending.id);
      }
    }
    return pending;
  }

  /** A call's deadline: its own span, cut to the write's deadline. */
  private within(spanMs: number): CallOptions {
    return { deadline: Math.min(Date.now() + spanMs, this.deadline) };
  }

  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    try {
      return await backOff(
        () => {
          if (Date.now() >= this.deadline) {
            // A backoff that ran late past the deadline: a ledger out of reach all along is still told as such (503).
            throw this.lastFailure?.kind === 'unavailable' ? this.lastFailure : this.outOfTime();
          }
          return attempt();
        },
        {
          numOfAttempts: MAX_ATTEMPTS,
          ...backoffBetween(this.policy),
          retry: (err: unknown) => {
            const failure = classifyFailure(err, this.lastTransactionId);
            if (!failure.transient || (failure.kind === 'conflict' && this.conflicts >= this.policy.conflictAttempts)) {
              return false;
            }
            // Leave room for one more attempt after the longest backoff, or stop and say why.
            if (this.deadline - Date.now() <= this.policy.maxDelayMs) {
              return false;
            }
            this.lastFailure = failure;
            this.onRetry(this.call.transaction, failure.reason, this.lastTransactionId);
            return true;
          },
        },
      );
    } catch (err) {
      throw this.finalError(classifyFailure(err, this.lastTransactionId));
    }
  }

  /**
   * What the caller is told when no retry follows. A transaction an orderer
   * may hold (sent, fate unknown) is named whatever the last failure was, so
   * the caller looks it up before retrying: 503 while the ledger was out of
   * reach, else 504.
   */
  private finalError(failure: LedgerFailure): ApiError {
    if (!failure.transient || this.pending === undefined) {
      return failure.error;
    }
    const { id } = this.pending;
    if (failure.kind === 'unavailable') {
      return new ApiError(
        ApiCode.LEDGER_UNAVAILABLE,
        `the ledger stayed out of reach; transaction ${id} may still commit, so check its status before retrying: ${failure.error.message}`,
        id,
        failure.error.retryAfterSeconds,
      );
    }
    return this.outOfTime().error;
  }

  private outOfTime(): LedgerFailure {
    const id = this.pending?.id ?? this.lastTransactionId;
    const error = new ApiError(
      ApiCode.LEDGER_TIMEOUT,
      this.pending !== undefined
        ? `the request's deadline passed before transaction ${id} was seen to commit; it may still commit, so check its status before retrying`
        : `the request's deadline passed before the ledger took the write; nothing was committed`,
      id,
    );
    return new LedgerFailure('timeout', error, 'REQUEST_DEADLINE');
  }
}

/** Where an asynchronous write stands, as its first transaction id knows it. */
export type AsyncOutcome =
  | { readonly settled: false }
  /** The write ended; `transactionId` is its last transaction, after the ones it `supersedes`. */
  | { readonly settled: true; readonly transactionId: string; readonly supersedes: readonly string[] };

/**
 * Writes of `Prefer: respond-async`: each is answered once the orderer has
 * it, then carried to its commit in the background, read conflicts retried
 * as for any write. Outcomes are kept in memory by first transaction id (the
 * one the caller was given), the most recent `capacity` of them, so the
 * transaction status a caller polls is the write's final one.
 */
export class AsyncWrites {
  private readonly outcomes = new Map<string, AsyncOutcome>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly capacity: number,
    private readonly onSettled: (first: string, outcome: AsyncOutcome, error?: ApiError) => void,
  ) {}

  /**
   * Orders the write and leaves its commit to the background.
   *
   * @returns the first transaction's id, which the caller polls.
   * @throws ApiError as `Write.untilOrdered`.
   */
  async start(write: Write): Promise<string> {
    const first = await write.untilOrdered();
    this.remember(first, { settled: false });
    const settle = write.untilCommitted().then(
      (committed) => this.settle(first, write, committed.transactionId),
      (err: unknown) => this.settle(first, write, write.transactionId ?? first, err instanceof ApiError ? err : undefined),
    );
    this.inFlight.add(settle);
    void settle.finally(() => this.inFlight.delete(settle));
    return first;
  }

  /** The outcome of the write that began as `transactionId`, if this instance ran it. */
  outcome(transactionId: string): AsyncOutcome | undefined {
    return this.outcomes.get(transactionId);
  }

  /** Resolves when every write in flight has settled (for shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private settle(first: string, write: Write, last: string, error?: ApiError): void {
    const outcome: AsyncOutcome = { settled: true, transactionId: last, supersedes: write.transactionIds.filter((id) => id !== last) };
    this.remember(first, outcome);
    this.onSettled(first, outcome, error);
  }

  private remember(first: string, outcome: AsyncOutcome): void {
    this.outcomes.delete(first);
    this.outcomes.set(first, outcome);
    if (this.outcomes.size > this.capacity) {
      const oldest = this.outcomes.keys().next().value;
      if (oldest !== undefined) {
        this.outcomes.delete(oldest);
      }
    }
  }
}
