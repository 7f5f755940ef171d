import { Limits } from '../config';
import { ChaincodeError, ErrorCode, invalidArgument, notFound } from '../errors';
import { Keys, prefixRange } from '../domain/keys';
import type { KeyRange } from '../domain/keys';
import { lotSize } from '../domain/lots';
import type { RoyaltyPolicy } from '../domain/policy';
import type {
  BalanceRecord,
  LicenseRecord,
  LotRecord,
  ModelRecord,
  ModelVersionRecord,
  OfferingRecord,
  TermsSnapshot,
} from '../domain/records';
import type { Page, Tx } from './tx';

/**
 * Loads of ledger documents shared by the contracts. `require*` loads throw
 * NOT_FOUND (for the asset a query names) or, with a field name, INVALID_ARGUMENT
 * (for an unknown id passed to a write).
 */

async function load<T>(tx: Tx, key: string, kind: string, id: string, field?: string): Promise<T> {
  const value = await tx.get<T>(key);
  if (value === undefined) {
    throw field === undefined ? notFound(kind, id) : invalidArgument(field, `refers to no ${kind} (${id})`);
  }
  return value;
}

/** Loads a model. */
export function requireModel(tx: Tx, modelId: string, field?: string): Promise<ModelRecord> {
  return load<ModelRecord>(tx, Keys.model(modelId), 'model', modelId, field);
}

/** Loads a model version. */
export function requireModelVersion(tx: Tx, modelId: string, version: string, field?: string): Promise<ModelVersionRecord> {
  return load<ModelVersionRecord>(tx, Keys.modelVersion(modelId, version), 'model version', `${modelId}@${version}`, field);
}

/** Loads an offering. */
export function requireOffering(tx: Tx, offeringId: string, field?: string): Promise<OfferingRecord> {
  return load<OfferingRecord>(tx, Keys.offering(offeringId), 'offering', offeringId, field);
}

/** Loads a terms snapshot by key. */
export function requireTerms(tx: Tx, termsKey: string): Promise<TermsSnapshot> {
  return load<TermsSnapshot>(tx, termsKey, 'terms snapshot', termsKey);
}

/** Loads a licence. */
export function requireLicense(tx: Tx, licenseId: string, field?: string): Promise<LicenseRecord> {
  return load<LicenseRecord>(tx, Keys.license(licenseId), 'licence', licenseId, field);
}

/** Units sold so far by an offering. */
export async function soldUnits(tx: Tx, offeringId: string): Promise<bigint> {
  const sold = await tx.get<{ units: string }>(Keys.sold(offeringId));
  return BigInt(sold?.units ?? '0');
}

/** An account's payment-token balance (0 if it never held any). */
export async function balanceOf(tx: Tx, account: string): Promise<bigint> {
  const balance = await tx.get<BalanceRecord>(Keys.balance(account));
  return BigInt(balance?.amount ?? '0');
}

/** Writes an account's balance. */
export async function writeBalance(tx: Tx, account: string, amount: bigint): Promise<void> {
  await tx.put(Keys.balance(account), { account, amount: amount.toString() } satisfies BalanceRecord);
}

/**
 * Debits an account.
 *
 * @throws ChaincodeError INSUFFICIENT_FUNDS if the balance is below `amount`.
 */
export async function debit(tx: Tx, account: string, amount: bigint): Promise<bigint> {
  const balance = await balanceOf(tx, account);
  if (balance < amount) {
    throw new ChaincodeError(
      ErrorCode.INSUFFICIENT_FUNDS,
      `account ${account} holds ${balance}, which is less than ${amount}`,
    );
  }
  await writeBalance(tx, account, balance - amount);
  return balance - amount;
}

/** Remaining units of one lot of a licence; an untouched lot has its initial size. */
export async function lotRemaining(tx: Tx, license: LicenseRecord, index: number): Promise<bigint> {
  const lot = await tx.get<LotRecord>(Keys.lot(license.licenseId, index));
  return lot === undefined ? lotSize(BigInt(license.units), license.lotCount, index) : BigInt(lot.remaining);
}

/** Remaining units of a whole licence (reads every lot; never used on the hot path). */
export async function licenseRemaining(tx: Tx, license: LicenseRecord): Promise<bigint> {
  let remaining = 0n;
  for (let index = 0; index < license.lotCount; index += 1) {
    remaining += await lotRemaining(tx, license, index);
  }
  return remaining;
}

/**
 * Loads the royalty policies of a model and its ancestors up to the lineage
 * depth bound, breadth first, for `splitRoyalty`.
 */
export async function loadLineagePolicies(tx: Tx, root: ModelRecord): Promise<Map<string, RoyaltyPolicy>> {
  const policies = new Map<string, RoyaltyPolicy>([[root.modelId, root.royaltyPolicy]]);
  let frontier: readonly RoyaltyPolicy[] = [root.royaltyPolicy];
  for (let depth = 0; depth < Limits.maxLineageDepth && frontier.length > 0; depth += 1) {
    const next: RoyaltyPolicy[] = [];
    for (const policy of frontier) {
      for (const parent of policy.parents) {
        if (!policies.has(parent.modelId)) {
          const model = await requireModel(tx, parent.modelId);
          policies.set(parent.modelId, model.royaltyPolicy);
          next.push(model.royaltyPolicy);
        }
      }
    }
    frontier = next;
  }
  return policies;
}

/** A reference stored in an index row. */
export interface IndexRef {
  readonly ref: string;
}

/** Reads one page of an index and resolves each row to the document it references. */
export async function pageOfIndex<T>(tx: Tx, range: KeyRange, pageSize: number, bookmark: string): Promise<Page<T>> {
  const page = await tx.page<IndexRef>(range, pageSize, bookmark);
  const records: T[] = [];
  for (const entry of page.records) {
    const record = await tx.get<T>(entry.value.ref);
    if (record !== undefined) {
      records.push(record);
    }
  }
  return { records, fetchedCount: page.fetchedCount, bookmark: page.bookmark };
}

/** Reads one page of documents stored directly under a range. */
export async function pageOfDocuments<T>(tx: Tx, range: KeyRange, pageSize: number, bookmark: string): Promise<Page<T>> {
  const page = await tx.page<T>(range, pageSize, bookmark);
  return { records: page.records.map((entry) => entry.value), fetchedCount: page.fetchedCount, bookmark: page.bookmark };
}

/** The range of every version of a model. */
export function versionsRange(modelId: string): KeyRange {
  return prefixRange(Keys.modelVersions(modelId));
}
