/**
 * `GET /v1/events` as an async iterator that resumes by itself: when the
 * stream ends or breaks, it waits the `retry:` the server last asked for
 * (or `Retry-After` after a 429/503) and reconnects with `Last-Event-ID`,
 * which the API answers with every event after that id, no gap and no
 * repeat. It ends when `signal` aborts, and throws on a refusal that waiting
 * does not lift (401, 403, 409 REPLAY_TOO_FAR).
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { errorOf, retryAfterOf } from './errors';
import type { components } from './generated/openapi';

export type EventData = components['schemas']['EventData'];

/** One event of the stream: its id (`<block>:<n>`), name, and data. */
export interface LedgerEvent {
  readonly id: string;
  readonly event: string;
  readonly data: EventData;
}

export interface EventOptions {
  /** Resume after this event id (the last one a previous stream gave). */
  readonly lastEventId?: string;
  /** Ends the iteration. */
  readonly signal?: AbortSignal;
  /** Told each time the stream reconnects, with the id it resumes after. */
  readonly onReconnect?: (lastEventId: string | undefined) => void;
  /** Told each time the API has accepted the stream (200): from then on no event is missed. */
  readonly onOpen?: () => void;
}

/** The wait before reconnecting when the server said nothing: 1 s. */
const DEFAULT_RETRY_MS = 1000;

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * The events of the API at `url` (`<base>/v1/events`), read with `fetchWith`
 * (the client's transport: it signs in). Reconnects until `signal` aborts.
 */
export async function* events(fetchWith: typeof fetch, url: string, options: EventOptions = {}): AsyncGenerator<LedgerEvent> {
  let lastEventId = options.lastEventId;
  let retryMs = DEFAULT_RETRY_MS;
  const { signal } = options;
  for (let connection = 0; !signal?.aborted; connection++) {
    if (connection > 0) options.onReconnect?.(lastEventId);
    let response: Response;
    try {
      const headers: Record<string, string> = { Accept: 'text/event-stream' };
      if (lastEventId !== undefined) headers['Last-Event-ID'] = lastEventId;
      response = await fetchWith(url, { headers, signal });
    } catch (err) {
      if (signal?.aborted) return;
      // No answer at all (the instance restarts): try again after the usual wait.
      void err;
      await pause(retryMs, signal);
      continue;
    }
    if (!response.ok || response.body === null) {
      const body: unknown = await response.json().catch(() => undefined);
      const error = errorOf(response, body);
      if (response.status === 429 || response.status >= 500) {
        await pause((retryAfterOf(response) ?? retryMs / 1000) * 1000, signal);
        continue;
      }
      throw error;
    }
    options.onOpen?.();
    const queued: EventSourceMessage[] = [];
    const parser = createParser({
      onEvent: (message) => queued.push(message),
      onRetry: (ms) => {
        retryMs = ms;
      },
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch {
          // The stream broke mid-way: resume after the last event seen.
          break;
        }
        if (chunk.done) break;
        parser.feed(chunk.value);
        while (queued.length > 0) {
          const message = queued.shift() as EventSourceMessage;
          // Data that is not JSON is the server's fault; it is thrown, not skipped by a silent reconnect.
          const data = JSON.parse(message.data) as EventData;
          if (message.id !== undefined) lastEventId = message.id;
          yield { id: message.id ?? '', event: message.event ?? 'message', data };
        }
      }
    } finally {
      // Also when the consumer stops iterating: close the connection, not just the reader.
      await reader.cancel().catch(() => undefined);
    }
    if (signal?.aborted) return;
    if (!signal?.aborted) await pause(retryMs, signal);
  }
}
