/**
 * The client side of the Open Inference Protocol v2 (REST, JSON tensors), as
 * served by KServe, Triton, MLServer and our own model-server. The gateway
 * calls a model version's registered endpoint, `<base>/v2/models/<name>`, for
 * its metadata (GET) and its inference (POST `<endpoint>/infer`).
 *
 * Every failure becomes an ApiError with a MODEL_* code, so the error
 * middleware answers it like any other: the endpoint being down, slow, too
 * talkative or wrong is never the caller's fault, except when it refused the
 * caller's inputs.
 */
import { fetch, type Dispatcher, type Response } from 'undici';
import { ApiCode, ApiError } from '../errors';

/**
 * How to reach an endpoint: the connection pool to use (for example one that
 * trusts only the model owner's TLS root, or one bound to a Unix socket) and
 * extra request headers (the access a gate serves a request under).
 */
export interface Route {
  readonly dispatcher: Dispatcher;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the gateway reads of a model's metadata. */
export interface ServedModel {
  readonly name: string;
  readonly versions: readonly string[];
  /** `parameters.artifact_sha256`, when the server reports it. */
  readonly artifactSha256: string | undefined;
}

/** An OIP v2 inference response, as the endpoint sent it. */
export interface InferResponse {
  readonly model_name: string;
  readonly model_version?: string;
  readonly id?: string;
  readonly parameters?: Record<string, unknown>;
  readonly outputs: readonly Record<string, unknown>[];
}

export interface OipLimits {
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
}

const NETWORK_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE']);

/** A deadline shared by the calls of one inference. */
export interface Deadline {
  readonly signal: AbortSignal;
  readonly ms: number;
}

export class OipClient {
  constructor(private readonly limits: OipLimits) {}

  /**
   * Starts the deadline that the metadata check and the inference of one
   * request share: the inference timeout, cut to `until` (epoch ms, the
   * request's own deadline) when given.
   */
  deadline(until?: number): Deadline {
    const ms = until === undefined ? this.limits.timeoutMs : Math.max(1, Math.min(this.limits.timeoutMs, until - Date.now()));
    return { signal: AbortSignal.timeout(ms), ms };
  }

  /**
   * Reads the model's metadata at its endpoint.
   *
   * @throws ApiError MODEL_UNAVAILABLE, MODEL_TIMEOUT or MODEL_FAILED.
   */
  async metadata(endpoint: string, deadline: Deadline, route: Route): Promise<ServedModel> {
    const body = await this.call('GET', endpointUrl(endpoint, ''), undefined, deadline, route);
    if (typeof body.name !== 'string') {
      throw new ApiError(ApiCode.MODEL_FAILED, `the model metadata at ${endpoint} has no name: it is not an OIP v2 endpoint`);
    }
    const parameters = isRecord(body.parameters) ? body.parameters : {};
    const versions = Array.isArray(body.versions) ? body.versions.filter((v): v is string => typeof v === 'string') : [];
    const hash = parameters.artifact_sha256;
    return { name: body.name, versions, artifactSha256: typeof hash === 'string' ? hash.toLowerCase() : undefined };
  }

  /**
   * Runs one inference.
   *
   * @throws ApiError MODEL_INPUT_REJECTED (the endpoint answered 4xx), MODEL_UNAVAILABLE,
   *   MODEL_TIMEOUT or MODEL_FAILED.
   */
  async infer(endpoint: string, request: object, deadline: Deadline, route: Route): Promise<InferResponse> {
    const body = await this.call('POST', endpointUrl(endpoint, '/infer'), request, deadline, route);
    if (typeof body.model_name !== 'string' || !Array.isArray(body.outputs) || !body.outputs.every(isRecord)) {
      throw new ApiError(ApiCode.MODEL_FAILED, `the model at ${endpoint} answered without model_name and outputs: not an OIP v2 response`);
    }
    return body as unknown as InferResponse;
  }

