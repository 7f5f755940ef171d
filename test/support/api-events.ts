/**
 * A Server-Sent Events reader for the tests: opens GET /v1/events over real
 * HTTP, parses the frames as a browser's EventSource would, and keeps every
 * event and comment it received.
 */
import { ClientRequest, IncomingMessage, request } from 'node:http';

export interface SseEvent {
  readonly id: string;
  readonly event: string;
  readonly data: { name: string; blockNumber: string; transactionId: string; payload: Record<string, unknown> };
}

export interface EventStream {
  readonly status: number;
  readonly contentType: string;
  readonly events: SseEvent[];
  readonly comments: string[];
  /** Whether the server ended the stream. */
  readonly ended: boolean;
  /** Resolves once `predicate` holds for the events received, or rejects after `timeoutMs`. */
  until(predicate: (events: SseEvent[]) => boolean, timeoutMs?: number, what?: string): Promise<SseEvent[]>;
  close(): void;
}

/** Opens a stream; resolves when the response headers arrive. */
export function openEventStream(url: string, key: string, lastEventId?: string): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'X-API-Key': key, Accept: 'text/event-stream' };
    if (lastEventId !== undefined) {
      headers['Last-Event-ID'] = lastEventId;
    }
    const req: ClientRequest = request(`${url}/v1/events`, { headers }, (res: IncomingMessage) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const waiters = new Set<() => void>();
      let ended = false;
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const fields: Record<string, string> = {};
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) {
              comments.push(line.slice(1).trim());
              continue;
            }
            const colon = line.indexOf(':');
            const name = colon < 0 ? line : line.slice(0, colon);
            fields[name] = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          }
          if (fields.data !== undefined) {
            events.push({ id: fields.id ?? '', event: fields.event ?? 'message', data: JSON.parse(fields.data) });
          }
        }
        waiters.forEach((check) => check());
      });
      res.on('end', () => {
        ended = true;
        waiters.forEach((check) => check());
      });
      res.on('error', () => undefined);
      const stream: EventStream = {
        status: res.statusCode ?? 0,
        contentType: String(res.headers['content-type'] ?? ''),
        events,
        comments,
        get ended() {
          return ended;
        },
        until: (predicate, timeoutMs = 60_000, what = 'the expected events') =>
          new Promise((done, fail) => {
            const check = (): void => {
              if (predicate(events)) {
                clearTimeout(timer);
                waiters.delete(check);
                done(events);
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`timed out waiting for ${what}; received ${JSON.stringify(events.map((e) => `${e.id} ${e.event}`))}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
        close: () => {
          req.destroy();
        },
      };
      resolve(stream);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Compares two event ids `<block>:<n>` in ledger order. */
export function compareEventIds(a: string, b: string): number {
  const [ab, an] = a.split(':').map(BigInt);
  const [bb, bn] = b.split(':').map(BigInt);
  return ab !== bb ? (ab < bb ? -1 : 1) : an < bn ? -1 : an > bn ? 1 : 0;
}

/** What GET /v1/events answered when it did not open a stream. */
export interface StreamRefusal {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly error: { code: string; message: string };
}

/**
 * GET /v1/events when a refusal is expected: resolves with its status,
 * Retry-After and error body. A stream that opens (200) is closed at once
 * and answered with an empty error, so that a test waiting for a slot can poll.
 */
export async function refusedEventStream(url: string, key: string, lastEventId?: string): Promise<StreamRefusal> {
  const controller = new AbortController();
  const headers: Record<string, string> = { 'X-API-Key': key, Accept: 'text/event-stream' };
  if (lastEventId !== undefined) {
    headers['Last-Event-ID'] = lastEventId;
  }
  const response = await fetch(`${url}/v1/events`, { headers, signal: controller.signal });
  if (response.status === 200) {
    controller.abort();
    return { status: 200, retryAfter: null, error: { code: '', message: '' } };
  }
  const body = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, retryAfter: response.headers.get('retry-after'), error: body.error };
}
