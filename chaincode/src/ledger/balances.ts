import { Msp } from '../config';
import { ChaincodeError, ErrorCode } from '../errors';
import { mspOfAccount } from '../domain/identity';
import { Keys } from '../domain/keys';
import type { BalanceRecord } from '../domain/records';
import type { Tx } from './tx';

/** An account's payment-token balance (0 if it never held any). */
export async function balanceOf(tx: Tx, account: string): Promise<bigint> {
  const balance = await tx.get<BalanceRecord>(Keys.balance(account));
  return BigInt(balance?.amount ?? '0');
}

/** Writes an account's balance; the key is pinned to the account's org (see `endorsement.ts`). */
export async function writeBalance(tx: Tx, account: string, amount: bigint): Promise<void> {
  await tx.putOwned(Keys.balance(account), { account, amount: amount.toString() } satisfies BalanceRecord, mspOfAccount(account));
}

/** Credits an account: reads its balance and writes it back raised by `amount`. */
export async function credit(tx: Tx, account: string, amount: bigint): Promise<void> {
  await writeBalance(tx, account, (await balanceOf(tx, account)) + amount);
}

/**
 * Debits an account.
 *
 * @throws ChaincodeError INSUFFICIENT_FUNDS if the balance is below `amount`.
 */
export async function debit(tx: Tx, account: string, amount: bigint): Promise<bigint> {
  const balance = await balanceOf(tx, account);
  if (balance < amount) {
    throw new ChaincodeError(ErrorCode.INSUFFICIENT_FUNDS, `account ${account} holds ${balance}, which is less than ${amount}`);
  }
  await writeBalance(tx, account, balance - amount);
  return balance - amount;
}

/** The payment token's total supply. */
export async function totalSupply(tx: Tx): Promise<bigint> {
  const supply = await tx.get<{ amount: string }>(Keys.supply());
  return BigInt(supply?.amount ?? '0');
}

/** Writes the total supply; the key is pinned to the settlement org, so no mint or burn commits without the issuer's own peer. */
export async function writeSupply(tx: Tx, amount: bigint): Promise<void> {
  await tx.putOwned(Keys.supply(), { amount: amount.toString() }, Msp.settlement);
}
