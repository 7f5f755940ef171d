/**
 * @jest-environment ./model-server/test/model-server-environment.js
 *
 * An OIP v2 client none of us wrote, Triton's `tritonclient[http]` from PyPI,
 * talks to model-server unchanged. `test/interop/setup.sh` prepares its venv
 * (idempotent; CI runs it first); if Python, venv or PyPI is missing, this test
 * fails and says what to install. It never skips.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config';
import { start, type Running } from '../src/server';

const run = promisify(execFile);
const REPO = resolve(__dirname, '../..');
const CARD_PATH = join(REPO, 'model/model.json');
const SAMPLES_PATH = join(REPO, 'model/heldout-samples.json');
const CARD = JSON.parse(readFileSync(CARD_PATH, 'utf8')) as { name: string; version: string; sha256: string };
const SAMPLES = (
  JSON.parse(readFileSync(SAMPLES_PATH, 'utf8')) as {
    samples: { expectedLabel: number; expectedProbabilities: number[] }[];
  }
).samples;

interface Report {
  client: string;
  is_server_live: boolean;
  is_server_ready: boolean;
  is_model_ready: boolean;
  model_metadata: { name: string; platform: string; inputs: unknown[]; parameters: { artifact_sha256: string } };
  single: {
    id: string;
    model_name: string;
    model_version: string;
    label: number[];
    label_dtype: string;
    probabilities: number[][];
    probabilities_dtype: string;
  };
  batch: { label: number[]; probabilities: number[][] };
  wrong_shape: { raised: boolean; status: string; message: string };
  statistics: { model_stats: { execution_count: number; inference_stats: { success: { count: number }; fail: { count: number } } }[] };
}

let server: Running;
let python: string;

beforeAll(async () => {
  try {
    const prepared = await run('bash', [join(REPO, 'test/interop/setup.sh')], { cwd: REPO, timeout: 170_000 });
    python = prepared.stdout.trim().split('\n').pop() ?? '';
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    throw new Error(
      `cannot prepare the tritonclient venv for the interoperability test:\n${stderr}\n` +
        'It needs python3 (3.9+) with its venv module and PyPI; run `bash test/interop/setup.sh` to see the problem.',
    );
  }
  server = await start(loadConfig({ MLL_MODEL_PORT: '0' }), () => undefined);
}, 180_000);

afterAll(async () => {
  await server?.close();
});

it("Triton's Python HTTP client checks readiness, reads metadata and infers FP32 [1, 30] unchanged", async () => {
  const hostPort = server.url.replace(/^http:\/\//, '');
  let stdout: string;
  try {
    ({ stdout } = await run(python, [join(REPO, 'test/interop/tritonclient_check.py'), hostPort, CARD_PATH, SAMPLES_PATH], {
      cwd: REPO,
      timeout: 60_000,
    }));
  } catch (err) {
    throw new Error(`tritonclient_check.py failed:\n${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
  const report = JSON.parse(stdout) as Report;

  expect(report.client).toMatch(/^tritonclient 2\.73\.0/);
  expect(report).toMatchObject({ is_server_live: true, is_server_ready: true, is_model_ready: true });
  expect(report.model_metadata).toMatchObject({ name: CARD.name, platform: 'onnxruntime', parameters: { artifact_sha256: CARD.sha256 } });

  expect(report.single).toMatchObject({
    id: 'interop-1',
    model_name: CARD.name,
    model_version: CARD.version,
    label: [SAMPLES[0].expectedLabel],
    label_dtype: 'int64',
    probabilities_dtype: 'float32',
  });
  report.single.probabilities[0].forEach((p, j) => expect(Math.abs(p - SAMPLES[0].expectedProbabilities[j])).toBeLessThanOrEqual(1e-5));

  expect(report.batch.label).toEqual(SAMPLES.map((sample) => sample.expectedLabel));
  report.batch.probabilities.forEach((row, i) =>
    row.forEach((p, j) => expect(Math.abs(p - SAMPLES[i].expectedProbabilities[j])).toBeLessThanOrEqual(1e-5)),
  );

  expect(report.wrong_shape).toEqual({ raised: true, status: '400', message: expect.stringMatching(/shape is \[1, 29\]/) });

  // The client read Triton-style statistics: two answered requests and the rejected one.
  const [stats] = report.statistics.model_stats;
  expect(stats.inference_stats.success.count).toBe(2);
  expect(stats.execution_count).toBe(2);
  expect(stats.inference_stats.fail.count).toBe(1);
});
