import { Keys, prefixRange } from '../domain/keys';
import type { OfferingRecord, TermsSnapshot } from '../domain/records';
import type { LicenseTerms } from '../domain/terms';
import { pageOfIndex } from './pages';
import type { IndexRef } from './pages';
import { soldUnits } from './supply';
import type { Page, Tx } from './tx';

/**
 * Offerings, their immutable terms snapshots, and the index of a model's
 * offerings (`offermodel/<model>/<offering>`); the units each sold are in `supply.ts`.
 */

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

/**
 * Units sold by all of a model's offerings: the base of the proposal
 * threshold when a proposal opens, and of its quorum when it closes. Sold
 * units only grow, and a vote weighs units held at the vote, so the units
 * sold at closing bound every vote's weight: turnout never exceeds 100 %.
 */
export async function unitsSoldOfModel(tx: Tx, modelId: string): Promise<bigint> {
  const offerings = await tx.range<IndexRef>(prefixRange(Keys.offeringsByModel(modelId)), Number.MAX_SAFE_INTEGER);
  let total = 0n;
  for (const row of offerings) {
    total += await soldUnits(tx, row.key.split('/').at(-1) ?? '');
  }
  return total;
}

/** A model's offerings, one page. */
export function pageOfModelOfferings(tx: Tx, modelId: string, pageSize: number, bookmark: string): Promise<Page<OfferingRecord>> {
  return pageOfIndex<OfferingRecord>(tx, prefixRange(Keys.offeringsByModel(modelId)), pageSize, bookmark);
}
