import { Keys, prefixRange } from '../domain/keys';
import type { PurchaseRecord } from '../domain/records';
import { pageOfDocuments } from './pages';
import type { Page, Tx } from './tx';

/**
 * Purchases from an offering, stored whole under the offering and the time
 * of purchase, so the owner's and the auditor's list of an offering's sales
 * in a window is one key range.
 */

/** Saves a purchase record. */
export async function savePurchase(tx: Tx, purchase: PurchaseRecord): Promise<void> {
  await tx.put(Keys.purchase(purchase.offeringId, purchase.purchasedAt, purchase.txId), purchase);
}

/** Purchases of an offering in [from, to), one page. */
export function pageOfPurchases(
  tx: Tx,
  offeringId: string,
  window: { readonly from?: string; readonly to?: string; readonly pageSize: number; readonly bookmark: string },
): Promise<Page<PurchaseRecord>> {
  return pageOfDocuments<PurchaseRecord>(
    tx,
    prefixRange(Keys.purchasesByOffering(offeringId), window.from, window.to),
    window.pageSize,
    window.bookmark,
  );
}
