import { RoyaltyClient, type Accrued, type ClaimRecord, type RoyaltyRow, type Window } from '@model-ledger/contract';
import type { Session } from '../fabric/ledger';
import { Page, PageRequest, pageArgs, Schemas, toPage, WriteResult, written } from './common';

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

  async statement(account: string, modelId: string | undefined, window: Window, page: PageRequest): Promise<Page<RoyaltyRow>> {
    return toPage(await this.royalties.getRoyaltyStatement(account, { ...window, modelId }, pageArgs(page)));
  }

  async claims(account: string, page: PageRequest): Promise<Page<ClaimRecord>> {
    return toPage(await this.royalties.listClaims(account, pageArgs(page)));
  }
}
