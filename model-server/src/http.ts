/**
 * The HTTP face of the server: Open Inference Protocol v2 routes on plain
 * node:http. Every error answers `{ "error": "<message>" }` as the protocol
 * says: 400 for a bad request, 404 for an unknown model, version or route,
 * 405 for a wrong method, 413 for a body over the limit, 415 for a
 * compressed body, 500 when the model fails.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Model } from './model';
import { OipError, parseInferRequest, type InferResponse } from './oip';
import type { Stats } from './stats';

/** What the routes need. */
export interface AppDeps {
  readonly model: Model;
  readonly stats: Stats;
  readonly bodyLimitBytes: number;
  readonly maxBatch: number;
  /** Where unexpected errors are reported. */
  readonly log: (message: string) => void;
}

export const SERVER_NAME = 'model-ledger-model-server';
export const SERVER_VERSION = '0.1.0';

const MODEL_ROUTE = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(?:\/(ready|infer|stats))?$/;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, err: OipError, headers: Record<string, string> = {}): void {
  send(res, err.status, { error: err.message }, headers);
}

/**
 * Reads the body up to `limit` bytes. A larger body is read to its end (up to
 * eight times the limit, so that the client sees the 413 rather than a reset)
 * but not kept.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    const tooLarge = (): OipError => new OipError(413, `the request body is larger than the limit of ${limit} bytes`);
    if (declared > 8 * limit) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 8 * limit) {
        req.destroy();
        reject(tooLarge());
      } else if (size <= limit) {
        chunks.push(chunk);
      }
    });
    req.on('end', () => (size > limit ? reject(tooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/** Builds the request listener for one served model. */
export function createApp(deps: AppDeps): RequestListener {
  const { model, stats } = deps;
  const info = model.info;

  const metadata = {
    name: info.name,
    versions: [info.version],
    platform: 'onnxruntime',
    inputs: info.inputs,
    outputs: info.outputs,
    // Not in the core protocol: the integrity facts a gateway checks against the ledger.
    parameters: {
      artifact_sha256: info.sha256,
      artifact: info.artifact,
      version: info.version,
      classes: info.classes,
    },
  };

  async function infer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const elapsed = (): number => Number(process.hrtime.bigint() - started);
    try {
      if (req.headers['inference-header-content-length'] !== undefined) {
        throw new OipError(400, 'the binary tensor data extension is not supported; send the tensors as JSON');
      }
      const encoding = req.headers['content-encoding'];
      if (encoding !== undefined && encoding !== 'identity') {
        throw new OipError(415, `content encoding "${encoding}" is not supported; send the body uncompressed`);
      }
      // The content type is not checked: clients differ in what they send, and the body must parse as JSON anyway.
      const raw = await readBody(req, deps.bodyLimitBytes);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new OipError(400, 'the request body is not valid JSON');
      }
      const request = parseInferRequest(body, info, deps.maxBatch);
      let outputs;
      try {
        outputs = await model.run(request.feeds, request.outputNames);
      } catch (err) {
        deps.log(`inference failed: ${err instanceof Error ? err.message : String(err)}`);
        throw new OipError(500, `model "${info.name}" failed to run the request`);
      }
      const response: InferResponse = {
        model_name: info.name,
        model_version: info.version,
        ...(request.id !== undefined ? { id: request.id } : {}),
        outputs,
      };
      stats.succeeded(request.batch, elapsed());
      send(res, 200, response);
    } catch (err) {
      stats.failed(elapsed());
      throw err;
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method ?? 'GET';
    const only = (allowed: 'GET' | 'POST'): void => {
      if (method !== allowed && !(allowed === 'GET' && method === 'HEAD')) {
        throw new OipError(405, `${method} is not allowed on ${path}; use ${allowed}`);
      }
    };

    switch (path) {
      case '/v2':
        only('GET');
        send(res, 200, { name: SERVER_NAME, version: SERVER_VERSION, extensions: ['statistics'] });
        return;
      case '/v2/health/live':
        only('GET');
        send(res, 200, { live: true });
        return;
      case '/v2/health/ready':
        only('GET');
        // The model is loaded and verified before the server listens, so a listening server is ready.
        send(res, 200, { ready: true });
        return;
      case '/v2/models/stats':
        only('GET');
        send(res, 200, { model_stats: [stats.snapshot()] });
        return;
      default:
        break;
    }

    const match = MODEL_ROUTE.exec(path);
    if (match === null) {
      throw new OipError(404, `no route ${method} ${path}`);
    }
    const [, rawName, rawVersion, action] = match;
    const name = decodeURIComponent(rawName);
    if (name !== info.name) {
      throw new OipError(404, `unknown model "${name}"; this server serves "${info.name}"`);
    }
    if (rawVersion !== undefined && decodeURIComponent(rawVersion) !== info.version) {
      throw new OipError(404, `unknown version "${decodeURIComponent(rawVersion)}" of model "${name}"; it has version "${info.version}"`);
    }
    switch (action) {
      case undefined:
        only('GET');
        send(res, 200, metadata);
        return;
      case 'ready':
        only('GET');
        send(res, 200, { name: info.name, ready: true });
        return;
      case 'stats':
        only('GET');
        send(res, 200, { model_stats: [stats.snapshot()] });
        return;
      default:
        only('POST');
        await infer(req, res);
    }
  }

  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      const oip = err instanceof OipError ? err : new OipError(500, 'internal error');
      if (!(err instanceof OipError)) {
        deps.log(`unexpected error on ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const headers: Record<string, string> = {};
      if (oip.status === 405) {
        headers.allow = /\/infer$/.test(req.url ?? '') ? 'POST' : 'GET, HEAD';
      }
      if (oip.status === 413) {
        headers.connection = 'close';
      }
      // Whatever of the body was not read is of no use; do not let it hold the socket.
      req.resume();
      sendError(res, oip, headers);
    });
  };
}
