import { Keys, prefixRange } from '../domain/keys';
import type { OrgRootRecord } from '../domain/records';
import type { Tx } from './tx';

/**
 * The CA roots of member orgs, as registered on the ledger (see
 * MemberContract.RegisterOrgRoot). An org has a handful at most, so they are
 * read whole, with one range read per batch.
 */

/** Most roots one org may register (Fabric CAs rotate roots rarely). */
export const MAX_ROOTS_PER_ORG = 16;

/** Every registered root of an org, oldest fingerprint first. */
export async function rootsOf(tx: Tx, mspId: string): Promise<OrgRootRecord[]> {
  const rows = await tx.range<OrgRootRecord>(prefixRange(Keys.orgRootsOf(mspId)), MAX_ROOTS_PER_ORG);
  return rows.map((row) => row.value);
}

/** One registered root, or undefined. */
export function findRoot(tx: Tx, mspId: string, fingerprint: string): Promise<OrgRootRecord | undefined> {
  return tx.get<OrgRootRecord>(Keys.orgRoot(mspId, fingerprint));
}

/** Writes a new root, pinned to its org like the org's other keys. */
export async function saveRoot(tx: Tx, record: OrgRootRecord): Promise<void> {
  await tx.createOwned(Keys.orgRoot(record.mspId, record.fingerprint), record, record.mspId);
}
