import { Limits } from '../config';
import { ChaincodeError, ErrorCode, invalidArgument, notFound } from '../errors';
import { mspOfAccount } from '../domain/identity';
import { Keys, prefixRange } from '../domain/keys';
import type { KeyRange } from '../domain/keys';
import { lotSize, lotVisitOrder } from '../domain/lots';
import { lineageCuts } from '../domain/policy';
import type { RoyaltyPolicy } from '../domain/policy';
import type {
  BalanceRecord,
  LicenseRecord,
  LineageConsentRecord,
  LotRecord,
  ModelRecord,
  ModelVersionRecord,
  OfferingRecord,
  RoyaltyRow,
  TermsSnapshot,
  VoteLockRecord,
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

/** Writes an account's balance; the key is pinned to the account's org (see `endorsement.ts`). */
export async function writeBalance(tx: Tx, account: string, amount: bigint): Promise<void> {
  await tx.putOwned(Keys.balance(account), { account, amount: amount.toString() } satisfies BalanceRecord, mspOfAccount(account));
}

/**
 * Writes a new licence: its header and every one of its lots at full size,
 * all pinned to the holder's org. Writing the lots now, not when first used,
 * is what makes them need the holder's endorsement from the start: Fabric
 * validates the first write of a key against the chaincode's policy, so a
 * lot created later could be emptied by a majority without the holder.
 */
export async function writeNewLicense(tx: Tx, license: LicenseRecord): Promise<void> {
  await tx.putOwned(Keys.license(license.licenseId), license, mspOfAccount(license.holder));
  const units = BigInt(license.units);
  for (let index = 0; index < license.lotCount; index += 1) {
    await writeLot(tx, license, index, lotSize(units, license.lotCount, index));
  }
}

/** Writes one lot of a licence with its remaining units, pinned to the holder's org. */
export async function writeLot(tx: Tx, license: Pick<LicenseRecord, 'licenseId' | 'holder'>, index: number, remaining: bigint): Promise<void> {
  await tx.putOwned(Keys.lot(license.licenseId, index), { remaining: remaining.toString() } satisfies LotRecord, mspOfAccount(license.holder));
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

/**
 * Remaining units of a whole licence, never used on the hot path: one range
 * read over the lots units were taken from so far (a lot nobody took from
 * still holds its initial size), rather than a read per lot.
 */
export async function licenseRemaining(tx: Tx, license: LicenseRecord): Promise<bigint> {
  const units = BigInt(license.units);
  const taken = await tx.range<LotRecord>(prefixRange(Keys.lotsOf(license.licenseId)), license.lotCount);
  let remaining = units;
  for (const lot of taken) {
    const index = Number(lot.key.slice(lot.key.lastIndexOf('/') + 1));
    remaining -= lotSize(units, license.lotCount, index) - BigInt(lot.value.remaining);
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
        // The bound on work per access: parents past it keep no share of their own (see splitRoyalty).
        if (!policies.has(parent.modelId) && policies.size < Limits.maxLineagePolicies) {
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

/**
 * Checks that a new royalty policy for `model` cuts no parent below what that
 * parent's owner consented to on the ledger (`ConsentLineageChange`): a child
 * cannot drop the base models it pays, or pay them less, on its own.
 *
 * @throws ChaincodeError LINEAGE_CONSENT_REQUIRED naming the parent and its owner.
 */
export async function checkLineageKept(tx: Tx, model: ModelRecord, policy: RoyaltyPolicy): Promise<void> {
  for (const cut of lineageCuts(model.royaltyPolicy, policy)) {
    const consent = await tx.get<LineageConsentRecord>(Keys.lineageConsent(model.modelId, cut.modelId));
    if (consent === undefined || consent.shareBps > cut.toBps) {
      const parent = await tx.get<ModelRecord>(Keys.model(cut.modelId));
      const allowed = consent === undefined ? 'has not consented to any cut' : `consented to no less than ${consent.shareBps}`;
      throw new ChaincodeError(
        ErrorCode.LINEAGE_CONSENT_REQUIRED,
        `model ${model.modelId} pays parent ${cut.modelId} ${cut.fromBps} basis points; ${cut.toBps === 0 ? 'dropping it' : `lowering it to ${cut.toBps}`} needs the consent of its owner ${parent?.ownerMspId ?? 'org'}, which ${allowed} (ConsentLineageChange)`,
      );
    }
  }
}

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

/**
 * Checks that a policy's parents exist and that none of them descends from
 * `modelId` within the lineage depth (which would be a cycle).
 *
 * @throws ChaincodeError INVALID_ARGUMENT naming the parent at fault.
 */
export async function checkParents(tx: Tx, modelId: string, policy: RoyaltyPolicy, prefix = 'royaltyPolicy'): Promise<void> {
  const lineage = new Set<string>([modelId]);
  for (const [index, parent] of policy.parents.entries()) {
    const field = `${prefix}.parents[${index}].modelId`;
    const parentModel = await requireModel(tx, parent.modelId, field);
    const ancestors = await loadLineagePolicies(tx, parentModel);
    if (ancestors.has(modelId)) {
      throw invalidArgument(field, `descends from ${modelId}, which would make the lineage a cycle`);
    }
    ancestors.forEach((_, id) => lineage.add(id));
    if (lineage.size > Limits.maxLineagePolicies || ancestors.size >= Limits.maxLineagePolicies) {
      throw invalidArgument(`${prefix}.parents`, `would make a lineage of more than ${Limits.maxLineagePolicies} models`);
    }
  }
}

/** Units taken from one lot, with the lot's remaining count before. */
export interface LotTake {
  readonly index: number;
  readonly units: bigint;
  readonly before: bigint;
}

/**
 * Plans taking `units` from a licence's lots, walking forward from `start`
 * with wrapping, as accesses do.
 *
 * @throws ChaincodeError INSUFFICIENT_UNITS if the licence has fewer units left.
 */
export async function planTake(tx: Tx, license: LicenseRecord, units: bigint, start: number): Promise<LotTake[]> {
  const takes: LotTake[] = [];
  let needed = units;
  for (const index of lotVisitOrder(start, license.lotCount)) {
    if (needed === 0n) {
      break;
    }
    const before = await lotRemaining(tx, license, index);
    if (before > 0n) {
      const taken = before < needed ? before : needed;
      takes.push({ index, units: taken, before });
      needed -= taken;
    }
  }
  if (needed > 0n) {
    throw new ChaincodeError(
      ErrorCode.INSUFFICIENT_UNITS,
      `licence ${license.licenseId} has ${units - needed} units left, fewer than the ${units} requested`,
    );
  }
  return takes;
}

/** Writes the lots a plan takes from. */
export async function writeTakes(tx: Tx, license: Pick<LicenseRecord, 'licenseId' | 'holder'>, takes: readonly LotTake[]): Promise<void> {
  for (const take of takes) {
    await writeLot(tx, license, take.index, take.before - take.units);
  }
}

/**
 * Fails if the licence voted on a proposal whose voting has not ended: its
 * units may not move to another holder, who could vote with them again.
 *
 * @throws ChaincodeError UNITS_LOCKED.
 */
export async function requireUnlocked(tx: Tx, licenseId: string, now: string): Promise<void> {
  const locks = await tx.range<VoteLockRecord>(prefixRange(Keys.voteLocksOf(licenseId)), Limits.maxVotesPerProposal);
  const open = locks.find((lock) => lock.value.until > now);
  if (open !== undefined) {
    throw new ChaincodeError(
      ErrorCode.UNITS_LOCKED,
      `licence ${licenseId} voted on proposal ${open.value.proposalId}; its units cannot move before ${open.value.until}`,
    );
  }
}

/** A licence of a holder with the units it has left. */
export interface Holding {
  readonly license: LicenseRecord;
  readonly remaining: bigint;
}

/**
 * The unexpired licences of one model an account holds, with units left.
 * A holder's weight is never read in part: past `maxLicensesPerHolder`
 * licences of the model, it fails instead of undercounting.
 *
 * @throws ChaincodeError CONFLICT when the account holds more licences of the model than one transaction reads.
 */
export async function holdingsOf(tx: Tx, account: string, modelId: string, now: string): Promise<Holding[]> {
  const limit = Limits.maxLicensesPerHolder;
  const rows = await tx.range<IndexRef>(prefixRange(Keys.licensesByHolderModel(account, modelId)), limit + 1);
  if (rows.length > limit) {
    throw new ChaincodeError(
      ErrorCode.CONFLICT,
      `${account} holds more than ${limit} licences of model ${modelId}, more than one transaction weighs; ReindexHoldings drops its used-up and expired licences from the count`,
    );
  }
  const holdings: Holding[] = [];
  for (const row of rows) {
    const license = await tx.get<LicenseRecord>(row.value.ref);
    const remaining = license === undefined ? 0n : await usableUnits(tx, license, now);
    if (license !== undefined && remaining > 0n) {
      holdings.push({ license, remaining });
    }
  }
  return holdings;
}

/** The units a licence can still be used for at `now`: none once it has expired. */
export async function usableUnits(tx: Tx, license: LicenseRecord, now: string): Promise<bigint> {
  if (license.expiresAt !== undefined && now >= license.expiresAt) {
    return 0n;
  }
  return licenseRemaining(tx, license);
}

/** Units that left a licence to listings and transfers, net of units returned by cancels. */
export async function licenseOutflow(tx: Tx, licenseId: string): Promise<bigint> {
  const rows = await tx.range<{ units: string }>(prefixRange(Keys.licenseOutflows(licenseId)), Number.MAX_SAFE_INTEGER);
  return rows.reduce((sum, row) => sum + BigInt(row.value.units), 0n);
}
