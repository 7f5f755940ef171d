import { Limits } from '../config';
import { ChaincodeError, ErrorCode } from '../errors';
import { Keys, prefixRange } from '../domain/keys';
import { drawInOrder, lotCount, lotSize, lotVisitOrder, startLot } from '../domain/lots';
import type { OfferingRecord } from '../domain/records';
import type { Tx } from './tx';

/**
 * An offering's supply, enforced without a counter every purchase rewrites.
 *
 * The supply cap (less any units sold before sharding) is split into
 * `min(cap, supplyShards)` shards the way a licence is split into lots;
 * shard i may sell `lotSize(cap, shards, i)` units, so the shards sum to the
 * cap and it holds exactly. Each shard's key holds the units sold from it,
 * written only when a purchase first draws on it. A purchase starts at one
 * shard (the caller's hint, else one derived from the transaction id) and
 * walks forward, wrapping, reading one shard at a time until it has enough:
 * concurrent purchases that start at different shards touch different keys
 * and do not conflict, and two that need the same last units read the same
 * shard, so one of them fails validation.
 */

/** Units drawn from one shard, with what it had sold before. */
export interface SupplyTake {
  readonly shard: number;
  readonly units: bigint;
  readonly soldBefore: bigint;
}

interface SoldRecord {
  readonly units: string;
}

/** Units sold before the supply was sharded; they count against the cap outside the shards. */
async function soldBeforeShards(tx: Tx, offeringId: string): Promise<bigint> {
  return BigInt((await tx.get<SoldRecord>(Keys.sold(offeringId)))?.units ?? '0');
}

/** How the shardable part of a cap is split: the shard count and each shard's capacity. */
function shardsOf(shardable: bigint): { count: number; capacity: (shard: number) => bigint } {
  const count = lotCount(shardable, Limits.supplyShards);
  return { count, capacity: (shard) => lotSize(shardable, count, shard) };
}

/**
 * Units an offering sold so far: one range read over the shards drawn on,
 * never used on the purchase path.
 */
export async function soldUnits(tx: Tx, offeringId: string): Promise<bigint> {
  let sold = await soldBeforeShards(tx, offeringId);
  for (const shard of await tx.range<SoldRecord>(prefixRange(Keys.supplyShardsOf(offeringId)), Limits.supplyShards)) {
    sold += BigInt(shard.value.units);
  }
  return sold;
}

/**
 * Plans drawing `units` from an offering's supply, from the hinted shard on.
 *
 * @throws ChaincodeError SUPPLY_EXHAUSTED when fewer units are left, naming how many.
 */
export async function planSupply(tx: Tx, offering: OfferingRecord, units: bigint, hint: number | undefined): Promise<SupplyTake[]> {
  const cap = BigInt(offering.supplyCap);
  const before = await soldBeforeShards(tx, offering.offeringId);
  const shardable = cap > before ? cap - before : 0n;
  const shards = shardsOf(shardable);
  const soldFrom = async (shard: number): Promise<bigint> =>
    BigInt((await tx.get<SoldRecord>(Keys.supplyShard(offering.offeringId, shard)))?.units ?? '0');
  const order = shardable > 0n ? lotVisitOrder(startLot(tx.txId, shards.count, hint), shards.count) : [];
  const { draws, taken } = await drawInOrder(order, units, async (shard) => shards.capacity(shard) - (await soldFrom(shard)));
  if (taken < units) {
    throw new ChaincodeError(
      ErrorCode.SUPPLY_EXHAUSTED,
      `offering ${offering.offeringId} has ${taken} of ${cap} units left, fewer than the ${units} requested`,
    );
  }
  return draws.map(({ index, units: drawn, available }) => ({
    shard: index,
    units: drawn,
    soldBefore: shards.capacity(index) - available,
  }));
}

/** Writes the shards a plan draws on. */
export async function writeSupply(tx: Tx, offeringId: string, takes: readonly SupplyTake[]): Promise<void> {
  for (const take of takes) {
    await tx.put(Keys.supplyShard(offeringId, take.shard), { units: (take.soldBefore + take.units).toString() } satisfies SoldRecord);
  }
}
