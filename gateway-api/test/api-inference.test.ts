/**
 * The gateway's pieces of the inference path that need no ledger: the batch
 * count, the request hash, lot hints, and the OIP v2 client's error mapping
 * against a real local HTTP server that misbehaves on purpose.
 */
import { createHash } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from '../src/config';
import { ApiError } from '../src/errors';
import { statusOf } from '../src/http/errors';
import { requestHashOf } from '../src/serving/access';
import { batchRows } from '../src/services/inference';
import { LotHints } from '../src/services/lot-hints';
import { OipClient, type Route } from '../src/serving/oip';
import { Agent } from 'undici';

/** Plain http to the test's own server, as a development allowlist would route it. */
const plain: Route = { dispatcher: new Agent() };

const tensor = (shape: number[]): { name: string; shape: number[]; datatype: 'FP32'; data: number[] } => ({
  name: 'input',
  shape,
  datatype: 'FP32',
  data: [],
});

async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return (err as ApiError).code;
  }
  throw new Error('expected the call to fail');
}

describe('batch rows', () => {
  it('counts the first dimension the inputs share, and 1 for a scalar input', () => {
    expect(batchRows([tensor([4, 30]), tensor([4])])).toBe(4n);
    expect(batchRows([tensor([])])).toBe(1n);
  });

  it('refuses inputs that disagree on the batch size, or an empty batch', async () => {
    expect(await codeOf(Promise.resolve().then(() => batchRows([tensor([2, 30]), tensor([3, 30])])))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(Promise.resolve().then(() => batchRows([tensor([0, 30])])))).toBe('INVALID_ARGUMENT');
  });
});

describe('the request hash', () => {
  it('is sha256 of the RFC 8785 form: keys sorted at every depth, no whitespace', () => {
    const request = { inputs: [{ shape: [1, 2], name: 'x', data: [0.5, 1e-7], datatype: 'FP64' }], id: 'r1' };
    const canonical = '{"id":"r1","inputs":[{"data":[0.5,1e-7],"datatype":"FP64","name":"x","shape":[1,2]}]}';
    expect(requestHashOf(request)).toBe(createHash('sha256').update(canonical).digest('hex'));
  });
});

describe('lot hints', () => {
  it('hands consecutive accesses of one licence consecutive lots, each licence on its own sequence', () => {
    const hints = new LotHints();
    const a = [hints.take('L-a'), hints.take('L-a'), hints.take('L-a')].map(Number);
    expect([a[1] - a[0], a[2] - a[1]]).toEqual([1, 1]);
    const b = Number(hints.take('L-b'));
    expect(Number(hints.take('L-b'))).toBe(b + 1);
    expect(Number(hints.take('L-a'))).toBe(a[2] + 1);
  });

  it('forgets the oldest licence past its capacity and stays below 10^9', () => {
    const hints = new LotHints(2);
    hints.take('L-1');
    hints.take('L-2');
    hints.take('L-3');
    for (let i = 0; i < 5; i++) {
      expect(Number(hints.take(`L-${i}`))).toBeLessThan(1_000_000_000);
    }
  });
});

describe('the OIP v2 client', () => {
  let server: Server;
  let base: string;
  const client = new OipClient({ timeoutMs: 500, maxResponseBytes: 2048 });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const send = (status: number, body: string): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      };
      switch (req.url) {
        case '/v2/models/ok':
          return send(200, JSON.stringify({ name: 'ok', versions: ['1'], parameters: { artifact_sha256: 'AB'.repeat(32) } }));
        case '/v2/models/ok/infer':
          return send(200, JSON.stringify({ model_name: 'ok', outputs: [{ name: 'y', shape: [1], datatype: 'INT64', data: [1] }] }));
        case '/v2/models/bad-input/infer':
          return send(400, JSON.stringify({ error: 'input shape [1, 29] does not match [-1, 30]' }));
        case '/v2/models/broken/infer':
          return send(500, JSON.stringify({ error: 'onnxruntime failed' }));
        case '/v2/models/not-oip/infer':
          return send(200, JSON.stringify({ hello: 'world' }));
        case '/v2/models/not-json/infer':
          return send(200, 'hello');
        case '/v2/models/huge/infer':
          // No content-length: the limit must hold while streaming.
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(`{"model_name":"huge","outputs":[{"data":[${'1,'.repeat(5000)}1]}]}`);
          return res.end();
        case '/v2/models/slow/infer':
          setTimeout(() => send(200, '{}'), 2000);
          return undefined;
        case '/v2/models/moved/infer':
          res.writeHead(302, { location: 'http://127.0.0.1:1/' });
          return res.end();
        default:
          return send(404, JSON.stringify({ error: 'unknown model' }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/models`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads the artifact hash from the metadata and returns an OIP v2 response', async () => {
    const deadline = client.deadline();
    expect(await client.metadata(`${base}/ok/`, deadline, plain)).toEqual({ name: 'ok', versions: ['1'], artifactSha256: 'ab'.repeat(32) });
    expect((await client.infer(`${base}/ok`, { inputs: [] }, deadline, plain)).outputs).toHaveLength(1);
  });

  it.each([
    ['the model refusing the inputs', 'bad-input', 'MODEL_INPUT_REJECTED', 400],
    ['the model failing', 'broken', 'MODEL_FAILED', 502],
    ['an answer that is not OIP v2', 'not-oip', 'MODEL_FAILED', 502],
    ['an answer that is not JSON', 'not-json', 'MODEL_FAILED', 502],
    ['an answer over the size limit', 'huge', 'MODEL_FAILED', 502],
    ['a redirect', 'moved', 'MODEL_UNAVAILABLE', 502],
    ['an answer after the deadline', 'slow', 'MODEL_TIMEOUT', 504],
  ])('maps %s to %s', async (_what, model, code, status) => {
    expect(await codeOf(client.infer(`${base}/${model}`, { inputs: [] }, client.deadline(), plain))).toBe(code);
    expect(statusOf(code)).toBe(status);
  });

  it('maps an unknown model in the metadata to MODEL_FAILED, a closed port to MODEL_UNAVAILABLE, and a non-http endpoint to MODEL_FAILED', async () => {
    expect(await codeOf(client.metadata(`${base}/gone`, client.deadline(), plain))).toBe('MODEL_FAILED');
    expect(await codeOf(client.metadata('http://127.0.0.1:1/v2/models/x', client.deadline(), plain))).toBe('MODEL_UNAVAILABLE');
    expect(await codeOf(client.metadata('file:///etc/passwd', client.deadline(), plain))).toBe('MODEL_FAILED');
  });
});

describe('inference settings', () => {
  it('refuses a bad timeout or response limit at start-up, naming each variable', () => {
    const load = (): unknown =>
      loadConfig({
        MLL_API_ORG: 'hospital',
        MLL_RUNTIME_DIR: __dirname,
        MLL_API_INFER_TIMEOUT_MS: '0',
        MLL_API_INFER_MAX_RESPONSE_BYTES: 'lots',
      });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/MLL_API_INFER_TIMEOUT_MS must be an integer .*\n.*MLL_API_INFER_MAX_RESPONSE_BYTES must be an integer/s);
  });
});
