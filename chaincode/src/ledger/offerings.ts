import { Keys } from '../domain/keys';
import type { OfferingRecord, TermsSnapshot } from '../domain/records';
import type { LicenseTerms } from '../domain/terms';
import type { Tx } from './tx';

/** Units sold so far by an offering. */
export async function soldUnits(tx: Tx, offeringId: string): Promise<bigint> {
  const sold = await tx.get<{ units: string }>(Keys.sold(offeringId));
  return BigInt(sold?.units ?? '0');
}

/** Writes the units an offering has sold, which its supply cap bounds. */
export async function writeSoldUnits(tx: Tx, offeringId: string, units: bigint): Promise<void> {
  await tx.put(Keys.sold(offeringId), { units: units.toString() });
}

/** Writes an offering's header (status, current terms version). */
export async function writeOffering(tx: Tx, offering: OfferingRecord): Promise<void> {
  await tx.put(Keys.offering(offering.offeringId), offering);
}

/** Writes an immutable terms snapshot; licences point at it by key and hash. */
export async function saveTerms(tx: Tx, terms: LicenseTerms, hash: string): Promise<void> {
  await tx.put(Keys.terms(terms.offeringId, terms.version), { docType: 'terms', terms, hash } satisfies TermsSnapshot);
}

/** Saves a new offering with its first terms snapshot, listed under its model. */
export async function saveNewOffering(tx: Tx, offering: OfferingRecord, terms: LicenseTerms): Promise<void> {
  await writeOffering(tx, offering);
  await saveTerms(tx, terms, offering.termsHash);
  await tx.put(Keys.offeringByModel(offering.modelId, offering.offeringId), { ref: Keys.offering(offering.offeringId) });
}
