/**
 * What every service shares: the generated API types, decoding chaincode
 * results, cursors over Fabric bookmarks, and the shape of committed writes.
 */
import type { components } from '../generated/openapi';
import { ApiCode, ApiError } from '../errors';
import type { Committed } from '../fabric/ledger';

export type Schemas = components['schemas'];

const utf8 = new TextDecoder();

/** Parses a chaincode result (canonical JSON). */
export function decode<T>(bytes: Uint8Array): T {
  return JSON.parse(utf8.decode(bytes)) as T;
}

/** A committed write as the API returns it: the chaincode's result and where it committed. */
export interface Written<T> {
  data: T;
  transaction: Schemas['Committed'];
}

export function written<T>(committed: Committed): Written<T> {
  return {
    data: decode<T>(committed.result),
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

/** The chaincode's page: `{ records, fetchedCount, bookmark }`; an empty bookmark ends the list. */
interface ChaincodePage<T> {
  readonly records: T[];
  readonly bookmark: string;
}

export interface Page<T> {
  items: T[];
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

/** Arguments `(pageSize, bookmark)` of a paginated chaincode query. */
export function pageArgs(page: PageRequest): [string, string] {
  return [String(page.limit), decodeCursor(page.cursor)];
}

export function toPage<T>(bytes: Uint8Array): Page<T> {
  const page = decode<ChaincodePage<T>>(bytes);
  return { items: page.records, nextCursor: page.bookmark === '' ? null : encodeCursor(page.bookmark) };
}

/** A time window of an audit query; empty strings mean unbounded, as the chaincode expects. */
export interface Window {
  readonly from?: string;
  readonly to?: string;
}

export function windowArgs(window: Window): [string, string] {
  return [window.from ?? '', window.to ?? ''];
}
