/**
 * The fetch every call goes through: it signs the request in (API key or
 * bearer token), gives each POST an `Idempotency-Key` unless the caller
 * chose one, and sends the very same request again, key included, when the
 * API says that waiting will help:
 * - 409 `LEDGER_CONFLICT`: the write lost a read conflict to a concurrent one;
 * - 503 (the ledger, or the instance, is briefly out of reach);
 * - 429 (a rate limit).
 * It waits as long as `Retry-After` says (or a backoff), for at most
 * `attempts` tries in all; an answer that asks for more than `maxDelayMs`
 * is handed back instead of being retried early. Because the key is the same, a write
 * that did commit before the failure is answered, not repeated.
 */
import { retryAfterOf } from './errors';

/** How the client signs in: an API key (`X-API-Key`) or a bearer token, fixed or asked for each request. */
export type Credentials = { apiKey: string } | { token: string | (() => string | Promise<string>) };

export interface RetryPolicy {
  /** Tries in all, the first included (default 4). */
  readonly attempts?: number;
  /** The longest wait between tries, whatever `Retry-After` says (default 5000). */
  readonly maxDelayMs?: number;
  /** The first wait when the response gave no `Retry-After`; it doubles after each try (default 200). */
  readonly baseDelayMs?: number;
}

/** Statuses worth the same request again; a 409 only with code LEDGER_CONFLICT. */
async function retryable(response: Response): Promise<boolean> {
  if (response.status === 429 || response.status === 503) return true;
  if (response.status !== 409) return false;
  try {
    const body = (await response.clone().json()) as { error?: { code?: unknown } };
    return body.error?.code === 'LEDGER_CONFLICT';
  } catch {
    return false;
  }
}

const sleep = (ms: number, signal?: AbortSignal | null): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * A new random Idempotency-Key: a version 4 UUID, which the API's key pattern
 * accepts. Built from getRandomValues, which browsers also give pages served
 * over plain HTTP (randomUUID is only for secure origins).
 */
export function newIdempotencyKey(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The fetch of a client: signs in, keys writes, retries what waiting fixes. */
export function transport(credentials: Credentials, retry: RetryPolicy = {}, base: typeof fetch = globalThis.fetch): typeof fetch {
  const attempts = Math.max(1, retry.attempts ?? 4);
  const maxDelayMs = retry.maxDelayMs ?? 5000;
  const baseDelayMs = retry.baseDelayMs ?? 200;
  return async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    if ('apiKey' in credentials) {
      request.headers.set('X-API-Key', credentials.apiKey);
    } else {
      const token = typeof credentials.token === 'function' ? await credentials.token() : credentials.token;
      request.headers.set('Authorization', `Bearer ${token}`);
    }
    if (request.method === 'POST' && !request.headers.has('Idempotency-Key')) {
      request.headers.set('Idempotency-Key', newIdempotencyKey());
    }
    for (let attempt = 1; ; attempt++) {
      // A clone per try: a request body can be read only once.
      const response = await base(request.clone());
      if (attempt >= attempts || !(await retryable(response))) return response;
      const asked = retryAfterOf(response);
      // A server that asks for a longer wait than this client may spend gets its answer back, not an early retry.
      if (asked !== undefined && asked * 1000 > maxDelayMs) return response;
      const delay = Math.min(maxDelayMs, asked !== undefined ? asked * 1000 : baseDelayMs * 2 ** (attempt - 1));
      await response.body?.cancel();
      await sleep(delay, request.signal);
    }
  };
}
