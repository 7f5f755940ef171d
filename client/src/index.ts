/**
 * A typed client of the model-ledger gateway API, generated from its
 * OpenAPI spec (openapi-fetch over the types openapi-typescript writes):
 * every path, parameter, body and answer is checked by the compiler.
 *
 * Beyond the typed verbs (`client.api.GET('/v1/me')`, …) it gives what every
 * consumer would otherwise write by hand:
 * - sign-in with an API key or a bearer token;
 * - `Idempotency-Key` on every POST, and the same request again on 409
 *   LEDGER_CONFLICT, 429 and 503, after `Retry-After` (transport.ts);
 * - `items()`: a list followed cursor by cursor, as an async iterator;
 * - `events()`: the SSE stream, resumed with `Last-Event-ID` (events.ts);
 * - `infer()`: an inference under a licence, with its receipt;
 * - `ok()`: an answer's data, or an ApiError with the API's code;
 *   `committed()`: a write's committed answer (not a 202).
 */
import createFetchClient, { type Client } from 'openapi-fetch';
import { ApiError, errorOf } from './errors';
import { events, type EventOptions, type LedgerEvent } from './events';
import type { components, paths } from './generated/openapi';
import { transport, type Credentials, type RetryPolicy } from './transport';

export { ApiError, errorOf } from './errors';
export type { EventData, EventOptions, LedgerEvent } from './events';
export type { components, paths } from './generated/openapi';
export { newIdempotencyKey, type Credentials, type RetryPolicy } from './transport';

export type Schemas = components['schemas'];

export interface ClientOptions {
  /** The API instance, e.g. `http://127.0.0.1:3002` (no trailing /v1). */
  readonly baseUrl: string;
  /** How to sign in: `{ apiKey }` or `{ token }` (a JWT, or a function that returns a fresh one). */
  readonly credentials: Credentials;
  /** Retries of 409 LEDGER_CONFLICT, 429 and 503 (default: 4 tries, at most 5 s apart). */
  readonly retry?: RetryPolicy;
  /** The fetch to send with (default: the global one). */
  readonly fetch?: typeof fetch;
}

/** The list paths: a GET whose JSON answer is `{ items, nextCursor }`. */
export type ListPath = {
  [P in keyof paths]: paths[P] extends {
    get: { responses: { 200: { content: { 'application/json': { items: unknown[]; nextCursor: string | null } } } } };
  }
    ? P
    : never;
}[keyof paths];

/** One item of a list path. */
export type ItemOf<P extends ListPath> = paths[P] extends {
  get: { responses: { 200: { content: { 'application/json': { items: (infer T)[] } } } } };
}
  ? T
  : never;

/** The path and query parameters of a list path, without the cursor (the iterator keeps it). */
export type ListParams<P extends ListPath> = paths[P] extends { get: { parameters: infer Q } }
  ? { path?: Q extends { path?: infer A } ? A : never; query?: Omit<NonNullable<Q extends { query?: infer B } ? B : never>, 'cursor'> }
  : never;

type InferRequest = Schemas['InferenceRequest'];
type InferResponse = Schemas['InferenceResponse'];

/** An openapi-fetch answer: its data, or an ApiError built from its error body. */
export function ok<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.response.ok && answer.data !== undefined) return answer.data;
  throw errorOf(answer.response, answer.error);
}

/** An answer of a write that the API accepted but has not committed yet (202, only to `Prefer: respond-async`). */
type Accepted = { transaction: { status: 'submitted' } };

/**
 * A write's committed answer (201). A 202 comes only to a caller that sent
 * `Prefer: respond-async`; here it is an error, since nothing has committed.
 */
export function committed<T>(answer: { data?: T; error?: unknown; response: Response }): Exclude<T, Accepted> {
  const data = ok(answer);
  if (answer.response.status === 202) {
    throw new ApiError(202, 'ACCEPTED', 'the write was accepted but has not committed; follow its Location');
  }
  return data as Exclude<T, Accepted>;
}

export class LedgerClient {
  /** The typed verbs: `api.GET('/v1/licenses/{licenseId}', { params: { path: { licenseId } } })`. */
  readonly api: Client<paths>;
  /** The fetch that signs in and retries, for calls outside the typed verbs (exports, streams). */
  readonly fetch: typeof fetch;
  readonly baseUrl: string;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetch = transport(options.credentials, options.retry, options.fetch ?? globalThis.fetch.bind(globalThis));
    this.api = createFetchClient<paths>({ baseUrl: this.baseUrl, fetch: (request: Request) => this.fetch(request) });
  }

  /** Every item of a list, in the list's order, fetching page after page as the iteration goes. */
  async *items<P extends ListPath>(path: P, params: ListParams<P> = {} as ListParams<P>, pageSize = 100): AsyncGenerator<ItemOf<P>> {
    let cursor: string | undefined;
    for (;;) {
      const query = { ...(params.query ?? {}), limit: pageSize, ...(cursor === undefined ? {} : { cursor }) };
      // openapi-fetch cannot follow a path that is a type parameter; ListParams keeps the call typed from outside.
      const get = this.api.GET as unknown as (
        path: string,
        init: { params: { path?: unknown; query: unknown } },
      ) => Promise<{ data?: { items: ItemOf<P>[]; nextCursor: string | null }; error?: unknown; response: Response }>;
      const page = ok(await get(path, { params: { path: params.path, query } }));
      yield* page.items;
      if (page.nextCursor === null) return;
      cursor = page.nextCursor;
    }
  }

  /** The SSE stream of ledger events the caller may see, resumed after a break; see events.ts. */
  events(options: EventOptions = {}): AsyncGenerator<LedgerEvent> {
    return events(this.fetch, `${this.baseUrl}/v1/events`, options);
  }

  /**
   * Runs the model under a licence: one committed access, the model's
   * outputs and the receipt. Give an `idempotencyKey` to make a retry of a
   * call that was charged answer the same result without a second charge
   * (otherwise the client makes one, and retries with it).
   */
  async infer(modelId: string, request: InferRequest, idempotencyKey?: string): Promise<InferResponse> {
    return ok(
      await this.api.POST('/v1/models/{modelId}/infer', {
        params: { path: { modelId }, header: idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey } },
        body: request,
      }),
    );
  }

  /** The caller as the API and the ledger see it (`/v1/me`). */
  async me(): Promise<Schemas['Me']> {
    return ok(await this.api.GET('/v1/me'));
  }
}

/** A client of one API instance. */
export function createClient(options: ClientOptions): LedgerClient {
  return new LedgerClient(options);
}

export const isApiError = (err: unknown): err is ApiError => err instanceof ApiError;
