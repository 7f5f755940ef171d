import type { Session } from '../fabric/ledger';
import { decode, Schemas, Written, written } from './common';

/** The consortium's payment token (TokenContract). */
export class TokenService {
  constructor(private readonly session: Session) {}

  /** @throws ApiError FORBIDDEN unless a settlement-org issuer; INVALID_ARGUMENT. */
  async mint(input: Schemas['NewMint']): Promise<Written<Schemas['SupplyChangeWritten']['data']>> {
    return written(await this.session.submit('TokenContract', 'Mint', input.to, input.amount));
  }

  /** @throws ApiError FORBIDDEN unless a settlement-org issuer; INSUFFICIENT_FUNDS. */
  async burn(input: Schemas['NewBurn']): Promise<Written<Schemas['SupplyChangeWritten']['data']>> {
    return written(await this.session.submit('TokenContract', 'Burn', input.amount));
  }

  /** @throws ApiError INSUFFICIENT_FUNDS, FORBIDDEN (`from: org` without role admin), INVALID_ARGUMENT. */
  async transfer(input: Schemas['NewTransfer']): Promise<Written<Schemas['TransferWritten']['data']>> {
    return written(await this.session.submit('TokenContract', 'Transfer', input.from, input.to, input.amount));
  }

  async balance(account: string): Promise<Schemas['Balance']> {
    return decode(await this.session.evaluate('TokenContract', 'GetBalance', account));
  }

  async balanceHistory(account: string): Promise<Schemas['History']> {
    return { items: decode(await this.session.evaluate('TokenContract', 'GetBalanceHistory', account)) };
  }

  async totalSupply(): Promise<Schemas['Supply']> {
    return decode(await this.session.evaluate('TokenContract', 'GetTotalSupply'));
  }

  /** The caller as the chaincode sees it. */
  async whoAmI(): Promise<Omit<Schemas['Me'], 'user' | 'org'>> {
    return decode(await this.session.evaluate('TokenContract', 'WhoAmI'));
  }
}
