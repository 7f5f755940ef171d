import { Keys } from '../domain/keys';
import type { Tx } from './tx';

/** Units sold so far by an offering. */
export async function soldUnits(tx: Tx, offeringId: string): Promise<bigint> {
  const sold = await tx.get<{ units: string }>(Keys.sold(offeringId));
  return BigInt(sold?.units ?? '0');
}

/** Writes the units an offering has sold, which its supply cap bounds. */
export async function writeSoldUnits(tx: Tx, offeringId: string, units: bigint): Promise<void> {
  await tx.put(Keys.sold(offeringId), { units: units.toString() });
}
