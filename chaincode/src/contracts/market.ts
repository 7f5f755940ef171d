import { ContractName, callName } from '@model-ledger/contract';
import { Context, Info, Transaction } from 'fabric-contract-api';
import { LedgerContract } from './base';
import { Limits } from '../config';
import { ChaincodeError, ErrorCode, forbidden, invalidArgument } from '../errors';
import { Events } from '../events';
import { mspOfAccount } from '../domain/identity';
import { settleSale } from '../domain/market';
import type { LicenseRecord, ListingItem, ListingRecord, TransferRecord } from '../domain/records';
import { mayHold } from '../domain/terms';
import {
  optionalIsoInstant,
  requireAccountId,
  requireArray,
  requireBookmark,
  requireChoice,
  requireId,
  requireJson,
  requireMspId,
  requireObject,
  requirePageSize,
  requirePositiveAmount,
  requireUnits,
} from '../domain/validation';
import { ACCOUNT_CHOICES, actingAccount, requireAccountReader, requireHolder, requireReader, requireWriter } from '../ledger/authz';
import { debit } from '../ledger/balances';
import { indexHoldingOfModel, recordOutflow, returnToLots } from '../ledger/licenses';
import { requireLicense, requireModel } from '../ledger/loads';
import {
  findListing,
  pageOfOpenListings,
  pageOfSellerListings,
  pageOfTrades,
  requireListing,
  saveListing,
  saveNewListing,
  saveTrade,
  saveTransfer,
} from '../ledger/market';
import { writeRoyaltyRows } from '../ledger/royalties';
import { ClientRequest } from '../ledger/requests';
import { Tx } from '../ledger/tx';
import { result } from './result';
import { afterSale, deliverSale, planSale, requireOpen, tradeRecord } from './sale';
import { planOutgoing, receiveUnits, removeUnits } from './units';
import type { Outgoing } from './units';

function itemOf(out: Outgoing, units: bigint, resaleRoyaltyBps: number): ListingItem {
  return {
    licenseId: out.license.licenseId,
    offeringId: out.license.offeringId,
    modelId: out.license.modelId,
    termsKey: out.license.termsKey,
    termsHash: out.license.termsHash,
    unitPrice: out.license.unitPrice,
    purchasedAt: out.license.purchasedAt,
    expiresAt: out.license.expiresAt,
    resaleRoyaltyBps,
    units: units.toString(),
    remaining: units.toString(),
    lots: out.takes.map((take) => ({ index: take.index, units: take.units.toString() })),
  };
}

/**
 * The resale royalty rate units pay: the rate frozen on their licence when
 * first bought, so that the owner raising the model's rate later never
 * reaches units already sold; the model's current rate only for licences
 * from before rates were frozen.
 */
async function resaleBps(tx: Tx, source: Pick<LicenseRecord, 'modelId' | 'resaleRoyaltyBps'>): Promise<number> {
  return source.resaleRoyaltyBps ?? (await requireModel(tx, source.modelId)).royaltyPolicy.resaleRoyaltyBps;
}

/** The lots an item's unsold units go back to: the lots they were taken from, in order, up to the units left. */
function unsoldLots(item: ListingItem): { index: number; units: bigint }[] {
  const lots: { index: number; units: bigint }[] = [];
  let left = BigInt(item.remaining);
  for (const lot of item.lots) {
    if (left === 0n) {
      break;
    }
    const back = BigInt(lot.units) < left ? BigInt(lot.units) : left;
    lots.push({ index: lot.index, units: back });
    left -= back;
  }
  return lots;
}

function optionalMsp(value: string): string | undefined {
  return value === '' ? undefined : requireMspId('reservedForMspId', value);
}

/** Writes a new listing and its indexes. */
async function openListing(
  tx: Tx,
  seller: string,
  outs: readonly { readonly out: Outgoing; readonly units: bigint }[],
  pricing: { readonly askUnitPrice?: bigint; readonly askPrice?: bigint },
  reservedForMspId: string | undefined,
): Promise<ListingRecord> {
  const listingId = `LS-${tx.txId.slice(0, 16)}`;
  if ((await findListing(tx, listingId)) !== undefined) {
    throw new ChaincodeError(ErrorCode.CONFLICT, `listing ${listingId} already exists; submit again`);
  }
  const now = tx.now;
  const items: ListingItem[] = [];
  for (const { out, units } of outs) {
    items.push(itemOf(out, units, await resaleBps(tx, out.license)));
  }
  const listing: ListingRecord = {
    docType: 'listing',
    listingId,
    seller,
    status: 'open',
    bundle: outs.length > 1,
    askUnitPrice: pricing.askUnitPrice?.toString(),
    askPrice: pricing.askPrice?.toString(),
    reservedForMspId,
    modelIds: [...new Set(items.map((item) => item.modelId))].sort(),
    items,
    createdAt: now,
    updatedAt: now,
    txId: tx.txId,
  };
  for (const { out, units } of outs) {
    await removeUnits(tx, out, units);
  }
  await saveNewListing(tx, listing);
  tx.emit(Events.ListingCreated, listing);
  return listing;
}

