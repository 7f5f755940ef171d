import { ChaincodeError, ErrorCode } from '../errors';
import { mspOfAccount } from '../domain/identity';
import { Keys, prefixRange } from '../domain/keys';
import type { ListingRecord, TradeRecord, TransferRecord } from '../domain/records';
import { pageOfDocuments, pageOfIndex } from './pages';
import type { Page, Tx } from './tx';

/**
 * Listings, trades and transfers with the indexes the market and the audit
 * read them by: open listings per model, listings per seller, and trades
 * (sales and free transfers alike) per model and per account, keyed by time.
 */

/** Writes a listing's header; its locked units are the seller's, so the key is pinned to the seller's org. */
async function writeListing(tx: Tx, listing: ListingRecord): Promise<void> {
  await tx.putOwned(Keys.listing(listing.listingId), listing, mspOfAccount(listing.seller));
}

/** Reads a listing, or undefined. */
export function findListing(tx: Tx, listingId: string): Promise<ListingRecord | undefined> {
  return tx.get<ListingRecord>(Keys.listing(listingId));
}

/**
 * Loads a listing.
 *
 * @throws ChaincodeError LISTING_NOT_FOUND.
 */
export async function requireListing(tx: Tx, listingId: string): Promise<ListingRecord> {
  const listing = await findListing(tx, listingId);
  if (listing === undefined) {
    throw new ChaincodeError(ErrorCode.LISTING_NOT_FOUND, `listing ${listingId} does not exist`);
  }
  return listing;
}

/** Writes a new listing, open under each of its models and listed under its seller. */
export async function saveNewListing(tx: Tx, listing: ListingRecord): Promise<void> {
  await writeListing(tx, listing);
  for (const modelId of listing.modelIds) {
    await tx.put(Keys.openListing(modelId, listing.listingId), { ref: Keys.listing(listing.listingId) });
  }
  await tx.put(Keys.listingBySeller(listing.seller, listing.listingId), { ref: Keys.listing(listing.listingId) });
}

/** Writes a listing after a sale or a cancel; once it is closed (sold out or cancelled), it leaves every model's open listings. */
export async function saveListing(tx: Tx, listing: ListingRecord): Promise<void> {
  await writeListing(tx, listing);
  if (listing.status !== 'open') {
    for (const modelId of listing.modelIds) {
      await tx.delete(Keys.openListing(modelId, listing.listingId));
    }
  }
}

/** Saves a sale under each of its models and under both its buyer and its seller. */
export async function saveTrade(tx: Tx, trade: TradeRecord, modelIds: readonly string[]): Promise<void> {
  for (const modelId of modelIds) {
    await tx.put(Keys.tradeByModel(modelId, trade.at, trade.txId), trade);
  }
  await tx.put(Keys.tradeByAccount(trade.buyer, trade.at, trade.txId), trade);
  await tx.put(Keys.tradeByAccount(trade.seller, trade.at, trade.txId), trade);
}

/** Saves a free transfer where trades are listed: under its model and both accounts. */
export async function saveTransfer(tx: Tx, record: TransferRecord): Promise<void> {
  await tx.put(Keys.tradeByModel(record.modelId, record.at, record.txId), record);
  await tx.put(Keys.tradeByAccount(record.from, record.at, record.txId), record);
  await tx.put(Keys.tradeByAccount(record.to, record.at, record.txId), record);
}

/** Open listings of a model, one page. */
export function pageOfOpenListings(tx: Tx, modelId: string, pageSize: number, bookmark: string): Promise<Page<ListingRecord>> {
  return pageOfIndex<ListingRecord>(tx, prefixRange(Keys.openListingsOf(modelId)), pageSize, bookmark);
}

/** Listings of a seller, one page. */
export function pageOfSellerListings(tx: Tx, seller: string, pageSize: number, bookmark: string): Promise<Page<ListingRecord>> {
  return pageOfIndex<ListingRecord>(tx, prefixRange(Keys.listingsBySeller(seller)), pageSize, bookmark);
}

/** Trades and transfers of a model or an account in [from, to), one page. */
export function pageOfTrades(
  tx: Tx,
  by: { readonly modelId: string } | { readonly account: string },
  window: { readonly from?: string; readonly to?: string; readonly pageSize: number; readonly bookmark: string },
): Promise<Page<TradeRecord | TransferRecord>> {
  const prefix = 'modelId' in by ? Keys.tradesByModel(by.modelId) : Keys.tradesByAccount(by.account);
  return pageOfDocuments<TradeRecord | TransferRecord>(tx, prefixRange(prefix, window.from, window.to), window.pageSize, window.bookmark);
}
