import { Limits } from '../config';
import { ChaincodeError, ErrorCode, forbidden, invalidArgument } from '../errors';
import { mspOfAccount } from '../domain/identity';
import { settleSale } from '../domain/market';
import type { SaleSettlement } from '../domain/market';
import type { ListingRecord, ModelRecord, RoyaltyRow, RoyaltyShare, TradeItem, TradeRecord } from '../domain/records';
import { splitRoyalty } from '../domain/split';
import { mayHold } from '../domain/terms';
import { requireUnits } from '../domain/validation';
import { loadLineagePolicies } from '../ledger/lineage';
import { requireModel, requireTerms } from '../ledger/loads';
import { royaltyRows, shareOf } from '../ledger/royalties';
import type { Tx } from '../ledger/tx';
import { expired, receiveUnits } from './units';

/**
 * The phases of a buy from a listing (`MarketContract.BuyListing`): plan
 * (check the buyer and price the sale), deliver (the buyer's new licences and
 * the royalty rows), then the listing and the trade record after the sale.
 */

/**
 * Fails unless the listing is open.
 *
 * @throws ChaincodeError LISTING_CLOSED once it sold out or was cancelled.
 */
export function requireOpen(listing: ListingRecord): void {
  if (listing.status !== 'open') {
    throw new ChaincodeError(ErrorCode.LISTING_CLOSED, `listing ${listing.listingId} is ${listing.status}`);
  }
}

/** A purchase from a listing, checked and priced, before anything is written. */
export interface SalePlan {
  /** Units bought of each item, in item order. */
  readonly quantities: readonly bigint[];
  readonly models: ReadonlyMap<string, ModelRecord>;
  /** The resale royalty rate each item's units pay, frozen with them. */
  readonly frozenRates: readonly number[];
  readonly price: bigint;
  readonly settlement: SaleSettlement;
}

/** How many units of each item a purchase takes: all of a bundle, or `units` (empty: all) of a single licence. */
function saleQuantities(listing: ListingRecord, units: string): bigint[] {
  if (listing.bundle || units === '') {
    if (listing.bundle && units !== '') {
      throw invalidArgument('units', 'must be empty: a bundle is bought whole');
    }
    return listing.items.map((item) => BigInt(item.remaining));
  }
  const wanted = requireUnits('units', units);
  const left = BigInt(listing.items[0].remaining);
  if (wanted > left) {
    throw new ChaincodeError(
      ErrorCode.INSUFFICIENT_UNITS,
      `listing ${listing.listingId} has ${left} units left, fewer than the ${wanted} requested`,
    );
  }
  return [wanted];
}

/**
 * Checks that `buyer` may buy from an open listing now (not its seller, in
 * the org it is reserved for, allowed to hold every item's terms, none
 * expired) and prices the sale, with each item's frozen resale royalty.
 */
export async function planSale(tx: Tx, listing: ListingRecord, buyer: string, units: string): Promise<SalePlan> {
  requireOpen(listing);
  if (buyer === listing.seller) {
    throw invalidArgument('payer', 'must not be the seller of the listing; cancel it instead');
  }
  if (listing.reservedForMspId !== undefined && mspOfAccount(buyer) !== listing.reservedForMspId) {
    throw forbidden(`listing ${listing.listingId} is reserved for ${listing.reservedForMspId}`);
  }
  const quantities = saleQuantities(listing, units);
  const now = tx.now;
  const models = new Map<string, ModelRecord>();
  for (const item of listing.items) {
    const snapshot = await requireTerms(tx, item.termsKey);
    if (!mayHold(snapshot.terms, buyer)) {
      throw forbidden(
        `licence terms of ${item.offeringId} allow only ${snapshot.terms.allowedMspIds.join(', ')} to hold it, not ${mspOfAccount(buyer)}`,
      );
    }
    if (expired(item.expiresAt, now)) {
      throw new ChaincodeError(
        ErrorCode.LICENSE_EXPIRED,
        `the units of licence ${item.licenseId} in this listing expired at ${item.expiresAt}`,
      );
    }
    if (!models.has(item.modelId)) {
      models.set(item.modelId, await requireModel(tx, item.modelId));
    }
  }
  // The rates frozen with the units; listings from before rates were frozen pay the model's current one.
  const frozenRates = listing.items.map((item) => item.resaleRoyaltyBps ?? models.get(item.modelId)?.royaltyPolicy.resaleRoyaltyBps ?? 0);
  const price = listing.bundle ? BigInt(listing.askPrice ?? '0') : quantities[0] * BigInt(listing.askUnitPrice ?? '0');
  const settlement = settleSale(
    price,
    listing.items.map((item, index) => ({
      units: quantities[index],
      unitPrice: BigInt(item.unitPrice),
      resaleRoyaltyBps: frozenRates[index],
    })),
  );
  return { quantities, models, frozenRates, price, settlement };
}