/** The validated window and page of a trade query. */
function tradeWindow(
  from: string,
  to: string,
  pageSize: string,
  bookmark: string,
): { from?: string; to?: string; pageSize: number; bookmark: string } {
  return {
    from: optionalIsoInstant('from', from),
    to: optionalIsoInstant('to', to),
    pageSize: requirePageSize('pageSize', pageSize),
    bookmark: requireBookmark('bookmark', bookmark),
  };
}

/**
 * The secondary market. A holder locks unused units of a transferable
 * licence into a listing (they leave the licence's lots, with their escrow);
 * a buyer takes them in one transaction that pays the seller, pays the
 * model's resale royalty along its royalty policy and lineage, and gives the
 * buyer a licence with the same frozen terms. Units move between orgs only
 * this way; `TransferUnits` is free and stays inside one org (see README).
 */
@Info({ title: ContractName.market, description: 'Lists, sells, cancels and transfers licence units with enforced resale royalties' })
export class MarketContract extends LedgerContract {
  constructor() {
    super(ContractName.market);
  }

  /**
   * Lists `units` unused units of a licence at `askUnitPrice` each, for
   * anyone eligible under the frozen terms, or only for `reservedForMspId`
   * (empty for anyone). The holder, or an admin for its org treasury.
   * The units are locked: they leave the licence's lots until sold or cancelled.
   * Returns the ListingRecord.
   */
  @Transaction()
  async ListUnits(ctx: Context, licenseId: string, units: string, askUnitPrice: string, reservedForMspId: string): Promise<string> {
    const tx = new Tx(ctx);
    requireWriter(tx.caller, 'list licence units');
    const id = requireId('licenseId', licenseId);
    const quantity = requireUnits('units', units);
    const ask = requirePositiveAmount('askUnitPrice', askUnitPrice);
    const reserved = optionalMsp(reservedForMspId);
    const out = await planOutgoing(tx, id, quantity, 'licenseId', 'list units of this licence');
    // ceil(n·x) ≤ n·ceil(x): if one unit covers its royalty, every partial buy does.
    settleSale(ask, [{ units: 1n, unitPrice: BigInt(out.license.unitPrice), resaleRoyaltyBps: await resaleBps(tx, out.license) }]);
    return result(await openListing(tx, out.license.holder, [{ out, units: quantity }], { askUnitPrice: ask }, reserved));
  }

  /**
   * Lists units of several licences of one holder as a bundle, sold all or
   * nothing for `askPrice`. `items` is JSON `[{ "licenseId": "...", "units": "<int>" }, ...]`
   * (2 to 16 distinct licences). Same rules as ListUnits. Returns the ListingRecord.
   */
  @Transaction()
  async ListBundle(ctx: Context, items: string, askPrice: string, reservedForMspId: string): Promise<string> {
    const tx = new Tx(ctx);
    requireWriter(tx.caller, 'list a bundle');
    const raw = requireArray('items', requireJson('items', items), Limits.maxBundleItems);
    if (raw.length < 2) {
      throw invalidArgument('items', 'must name at least two licences; list a single licence with ListUnits');
    }
    const parsed = raw.map((entry, index) => {
      const item = requireObject(`items[${index}]`, entry);
      return {
        licenseId: requireId(`items[${index}].licenseId`, item.licenseId),
        units: requireUnits(`items[${index}].units`, item.units),
      };
    });
    if (new Set(parsed.map((item) => item.licenseId)).size !== parsed.length) {
      throw invalidArgument('items', 'must not name a licence twice');
    }
    const price = requirePositiveAmount('askPrice', askPrice);
    const reserved = optionalMsp(reservedForMspId);
    const outs: { out: Outgoing; units: bigint }[] = [];
    for (const [index, item] of parsed.entries()) {
      const out = await planOutgoing(tx, item.licenseId, item.units, `items[${index}].licenseId`, 'list units of this licence');
      if (outs.length > 0 && out.license.holder !== outs[0].out.license.holder) {
        throw invalidArgument(`items[${index}].licenseId`, 'must be held by the same account as the other licences of the bundle');
      }
      outs.push({ out, units: item.units });
    }
    const saleItems = [];
    for (const { out, units } of outs) {
      saleItems.push({ units, unitPrice: BigInt(out.license.unitPrice), resaleRoyaltyBps: await resaleBps(tx, out.license) });
    }
    settleSale(price, saleItems);
    return result(await openListing(tx, outs[0].out.license.holder, outs, { askPrice: price }, reserved));
  }

