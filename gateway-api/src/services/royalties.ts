import type { Session } from '../fabric/ledger';
import { decode, Page, PageRequest, pageArgs, Schemas, toPage, Window, windowArgs, Written, written } from './common';

/** Royalty accruals, statements and claims (RoyaltyContract). */
export class RoyaltyService {
  constructor(private readonly session: Session) {}

  /** Claims settled accruals into a balance. @throws ApiError FORBIDDEN (`org` without role admin). */
  async claim(input: Schemas['NewClaim']): Promise<Written<Schemas['Claim']>> {
    return written(await this.session.submit('RoyaltyContract', 'ClaimRoyalties', input.beneficiary, input.upTo ?? ''));
  }

  async accrued(account: string): Promise<Schemas['Accrued']> {
    return decode(await this.session.evaluate('RoyaltyContract', 'GetAccruedRoyalties', account));
  }

  async statement(account: string, modelId: string | undefined, window: Window, page: PageRequest): Promise<Page<Schemas['RoyaltyPayment']>> {
    return toPage(
      await this.session.evaluate('RoyaltyContract', 'GetRoyaltyStatement', account, modelId ?? '', ...windowArgs(window), ...pageArgs(page)),
    );
  }

  async claims(account: string, page: PageRequest): Promise<Page<Schemas['Claim']>> {
    return toPage(await this.session.evaluate('RoyaltyContract', 'ListClaims', account, ...pageArgs(page)));
  }
}
