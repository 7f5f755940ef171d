/**
 * The typed client against a small HTTP server that answers as the API does
 * (its status codes, error bodies, headers and SSE frames): sign-in, the
 * Idempotency-Key a write keeps across retries, what is retried and what is
 * not, paging, and an event stream that resumes after a break. The client on
 * the real network is tested by the integration tests that use it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, createClient, newIdempotencyKey, type LedgerClient } from '../src';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe('the typed client', () => {
  let server: Server;
  let handler: Handler;
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  let client: LedgerClient;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = createClient({ baseUrl: `http://127.0.0.1:${port}/`, credentials: { apiKey: 'mll_test_key' }, retry: { baseDelayMs: 5 } });
  });

  beforeEach(() => {
    seen.length = 0;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const transfer = { from: 'org' as const, to: 'org::ClinicMSP', amount: '5' };
  const committed = { data: { txId: 'a'.repeat(64) }, transaction: { id: 'a'.repeat(64), blockNumber: '9' } };

  it('signs in with the API key and keys every POST, keeping the key across retries of LEDGER_CONFLICT and 503', async () => {
    const answers = [
      () => ({
        status: 409,
        body: { error: { code: 'LEDGER_CONFLICT', message: 'MVCC', transactionId: 'b'.repeat(64) } },
        headers: { 'Retry-After': '0' },
      }),
      () => ({ status: 503, body: { error: { code: 'LEDGER_UNAVAILABLE', message: 'peer down' } }, headers: {} }),
      () => ({ status: 201, body: committed, headers: {} }),
    ];
    handler = (_req, res) => {
      const next = (answers.shift() as () => { status: number; body: unknown; headers: Record<string, string> })();
      json(res, next.status, next.body, next.headers);
    };
    const answer = await client.api.POST('/v1/token/transfers', { body: transfer });
    expect(answer.response.status).toBe(201);
    expect(seen).toHaveLength(3);
    const keys = seen.map((r) => r.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(seen.every((r) => r.headers['x-api-key'] === 'mll_test_key' && r.body === JSON.stringify(transfer))).toBe(true);
  });

  it('keeps a key the caller chose, and does not retry a refusal that waiting does not lift', async () => {
    handler = (_req, res) => json(res, 409, { error: { code: 'CONFLICT', message: 'key reused' } });
    const answer = await client.api.POST('/v1/token/transfers', { body: transfer, params: { header: { 'Idempotency-Key': 'mine-1' } } });
    expect(answer.response.status).toBe(409);
    expect(seen.map((r) => r.headers['idempotency-key'])).toEqual(['mine-1']);
  });

  it('gives up after its attempts and hands back the last answer, as an ApiError with the code and transaction', async () => {
    handler = (_req, res) =>
      json(res, 503, { error: { code: 'LEDGER_UNAVAILABLE', message: 'down', transactionId: 'c'.repeat(64) } }, { 'Retry-After': '0' });
    await expect(client.me()).rejects.toMatchObject({
      status: 503,
      code: 'LEDGER_UNAVAILABLE',
      transactionId: 'c'.repeat(64),
      retryAfterSeconds: 0,
    });
    expect(seen).toHaveLength(4);
    expect(seen[0].method).toBe('GET');
    expect(seen[0].headers['idempotency-key']).toBeUndefined();
  });

  it('hands back an answer whose Retry-After is longer than it may wait, instead of retrying early', async () => {
    handler = (_req, res) => json(res, 429, { error: { code: 'RATE_LIMITED', message: 'slow down' } }, { 'Retry-After': '60' });
    await expect(client.me()).rejects.toMatchObject({ status: 429, code: 'RATE_LIMITED', retryAfterSeconds: 60 });
    expect(seen).toHaveLength(1);
  });

  it('makes version 4 UUID keys, different each time', () => {
    const keys = Array.from({ length: 100 }, () => newIdempotencyKey());
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(keys).size).toBe(100);
  });

  it('signs in with a bearer token asked for at each request', async () => {
    let issued = 0;
    const withToken = createClient({ baseUrl: client.baseUrl, credentials: { token: () => `jwt-${++issued}` } });
    handler = (_req, res) => json(res, 200, { user: 'u' });
    await withToken.api.GET('/v1/me');
    await withToken.api.GET('/v1/me');
    expect(seen.map((r) => r.headers.authorization)).toEqual(['Bearer jwt-1', 'Bearer jwt-2']);
    expect(seen[0].headers['x-api-key']).toBeUndefined();
  });

  it('iterates a list page after page, passing each nextCursor back and the filters unchanged', async () => {
    const all = Array.from({ length: 7 }, (_, i) => ({ accessId: String(i) }));
    handler = (req, res) => {
      const url = new URL(req.url ?? '', 'http://x');
      const start = Number(url.searchParams.get('cursor') ?? '0');
      const limit = Number(url.searchParams.get('limit'));
      const next = start + limit < all.length ? String(start + limit) : null;
      json(res, 200, { items: all.slice(start, start + limit), nextCursor: next });
    };
    const got: unknown[] = [];
    for await (const item of client.items('/v1/audit/accesses', { query: { modelId: 'M-1', from: '2026-12-07T00:00:00Z' } }, 3))
      got.push(item);
    expect(got).toEqual(all);
    expect(seen.map((r) => r.url)).toEqual([
      '/v1/audit/accesses?modelId=M-1&from=2026-12-07T00%3A00%3A00Z&limit=3',
      '/v1/audit/accesses?modelId=M-1&from=2026-12-07T00%3A00%3A00Z&limit=3&cursor=3',
      '/v1/audit/accesses?modelId=M-1&from=2026-12-07T00%3A00%3A00Z&limit=3&cursor=6',
    ]);
  });

  it('resumes the event stream after a break with Last-Event-ID, missing nothing and repeating nothing', async () => {
    const stream = [1, 2, 3, 4, 5].map((n) => ({
      id: `${n}:0`,
      name: 'AccessRecorded',
      data: { name: 'AccessRecorded', blockNumber: String(n), transactionId: `t${n}`, payload: { n } },
    }));
    handler = (req, res) => {
      const after = req.headers['last-event-id'];
      const from = after === undefined ? 0 : stream.findIndex((e) => e.id === after) + 1;
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('retry: 10\n\n: heartbeat\n\n');
      // Each connection sends two events and then breaks off, as an instance that restarts would.
      for (const e of stream.slice(from, from + 2)) res.write(`id: ${e.id}\nevent: ${e.name}\ndata: ${JSON.stringify(e.data)}\n\n`);
      res.end();
    };
    const controller = new AbortController();
    const reconnects: (string | undefined)[] = [];
    const got: string[] = [];
    let opened = 0;
    for await (const event of client.events({
      signal: controller.signal,
      onReconnect: (id) => reconnects.push(id),
      onOpen: () => opened++,
    })) {
      got.push(`${event.id} ${event.event} ${event.data.transactionId}`);
      if (got.length === 5) controller.abort();
    }
    expect(got).toEqual([
      '1:0 AccessRecorded t1',
      '2:0 AccessRecorded t2',
      '3:0 AccessRecorded t3',
      '4:0 AccessRecorded t4',
      '5:0 AccessRecorded t5',
    ]);
    expect(reconnects).toEqual(['2:0', '4:0']);
    expect(opened).toBe(3);
    expect(seen.map((r) => r.headers['last-event-id'])).toEqual([undefined, '2:0', '4:0']);
  });

  it('throws the stream’s refusal when waiting does not lift it (REPLAY_TOO_FAR)', async () => {
    handler = (_req, res) => json(res, 409, { error: { code: 'REPLAY_TOO_FAR', message: 'page the audit API' } });
    const iterator = client.events({ lastEventId: '0:0' });
    await expect(iterator.next()).rejects.toBeInstanceOf(ApiError);
    await expect(client.events({ lastEventId: '0:0' }).next()).rejects.toMatchObject({ code: 'REPLAY_TOO_FAR', status: 409 });
  });
});