  /**
   * One call. A 4xx or 5xx answer that carries our error body (a serving gate's)
   * keeps the gate's code and message, so that what the gate decided reaches
   * the caller unchanged.
   */
  private async call(
    method: 'GET' | 'POST',
    url: URL,
    request: object | undefined,
    deadline: Deadline,
    route: Route,
  ): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        signal: deadline.signal,
        redirect: 'error',
        dispatcher: route.dispatcher,
        headers: {
          accept: 'application/json',
          ...(request === undefined ? {} : { 'content-type': 'application/json' }),
          ...route.headers,
        },
        body: request === undefined ? undefined : JSON.stringify(request),
      });
    } catch (err) {
      throw transportError(err, url, deadline);
    }
    const text = await this.readLimited(response, url, deadline);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const relayed = gateError(body);
    if (relayed !== undefined) {
      throw relayed;
    }
    if (response.status >= 400 && response.status < 500) {
      const reason = isRecord(body) && typeof body.error === 'string' ? body.error : text.slice(0, 200);
      const code = method === 'POST' ? ApiCode.MODEL_INPUT_REJECTED : ApiCode.MODEL_FAILED;
      throw new ApiError(code, `the model endpoint ${url.pathname} answered ${response.status}: ${reason}`);
    }
    if (!response.ok) {
      throw new ApiError(ApiCode.MODEL_FAILED, `the model endpoint ${url.pathname} failed with ${response.status}`);
    }
    if (!isRecord(body)) {
      throw new ApiError(ApiCode.MODEL_FAILED, `the model endpoint ${url.pathname} answered something that is not a JSON object`);
    }
    return body;
  }

  /** Reads the body, failing as soon as it passes the size limit. */
  private async readLimited(response: Response, url: URL, deadline: Deadline): Promise<string> {
    const limit = this.limits.maxResponseBytes;
    const tooLarge = (): ApiError =>
      new ApiError(ApiCode.MODEL_FAILED, `the model endpoint ${url.pathname} answered more than ${limit} bytes`);
    if (Number(response.headers.get('content-length') ?? 0) > limit) {
      await response.body?.cancel();
      throw tooLarge();
    }
    if (response.body === null) {
      return '';
    }
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          break;
        }
        size += value.byteLength;
        if (size > limit) {
          await reader.cancel();
          throw tooLarge();
        }
        chunks.push(value);
      }
    } catch (err) {
      throw err instanceof ApiError ? err : transportError(err, url, deadline);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

/** `<endpoint><suffix>`, refusing anything but http(s) so that a registered URI cannot reach a file or another scheme. */
function endpointUrl(endpoint: string, suffix: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint.replace(/\/+$/, '') + suffix);
  } catch {
    throw new ApiError(ApiCode.MODEL_FAILED, `the registered inference endpoint ${JSON.stringify(endpoint)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ApiError(ApiCode.MODEL_FAILED, `the registered inference endpoint ${endpoint} is not an http(s) URL`);
  }
  return url;
}

/** TLS failures that mean the endpoint is not the model owner's: its certificate does not chain to the owner's TLS root, or names another host. */
const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function transportError(err: unknown, url: URL, deadline: Deadline): ApiError {
  if (deadline.signal.aborted) {
    return new ApiError(ApiCode.MODEL_TIMEOUT, `the model endpoint at ${url.host} did not answer within ${deadline.ms} ms`);
  }
  const cause = (err as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (err as { code?: string }).code;
  if (code !== undefined && UNTRUSTED_CERTIFICATE.has(code)) {
    return new ApiError(
      ApiCode.MODEL_ENDPOINT_UNTRUSTED,
      `the model endpoint at ${url.host} is not the model owner's: its TLS certificate fails against the owner org's TLS roots on the channel (${code}); no request was sent`,
    );
  }
  if (code !== undefined && NETWORK_FAILURES.has(code)) {
    return new ApiError(ApiCode.MODEL_UNAVAILABLE, `the model endpoint at ${url.host} cannot be reached (${code})`);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(ApiCode.MODEL_UNAVAILABLE, `the model endpoint at ${url.host} failed: ${message}`);
}

/** The codes a serving gate answers with that the gateway passes on as they are. */
const GATE_CODES: ReadonlySet<string> = new Set<ApiCode>([
  ApiCode.MODEL_INPUT_REJECTED,
  ApiCode.MODEL_UNAVAILABLE,
  ApiCode.MODEL_FAILED,
  ApiCode.MODEL_INTEGRITY_MISMATCH,
  ApiCode.MODEL_TIMEOUT,
  ApiCode.ACCESS_REQUIRED,
  ApiCode.ACCESS_NOT_COMMITTED,
  ApiCode.ACCESS_MISMATCH,
  ApiCode.ACCESS_SIGNATURE_INVALID,
  ApiCode.ACCESS_STALE,
  ApiCode.ACCESS_ALREADY_SERVED,
]);

function isGateCode(code: string): code is ApiCode {
  return GATE_CODES.has(code);
}

/**
 * The ApiError a serving gate answered with (`{ error: { code, message,
 * transactionId? } }`), if the body is one with a code a gate may answer;
 * any other code is the endpoint's failure (MODEL_FAILED), never one that
 * would make the gateway claim something about the ledger.
 */
function gateError(body: unknown): ApiError | undefined {
  if (!isRecord(body) || !isRecord(body.error)) {
    return undefined;
  }
  const { code, message, transactionId } = body.error;
  if (typeof code !== 'string' || typeof message !== 'string') {
    return undefined;
  }
  const txId = typeof transactionId === 'string' && /^[0-9a-f]{64}$/.test(transactionId) ? transactionId : undefined;
  if (!isGateCode(code)) {
    return new ApiError(ApiCode.MODEL_FAILED, `the serving endpoint failed with ${code.slice(0, 64)}: ${message.slice(0, 500)}`, txId);
  }
  return new ApiError(code, message.slice(0, 2000), txId);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
