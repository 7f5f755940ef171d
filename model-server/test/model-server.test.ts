/**
 * @jest-environment ./model-server/test/model-server-environment.js
 *
 * model-server over real HTTP, in-process on an ephemeral port: the shipped
 * ONNX model answers the held-out samples as onnxruntime in Python did, bad
 * requests get OIP v2 error bodies and are not inferences, and the server
 * refuses an artifact whose sha256 is not the model card's.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { Agent, fetch as fetchVia } from 'undici';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import { ModelLoadError } from '../src/model';
import { start, type Running } from '../src/server';

const REPO = resolve(__dirname, '../..');
const MODEL_PATH = join(REPO, 'model/breast-cancer-diagnostic.onnx');
const CARD = JSON.parse(readFileSync(join(REPO, 'model/model.json'), 'utf8')) as { name: string; version: string; sha256: string };
const HELDOUT = JSON.parse(readFileSync(join(REPO, 'model/heldout-samples.json'), 'utf8')) as {
  samples: { input: number[]; expectedLabel: number; expectedProbabilities: number[] }[];
};
const NAME = CARD.name;

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

interface StatsBody {
  model_stats: {
    inference_count: number;
    execution_count: number;
    inference_stats: { success: { count: number }; fail: { count: number } };
  }[];
}

let server: Running;

async function call(path: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), headers: res.headers };
}

function infer(body: unknown, model = NAME, init: RequestInit = {}): Promise<Reply> {
  return call(`/v2/models/${model}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
}

async function stats(): Promise<StatsBody['model_stats'][0]> {
  const reply = await call(`/v2/models/${NAME}/stats`);
  expect(reply.status).toBe(200);
  return (reply.body as unknown as StatsBody).model_stats[0];
}

function input(rows: number[][], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'input', shape: [rows.length, 30], datatype: 'FP32', data: rows.flat(), ...overrides };
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

beforeAll(async () => {
  server = await start(loadConfig({ MLL_MODEL_PORT: '0', MLL_MODEL_BODY_LIMIT_BYTES: '65536' }), () => undefined);
});

afterAll(async () => {
  await server?.close();
});

describe('model-server metadata and health', () => {
  it('reports the sha256 of the artifact it serves, which is the one model.json names', async () => {
    const reply = await call(`/v2/models/${NAME}`);
    expect(reply.status).toBe(200);
    expect(sha256(MODEL_PATH)).toBe(CARD.sha256);
    expect(reply.body).toEqual({
      name: NAME,
      versions: [CARD.version],
      platform: 'onnxruntime',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 30] }],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
      parameters: {
        artifact_sha256: CARD.sha256,
        artifact: 'breast-cancer-diagnostic.onnx',
        version: CARD.version,
        classes: ['malignant', 'benign'],
      },
    });
    expect(reply.headers.get('content-type')).toBe('application/json');
  });

  it('answers live, ready and model-ready, also under the version path', async () => {
    expect(await call('/v2/health/live')).toMatchObject({ status: 200, body: { live: true } });
    expect(await call('/v2/health/ready')).toMatchObject({ status: 200, body: { ready: true } });
    expect(await call(`/v2/models/${NAME}/ready`)).toMatchObject({ status: 200, body: { name: NAME, ready: true } });
    expect(await call(`/v2/models/${NAME}/versions/${CARD.version}/ready`)).toMatchObject({ status: 200 });
    expect(await call(`/v2/models/${NAME}/versions/${CARD.version}`)).toMatchObject({ status: 200, body: { name: NAME } });
  });

  it('answers 404 with an error body for an unknown model, version or route', async () => {
    for (const path of ['/v2/models/other-model', '/v2/models/other-model/ready', `/v2/models/${NAME}/versions/2`, '/v2/nothing', '/']) {
      const reply = await call(path);
      expect(reply.status).toBe(404);
      expect(typeof reply.body.error).toBe('string');
    }
  });
});

describe('model-server inference', () => {
  it('predicts each held-out sample as onnxruntime did in Python, within 1e-5', async () => {
    expect(HELDOUT.samples.length).toBeGreaterThanOrEqual(4);
    for (const [i, sample] of HELDOUT.samples.entries()) {
      const reply = await infer({ id: `sample-${i}`, inputs: [input([sample.input])] });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ model_name: NAME, model_version: CARD.version, id: `sample-${i}` });
      const [label, probabilities] = reply.body.outputs as { name: string; shape: number[]; datatype: string; data: number[] }[];
      expect(label).toEqual({ name: 'label', shape: [1], datatype: 'INT64', data: [sample.expectedLabel] });
      expect(probabilities).toMatchObject({ name: 'probabilities', shape: [1, 2], datatype: 'FP32' });
      probabilities.data.forEach((p, j) => expect(Math.abs(p - sample.expectedProbabilities[j])).toBeLessThanOrEqual(1e-5));
    }
  });

  it('predicts a batch of every held-out sample, sent as nested data, in one request', async () => {
    const rows = HELDOUT.samples.map((sample) => sample.input);
    const reply = await infer({ inputs: [input(rows, { data: rows })], outputs: [{ name: 'probabilities' }, { name: 'label' }] });
    expect(reply.status).toBe(200);
    const [probabilities, label] = reply.body.outputs as { name: string; shape: number[]; data: number[] }[];
    expect(probabilities.name).toBe('probabilities');
    expect(probabilities.shape).toEqual([rows.length, 2]);
    expect(label).toMatchObject({ name: 'label', shape: [rows.length], data: HELDOUT.samples.map((s) => s.expectedLabel) });
    HELDOUT.samples.forEach((sample, i) => {
      expect(Math.abs(probabilities.data[2 * i] - sample.expectedProbabilities[0])).toBeLessThanOrEqual(1e-5);
      expect(Math.abs(probabilities.data[2 * i + 1] - sample.expectedProbabilities[1])).toBeLessThanOrEqual(1e-5);
    });
  });

  it('counts each answered inference request once, and its rows', async () => {
    const before = await stats();
    const rows = HELDOUT.samples.slice(0, 3).map((sample) => sample.input);
    expect((await infer({ inputs: [input(rows)] })).status).toBe(200);
    const after = await stats();
    expect(after.inference_stats.success.count).toBe(before.inference_stats.success.count + 1);
    expect(after.execution_count).toBe(before.execution_count + 1);
    expect(after.inference_count).toBe(before.inference_count + 3);
    expect(after.inference_stats.fail.count).toBe(before.inference_stats.fail.count);
    const all = await call('/v2/models/stats');
    expect(all.body).toEqual({ model_stats: [expect.objectContaining({ name: NAME, execution_count: after.execution_count })] });
  });
});

describe('model-server rejects bad requests without running the model', () => {
  const row = (): number[] => [...HELDOUT.samples[0].input];
  const cases: [string, () => Promise<Reply>, number, RegExp, boolean][] = [
    ['a wrong datatype', () => infer({ inputs: [input([row()], { datatype: 'FP64' })] }), 400, /datatype .*FP32/, true],
    ['a wrong shape', () => infer({ inputs: [input([row().slice(0, 29)], { shape: [1, 29] })] }), 400, /shape is \[1, 29\]/, true],
    ['a shape of the wrong rank', () => infer({ inputs: [input([row()], { shape: [30] })] }), 400, /shape/, true],
    ['data shorter than its shape', () => infer({ inputs: [input([row()], { data: row().slice(1) })] }), 400, /29 element.*needs 30/, true],
    ['data longer than its shape', () => infer({ inputs: [input([row()], { data: [...row(), 1] })] }), 400, /31 element.*needs 30/, true],
    [
      'nested data that does not match its shape',
      () => infer({ inputs: [input([row()], { data: [row(), row()] })] }),
      400,
      /nested data must match shape/,
      true,
    ],
    ['a string among the data', () => infer({ inputs: [input([row()], { data: ['1', ...row().slice(1)] })] }), 400, /finite number/, true],
    ['an unknown input name', () => infer({ inputs: [input([row()], { name: 'features' })] }), 400, /"features" is not an input/, true],
    [
      'an unknown output name',
      () => infer({ inputs: [input([row()])], outputs: [{ name: 'logits' }] }),
      400,
      /"logits" is not an output/,
      true,
    ],
    ['no inputs', () => infer({ inputs: [] }), 400, /non-empty array/, true],
    ['an unknown field', () => infer({ inputs: [input([row()])], extra: 1 }), 400, /unknown field/, true],
    ['a body that is not JSON', () => infer('{"inputs": ['), 400, /not valid JSON/, true],
    [
      'binary tensor data',
      () => infer({ inputs: [input([row()])] }, NAME, { headers: { 'inference-header-content-length': '10' } }),
      400,
      /binary tensor data/,
      true,
    ],
    [
      'a compressed body',
      () => infer({ inputs: [input([row()])] }, NAME, { headers: { 'content-encoding': 'gzip' } }),
      415,
      /encoding/,
      true,
    ],
    [
      'a body over the limit',
      () => infer({ inputs: [input([row()], { data: new Array(20_000).fill(0.5) })] }),
      413,
      /larger than the limit of 65536 bytes/,
      true,
    ],
    ['an unknown model', () => infer({ inputs: [input([row()])] }, 'other-model'), 404, /unknown model "other-model"/, false],
    [
      'an unknown version',
      () => call(`/v2/models/${NAME}/versions/9/infer`, { method: 'POST', body: JSON.stringify({ inputs: [input([row()])] }) }),
      404,
      /unknown version "9"/,
      false,
    ],
    ['a GET on infer', () => call(`/v2/models/${NAME}/infer`), 405, /use POST/, false],
  ];

  it.each(cases)('answers %s with an error body, and counts no inference', async (_what, send, status, message, countsAsFailed) => {
    const before = await stats();
    const reply = await send();
    expect(reply.status).toBe(status);
    expect(Object.keys(reply.body)).toEqual(['error']);
    expect(reply.body.error).toMatch(message);
    const after = await stats();
    expect(after.inference_stats.success.count).toBe(before.inference_stats.success.count);
    expect(after.execution_count).toBe(before.execution_count);
    expect(after.inference_count).toBe(before.inference_count);
    expect(after.inference_stats.fail.count).toBe(before.inference_stats.fail.count + (countsAsFailed ? 1 : 0));
  });
});

describe('model-server start-up', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'model-server-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to start when the artifact is not the one model.json names', async () => {
    const model = join(dir, 'model.onnx');
    copyFileSync(MODEL_PATH, model);
    appendFileSync(model, Buffer.from([0]));
    writeFileSync(join(dir, 'model.json'), JSON.stringify(CARD));
    const config = loadConfig({ MLL_MODEL_PORT: '0', MLL_MODEL_PATH: model });
    await expect(start(config)).rejects.toThrow(ModelLoadError);
    await expect(start(config)).rejects.toThrow(`its sha256 is ${sha256(model)}, but ${join(dir, 'model.json')} says ${CARD.sha256}`);
  });

  it('refuses to start when model.json is missing', async () => {
    const model = join(dir, 'model.onnx');
    copyFileSync(MODEL_PATH, model);
    await expect(start(loadConfig({ MLL_MODEL_PORT: '0', MLL_MODEL_PATH: model }))).rejects.toThrow(/cannot read the model card/);
  });

  it('lists every bad variable at once', () => {
    expect(() => loadConfig({ MLL_MODEL_PORT: 'http', MLL_MODEL_BODY_LIMIT_BYTES: '1', MLL_PORT_OFFSET: '-1' })).toThrow(ConfigError);
    try {
      loadConfig({ MLL_MODEL_PORT: 'http', MLL_MODEL_BODY_LIMIT_BYTES: '1', MLL_PORT_OFFSET: '-1' });
    } catch (err) {
      expect((err as ConfigError).problems).toHaveLength(3);
    }
  });

  it('listens only on a Unix socket that its own user alone can open, and refuses a second server on a live socket', async () => {
    const socket = join(dir, 'private', 'oip.sock');
    const first = await start(loadConfig({ MLL_MODEL_SOCKET: socket }), () => undefined);
    try {
      expect(first.url).toBe(`unix:${socket}`);
      expect(statSync(socket).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'private')).mode & 0o777).toBe(0o700);
      const agent = new Agent({ connect: { socketPath: socket } });
      const ready = await fetchVia('http://localhost/v2/health/ready', { dispatcher: agent });
      expect(ready.status).toBe(200);
      await agent.close();
      // A second server on a live socket is refused, not allowed to take it over.
      await expect(start(loadConfig({ MLL_MODEL_SOCKET: socket }), () => undefined)).rejects.toThrow(/already listens/);
    } finally {
      await first.close();
    }
  });

  it('listens on 8500 plus MLL_PORT_OFFSET by default', () => {
    expect(loadConfig({}).port).toBe(8500);
    expect(loadConfig({ MLL_PORT_OFFSET: '100' }).port).toBe(8600);
    expect(loadConfig({}).modelPath).toBe(MODEL_PATH);
  });
});
