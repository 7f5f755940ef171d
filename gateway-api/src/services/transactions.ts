import { ApiCode, ApiError } from '../errors';
import type { Ledger, Session } from '../fabric/ledger';
import type { Schemas } from './common';

/** Transaction status by id, from the peer's ledger (qscc). */
export class TransactionService {
  constructor(
    private readonly ledger: Ledger,
    private readonly session: Session,
  ) {}

  /**
   * The status of a transaction. For the first transaction of an
   * asynchronous write that this instance carried on after a read conflict,
   * the status is that of the write's last transaction, which names the ones
   * it `supersedes`; while the write is still being carried it is not final,
   * so the answer is 404 as for any transaction not yet in a block.
   *
   * @throws ApiError NOT_FOUND when the peer has no such transaction, or the write is still in flight.
   */
  async status(transactionId: string): Promise<Schemas['TransactionStatus']> {
    const outcome = this.ledger.asyncOutcome(transactionId);
    if (outcome !== undefined && !outcome.settled) {
      throw new ApiError(ApiCode.NOT_FOUND, `transaction ${transactionId} is an asynchronous write still in flight; poll again`);
    }
    const last = outcome?.settled === true ? outcome.transactionId : transactionId;
    const status = await this.ledger.transactionStatus(this.session, last);
    const supersedes = outcome?.settled === true && outcome.supersedes.length > 0 ? { supersedes: [...outcome.supersedes] } : {};
    return { ...status, blockNumber: status.blockNumber.toString(), ...supersedes };
  }
}
