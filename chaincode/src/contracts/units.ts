import { Limits } from '../config';
import { ChaincodeError, ErrorCode } from '../errors';
import { lotCount, startLot } from '../domain/lots';
import type { LicenseOrigin, LicenseRecord, ListingItem } from '../domain/records';
import type { LicenseTerms } from '../domain/terms';
import { requireHolder } from '../ledger/authz';
import { planTake, recordOutflow, saveNewLicense, writeTakes } from '../ledger/licenses';
import type { LotTake } from '../ledger/licenses';
import { requireLicense, requireTerms } from '../ledger/loads';
import { requireUnlocked } from '../ledger/proposals';
import type { Tx } from '../ledger/tx';

/**
 * Units moving between licences, for the market: units leave a licence (into
 * a listing, or by transfer) through its lots, and arrive in a new licence of
 * the receiver that keeps the source's frozen terms and escrow.
 */

/** A licence's units checked and planned for locking into a listing or moving by transfer. */
export interface Outgoing {
  readonly license: LicenseRecord;
  readonly terms: LicenseTerms;
  readonly takes: readonly LotTake[];
}

/** True once `expiresAt` (none: never) has passed at `now`. */
export function expired(expiresAt: string | undefined, now: string): boolean {
  return expiresAt !== undefined && now >= expiresAt;
}

/**
 * Checks that `units` of a licence may leave it (the caller acts for the
 * holder, the frozen terms are transferable, the licence is unexpired and not
 * vote-locked) and plans which lots they come from.
 *
 * @throws ChaincodeError FORBIDDEN, NOT_TRANSFERABLE, LICENSE_EXPIRED, UNITS_LOCKED or INSUFFICIENT_UNITS.
 */
export async function planOutgoing(tx: Tx, licenseId: string, units: bigint, field: string, action: string): Promise<Outgoing> {
  const license = await requireLicense(tx, licenseId, field);
  requireHolder(tx.caller, license.holder, action);
  const snapshot = await requireTerms(tx, license.termsKey);
  if (!snapshot.terms.transferable) {
    throw new ChaincodeError(
      ErrorCode.NOT_TRANSFERABLE,
      `licence ${license.licenseId} was sold under terms that forbid resale and transfer`,
    );
  }
  const now = tx.now;
  if (expired(license.expiresAt, now)) {
    throw new ChaincodeError(ErrorCode.LICENSE_EXPIRED, `licence ${license.licenseId} expired at ${license.expiresAt}`);
  }
  await requireUnlocked(tx, license.licenseId, now);
  const takes = await planTake(tx, license, units, startLot(tx.txId, license.lotCount, undefined));
  return { license, terms: snapshot.terms, takes };
}

/** Moves planned units out of a licence: writes its lots and an outflow row. */
export async function removeUnits(tx: Tx, out: Outgoing, units: bigint): Promise<void> {
  await writeTakes(tx, out.license, out.takes);
  await recordOutflow(tx, out.license.licenseId, units);
}

/**
 * Creates the licence that receives moved units: same offering, frozen
 * terms, unit price (so the escrow moves with the units), purchase time and
 * expiry as the source; new lots.
 */
export async function receiveUnits(
  tx: Tx,
  source: Pick<
    ListingItem,
    'offeringId' | 'modelId' | 'termsKey' | 'termsHash' | 'unitPrice' | 'purchasedAt' | 'expiresAt' | 'resaleRoyaltyBps'
  >,
  holder: string,
  units: bigint,
  index: number,
  origin: LicenseOrigin,
): Promise<LicenseRecord> {
  const licenseId = `L-${tx.txId.slice(0, 16)}-${index}`;
  const license: LicenseRecord = {
    docType: 'license',
    licenseId,
    holder,
    offeringId: source.offeringId,
    modelId: source.modelId,
    termsKey: source.termsKey,
    termsHash: source.termsHash,
    units: units.toString(),
    unitPrice: source.unitPrice,
    lotCount: lotCount(units, Limits.maxLotsPerLicense),
    purchasedAt: source.purchasedAt,
    expiresAt: source.expiresAt,
    resaleRoyaltyBps: source.resaleRoyaltyBps,
    origin,
    txId: tx.txId,
  };
  await saveNewLicense(tx, license);
  return license;
}
