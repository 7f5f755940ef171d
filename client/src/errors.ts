/** The API's error, as a client switches on it: the HTTP status and the stable code of the body. */
export class ApiError extends Error {
  constructor(
    /** The HTTP status (0 when no response came). */
    readonly status: number,
    /** The API's stable code, such as `INSUFFICIENT_UNITS`, or `HTTP_<status>` for a body without one. */
    readonly code: string,
    message: string,
    /** The ledger transaction the error concerns, when the API named one (409, 503, 504). */
    readonly transactionId?: string,
    /** Seconds the API asked to wait before trying again (`Retry-After`). */
    readonly retryAfterSeconds?: number,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = 'ApiError';
  }
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; transactionId?: unknown };
}

/** `Retry-After` in seconds, when the response has a numeric one. */
export function retryAfterOf(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header);
}

/** The ApiError a failed response stands for, from its JSON body `{ error: { code, message, transactionId? } }`. */
export function errorOf(response: Response, body: unknown): ApiError {
  const error = (body as ErrorBody | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`;
  const message = typeof error?.message === 'string' ? error.message : response.statusText || 'request failed';
  const transactionId = typeof error?.transactionId === 'string' ? error.transactionId : undefined;
  return new ApiError(response.status, code, message, transactionId, retryAfterOf(response));
}