  /**
   * Buys from a listing for the caller (`payer` = `self`) or its org treasury
   * (`org`, role admin). `units` is how many units of a single-licence listing
   * to buy (empty for all that are left); a bundle is bought whole, so `units`
   * must be empty. In one transaction: the buyer pays the price; the resale
   * royalty (at the rate frozen on the units' licence when first bought, on
   * max(price, escrow), rounded up) accrues to the beneficiaries of the
   * model's current royalty policy and lineage; the rest accrues to the
   * seller; the buyer gets a new licence per item with the frozen terms, the
   * frozen resale rate and the units' escrow. The buyer must be eligible under the frozen terms. `requestId`
   * (optional, empty for none) makes a retry return the first trade instead
   * of buying twice. Returns the TradeRecord.
   */
  @Transaction()
  async BuyListing(ctx: Context, listingId: string, units: string, payer: string, requestId: string): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'buy from a listing');
    const listing = await requireListing(tx, requireId('listingId', listingId));
    const buyer = actingAccount(caller, requireChoice('payer', payer, ACCOUNT_CHOICES), 'buy from a listing');
    const request = await ClientRequest.begin(
      tx,
      callName(ContractName.market, 'BuyListing'),
      [listing.listingId, units, buyer],
      requestId,
    );
    if (request.earlier !== undefined) {
      return result(request.earlier);
    }
    const sale = await planSale(tx, listing, buyer, units);
    await debit(tx, buyer, sale.price);
    const delivered = await deliverSale(tx, listing, buyer, sale);
    // Delta rows, as accesses write: neither the seller's balance nor a beneficiary's is read and rewritten,
    // so buys of different listings of one seller do not conflict.
    await writeRoyaltyRows(tx, delivered.rows, tx.now);
    await saveListing(tx, afterSale(tx, listing, sale.quantities));
    const trade = tradeRecord(tx, listing, buyer, sale, delivered);
    await saveTrade(tx, trade, listing.modelIds);
    await request.finish(trade);
    tx.emit(Events.ListingPurchased, trade);
    return result(trade);
  }

  /**
   * Cancels an open listing: its unsold units go back to the lots they were
   * taken from, with their escrow. The seller, or an admin for its org
   * treasury. Returns the cancelled ListingRecord.
   */
  @Transaction()
  async CancelListing(ctx: Context, listingId: string): Promise<string> {
    const tx = new Tx(ctx);
    requireWriter(tx.caller, 'cancel a listing');
    const listing = await requireListing(tx, requireId('listingId', listingId));
    requireHolder(tx.caller, listing.seller, 'cancel this listing');
    requireOpen(listing);
    const returned: { licenseId: string; units: string }[] = [];
    for (const item of listing.items) {
      const license = await requireLicense(tx, item.licenseId);
      await returnToLots(tx, license, unsoldLots(item));
      if (item.remaining !== '0') {
        await recordOutflow(tx, item.licenseId, -BigInt(item.remaining));
        // The licence holds units again: it counts for governance again, should ReindexHoldings have dropped it.
        await indexHoldingOfModel(tx, license);
        returned.push({ licenseId: item.licenseId, units: item.remaining });
      }
    }
    const now = tx.now;
    const cancelled: ListingRecord = {
      ...listing,
      status: 'cancelled',
      items: listing.items.map((item) => ({ ...item, remaining: '0' })),
      updatedAt: now,
      txId: tx.txId,
    };
    await saveListing(tx, cancelled);
    tx.emit(Events.ListingCancelled, { listingId: listing.listingId, seller: listing.seller, returned, txId: tx.txId });
    return result(cancelled);
  }

  /**
   * Moves `units` of a transferable licence, free of charge, to another
   * account of the holder's own org (for example from the treasury to a
   * practitioner). The recipient gets a licence with the same frozen terms
   * and the units' escrow. Across orgs, units move only through a listing
   * (which may be reserved for one org), so that the resale royalty is paid.
   * The holder, or an admin for its org treasury. `requestId` (optional,
   * empty for none) makes a retry return the first transfer instead of
   * moving units twice. Returns the TransferRecord.
   */
  @Transaction()
  async TransferUnits(ctx: Context, licenseId: string, units: string, to: string, requestId: string): Promise<string> {
    const tx = new Tx(ctx);
    requireWriter(tx.caller, 'transfer licence units');
    const id = requireId('licenseId', licenseId);
    const quantity = requireUnits('units', units);
    const recipient = requireAccountId('to', to);
    const request = await ClientRequest.begin(
      tx,
      callName(ContractName.market, 'TransferUnits'),
      [id, quantity.toString(), recipient],
      requestId,
    );
    if (request.earlier !== undefined) {
      return result(request.earlier);
    }
    const out = await planOutgoing(tx, id, quantity, 'licenseId', 'transfer units of this licence');
    if (recipient === out.license.holder) {
      throw invalidArgument('to', 'must differ from the holder');
    }
    if (mspOfAccount(recipient) !== mspOfAccount(out.license.holder)) {
      throw new ChaincodeError(
        ErrorCode.TRANSFER_RESTRICTED,
        `units move to another organisation only through a listing, which pays the resale royalty; ${mspOfAccount(recipient)} is not ${mspOfAccount(out.license.holder)}`,
      );
    }
    if (!mayHold(out.terms, recipient)) {
      throw forbidden(`licence terms allow only ${out.terms.allowedMspIds.join(', ')} to hold it`);
    }
    const now = tx.now;
    await removeUnits(tx, out, quantity);
    const received = await receiveUnits(tx, out.license, recipient, quantity, 0, {
      kind: 'transfer',
      fromLicenseId: out.license.licenseId,
      fromHolder: out.license.holder,
      acquiredAt: now,
    });
    const record: TransferRecord = {
      docType: 'transfer',
      fromLicenseId: out.license.licenseId,
      toLicenseId: received.licenseId,
      from: out.license.holder,
      to: recipient,
      modelId: out.license.modelId,
      units: quantity.toString(),
      escrow: (quantity * BigInt(out.license.unitPrice)).toString(),
      at: now,
      txId: tx.txId,
    };
    await saveTransfer(tx, record);
    await request.finish(record);
    tx.emit(Events.UnitsTransferred, record);
    return result(record);
  }

  /** Reads a listing. Listings are offers to the channel: any member or a regulator. */
  @Transaction(false)
  async GetListing(ctx: Context, listingId: string): Promise<string> {
    return result(await requireListing(new Tx(ctx), requireId('listingId', listingId)));
  }

  /** Open listings that sell units of a model, in listing id order, one page at a time. Any member. */
  @Transaction(false)
  async ListOpenListingsByModel(ctx: Context, modelId: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const model = await requireModel(tx, requireId('modelId', modelId));
    return result(
      await pageOfOpenListings(tx, model.modelId, requirePageSize('pageSize', pageSize), requireBookmark('bookmark', bookmark)),
    );
  }

  /** Every listing of a seller account, open or closed. Any member. */
  @Transaction(false)
  async ListListingsBySeller(ctx: Context, seller: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const account = requireAccountId('seller', seller);
    return result(await pageOfSellerListings(tx, account, requirePageSize('pageSize', pageSize), requireBookmark('bookmark', bookmark)));
  }

  /**
   * Trades (TradeRecord) and transfers (TransferRecord) of a model's units in
   * [from, to), oldest first. The model owner's org or a regulator.
   */
  @Transaction(false)
  async ListTradesByModel(ctx: Context, modelId: string, from: string, to: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const model = await requireModel(tx, requireId('modelId', modelId));
    requireReader(tx.caller, [model.ownerMspId], `the trades of model ${model.modelId}`);
    return result(await pageOfTrades(tx, { modelId: model.modelId }, tradeWindow(from, to, pageSize, bookmark)));
  }

  /** Trades and transfers an account bought, sold, sent or received in [from, to). The account's org or a regulator. */
  @Transaction(false)
  async ListTradesByAccount(ctx: Context, account: string, from: string, to: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const id = requireAccountId('account', account);
    requireAccountReader(tx.caller, id, 'the trades of this account');
    return result(await pageOfTrades(tx, { account: id }, tradeWindow(from, to, pageSize, bookmark)));
  }
}
