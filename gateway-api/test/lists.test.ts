/**
 * The CSV side of list exports (http/lists.ts, http/csv-columns.ts): the
 * header comes from the spec, and every row is RFC 4180 as an independent
 * parser (csv-parse, strict) reads it back.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { SPEC_PATH } from '../src/app';
import { csvColumnsOf } from '../src/http/csv-columns';
import { cell, csvRow } from '../src/http/lists';
import { filledPage } from '../src/services/common';
import type { Page as ChaincodePage, PageArgs } from '@model-ledger/contract';

const columns = csvColumnsOf(parse(readFileSync(SPEC_PATH, 'utf8')) as Record<string, unknown>);

describe('CSV exports', () => {
  it('offers CSV on every audit list, with the item schema’s properties as the header', () => {
    expect([...columns.keys()].sort()).toEqual([
      '/v1/accounts/{account}/balance-history',
      '/v1/accounts/{account}/claims',
      '/v1/accounts/{account}/royalty-payments',
      '/v1/accounts/{account}/trades',
      '/v1/audit/accesses',
      '/v1/audit/history/{assetType}/{assetId}',
      '/v1/licenses/{licenseId}/accesses',
      '/v1/models/{modelId}/trades',
      '/v1/offerings/{offeringId}/purchases',
    ]);
    const accesses = columns.get('/v1/audit/accesses');
    expect(accesses?.slice(0, 4)).toEqual(['accessId', 'licenseId', 'offeringId', 'modelId']);
    // An array of shares is one column of JSON; the access record has no nested object to flatten.
    expect(accesses).toContain('royalties');
    expect(columns.get('/v1/licenses/{licenseId}/accesses')).toEqual(accesses);
    for (const [path, names] of columns) {
      expect({ path, unique: new Set(names).size }).toEqual({ path, unique: names.length });
    }
  });

  it('writes fields that an RFC 4180 parser reads back unchanged, whatever they hold', () => {
    const fields = ['plain', 'with,comma', 'with "quotes"', 'two\r\nlines', 'lf\nonly', '', ' spaced ', '-5', 'org::HospitalMSP', 'é✓'];
    const text = `${csvRow(fields.map((_, i) => `c${i}`))}\r\n${csvRow(fields)}\r\n`;
    const rows: string[][] = parseCsv(text, { relax_quotes: false, relax_column_count: false });
    expect(rows).toEqual([fields.map((_, i) => `c${i}`), fields]);
  });

  it('reads dotted columns through nested objects, writes arrays and maps as JSON and absent values as empty', () => {
    const record = { a: '1', n: 2, yes: true, terms: { unitPrice: '10' }, shares: [{ account: 'x', amount: '3' }], gone: null };
    expect(cell(record, 'a')).toBe('1');
    expect(cell(record, 'n')).toBe('2');
    expect(cell(record, 'yes')).toBe('true');
    expect(cell(record, 'terms.unitPrice')).toBe('10');
    expect(cell(record, 'terms')).toBe('{"unitPrice":"10"}');
    expect(cell(record, 'shares')).toBe('[{"account":"x","amount":"3"}]');
    expect(cell(record, 'gone')).toBe('');
    expect(cell(record, 'missing.deeper')).toBe('');
  });
});

describe('a filtered list’s pages', () => {
  /** A chaincode-like query: scans pageSize rows from the bookmark (a row index) and returns those matching. */
  const rows = Array.from({ length: 500 }, (_, i) => ({ i, model: i % 50 === 7 || (i > 300 && i < 320) ? 'rare' : 'common' }));
  const reads: number[] = [];
  const read = (args: PageArgs): Promise<ChaincodePage<(typeof rows)[number]>> => {
    reads.push(args.pageSize);
    const start = args.bookmark === '' ? 0 : Number(args.bookmark);
    const end = Math.min(start + args.pageSize, rows.length);
    const records = rows.slice(start, end).filter((row) => row.model === 'rare');
    return Promise.resolve({ records, fetchedCount: records.length, bookmark: end >= rows.length ? '' : String(end) });
  };
  const rare = rows.filter((row) => row.model === 'rare');

  it('are full until the last, never empty with a cursor, and together the whole filtered list in order', async () => {
    for (const limit of [1, 3, 10, 25]) {
      const seen: unknown[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await filledPage(read, { limit, cursor });
        seen.push(...page.items);
        if (page.nextCursor === null) break;
        expect({ limit, length: page.items.length }).toEqual({ limit, length: limit });
        cursor = page.nextCursor;
      }
      expect(seen).toEqual(rare);
    }
  });

  it('reads whole chunks, resumes inside a chunk where the page filled, and stops at its read budget', async () => {
    reads.length = 0;
    // One chunk of 40 rows holds one match (row 7): with a budget of one read the page ends short, with a cursor.
    const page = await filledPage(read, { limit: 10 }, 1, 40);
    expect(page.items).toEqual([rows[7]]);
    expect(page.nextCursor).not.toBeNull();
    expect(reads).toEqual([40]);
    const next = await filledPage(read, { limit: 10, cursor: page.nextCursor! }, 1, 40);
    expect(next.items).toEqual([rows[57]]);
    // Rows 301-319 are all matches: pages of 3 take them 3 at a time from the same chunk, none skipped or repeated.
    const dense: unknown[] = [];
    let cursor: string | undefined = (await filledPage(read, { limit: 1 }, 10, 300)).nextCursor ?? undefined;
    for (let i = 0; i < 7; i++) {
      const p = await filledPage(read, { limit: 3, cursor });
      dense.push(...p.items);
      cursor = p.nextCursor ?? undefined;
    }
    expect(dense.slice(0, 18)).toEqual(rare.filter((row) => row.i > 7).slice(0, 18));
  });
});

describe('a filtered list’s cost', () => {
  it('makes at most ten reads for a page, however the rows fall', async () => {
    // One match at the start, then none: without a bound on reads, a page of 2 would ask for one row at a time.
    const rows = Array.from({ length: 5000 }, (_, i) => ({ i, rare: i === 0 }));
    let reads = 0;
    const read = (args: PageArgs): Promise<ChaincodePage<(typeof rows)[number]>> => {
      reads += 1;
      const start = args.bookmark === '' ? 0 : Number(args.bookmark);
      const end = Math.min(start + args.pageSize, rows.length);
      const records = rows.slice(start, end).filter((row) => row.rare);
      return Promise.resolve({ records, fetchedCount: records.length, bookmark: end >= rows.length ? '' : String(end) });
    };
    const page = await filledPage(read, { limit: 2 });
    expect(reads).toBe(10);
    expect(page.items).toEqual([rows[0]]);
    expect(page.nextCursor).not.toBeNull();
  });
});
