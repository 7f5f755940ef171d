import type { Session } from '../fabric/ledger';
import { decode, Page, PageRequest, pageArgs, Schemas, toPage, Window, windowArgs, Written, written } from './common';

/**
 * The secondary market (MarketContract): listings, buys with the resale
 * royalty, cancels and same-org unit transfers. Buys and transfers take an
 * idempotency key (the chaincode's request id; see TokenService.mint).
 */
export class MarketService {
  constructor(private readonly session: Session) {}

  /**
   * Lists units of one licence (per unit) or of several (a bundle, all or nothing).
   *
   * @throws ApiError FORBIDDEN (not the holder), NOT_TRANSFERABLE, LICENSE_EXPIRED, UNITS_LOCKED
   *   (vote-locked), INSUFFICIENT_UNITS, ASK_BELOW_ROYALTY or INVALID_ARGUMENT.
   */
  async list(input: Schemas['NewListing']): Promise<Written<Schemas['Listing']>> {
    const reserved = input.reservedForMspId ?? '';
    if ('items' in input) {
      const items = JSON.stringify(input.items.map((item) => ({ licenseId: item.licenseId, units: item.units })));
      return written(await this.session.submit('MarketContract', 'ListBundle', items, input.askPrice, reserved));
    }
    return written(await this.session.submit('MarketContract', 'ListUnits', input.licenseId, input.units, input.askUnitPrice, reserved));
  }

  /**
   * Buys from a listing for the caller or its org treasury.
   *
   * @throws ApiError LISTING_NOT_FOUND, LISTING_CLOSED, INSUFFICIENT_FUNDS, INSUFFICIENT_UNITS,
   *   LICENSE_EXPIRED, FORBIDDEN (reserved for another org, or terms forbid holding) or INVALID_ARGUMENT.
   */
  async buy(listingId: string, input: Schemas['NewTrade'], idempotencyKey: string | undefined): Promise<Written<Schemas['Trade']>> {
    return written(await this.session.submitRequest('MarketContract', 'BuyListing', idempotencyKey, listingId, input.units ?? '', input.payer));
  }

  /** Cancels an open listing. @throws ApiError LISTING_NOT_FOUND, LISTING_CLOSED or FORBIDDEN. */
  async cancel(listingId: string): Promise<Written<Schemas['Listing']>> {
    return written(await this.session.submit('MarketContract', 'CancelListing', listingId));
  }

  /**
   * Moves units, free, to another account of the holder's org.
   *
   * @throws ApiError TRANSFER_RESTRICTED (another org), NOT_TRANSFERABLE, UNITS_LOCKED,
   *   INSUFFICIENT_UNITS, FORBIDDEN or INVALID_ARGUMENT.
   */
  async transfer(licenseId: string, input: Schemas['NewUnitTransfer'], idempotencyKey: string | undefined): Promise<Written<Schemas['UnitTransfer']>> {
    return written(await this.session.submitRequest('MarketContract', 'TransferUnits', idempotencyKey, licenseId, input.units, input.to));
  }

  /** @throws ApiError LISTING_NOT_FOUND. */
  async get(listingId: string): Promise<Schemas['Listing']> {
    return decode(await this.session.evaluate('MarketContract', 'GetListing', listingId));
  }

  async openByModel(modelId: string, page: PageRequest): Promise<Page<Schemas['Listing']>> {
    return toPage(await this.session.evaluate('MarketContract', 'ListOpenListingsByModel', modelId, ...pageArgs(page)));
  }

  async bySeller(seller: string, page: PageRequest): Promise<Page<Schemas['Listing']>> {
    return toPage(await this.session.evaluate('MarketContract', 'ListListingsBySeller', seller, ...pageArgs(page)));
  }

  /** @throws ApiError FORBIDDEN unless the caller is of the model owner's org or a regulator. */
  async tradesByModel(modelId: string, window: Window, page: PageRequest): Promise<Page<Schemas['TradePage']['items'][number]>> {
    return toPage(await this.session.evaluate('MarketContract', 'ListTradesByModel', modelId, ...windowArgs(window), ...pageArgs(page)));
  }

  /** @throws ApiError FORBIDDEN unless the caller is of the account's org or a regulator. */
  async tradesByAccount(account: string, window: Window, page: PageRequest): Promise<Page<Schemas['TradePage']['items'][number]>> {
    return toPage(await this.session.evaluate('MarketContract', 'ListTradesByAccount', account, ...windowArgs(window), ...pageArgs(page)));
  }
}
