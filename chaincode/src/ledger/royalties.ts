import { Keys, prefixRange } from '../domain/keys';
import type { ClaimRecord, RoyaltyRow, RoyaltyShare } from '../domain/records';
import type { Payout } from '../domain/split';
import { pageOfDocuments } from './pages';
import type { Entry, Page, Tx } from './tx';

/**
 * Writes royalty rows as a pair each: an accrual delta row (deleted when
 * claimed) and an immutable payment row (statements and audit), numbered in
 * order under the transaction's id, so that no balance is read and rewritten
 * and concurrent transactions never share a key.
 */
export async function writeRoyaltyRows(tx: Tx, rows: readonly RoyaltyRow[], now: string): Promise<void> {
  for (const [index, row] of rows.entries()) {
    await tx.put(Keys.accrual(row.account, now, tx.txId, index), row);
    await tx.put(Keys.royaltyPayment(row.account, now, tx.txId, index), row);
  }
}

/** A payout as a record states it: decimal amount. */
export function shareOf(payout: Payout): RoyaltyShare {
  return { account: payout.account, amount: payout.amount.toString(), modelId: payout.modelId, depth: payout.depth };
}

/** What the royalty rows of one payment say about where they come from. */
export interface RowSource {
  /** Absent for an access; see RoyaltyRow.kind. */
  readonly kind?: RoyaltyRow['kind'];
  readonly accessedModelId: string;
  readonly licenseId: string;
  /** The access, or the trade's transaction id for a sale. */
  readonly accessId: string;
  readonly at: string;
  readonly txId: string;
}

/** The royalty rows of a set of shares, one per beneficiary. */
export function royaltyRows(shares: readonly RoyaltyShare[], source: RowSource): RoyaltyRow[] {
  return shares.map((share) => ({
    docType: 'royalty',
    ...(source.kind === undefined ? {} : { kind: source.kind }),
    account: share.account,
    amount: share.amount,
    modelId: share.modelId,
    accessedModelId: source.accessedModelId,
    depth: share.depth,
    licenseId: source.licenseId,
    accessId: source.accessId,
    at: source.at,
    txId: source.txId,
  }));
}

/** Sums every unclaimed accrual row of an account (evaluate only; unbounded read). */
export async function unclaimed(tx: Tx, account: string): Promise<{ amount: bigint; rows: number }> {
  const rows = await tx.range<RoyaltyRow>(prefixRange(Keys.accrualsOf(account)), Number.MAX_SAFE_INTEGER);
  return { amount: rows.reduce((sum, row) => sum + BigInt(row.value.amount), 0n), rows: rows.length };
}

/**
 * One page of an account's immutable royalty payments in [from, to),
 * optionally only those paid by (or through) one model. Shared by the
 * statement and the audit query.
 */
export async function royaltyPayments(
  tx: Tx,
  account: string,
  modelId: string | undefined,
  from: string | undefined,
  to: string | undefined,
  pageSize: number,
  bookmark: string,
): Promise<Page<RoyaltyRow>> {
  const page = await pageOfDocuments<RoyaltyRow>(tx, prefixRange(Keys.royaltyPaymentsOf(account), from, to), pageSize, bookmark);
  if (modelId === undefined) {
    return page;
  }
  return {
    ...page,
    records: page.records.filter((row) => row.modelId === modelId || row.accessedModelId === modelId),
  };
}

/**
 * The accrual rows of an account a claim may take: those strictly before
 * `before`, oldest first, at most `limit`. A submit-time range read, so an
 * accrual committed inside the range meanwhile fails the claim (phantom read);
 * accruals arriving now carry later times and stay outside it.
 */
export function claimableAccruals(tx: Tx, account: string, before: string, limit: number): Promise<Entry<RoyaltyRow>[]> {
  return tx.range<RoyaltyRow>(prefixRange(Keys.accrualsOf(account), undefined, before), limit);
}

/** Deletes the accrual rows a claim took; their payment rows stay for statements and audit. */
export async function deleteAccruals(tx: Tx, rows: readonly Entry<RoyaltyRow>[]): Promise<void> {
  for (const row of rows) {
    await tx.delete(row.key);
  }
}

/** Saves a claim record under its account and time. */
export async function saveClaim(tx: Tx, claim: ClaimRecord): Promise<void> {
  await tx.put(Keys.claim(claim.account, claim.claimedAt, claim.txId), claim);
}

/** An account's claims, oldest first, one page. */
export function pageOfClaims(tx: Tx, account: string, pageSize: number, bookmark: string): Promise<Page<ClaimRecord>> {
  return pageOfDocuments<ClaimRecord>(tx, prefixRange(Keys.claimsOf(account)), pageSize, bookmark);
}
