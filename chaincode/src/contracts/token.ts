import { ContractName, callName } from '@model-ledger/contract';
import type { Balance, Burned, CallerView, Minted, TotalSupply, Transferred } from '@model-ledger/contract';
import { Context, Info, Transaction } from 'fabric-contract-api';
import { LedgerContract } from './base';
import { Limits, Msp, Role } from '../config';
import { forbidden, invalidArgument } from '../errors';
import { Events } from '../events';
import { orgAccountId } from '../domain/identity';
import { Keys } from '../domain/keys';
import { requireAccountId, requireBookmark, requireChoice, requirePageSize, requirePositiveAmount } from '../domain/validation';
import { ACCOUNT_CHOICES, actingAccount, isRegulator, requireAccountReader, requireWriter } from '../ledger/authz';
import { balanceOf, credit, debit, totalSupply, writeSupply } from '../ledger/balances';
import { ClientRequest } from '../ledger/requests';
import { Tx } from '../ledger/tx';
import { resolved, result } from './result';

/** The settlement org's treasury, from which Burn destroys tokens. */
const SETTLEMENT_TREASURY = orgAccountId(Msp.settlement);

function requireIssuer(tx: Tx, action: string): void {
  const caller = tx.caller;
  requireWriter(caller, action, [Role.issuer]);
  if (caller.mspId !== Msp.settlement) {
    throw forbidden(`only issuers of ${Msp.settlement} may ${action}`);
  }
}

/**
 * The consortium's fungible payment token. Only the settlement agent's
 * issuers mint and burn it, against off-ledger money. Amounts are integers in
 * the smallest unit, decimal strings on the wire.
 */
@Info({ title: ContractName.token, description: 'Mints, burns and transfers the payment token' })
export class TokenContract extends LedgerContract {
  constructor() {
    super(ContractName.token);
  }

  /**
   * Creates `amount` tokens in account `to`. `requestId` (optional, empty for
   * none) makes a retry return the first mint instead of minting twice.
   * Settlement org, role issuer.
   */
  @Transaction()
  async Mint(ctx: Context, to: string, amount: string, requestId: string): Promise<string> {
    const tx = new Tx(ctx);
    requireIssuer(tx, 'mint tokens');
    const account = requireAccountId('to', to);
    const value = requirePositiveAmount('amount', amount);
    const request = await ClientRequest.begin(tx, callName(ContractName.token, 'Mint'), [account, value.toString()], requestId);
    if (request.earlier !== undefined) {
      return result(request.earlier);
    }
    const supply = await totalSupply(tx);
    if (supply + value > Limits.maxAmount) {
      throw invalidArgument('amount', `would raise the total supply above ${Limits.maxAmount}`);
    }
    await credit(tx, account, value);
    await writeSupply(tx, supply + value);
    const payload: Minted = { to: account, amount: value.toString(), totalSupply: (supply + value).toString(), txId: tx.txId };
    await request.finish(payload);
    tx.emit(Events.TokensMinted, payload);
    return result(payload);
  }

  /**
   * Destroys `amount` tokens held by the settlement org's treasury, after the
   * money was paid out off the ledger. Holders redeem by transferring to that
   * treasury first. `requestId` as for Mint. Settlement org, role issuer.
   */
  @Transaction()
  async Burn(ctx: Context, amount: string, requestId: string): Promise<string> {
    const tx = new Tx(ctx);
    requireIssuer(tx, 'burn tokens');
    const value = requirePositiveAmount('amount', amount);
    const request = await ClientRequest.begin(tx, callName(ContractName.token, 'Burn'), [value.toString()], requestId);
    if (request.earlier !== undefined) {
      return result(request.earlier);
    }
    const supply = await totalSupply(tx);
    await debit(tx, SETTLEMENT_TREASURY, value);
    await writeSupply(tx, supply - value);
    const payload: Burned = {
      from: SETTLEMENT_TREASURY,
      amount: value.toString(),
      totalSupply: (supply - value).toString(),
      txId: tx.txId,
    };
    await request.finish(payload);
    tx.emit(Events.TokensBurned, payload);
    return result(payload);
  }

  /**
   * Moves `amount` from the caller's own account (`from` = `self`) or its
   * org treasury (`from` = `org`, role admin) to account `to`. `requestId`
   * (optional, empty for none) makes a retry return the first transfer
   * instead of paying twice. Any non-regulator role.
   */
  @Transaction()
  async Transfer(ctx: Context, from: string, to: string, amount: string, requestId: string): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'transfer tokens');
    const choice = requireChoice('from', from, ACCOUNT_CHOICES);
    const recipient = requireAccountId('to', to);
    const value = requirePositiveAmount('amount', amount);
    const sender = actingAccount(caller, choice, 'transfer tokens');
    if (sender === recipient) {
      throw invalidArgument('to', 'must differ from the sending account');
    }
    const request = await ClientRequest.begin(
      tx,
      callName(ContractName.token, 'Transfer'),
      [sender, recipient, value.toString()],
      requestId,
    );
    if (request.earlier !== undefined) {
      return result(request.earlier);
    }
    await debit(tx, sender, value);
    await credit(tx, recipient, value);
    const payload: Transferred = { from: sender, to: recipient, amount: value.toString(), txId: tx.txId };
    await request.finish(payload);
    tx.emit(Events.TokensTransferred, payload);
    return result(payload);
  }

  /** Reads an account's balance. Anyone may read balances. */
  @Transaction(false)
  async GetBalance(ctx: Context, account: string): Promise<string> {
    const tx = new Tx(ctx);
    const id = requireAccountId('account', account);
    return result<Balance>({ account: id, amount: (await balanceOf(tx, id)).toString() });
  }

  /** Reads the total supply. Anyone may read it. */
  @Transaction(false)
  async GetTotalSupply(ctx: Context): Promise<string> {
    return result<TotalSupply>({ amount: (await totalSupply(new Tx(ctx))).toString() });
  }

  /** The caller's account id, org treasury id, MSP id and role, as the chaincode sees them. */
  @Transaction(false)
  WhoAmI(ctx: Context): Promise<string> {
    const caller = new Tx(ctx).caller;
    return resolved<CallerView>({
      account: caller.account,
      orgAccount: orgAccountId(caller.mspId),
      mspId: caller.mspId,
      role: caller.role ?? null,
      regulator: isRegulator(caller),
    });
  }

  /** The committed changes of an account's balance, oldest first, one page at a time. The account's org or a regulator. */
  @Transaction(false)
  async GetBalanceHistory(ctx: Context, account: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const id = requireAccountId('account', account);
    requireAccountReader(tx.caller, id, 'the balance history of this account');
    return result(await tx.history(Keys.balance(id), requirePageSize('pageSize', pageSize), requireBookmark('bookmark', bookmark)));
  }
}
