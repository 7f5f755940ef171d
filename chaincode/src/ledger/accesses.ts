import { compactAccessBatch, expandAccessBatch, parseBatchedAccessId } from '@model-ledger/contract';
import type { StoredAccessBatch } from '@model-ledger/contract';
import { Keys, prefixRange } from '../domain/keys';
import type { AccessBatchRecord, AccessRecord, RefundRecord } from '../domain/records';
import type { Page, Tx } from './tx';

/**
 * Access records and the indexes the audit reads them by. An access is saved
 * once, under its transaction id, with one index row per way an auditor asks
 * for it (by model, org, caller, licence, and time); every row holds only a
 * reference, so the record is stored once. The index keys start with the
 * subject and then the access's time, so a time window is a key range.
 *
 * A batch (RecordAccessBatch) stores its accesses together, in one
 * AccessBatchRecord under its transaction id (in its compact form,
 * `compactAccessBatch`: what its accesses share is stored once, and every
 * read expands it), and writes one index row per
 * index and subject for the whole batch, listing the positions of the
 * batch's accesses that row covers. Reads expand those rows, so a page of
 * accesses is the same whether they came singly or batched: only the access
 * id (`<batch transaction id>-<position>`) and its proof tell.
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

/** What an index row of accesses holds: the record's key, and for a batch the positions the row covers. */
interface AccessIndexRow {
  readonly ref: string;
  readonly positions?: readonly number[];
}

/** The index subjects of one access, by index. */
function subjectsOf(record: AccessRecord): Readonly<Record<Exclude<AccessIndex, 'time'>, string>> {
  return { model: record.modelId, org: record.callerMspId, caller: record.callerAccount, license: record.licenseId };
}

/** The key of the index row of `index` for `subject`, at a time and transaction. */
function indexKey(index: AccessIndex, subject: string, at: string, txId: string): string {
  switch (index) {
    case 'model':
      return Keys.accessByModel(subject, at, txId);
    case 'org':
      return Keys.accessByOrg(subject, at, txId);
    case 'caller':
      return Keys.accessByCaller(subject, at, txId);
    case 'license':
      return Keys.accessByLicense(subject, at, txId);
    case 'time':
      return Keys.accessByTime(at, txId);
  }
}

/**
 * Writes a batch of accesses: its record, once, and one index row per index
 * and subject for the whole batch (five rows for a batch of one licence and
 * one caller, however many accesses it holds). Every key is new to this
 * transaction.
 */
export async function saveAccessBatch(tx: Tx, batch: AccessBatchRecord): Promise<void> {
  const ref = Keys.accessBatch(batch.batchId);
  await tx.put(ref, compactAccessBatch(batch));
  const rows = new Map<string, number[]>();
  const add = (key: string, position: number): void => {
    const positions = rows.get(key) ?? [];
    positions.push(position);
    rows.set(key, positions);
  };
  for (const [position, record] of batch.accesses.entries()) {
    for (const [index, subject] of Object.entries(subjectsOf(record))) {
      add(indexKey(index as AccessIndex, subject, batch.timestamp, batch.txId), position);
    }
    add(indexKey('time', '', batch.timestamp, batch.txId), position);
  }
  for (const [key, positions] of rows) {
    await tx.put(key, { ref, positions } satisfies AccessIndexRow);
  }
}

/** Reads one batch record, expanded, or undefined. */
export function findAccessBatch(tx: Tx, batchId: string): Promise<AccessBatchRecord | undefined> {
  return readBatch(tx, Keys.accessBatch(batchId));
}

async function readBatch(tx: Tx, key: string): Promise<AccessBatchRecord | undefined> {
  const stored = await tx.get<AccessBatchRecord | StoredAccessBatch>(key);
  return stored === undefined ? undefined : expandAccessBatch(stored);
}

/**
 * How a value in the history of an access's key reads: a single access's
 * record as stored, and for a batched one its own record from the batch's.
 */
