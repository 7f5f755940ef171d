import { ChaincodeError, ErrorCode } from '../errors';
import { BASIS_POINTS } from './policy';
import { allocate } from './split';

/**
 * Secondary-market arithmetic: how a sale price is split into the resale
 * royalty and the seller's proceeds. Pure functions, integers only.
 *
 * The royalty base is `max(price, escrow)`, where escrow is the units' frozen
 * unit price times the units: the value the chaincode can see the units carry.
 * A sale declared below that value (for example because the rest was paid off
 * the ledger) still pays the royalty on at least the escrow. The royalty is
 * `ceil(base × bps / 10000)`, so any sale of a model with a non-zero resale
 * royalty pays at least one unit of it.
 */

/** The resale royalty on a sale of units carrying `escrow` for `price`. */
export function resaleRoyalty(price: bigint, escrow: bigint, bps: number): { base: bigint; royalty: bigint } {
  const base = price > escrow ? price : escrow;
  const scaled = base * BigInt(bps);
  return { base, royalty: (scaled + BASIS_POINTS - 1n) / BASIS_POINTS };
}

/** One licence's part of a sale, as input to `settleSale`. */
export interface SaleItem {
  readonly units: bigint;
  /** Frozen unit price of the licence (escrow per unit). */
  readonly unitPrice: bigint;
  /** The resale royalty of the licence's model now, in basis points. */
  readonly resaleRoyaltyBps: number;
}

/** How one item of a sale settles. */
export interface SaleItemSettlement {
  readonly price: bigint;
  readonly escrow: bigint;
  readonly base: bigint;
  readonly royalty: bigint;
}

/** How a whole sale settles. */
export interface SaleSettlement {
  readonly items: readonly SaleItemSettlement[];
  readonly royalty: bigint;
  readonly proceeds: bigint;
}

/**
 * Splits a sale price over its items in proportion to their escrow (largest
 * remainder, as royalties are), charges each item's resale royalty on its
 * part, and leaves the rest to the seller.
 *
 * @throws ChaincodeError ASK_BELOW_ROYALTY if the royalties exceed the price.
 */
export function settleSale(price: bigint, items: readonly SaleItem[]): SaleSettlement {
  const escrows = items.map((item) => item.units * item.unitPrice);
  const total = escrows.reduce((sum, escrow) => sum + escrow, 0n);
  const parts = items.length === 1 ? [price] : allocate(price, escrows, total);
  const settled = items.map((item, index): SaleItemSettlement => {
    const { base, royalty } = resaleRoyalty(parts[index], escrows[index], item.resaleRoyaltyBps);
    return { price: parts[index], escrow: escrows[index], base, royalty };
  });
  const royalty = settled.reduce((sum, item) => sum + item.royalty, 0n);
  if (royalty > price) {
    throw new ChaincodeError(
      ErrorCode.ASK_BELOW_ROYALTY,
      `a price of ${price} does not cover the resale royalty of ${royalty}, charged on at least the units' escrow`,
    );
  }
  return { items: settled, royalty, proceeds: price - royalty };
}