/** What a delivered sale wrote and owes: the royalty shares, their rows with the seller's proceeds, and the items delivered. */
export interface Delivery {
  readonly royalties: RoyaltyShare[];
  readonly rows: RoyaltyRow[];
  readonly tradeItems: TradeItem[];
}

/**
 * Delivers a planned sale: a new licence of the buyer per item, and the
 * royalty rows that pay each item's resale royalty along its model's lineage
 * and the seller's proceeds.
 */
export async function deliverSale(tx: Tx, listing: ListingRecord, buyer: string, sale: SalePlan): Promise<Delivery> {
  const now = tx.now;
  const royalties: RoyaltyShare[] = [];
  const rows: RoyaltyRow[] = [];
  const tradeItems: TradeItem[] = [];
  for (const [index, item] of listing.items.entries()) {
    const model = sale.models.get(item.modelId);
    if (model === undefined) {
      throw new Error(`model ${item.modelId} was not loaded`);
    }
    const part = sale.settlement.items[index];
    const rate = sale.frozenRates[index];
    const origin = {
      kind: 'resale' as const,
      fromLicenseId: item.licenseId,
      fromHolder: listing.seller,
      listingId: listing.listingId,
      acquiredAt: now,
    };
    const received = await receiveUnits(tx, { ...item, resaleRoyaltyBps: rate }, buyer, sale.quantities[index], index, origin);
    const shares = splitRoyalty(part.royalty, model.modelId, await loadLineagePolicies(tx, model), Limits.maxLineageDepth).map(shareOf);
    royalties.push(...shares);
    rows.push(
      ...royaltyRows(shares, {
        kind: 'resaleRoyalty',
        accessedModelId: model.modelId,
        licenseId: received.licenseId,
        accessId: tx.txId,
        at: now,
        txId: tx.txId,
      }),
    );
    tradeItems.push({
      fromLicenseId: item.licenseId,
      toLicenseId: received.licenseId,
      modelId: item.modelId,
      offeringId: item.offeringId,
      units: sale.quantities[index].toString(),
      price: part.price.toString(),
      escrow: part.escrow.toString(),
      royaltyBase: part.base.toString(),
      resaleRoyaltyBps: rate,
      royalty: part.royalty.toString(),
    });
  }
  if (sale.settlement.proceeds > 0n) {
    const first = listing.items[0].modelId;
    const proceeds = { account: listing.seller, amount: sale.settlement.proceeds.toString(), modelId: first, depth: 0 };
    rows.push(
      ...royaltyRows([proceeds], {
        kind: 'saleProceeds',
        accessedModelId: first,
        licenseId: tradeItems[0].toLicenseId,
        accessId: tx.txId,
        at: now,
        txId: tx.txId,
      }),
    );
  }
  return { royalties, rows, tradeItems };
}

/** A listing after a sale: each item's units left, and sold out once none are. */
export function afterSale(tx: Tx, listing: ListingRecord, quantities: readonly bigint[]): ListingRecord {
  const items = listing.items.map((item, index) => ({ ...item, remaining: (BigInt(item.remaining) - quantities[index]).toString() }));
  const soldOut = items.every((item) => item.remaining === '0');
  return { ...listing, items, status: soldOut ? 'sold' : 'open', updatedAt: tx.now, txId: tx.txId };
}

/** The record of a sale: the price the buyer paid, the royalty, the seller's proceeds, and each item delivered. */
export function tradeRecord(tx: Tx, listing: ListingRecord, buyer: string, sale: SalePlan, delivered: Delivery): TradeRecord {
  return {
    docType: 'trade',
    tradeId: tx.txId,
    listingId: listing.listingId,
    seller: listing.seller,
    buyer,
    price: sale.price.toString(),
    royalty: sale.settlement.royalty.toString(),
    proceeds: sale.settlement.proceeds.toString(),
    items: delivered.tradeItems,
    royalties: delivered.royalties,
    at: tx.now,
    txId: tx.txId,
  };
}
