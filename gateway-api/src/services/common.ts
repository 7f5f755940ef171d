/**
 * What every service shares: the generated API types, cursors over Fabric
 * bookmarks, and the API's shapes of committed writes and pages.
 */
import type { Page as ChaincodePage, PageArgs, Written } from '@model-ledger/contract';
import type { components } from '../generated/openapi';
import { ApiCode, ApiError } from '../errors';

export type Schemas = components['schemas'];

/** A committed write as the API returns it: the chaincode's answer and where it committed. */
export interface WriteResult<T> {
  data: T;
  transaction: Schemas['Committed'];
}

/** A typed client's committed write in the API's shape. */
export function written<T>(committed: Written<T>): WriteResult<T> {
  return {
    data: committed.data,
    transaction: {
      id: committed.transactionId,
      blockNumber: committed.blockNumber.toString(),
      ...(committed.replayed === true ? { replayed: true } : {}),
    },
  };
}

/** A page request: how many, and the cursor of the previous page's end. */
export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string;
}

/** A page as the API returns it; a null `nextCursor` ends the list. */
export interface Page<T> {
  items: readonly T[];
  nextCursor: string | null;
}

/**
 * Cursors wrap Fabric bookmarks so that clients never depend on their format:
 * base64url of `{"v":1,"b":<bookmark>}`.
 */
export function encodeCursor(bookmark: string): string {
  return Buffer.from(JSON.stringify({ v: 1, b: bookmark })).toString('base64url');
}

/**
 * @throws ApiError INVALID_ARGUMENT naming `cursor` when it was not made by this API.
 */
export function decodeCursor(cursor: string | undefined): string {
  if (cursor === undefined) {
    return '';
  }
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v?: unknown; b?: unknown };
    if (parsed.v === 1 && typeof parsed.b === 'string' && parsed.b !== '') {
      return parsed.b;
    }
  } catch {
    // fall through to the error below
  }
  throw new ApiError(ApiCode.INVALID_ARGUMENT, 'cursor is not a cursor returned by this API; pass nextCursor back unchanged');
}

/** The page of a paginated chaincode query that a page request asks for. */
export function pageArgs(page: PageRequest): PageArgs {
  return { pageSize: page.limit, bookmark: decodeCursor(page.cursor) };
}

/** The chaincode's page in the API's shape; the bookmark becomes the next cursor. */
export function toPage<T>(page: ChaincodePage<T>): Page<T> {
  return { items: page.records, nextCursor: page.bookmark === '' ? null : encodeCursor(page.bookmark) };
}

/**
 * Rows a filtered list scans at most for one page. A filter the chaincode
 * applies to a page of rows (royalty payments by model) can leave a page
 * short; the API reads on until the page is full, the list ends, or this many
 * rows were scanned, so a request costs at most ten full reads.
 */
export const FILTER_SCAN_ROWS = 1000;

/**
 * A page of a list whose chaincode query filters the rows it scans: reads on
 * from where the last read ended, asking each time for only as many rows as
 * the page still lacks (so no read returns more than fits, and the bookmark
 * stays exact), until the page is full, the list ends, or `scanRows` rows
 * were scanned. Only in that last case can a page come back short, or empty,
 * with a `nextCursor`.
 */
export async function filledPage<T>(
  read: (args: PageArgs) => Promise<ChaincodePage<T>>,
  page: PageRequest,
  scanRows: number = FILTER_SCAN_ROWS,
): Promise<Page<T>> {
  const items: T[] = [];
  let bookmark = decodeCursor(page.cursor);
  let scanned = 0;
  do {
    const pageSize = page.limit - items.length;
    const next = await read({ pageSize, bookmark });
    items.push(...next.records);
    scanned += pageSize;
    bookmark = next.bookmark;
  } while (items.length < page.limit && bookmark !== '' && scanned < scanRows);
  return { items, nextCursor: bookmark === '' ? null : encodeCursor(bookmark) };
}
