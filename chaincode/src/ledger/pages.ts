import type { KeyRange } from '../domain/keys';
import type { Page, Tx } from './tx';

/** A reference stored in an index row. */
export interface IndexRef {
  readonly ref: string;
}

/** Reads one page of an index and resolves each row to the document it references. */
export async function pageOfIndex<T>(tx: Tx, range: KeyRange, pageSize: number, bookmark: string): Promise<Page<T>> {
  const page = await tx.page<IndexRef>(range, pageSize, bookmark);
  const records: T[] = [];
  for (const entry of page.records) {
    const record = await tx.get<T>(entry.value.ref);
    if (record !== undefined) {
      records.push(record);
    }
  }
  return { records, fetchedCount: page.fetchedCount, bookmark: page.bookmark };
}

/** Reads one page of documents stored directly under a range. */
export async function pageOfDocuments<T>(tx: Tx, range: KeyRange, pageSize: number, bookmark: string): Promise<Page<T>> {
  const page = await tx.page<T>(range, pageSize, bookmark);
  return { records: page.records.map((entry) => entry.value), fetchedCount: page.fetchedCount, bookmark: page.bookmark };
}
