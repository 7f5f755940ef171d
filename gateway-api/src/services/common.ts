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
 * base64url of `{"v":1,"b":<bookmark>}`. A filtered list's cursor may also
 * say how many matches of the chunk that starts at the bookmark were already
 * served (`"s"`, see `filledPage`); its bookmark may then be empty, the start.
 */
export function encodeCursor(bookmark: string, skip = 0): string {
  return Buffer.from(JSON.stringify(skip > 0 ? { v: 1, b: bookmark, s: skip } : { v: 1, b: bookmark })).toString('base64url');
}

/** A cursor's bookmark and the matches of its chunk already served. */
interface CursorState {
  readonly bookmark: string;
  readonly skip: number;
}

/**
 * @throws ApiError INVALID_ARGUMENT naming `cursor` when it was not made by this API.
 */
function decodeCursorState(cursor: string | undefined): CursorState {
  if (cursor === undefined) {
    return { bookmark: '', skip: 0 };
  }
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v?: unknown; b?: unknown; s?: unknown };
    const skip = parsed.s === undefined ? 0 : parsed.s;
    if (parsed.v === 1 && typeof parsed.b === 'string' && Number.isSafeInteger(skip) && (skip as number) >= 0) {
      if (parsed.b !== '' || (skip as number) > 0) return { bookmark: parsed.b, skip: skip as number };
    }
  } catch {
    // fall through to the error below
  }
  throw new ApiError(ApiCode.INVALID_ARGUMENT, 'cursor is not a cursor returned by this API; pass nextCursor back unchanged');
}

/**
 * @throws ApiError INVALID_ARGUMENT naming `cursor` when it was not made by this API.
 */
export function decodeCursor(cursor: string | undefined): string {
  return decodeCursorState(cursor).bookmark;
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
 * What one page of a filtered list may cost. A filter the chaincode applies
 * to a chunk of rows (royalty payments by model) can leave a page short; the
 * API reads on, chunk after chunk of FILTER_CHUNK rows, until the page is
 * full, the list ends, or FILTER_READS chunks (1000 rows) were read.
 */
export const FILTER_CHUNK = 100;
export const FILTER_READS = 10;

/**
 * A page of a list whose chaincode query filters the rows it scans. It reads
 * whole chunks from the cursor's bookmark; when a chunk holds more matches
 * than the page has room for, the page takes what fits and the next cursor
 * points at the same chunk with the number of its matches already served, so
 * no match is skipped or served twice. The page is full unless the list ended
 * or `maxReads` chunks held too few matches; only then can it come back short,
 * or empty, with a `nextCursor`.
 */
export async function filledPage<T>(
  read: (args: PageArgs) => Promise<ChaincodePage<T>>,
  page: PageRequest,
  maxReads: number = FILTER_READS,
  chunk: number = FILTER_CHUNK,
): Promise<Page<T>> {
  const items: T[] = [];
  let { bookmark, skip } = decodeCursorState(page.cursor);
  for (let reads = 0; reads < maxReads; reads++) {
    const next = await read({ pageSize: chunk, bookmark });
    const matches = next.records.slice(skip);
    const room = page.limit - items.length;
    if (matches.length > room) {
      items.push(...matches.slice(0, room));
      return { items, nextCursor: encodeCursor(bookmark, skip + room) };
    }
    items.push(...matches);
    skip = 0;
    bookmark = next.bookmark;
    if (bookmark === '') return { items, nextCursor: null };
    if (items.length === page.limit) break;
  }
  return { items, nextCursor: encodeCursor(bookmark) };
}
