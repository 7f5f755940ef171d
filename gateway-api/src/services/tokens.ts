import type { Session } from '../fabric/ledger';
import { decode, PageRequest, pageArgs, Schemas, toPage, Written, written } from './common';

/** The consortium's payment token (TokenContract). */
export class TokenService {
  constructor(private readonly session: Session) {}

  /**
   * `idempotencyKey`, here and on every write that moves value, becomes the
   * chaincode's request id: a retry with the same key returns the first
   * answer and moves nothing again, so our own conflict retry is safe too.
   *
   * @throws ApiError FORBIDDEN unless a settlement-org issuer; INVALID_ARGUMENT; CONFLICT (key reused).
   */
  async mint(input: Schemas['NewMint'], idempotencyKey: string | undefined): Promise<Written<Schemas['SupplyChangeWritten']['data']>> {
    return written(await this.session.submitRequest('TokenContract', 'Mint', idempotencyKey, input.to, input.amount));
  }

  /** @throws ApiError FORBIDDEN unless a settlement-org issuer; INSUFFICIENT_FUNDS. */
  async burn(input: Schemas['NewBurn'], idempotencyKey: string | undefined): Promise<Written<Schemas['SupplyChangeWritten']['data']>> {
    return written(await this.session.submitRequest('TokenContract', 'Burn', idempotencyKey, input.amount));
  }

  /** @throws ApiError INSUFFICIENT_FUNDS, FORBIDDEN (`from: org` without role admin), INVALID_ARGUMENT. */
  async transfer(input: Schemas['NewTransfer'], idempotencyKey: string | undefined): Promise<Written<Schemas['TransferWritten']['data']>> {
    return written(await this.session.submitRequest('TokenContract', 'Transfer', idempotencyKey, input.from, input.to, input.amount));
  }

  async balance(account: string): Promise<Schemas['Balance']> {
    return decode(await this.session.evaluate('TokenContract', 'GetBalance', account));
  }

  async balanceHistory(account: string, page: PageRequest): Promise<Schemas['History']> {
    return toPage(await this.session.evaluate('TokenContract', 'GetBalanceHistory', account, ...pageArgs(page)));
  }

  async totalSupply(): Promise<Schemas['Supply']> {
    return decode(await this.session.evaluate('TokenContract', 'GetTotalSupply'));
  }

  /** The caller's accounts and MSP as the chaincode sees them (`WhoAmI`). */
  async whoAmI(): Promise<Pick<Schemas['Me'], 'mspId' | 'account' | 'orgAccount'>> {
    const { mspId, account, orgAccount } = decode<Pick<Schemas['Me'], 'mspId' | 'account' | 'orgAccount'>>(
      await this.session.evaluate('TokenContract', 'WhoAmI'),
    );
    return { mspId, account, orgAccount };
  }
}
