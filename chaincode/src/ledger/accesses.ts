import { Keys, prefixRange } from '../domain/keys';
import type { AccessRecord, RefundRecord } from '../domain/records';
import { pageOfIndex } from './pages';
import type { Page, Tx } from './tx';

/**
 * Access records and the indexes the audit reads them by. An access is saved
 * once, under its transaction id, with one index row per way an auditor asks
 * for it (by model, org, caller, licence, and time); every row holds only a
 * reference, so the record is stored once. The index keys start with the
 * subject and then the access's time, so a time window is a key range.
 */

/** The ways accesses are listed, and the subject each index is keyed on. */
export type AccessIndex = 'model' | 'org' | 'caller' | 'license' | 'time';

/** The key prefix of one index for one subject (none for `time`). */
function indexPrefix(index: AccessIndex, subject: string): readonly string[] {
  switch (index) {
    case 'model':
      return Keys.accessesByModel(subject);
    case 'org':
      return Keys.accessesByOrg(subject);
    case 'caller':
      return Keys.accessesByCaller(subject);
    case 'license':
      return Keys.accessesByLicense(subject);
    case 'time':
      return Keys.accessesByTime();
  }
}

/** Writes an access record and its index rows. Every key is new to this transaction, so concurrent accesses never share one. */
export async function saveAccess(tx: Tx, record: AccessRecord): Promise<void> {
  const { txId, timestamp: at } = record;
  const ref = { ref: Keys.access(txId) };
  await tx.put(Keys.access(txId), record);
  await tx.put(Keys.accessByModel(record.modelId, at, txId), ref);
  await tx.put(Keys.accessByOrg(record.callerMspId, at, txId), ref);
  await tx.put(Keys.accessByCaller(record.callerAccount, at, txId), ref);
  await tx.put(Keys.accessByLicense(record.licenseId, at, txId), ref);
  await tx.put(Keys.accessByTime(at, txId), ref);
}

/** Reads one access record, or undefined. */
export function findAccess(tx: Tx, accessId: string): Promise<AccessRecord | undefined> {
  return tx.get<AccessRecord>(Keys.access(accessId));
}

/** Reads the refund of an access, or undefined: an access is refunded at most once. */
export function findRefund(tx: Tx, accessId: string): Promise<RefundRecord | undefined> {
  return tx.get<RefundRecord>(Keys.refund(accessId));
}

/** Saves the refund of an access beside it; the access record itself stays. */
export async function saveRefund(tx: Tx, refund: RefundRecord): Promise<void> {
  await tx.put(Keys.refund(refund.accessId), refund);
}

/** One page of the accesses of one index and subject in [from, to) (either bound may be absent). */
export function pageOfAccesses(
  tx: Tx,
  index: AccessIndex,
  subject: string,
  window: { readonly from?: string; readonly to?: string; readonly pageSize: number; readonly bookmark: string },
): Promise<Page<AccessRecord>> {
  return pageOfIndex<AccessRecord>(tx, prefixRange(indexPrefix(index, subject), window.from, window.to), window.pageSize, window.bookmark);
}
