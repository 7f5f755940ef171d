import { RoyaltyClient, type Accrued, type ClaimRecord, type RoyaltyRow, type Window } from '@model-ledger/contract';
import type { Session } from '../fabric/ledger';
import { filledPage, Page, PageRequest, pageArgs, Schemas, toPage, WriteResult, written } from './common';

/** Royalty accruals, statements and claims (RoyaltyContract). */
export class RoyaltyService {
  private readonly royalties: RoyaltyClient;

  constructor(session: Session) {
    this.royalties = new RoyaltyClient(session);
  }

  /** Claims settled accruals into a balance. @throws ApiError FORBIDDEN (`org` without role admin). */
  async claim(input: Schemas['NewClaim']): Promise<WriteResult<ClaimRecord>> {
    return written(await this.royalties.claimRoyalties(input.beneficiary, input.upTo));
  }

  async accrued(account: string): Promise<Accrued> {
    return this.royalties.getAccruedRoyalties(account);
  }

  /** An account's royalty payments; by model, the chaincode filters what it scans, so the page is filled (`filledPage`). */
  async statement(account: string, modelId: string | undefined, window: Window, page: PageRequest): Promise<Page<RoyaltyRow>> {
    if (modelId === undefined) {
      return toPage(await this.royalties.getRoyaltyStatement(account, window, pageArgs(page)));
    }
    return filledPage((args) => this.royalties.getRoyaltyStatement(account, { ...window, modelId }, args), page);
  }

  async claims(account: string, page: PageRequest): Promise<Page<ClaimRecord>> {
    return toPage(await this.royalties.listClaims(account, pageArgs(page)));
  }
}
