import { Msp } from '../config';
import { ChaincodeError, ErrorCode } from '../errors';
import { mspOfAccount } from '../domain/identity';
import { Keys } from '../domain/keys';
import type { BalanceRecord } from '../domain/records';
import type { Tx } from './tx';

/** An account's payment-token balance (0 if it never held any). */
export async function balanceOf(tx: Tx, account: string): Promise<bigint> {
  return (await readBalance(tx, account)).amount;
}

/** An account's balance and whether its key exists. */
async function readBalance(tx: Tx, account: string): Promise<{ readonly amount: bigint; readonly exists: boolean }> {
  const balance = await tx.get<BalanceRecord>(Keys.balance(account));
  return { amount: BigInt(balance?.amount ?? '0'), exists: balance !== undefined };
}

/**
 * Writes an account's balance. Its key is pinned to the account's org (see
 * `endorsement.ts`) when first written; an account never changes org, so
 * later writes rewrite the value only and the key keeps its policy.
 */
async function writeBalance(tx: Tx, account: string, amount: bigint, exists: boolean): Promise<void> {
  const record: BalanceRecord = { account, amount: amount.toString() };
  if (exists) {
    await tx.updateOwned(Keys.balance(account), record);
  } else {
    await tx.createOwned(Keys.balance(account), record, mspOfAccount(account));
  }
}

/** Credits an account: reads its balance and writes it back raised by `amount`. */
export async function credit(tx: Tx, account: string, amount: bigint): Promise<void> {
  const balance = await readBalance(tx, account);
  await writeBalance(tx, account, balance.amount + amount, balance.exists);
}

/**
 * Debits an account.
 *
 * @throws ChaincodeError INSUFFICIENT_FUNDS if the balance is below `amount`.
 */
export async function debit(tx: Tx, account: string, amount: bigint): Promise<bigint> {
  const balance = await readBalance(tx, account);
  if (balance.amount < amount) {
    throw new ChaincodeError(ErrorCode.INSUFFICIENT_FUNDS, `account ${account} holds ${balance.amount}, which is less than ${amount}`);
  }
  await writeBalance(tx, account, balance.amount - amount, balance.exists);
  return balance.amount - amount;
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
