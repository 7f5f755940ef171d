import type { Ledger, Session } from '../fabric/ledger';
import type { Schemas } from './common';

/** Transaction status by id, from the peer's ledger (qscc). */
export class TransactionService {
  constructor(
    private readonly ledger: Ledger,
    private readonly session: Session,
  ) {}

  /** @throws ApiError NOT_FOUND when the peer has no such transaction. */
  async status(transactionId: string): Promise<Schemas['TransactionStatus']> {
    const status = await this.ledger.transactionStatus(this.session, transactionId);
    return { ...status, blockNumber: status.blockNumber.toString() };
  }
}
