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
