import {
  TokenClient,
  type Balance,
  type Burned,
  type CallerView,
  type HistoryEntry,
  type Minted,
  type TotalSupply,
  type Transferred,
} from '@model-ledger/contract';
import type { Session } from '../fabric/ledger';
import { Page, PageRequest, pageArgs, Schemas, toPage, WriteResult, written } from './common';
import type { RequestIds } from './requests';

/** The consortium's payment token (TokenContract). */
export class TokenService {
  private readonly tokens: TokenClient;

  constructor(
    session: Session,
    private readonly requests: RequestIds,
  ) {
    this.tokens = new TokenClient(session);
  }

  /**
   * `idempotencyKey`, here and on every write that moves value, becomes the
   * chaincode's request id: a retry with the same key returns the first
   * answer and moves nothing again, so our own conflict retry is safe too.
   *
   * @throws ApiError FORBIDDEN unless a settlement-org issuer; INVALID_ARGUMENT; CONFLICT (key reused).
   */
  async mint(input: Schemas['NewMint'], idempotencyKey: string | undefined): Promise<WriteResult<Minted>> {
    const minted = await this.tokens.mint({ to: input.to, amount: input.amount, requestId: idempotencyKey });
    return written(await this.requests.firstAnswer(minted, idempotencyKey));
  }

  /** @throws ApiError FORBIDDEN unless a settlement-org issuer; INSUFFICIENT_FUNDS. */
  async burn(input: Schemas['NewBurn'], idempotencyKey: string | undefined): Promise<WriteResult<Burned>> {
    const burned = await this.tokens.burn({ amount: input.amount, requestId: idempotencyKey });
    return written(await this.requests.firstAnswer(burned, idempotencyKey));
  }

  /** @throws ApiError INSUFFICIENT_FUNDS, FORBIDDEN (`from: org` without role admin), INVALID_ARGUMENT. */
  async transfer(input: Schemas['NewTransfer'], idempotencyKey: string | undefined): Promise<WriteResult<Transferred>> {
    const transferred = await this.tokens.transfer({ from: input.from, to: input.to, amount: input.amount, requestId: idempotencyKey });
    return written(await this.requests.firstAnswer(transferred, idempotencyKey));
  }

  async balance(account: string): Promise<Balance> {
    return this.tokens.getBalance(account);
  }

  async balanceHistory(account: string, page: PageRequest): Promise<Page<HistoryEntry>> {
    return toPage(await this.tokens.getBalanceHistory(account, pageArgs(page)));
  }

  async totalSupply(): Promise<TotalSupply> {
    return this.tokens.getTotalSupply();
  }

  /** The caller's accounts and MSP as the chaincode sees them (`WhoAmI`). */
  async whoAmI(): Promise<Pick<CallerView, 'mspId' | 'account' | 'orgAccount'>> {
    const { mspId, account, orgAccount } = await this.tokens.whoAmI();
    return { mspId, account, orgAccount };
  }
}
