import { MarketClient, type ListingRecord, type TradeRecord, type TransferRecord, type Window } from '@model-ledger/contract';
import type { Session } from '../fabric/ledger';
import { Page, PageRequest, pageArgs, Schemas, toPage, WriteResult, written } from './common';
import type { RequestIds } from './requests';

/**
 * The secondary market (MarketContract): listings, buys with the resale
 * royalty, cancels and same-org unit transfers. Buys and transfers take an
 * idempotency key (the chaincode's request id; see TokenService.mint).
 */
export class MarketService {
  private readonly market: MarketClient;

  constructor(
    session: Session,
    private readonly requests: RequestIds,
  ) {
    this.market = new MarketClient(session);
  }

  /**
   * Lists units of one licence (per unit) or of several (a bundle, all or nothing).
   *
   * @throws ApiError FORBIDDEN (not the holder), NOT_TRANSFERABLE, LICENSE_EXPIRED, UNITS_LOCKED
   *   (vote-locked), INSUFFICIENT_UNITS, ASK_BELOW_ROYALTY or INVALID_ARGUMENT.
   */
  async list(input: Schemas['NewListing']): Promise<WriteResult<ListingRecord>> {
    const reservedForMspId = input.reservedForMspId;
    if ('items' in input) {
      return written(await this.market.listBundle({ items: input.items, askPrice: input.askPrice, reservedForMspId }));
    }
    return written(
      await this.market.listUnits({ licenseId: input.licenseId, units: input.units, askUnitPrice: input.askUnitPrice, reservedForMspId }),
    );
  }

  /**
   * Buys from a listing for the caller or its org treasury.
   *
   * @throws ApiError LISTING_NOT_FOUND, LISTING_CLOSED, INSUFFICIENT_FUNDS, INSUFFICIENT_UNITS,
   *   LICENSE_EXPIRED, FORBIDDEN (reserved for another org, or terms forbid holding) or INVALID_ARGUMENT.
   */
  async buy(listingId: string, input: Schemas['NewTrade'], idempotencyKey: string | undefined): Promise<WriteResult<TradeRecord>> {
    const bought = await this.market.buyListing({ listingId, units: input.units, payer: input.payer, requestId: idempotencyKey });
    return written(await this.requests.firstAnswer(bought, idempotencyKey));
  }

  /** Cancels an open listing. @throws ApiError LISTING_NOT_FOUND, LISTING_CLOSED or FORBIDDEN. */
  async cancel(listingId: string): Promise<WriteResult<ListingRecord>> {
    return written(await this.market.cancelListing(listingId));
  }

  /**
   * Moves units, free, to another account of the holder's org.
   *
   * @throws ApiError TRANSFER_RESTRICTED (another org), NOT_TRANSFERABLE, UNITS_LOCKED,
   *   INSUFFICIENT_UNITS, FORBIDDEN or INVALID_ARGUMENT.
   */
  async transfer(
    licenseId: string,
    input: Schemas['NewUnitTransfer'],
    idempotencyKey: string | undefined,
  ): Promise<WriteResult<TransferRecord>> {
    const transferred = await this.market.transferUnits({ licenseId, units: input.units, to: input.to, requestId: idempotencyKey });
    return written(await this.requests.firstAnswer(transferred, idempotencyKey));
  }

  /** @throws ApiError LISTING_NOT_FOUND. */
  async get(listingId: string): Promise<ListingRecord> {
    return this.market.getListing(listingId);
  }

  async openByModel(modelId: string, page: PageRequest): Promise<Page<ListingRecord>> {
    return toPage(await this.market.listOpenListingsByModel(modelId, pageArgs(page)));
  }

  async bySeller(seller: string, page: PageRequest): Promise<Page<ListingRecord>> {
    return toPage(await this.market.listListingsBySeller(seller, pageArgs(page)));
  }

  /** @throws ApiError FORBIDDEN unless the caller is of the model owner's org or a regulator. */
  async tradesByModel(modelId: string, window: Window, page: PageRequest): Promise<Page<TradeRecord>> {
    return toPage(await this.market.listTradesByModel(modelId, window, pageArgs(page)));
  }

  /** @throws ApiError FORBIDDEN unless the caller is of the account's org or a regulator. */
  async tradesByAccount(account: string, window: Window, page: PageRequest): Promise<Page<TradeRecord>> {
    return toPage(await this.market.listTradesByAccount(account, window, pageArgs(page)));
  }
}
