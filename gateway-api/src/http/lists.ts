/**
 * List routes: one page as JSON, or the whole list exported as CSV or NDJSON
 * (issue 16 §2) when the client asks for it in `Accept`.
 *
 * An export reads the list page after page with the caller's own identity,
 * writes each page as it arrives and waits for the socket to drain before
 * reading the next, so the instance holds at most one page whatever the size.
 * It ends with the count and the channel height: in a last NDJSON line, and
 * in the HTTP trailers `Export-Count` and `Export-Block-Height` of a CSV body
 * (RFC 4180 has no place for a summary row). A failure after the first byte
 * aborts the response, so a truncated export never looks complete: NDJSON
 * lacks its last line and the chunked body its terminating chunk.
 */
import type { Request, Response } from 'express';
import type { Session } from '../fabric/ledger';
import type { Page, PageRequest } from '../services/common';
import { callerOf, pageOf } from './context';

/** What a list route can answer, in the order a wildcard `Accept` chooses. */
export const LIST_TYPES = ['application/json', 'text/csv', 'application/x-ndjson'] as const;

/** Pages an export reads at once: the spec's largest `limit`. */
export const EXPORT_PAGE_SIZE = 100;

/** How long an export waits for a client that reads nothing before it ends the response. */
export const EXPORT_STALL_MS = 60_000;

/** Reads one page of a list as a session. */
export type PageReader<T> = (session: Session, page: PageRequest) => Promise<Page<T>>;

/** The columns of a list's CSV export, by OpenAPI path (see openapi-columns.ts). */
export type CsvColumns = ReadonlyMap<string, readonly string[]>;

/**
 * Answers a list route: the page the request asks for, or, when `Accept`
 * prefers text/csv or application/x-ndjson, every record from the request's
 * cursor (or the start) to the end.
 */
export async function sendList<T>(req: Request, res: Response, read: PageReader<T>): Promise<void> {
  const type = req.accepts([...LIST_TYPES]);
  if (type === 'text/csv' || type === 'application/x-ndjson') {
    await exportList(req, res, type, read);
    return;
  }
  res.json(await read(callerOf(res).session, pageOf(req)));
}

async function exportList<T>(req: Request, res: Response, type: 'text/csv' | 'application/x-ndjson', read: PageReader<T>): Promise<void> {
  const caller = callerOf(res);
  // The request's deadline bounds one call, not a stream of a thousand pages: each page gets its own.
  const session = caller.stream.session;
  const columns = type === 'text/csv' ? columnsOf(req, res) : [];
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  const startHeight = await caller.stream.height();
  // The first page is read before anything is sent, so a refusal (bad cursor, forbidden filter) is a normal error.
  let page = await read(session, { limit: EXPORT_PAGE_SIZE, cursor: pageOf(req).cursor });
  if (closed || res.destroyed) return;

  // Trailers need chunked encoding, which an HTTP/1.0 client (or proxy) does not speak: it gets the CSV without them.
  const trailers = type === 'text/csv' && req.httpVersion !== '1.0';
  res.status(200);
  res.setHeader('Content-Type', type === 'text/csv' ? 'text/csv; charset=utf-8; header=present' : 'application/x-ndjson; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Disposition', `attachment; filename="${exportName(req)}.${type === 'text/csv' ? 'csv' : 'ndjson'}"`);
  if (trailers) res.setHeader('Trailer', 'Export-Count, Export-Block-Height');

  const write = async (text: string): Promise<void> => {
    if (closed || res.destroyed || res.write(text)) return;
    // Backpressure: the next page is read only once the client took this one, left, or stalled too long.
    await new Promise<void>((resolve) => {
      const stalled = setTimeout(() => {
        req.log.warn({ export: type }, `the client read nothing for ${EXPORT_STALL_MS} ms; ending the export`);
        res.destroy();
      }, EXPORT_STALL_MS);
      const done = (): void => {
        clearTimeout(stalled);
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  };
  let count = 0;
  try {
    if (type === 'text/csv') await write(csvRow(columns) + '\r\n');
    for (;;) {
      let chunk = '';
      for (const item of page.items) {
        chunk += type === 'text/csv' ? csvRow(columns.map((column) => cell(item, column))) + '\r\n' : JSON.stringify(item) + '\n';
      }
      count += page.items.length;
      await write(chunk);
      if (closed) return;
      if (page.nextCursor === null) break;
      page = await read(session, { limit: EXPORT_PAGE_SIZE, cursor: page.nextCursor });
    }
    const height = await caller.stream.height();
    const summary = { count, blockHeight: height.toString(), startBlockHeight: startHeight.toString() };
    req.log.info({ export: type, ...summary }, 'export finished');
    if (trailers) {
      res.addTrailers({ 'Export-Count': String(count), 'Export-Block-Height': height.toString() });
    } else if (type === 'application/x-ndjson') {
      await write(JSON.stringify({ export: summary }) + '\n');
    }
    res.end();
  } catch (err) {
    // The status and part of the body are sent: all that is left is to make the truncation visible.
    req.log.error({ err, export: type, count }, 'export aborted after it began');
    res.destroy(err instanceof Error ? err : new Error(String(err)));
  }
}

/** The CSV columns of the route the validator matched. */
function columnsOf(req: Request, res: Response): readonly string[] {
  const route = (req as Request & { openapi?: { openApiRoute?: string } }).openapi?.openApiRoute;
  const columns = route === undefined ? undefined : (res.app.locals.csvColumns as CsvColumns | undefined)?.get(route);
  if (columns === undefined) throw new Error(`no CSV columns for ${route ?? req.path}`);
  return columns;
}

/** A file name for the download: the path without /v1, e.g. audit-accesses. */
function exportName(req: Request): string {
  return (
    req.path
      .replace(/^\/+/, '')
      .replace(/[^A-Za-z0-9_.-]+/g, '-')
      .slice(0, 100) || 'export'
  );
}

/** A record's value at a dotted column name; objects and arrays that are not columns themselves are JSON. */
export function cell(item: unknown, column: string): string {
  let value: unknown = item;
  for (const key of column.split('.')) {
    if (value === null || typeof value !== 'object') return '';
    value = (value as Record<string, unknown>)[key];
  }
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** One RFC 4180 record: a field with a comma, quote, CR or LF is quoted, its quotes doubled. */
export function csvRow(fields: readonly string[]): string {
  return fields.map((field) => (/[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field)).join(',');
}
