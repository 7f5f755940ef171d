import { sha256Hex } from './canonical';

/**
 * Lots: how a licence's quota is enforced without a shared counter.
 *
 * At purchase a licence of N units is split into `min(N, maxLots)` lots. Lot
 * i holds `floor(N / lots)` units, plus one if `i < N mod lots`, so the lots
 * sum to N. A lot's key is only written when units are first taken from it;
 * until then its remaining count is its initial size. An access starts at one
 * lot (the caller's hint, else one derived from the transaction id) and walks
 * forward, wrapping, taking units until it has enough. Concurrent accesses
 * that start at different lots touch different keys and do not conflict.
 */

/** Number of lots a licence of `units` units is split into. */
export function lotCount(units: bigint, maxLots: number): number {
  return units < BigInt(maxLots) ? Number(units) : maxLots;
}

/** Initial size of lot `index` of a licence of `units` units split into `count` lots. */
export function lotSize(units: bigint, count: number, index: number): bigint {
  const lots = BigInt(count);
  return units / lots + (BigInt(index) < units % lots ? 1n : 0n);
}

/**
 * The lot an access starts at: the hint modulo the lot count if given, else a
 * lot derived from the sha256 of the transaction id, which spreads accesses
 * without coordination.
 */
export function startLot(txId: string, count: number, hint: number | undefined): number {
  if (hint !== undefined) {
    return hint % count;
  }
  return parseInt(sha256Hex(txId).slice(0, 8), 16) % count;
}

/** The order in which an access visits lots: from `start`, forward, wrapping once. */
export function lotVisitOrder(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, step) => (start + step) % count);
}

/** Units drawn from one part (a lot, a supply shard), with what it had available before. */
export interface Draw {
  readonly index: number;
  readonly units: bigint;
  readonly available: bigint;
}

/**
 * Walks the parts in `order`, taking from each what it has available until
 * `units` are taken; reads a part only while units are still needed.
 * `taken` falls short of `units` when the parts hold fewer, and then equals
 * all they hold.
 */
export async function drawInOrder(
  order: readonly number[],
  units: bigint,
  availableOf: (index: number) => Promise<bigint>,
): Promise<{ draws: Draw[]; taken: bigint }> {
  const draws: Draw[] = [];
  let taken = 0n;
  for (const index of order) {
    if (taken === units) {
      break;
    }
    const available = await availableOf(index);
    if (available > 0n) {
      const drawn = available < units - taken ? available : units - taken;
      draws.push({ index, units: drawn, available });
      taken += drawn;
    }
  }
  return { draws, taken };
}
