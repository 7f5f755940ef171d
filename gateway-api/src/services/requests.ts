/**
 * Client request ids: the API's `Idempotency-Key`, which a write that moves
 * value passes to the chaincode as its last argument. The chaincode answers
 * an id at most once and keeps that first answer under the caller's account;
 * a retry with the id changes nothing and gets the first answer back. This
 * is the one place in the API that reads those kept answers.
 */
import { AuditClient, type RequestRecord, type Written } from '@model-ledger/contract';
import type { Logger } from 'pino';
import { ApiCode, ApiError } from '../errors';
import type { Session, TransactionStatus } from '../fabric/ledger';

/** Where the ledger holds a transaction: the `Ledger`'s read of the peer's qscc. */
export interface TransactionLookup {
  transactionStatus(session: Session, transactionId: string): Promise<TransactionStatus>;
}

/** The request ids of one caller, read as that caller. */
export class RequestIds {
  private readonly audit: AuditClient;

  constructor(
    private readonly session: Session,
    private readonly ledger: TransactionLookup,
    private readonly log: Logger,
  ) {
    this.audit = new AuditClient(session);
  }

  /**
   * The caller's first answer to a request id, or undefined when the id was
   * never answered.
   *
   * @throws ApiError of the ledger, NOT_FOUND aside.
   */
  async answered(requestId: string): Promise<RequestRecord | undefined> {
    try {
      return await this.audit.getRequest(requestId);
    } catch (err) {
      if (err instanceof ApiError && err.code === ApiCode.NOT_FOUND) {
        return undefined;
      }
      throw err;
    }
  }

  /**
   * A committed write that carried `requestId` (none when undefined), as
   * the id was first answered. When the chaincode had answered the id
   * before, it returned that first answer and changed nothing: the write then
   * names the first transaction and its block rather than the retry's, and is
   * `replayed`. The write has committed whatever this lookup meets, so when
   * the lookup fails the write is returned as it committed (the client's
   * next retry with the key replays it).
   */
  async firstAnswer<T>(committed: Written<T>, requestId: string | undefined): Promise<Written<T>> {
    if (requestId === undefined) {
      return committed;
    }
    try {
      // Every value-moving answer names the transaction that wrote it; only an answer without one costs a lookup.
      // The peer that committed the write holds the stored request by then, so the lookup sees it.
      const named = (committed.data as { txId?: unknown }).txId;
      const firstTxId = typeof named === 'string' ? named : (await this.audit.getRequest(requestId)).txId;
      if (firstTxId === committed.transactionId) {
        return committed;
      }
      const blockNumber = await this.blockOf(firstTxId);
      this.log.info({ requestId, transactionId: committed.transactionId, firstTransactionId: firstTxId }, 'replayed a request id');
      return { ...committed, transactionId: firstTxId, blockNumber, replayed: true };
    } catch (err) {
      this.log.warn({ requestId, transactionId: committed.transactionId, err }, 'could not look up where a request id was first answered');
      return committed;
    }
  }

  /**
   * The block a transaction committed in, as the org's peer holds it.
   *
   * @throws ApiError NOT_FOUND when the peer has no such transaction.
   */
  async blockOf(transactionId: string): Promise<bigint> {
    return (await this.ledger.transactionStatus(this.session, transactionId)).blockNumber;
  }
}
