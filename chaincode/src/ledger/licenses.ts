import { Limits } from '../config';
import { ChaincodeError, ErrorCode } from '../errors';
import { mspOfAccount } from '../domain/identity';
import { Keys, prefixRange, rangeAfter } from '../domain/keys';
import { drawInOrder, lotSize, lotVisitOrder } from '../domain/lots';
import type { ExpirySettlementRecord, LicenseRecord, LotRecord } from '../domain/records';
import { pageOfIndex } from './pages';
import type { IndexRef } from './pages';
import type { Page, Tx } from './tx';

/**
 * Licences and their lots, with the holder indexes: `holder/<account>/<L>`
 * (every licence an account was given) and `holdermodel/<account>/<model>/<L>`
 * (the licences governance weighs; ReindexHoldings drops used-up ones).
 * Lots change only here: taken through `writeTakes`, given back through
 * `returnToLots`.
 */

/**
 * Writes a new licence: its header and every one of its lots at full size,
 * all pinned to the holder's org, and its holder index rows. Writing the lots
 * now, not when first used, is what makes them need the holder's endorsement
 * from the start: Fabric validates the first write of a key against the
 * chaincode's policy, so a lot created later could be emptied by a majority
 * without the holder.
 */
export async function saveNewLicense(tx: Tx, license: LicenseRecord): Promise<void> {
  const owner = mspOfAccount(license.holder);
  await tx.createOwned(Keys.license(license.licenseId), license, owner);
  const units = BigInt(license.units);
  for (let index = 0; index < license.lotCount; index += 1) {
    await tx.createOwned(Keys.lot(license.licenseId, index), lotRecord(lotSize(units, license.lotCount, index)), owner);
  }
  await tx.put(Keys.licenseByHolder(license.holder, license.licenseId), { ref: Keys.license(license.licenseId) });
  await indexHoldingOfModel(tx, license);
}

function lotRecord(remaining: bigint): LotRecord {
  return { remaining: remaining.toString() };
}

/**
 * Rewrites the remaining units of one lot. Every lot was written, and pinned
 * to the holder's org, with its licence, and a licence's holder never
 * changes, so the value alone is written: the key keeps its policy.
 */
async function writeLot(tx: Tx, license: Pick<LicenseRecord, 'licenseId'>, index: number, remaining: bigint): Promise<void> {
  await tx.updateOwned(Keys.lot(license.licenseId, index), lotRecord(remaining));
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
  const { draws, taken } = await drawInOrder(lotVisitOrder(start, license.lotCount), units, (index) => lotRemaining(tx, license, index));
  if (taken < units) {
    throw new ChaincodeError(
      ErrorCode.INSUFFICIENT_UNITS,
      `licence ${license.licenseId} has ${taken} units left, fewer than the ${units} requested`,
    );
  }
  return draws.map(({ index, units: drawn, available }) => ({ index, units: drawn, before: available }));
}

/** Writes the lots a plan takes from. */
export async function writeTakes(tx: Tx, license: Pick<LicenseRecord, 'licenseId' | 'holder'>, takes: readonly LotTake[]): Promise<void> {
  for (const take of takes) {
    await writeLot(tx, license, take.index, take.before - take.units);
  }
}

/** Gives units back to the lots they were taken from (a refunded access, a cancelled listing), lot by lot. */
export async function returnToLots(
  tx: Tx,
  license: LicenseRecord,
  returns: readonly { readonly index: number; readonly units: bigint }[],
): Promise<void> {
  for (const back of returns) {
    await writeLot(tx, license, back.index, (await lotRemaining(tx, license, back.index)) + back.units);
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

/** (Re)indexes a licence among the holder's licences of its model, which governance weighs. */
export async function indexHoldingOfModel(tx: Tx, license: Pick<LicenseRecord, 'licenseId' | 'holder' | 'modelId'>): Promise<void> {
  await tx.put(Keys.licenseByHolderModel(license.holder, license.modelId, license.licenseId), { ref: Keys.license(license.licenseId) });
}

/** Drops a licence from the holder's licences of its model: it has nothing left to weigh with. */
export async function unindexHoldingOfModel(tx: Tx, license: Pick<LicenseRecord, 'licenseId' | 'holder' | 'modelId'>): Promise<void> {
  await tx.delete(Keys.licenseByHolderModel(license.holder, license.modelId, license.licenseId));
}

/** Records units leaving a licence (to a listing or a transfer), or coming back (negative) from a cancelled listing. */
export async function recordOutflow(tx: Tx, licenseId: string, units: bigint): Promise<void> {
  await tx.put(Keys.licenseOutflow(licenseId, tx.txId), { units: units.toString() });
}

/** Saves the record of a term licence's unused units settled after its expiry. */
export async function saveExpirySettlement(tx: Tx, record: ExpirySettlementRecord): Promise<void> {
  await tx.put(Keys.expirySettlement(record.licenseId, record.txId), record);
}

/** The licences an account holds, one page. */
export function pageOfHolderLicenses(tx: Tx, holder: string, pageSize: number, bookmark: string): Promise<Page<LicenseRecord>> {
  return pageOfIndex<LicenseRecord>(tx, prefixRange(Keys.licensesByHolder(holder)), pageSize, bookmark);
}

/** A licence listed under its holder: its id and the key of its header. */
export interface HeldLicense {
  readonly licenseId: string;
  readonly ref: string;
}

/** Up to `limit` of the licences an account holds, in licence id order, after licence `after` (none: from the first). */
export async function heldLicenses(tx: Tx, holder: string, after: string | undefined, limit: number): Promise<HeldLicense[]> {
  const all = prefixRange(Keys.licensesByHolder(holder));
  const range = after === undefined ? all : rangeAfter(all, Keys.licenseByHolder(holder, after));
  const rows = await tx.range<IndexRef>(range, limit);
  return rows.map((row) => ({ licenseId: row.key.slice(row.key.lastIndexOf('/') + 1), ref: row.value.ref }));
}