export function accessHistoryValue(accessId: string): (value: unknown) => unknown {
  const batched = parseBatchedAccessId(accessId);
  if (batched === undefined) return (value) => value;
  return (value) =>
    value === null ? null : (expandAccessBatch(value as AccessBatchRecord | StoredAccessBatch).accesses[batched.position] ?? null);
}

/** The key whose history is an access's: its own record's, or its batch's. */
export function accessKeyOf(accessId: string): string {
  const batched = parseBatchedAccessId(accessId);
  return batched === undefined ? Keys.access(accessId) : Keys.accessBatch(batched.batchId);
}

/** Reads one access record, single or batched, or undefined. */
export async function findAccess(tx: Tx, accessId: string): Promise<AccessRecord | undefined> {
  const batched = parseBatchedAccessId(accessId);
  if (batched === undefined) {
    return tx.get<AccessRecord>(Keys.access(accessId));
  }
  const batch = await findAccessBatch(tx, batched.batchId);
  return batch?.accesses[batched.position];
}

/** Reads the refund of an access, or undefined: an access is refunded at most once. */
export function findRefund(tx: Tx, accessId: string): Promise<RefundRecord | undefined> {
  return tx.get<RefundRecord>(Keys.refund(accessId));
}

/** Saves the refund of an access beside it; the access record itself stays. */
export async function saveRefund(tx: Tx, refund: RefundRecord): Promise<void> {
  await tx.put(Keys.refund(refund.accessId), refund);
}

/** A bookmark of an access page that stopped inside a batch's row: `+<accesses of the row already listed>+<row key>`. */
const PART_ROW = /^\+([1-9][0-9]{0,5})\+(.+)$/s;

/**
 * One page of the accesses of one index and subject in [from, to) (either
 * bound may be absent), at most `pageSize` accesses, batches expanded. A
 * page reads at most `pageSize` index rows and the records they point at
 * (each batch once), so its cost is bounded by the page and the size of the
 * batches on it, never by the ledger. The bookmark is the next row's start,
 * as for any page, or, when the page filled up inside a batch's row, that
 * row and how many of its accesses were listed.
 */
export async function pageOfAccesses(
  tx: Tx,
  index: AccessIndex,
  subject: string,
  window: { readonly from?: string; readonly to?: string; readonly pageSize: number; readonly bookmark: string },
): Promise<Page<AccessRecord>> {
  const range = prefixRange(indexPrefix(index, subject), window.from, window.to);
  const part = PART_ROW.exec(window.bookmark);
  let skip = part === null ? 0 : Number(part[1]);
  // A row key is a bookmark that starts the page at that row (the peer starts a page at its bookmark).
  const page = await tx.page<AccessIndexRow>(range, window.pageSize, part === null ? window.bookmark : part[2]);
  const records: AccessRecord[] = [];
  const batches = new Map<string, AccessBatchRecord | undefined>();
  for (const [rowIndex, row] of page.records.entries()) {
    const { ref, positions } = row.value;
    if (positions === undefined) {
      const record = await tx.get<AccessRecord>(ref);
      if (record !== undefined) records.push(record);
    } else {
      if (!batches.has(ref)) batches.set(ref, await readBatch(tx, ref));
      const accesses = batches.get(ref)?.accesses ?? [];
      for (let i = skip; i < positions.length; i += 1) {
        if (records.length === window.pageSize) {
          return { records, fetchedCount: records.length, bookmark: `+${i}+${row.key}` };
        }
        const record = accesses[positions[i]];
        if (record !== undefined) records.push(record);
      }
    }
    skip = 0;
    if (records.length === window.pageSize) {
      // Full at a row's end: the next page starts after this row (a key one byte past it).
      const last = rowIndex === page.records.length - 1 && page.bookmark === '';
      return { records, fetchedCount: records.length, bookmark: last ? '' : `${row.key}\u0000` };
    }
  }
  return { records, fetchedCount: records.length, bookmark: page.bookmark };
}
