/**
 * Access-gated inference on the real network: the hospital's practitioner
 * runs the lab's shipped diagnostic model (the model server `up` started,
 * on its Unix socket) through the gateway API, which charges and then
 * presents the signed access to the lab's serving gate (run here by the
 * lab's test instance). Each refusal and each failure of the model is checked
 * to reach the model server as often as it should (its own request counters)
 * and to leave units and royalties as they were: refused before the charge,
 * or refunded by the gate after it.
 *
 * A relay of this test sits between the gate and the model server for the
 * failures a healthy server does not show: slowness, a call held while the
 * ledger changes underneath it, and a server that is gone.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Response } from 'supertest';
import { Agent, fetch as fetchVia } from 'undici';
import { ApiCaller, ApiFleet, Json, gateEnv, startApiFleet } from '../support/api';
import { loadPlan, repoRoot, runtimeDir } from '../support/network';
import { sha256 } from '../support/ledger';

const CARD = JSON.parse(readFileSync(join(repoRoot, 'model/model.json'), 'utf8')) as { name: string; version: string; sha256: string };
const SAMPLES_FILE = join(repoRoot, 'model/heldout-samples.json');
const SAMPLES = (
  JSON.parse(readFileSync(SAMPLES_FILE, 'utf8')) as {
    samples: { input: number[]; expectedLabel: number; expectedProbabilities: number[] }[];
  }
).samples;
const INFER_TIMEOUT_MS = 8000;
/** The gate gives up on the model sooner than the gateway gives up on the gate, so that it can refund and say so. */
const GATE_MODEL_TIMEOUT_MS = 4000;
/** The OIP name under which the lab's test gate serves the shipped model through the relay. */
const RELAYED = 'bcd-relayed';

function expectError(response: Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code });
  expect(Object.keys(response.body)).toEqual(['error']);
}

/** The OIP v2 body of one held-out row, with the gateway's two parameters. */
function inferBody(licenseId: string, purpose = 'clinical-diagnosis', row = SAMPLES[0].input, shape = [1, 30]): Json {
  return { parameters: { licenseId, purpose }, inputs: [{ name: 'input', shape, datatype: 'FP32', data: row }] };
}

/**
 * A relay between the lab's gate and the model server: it forwards everything
 * to the server's socket (as model RELAYED), and counts and can delay, hold
 * or drop inference calls, or hold the next metadata read.
 */
class Relay {
  mode: 'pass' | 'slow' | 'hold' | 'hold-metadata' = 'pass';
  /** Inference calls that reached the relay. */
  inferCalls = 0;
  private arrived: (() => void) | undefined;
  private release: (() => void) | undefined;
  private server: Server | undefined;
  url = '';

  private readonly upstream: Agent;

  constructor(socket: string) {
    this.upstream = new Agent({ connect: { socketPath: socket } });
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Holds the next inference call (or metadata read); resolves once it has arrived, with the function that lets it through. */
  hold(what: 'hold' | 'hold-metadata' = 'hold'): Promise<() => void> {
    this.mode = what;
    return new Promise((resolve) => {
      this.arrived = () => resolve(() => this.release?.());
    });
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      chunks.push(chunk as Buffer);
    }
    if (req.url?.endsWith('/infer') === true) {
      this.inferCalls += 1;
      if (this.mode === 'slow') {
        // Answers nothing until well past the gateway's deadline, and never reaches the model.
        await new Promise((resolve) => setTimeout(resolve, INFER_TIMEOUT_MS + 2000));
        res.destroy();
        return;
      } else if (this.mode === 'hold') {
        this.mode = 'pass';
        await new Promise<void>((resolve) => {
          this.release = resolve;
          this.arrived?.();
        });
      }
    } else if (req.method === 'GET' && this.mode === 'hold-metadata') {
      this.mode = 'pass';
      await new Promise<void>((resolve) => {
        this.release = resolve;
        this.arrived?.();
      });
    }
    try {
      const upstream = await fetchVia(`http://localhost${(req.url ?? '').replace(`/v2/models/${RELAYED}`, `/v2/models/${CARD.name}`)}`, {
        method: req.method,
        headers: { 'content-type': 'application/json' },
        body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
        dispatcher: this.upstream,
      });
      res.writeHead(upstream.status, { 'content-type': 'application/json' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    } catch {
      res.destroy();
    }
  }
}

describe('access-gated inference through the gateway API', () => {
  const run = `${process.pid}-${Date.now()}`;
  const plan = loadPlan() as ReturnType<typeof loadPlan> & { modelServer: { socket: string; model: string } };
  const socket = new Agent({ connect: { socketPath: plan.modelServer.socket } });
  const relay = new Relay(plan.modelServer.socket);
  /** The lab's test gate's endpoint of the shipped model, and of the same model through the relay. */
  let endpoint: string;
  let relayedEndpoint: string;

  let api: ApiFleet;
  let labAdmin: ApiCaller;
  let engineer: ApiCaller;
  let practitioner: ApiCaller;
  let practitioner2: ApiCaller;
  let clerk: ApiCaller;
  let clinicPractitioner: ApiCaller;
  let auditor: ApiCaller;

  let modelId: string;
  let licenseId: string;
  let exhaustedLicense: string;
  let lastUnitLicense: string;
  let relayModel: string;
  let relayOffering: string;
  let relayLicense: string;

  /** Inference requests the model server has received since it started (its Triton-style statistics). */
  const modelCalls = async (): Promise<number> => {
    const response = await fetchVia(`http://localhost/v2/models/${CARD.name}/stats`, { dispatcher: socket });
    const stats = ((await response.json()) as Json).model_stats[0].inference_stats;
    return stats.success.count + stats.fail.count;
  };
  const remaining = async (id: string): Promise<string> => (await auditor.get(`/v1/licenses/${id}`)).body.remainingUnits;
  const accesses = async (id: string): Promise<Json[]> => (await auditor.get(`/v1/licenses/${id}/accesses?limit=100`)).body.items;
  const labRoyalties = async (): Promise<bigint> => BigInt((await auditor.get('/v1/accounts/org::LabMSP/royalties')).body.unclaimed);
  /** Units, access records and the lab's royalties: what an inference refused before the charge must leave alone. */
  const ledgerState = async (id: string): Promise<Json> => ({
    remaining: await remaining(id),
    accesses: (await accesses(id)).length,
    royalties: await labRoyalties(),
  });
  /** Units and the lab's royalties: what a refunded inference leaves as it found them (its access record stays). */
  const chargeState = async (id: string): Promise<Json> => ({ remaining: await remaining(id), royalties: await labRoyalties() });
  /** The refund of an access, as the regulator reads it. */
  const refundOf = async (accessId: string): Promise<Response> => auditor.get(`/v1/accesses/${accessId}/refund`);

  const registerModel = async (name: string, serving: string): Promise<string> => {
    const response = await labAdmin.post('/v1/models', {
      name,
      description: 'Logistic regression over the 30 Wisconsin fine-needle-aspirate features',
      task: 'tabular-classification',
      intendedUse: 'Decision support for certified practitioners',
      version: CARD.version,
      artifactSha256: CARD.sha256,
      artifactUri: 'file://model/breast-cancer-diagnostic.onnx',
      inferenceEndpoint: serving,
      royaltyPolicy: { beneficiaries: [{ account: 'org::LabMSP', shareBps: 10000 }], resaleRoyaltyBps: 500 },
    });
    expect(response.status).toBe(201);
    return response.body.data.modelId as string;
  };
  const publish = async (model: string): Promise<string> => {
    const response = await labAdmin.post('/v1/offerings', {
      modelId: model,
      kind: 'metered',
      unitPrice: '1000',
      supplyCap: '1000',
      transferable: false,
      requiredAttributes: { role: 'practitioner' },
      allowedMspIds: ['HospitalMSP'],
      purposes: ['clinical-diagnosis'],
    });
    expect(response.status).toBe(201);
    return response.body.data.offering.offeringId as string;
  };
  const buy = async (offeringId: string, units: string): Promise<string> => {
    const response = await api.as('hospital', 'admin').post('/v1/purchases', { offeringId, units, payer: 'org' });
    expect(response.status).toBe(201);
    return response.body.data.licenseId as string;
  };

  beforeAll(async () => {
    await relay.start();
    api = await startApiFleet({
      env: { MLL_API_INFER_TIMEOUT_MS: String(INFER_TIMEOUT_MS) },
      orgEnv: {
        lab: gateEnv(
          { [CARD.name]: `unix:${plan.modelServer.socket}`, [RELAYED]: relay.url },
          { MLL_GATE_MODEL_TIMEOUT_MS: String(GATE_MODEL_TIMEOUT_MS) },
        ),
      },
    });
    endpoint = `${api.gates.lab ?? ''}/v2/models/${CARD.name}`;
    relayedEndpoint = `${api.gates.lab ?? ''}/v2/models/${RELAYED}`;
    labAdmin = api.as('lab', 'admin');
    engineer = api.as('lab', 'engineer1');
    practitioner = api.as('hospital', 'practitioner1');
    practitioner2 = api.as('hospital', 'practitioner2');
    clerk = api.as('hospital', 'clerk1');
    clinicPractitioner = api.as('clinic', 'practitioner1');
    auditor = api.as('regulator', 'auditor1');

    expect((await api.as('clearing', 'issuer1').post('/v1/token/mints', { to: 'org::HospitalMSP', amount: '100000' })).status).toBe(201);
    modelId = await registerModel(`bcd-${run}`, endpoint);
    const offeringId = await publish(modelId);
    licenseId = await buy(offeringId, '5');
    exhaustedLicense = await buy(offeringId, '1');
    lastUnitLicense = await buy(offeringId, '1');
    const used = await practitioner.post(`/v1/licenses/${exhaustedLicense}/accesses`, {
      purpose: 'clinical-diagnosis',
      requestHash: sha256(run),
    });
    expect(used.status).toBe(201);
    relayModel = await registerModel(`bcd-relayed-${run}`, relayedEndpoint);
    relayOffering = await publish(relayModel);
    relayLicense = await buy(relayOffering, '10');
  });

  afterAll(async () => {
    await api?.stop();
    await relay.close();
    await socket.close();
  });

  it('gives a practitioner the prediction the ONNX model gives, after one committed access that pays the lab the unit price', async () => {
    const before = await ledgerState(licenseId);
    const calls = await modelCalls();
    const sample = SAMPLES[0];

    const response = await practitioner.post(`/v1/models/${modelId}/infer`, inferBody(licenseId));

    expect(response.status).toBe(200);
    expect(response.body.model_name).toBe(CARD.name);
    const outputs = Object.fromEntries((response.body.outputs as Json[]).map((o) => [o.name, o]));
    expect(outputs.label.data).toEqual([sample.expectedLabel]);
    outputs.probabilities.data.forEach((p: number, i: number) => expect(p).toBeCloseTo(sample.expectedProbabilities[i], 5));

    // The request hash is sha256 of the RFC 8785 form of the request the model received: keys sorted, no spaces.
    const canonical = JSON.stringify({ inputs: [{ data: sample.input, datatype: 'FP32', name: 'input', shape: [1, 30] }] });
    const receipt = response.body.receipt as Json;
    expect(receipt).toMatchObject({
      licenseId,
      modelId,
      version: CARD.version,
      artifactSha256: CARD.sha256,
      units: '1',
      amount: '1000',
      remainingUnits: String(Number(before.remaining) - 1),
      requestHash: sha256(canonical),
    });
    expect(receipt.accessId).toBe(receipt.transactionId);

    const tx = await auditor.get(`/v1/transactions/${receipt.transactionId}`);
    expect(tx.body).toMatchObject({ valid: true, blockNumber: receipt.blockNumber });
    const records = await accesses(licenseId);
    expect(records).toHaveLength(before.accesses + 1);
    expect(records.filter((r) => r.accessId === receipt.accessId)).toEqual([
      expect.objectContaining({
        requestHash: sha256(canonical),
        callerMspId: 'HospitalMSP',
        version: CARD.version,
        artifactSha256: CARD.sha256,
      }),
    ]);
    expect((await labRoyalties()) - before.royalties).toBe(1000n);
    expect(await modelCalls()).toBe(calls + 1);
  });

  it('serves concurrent inferences whose accesses the gateway batched, each once, to the practitioner who signed it', async () => {
    const batchLicense = await buy(await publish(modelId), '20');
    const calls = await modelCalls();
    const royalties = await labRoyalties();
    const callers = [practitioner, practitioner2];
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        callers[i % 2].post(
          `/v1/models/${modelId}/infer`,
          inferBody(batchLicense, 'clinical-diagnosis', SAMPLES[i % SAMPLES.length].input),
        ),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(200));
    const receipts = responses.map((r) => r.body.receipt as Json);
    // Every access its own, and at least some recorded together: the batch's transaction, a position, a Merkle path.
    expect(new Set(receipts.map((r) => r.accessId)).size).toBe(12);
    const batched = receipts.filter((r) => r.batch !== undefined);
    expect(batched.length).toBeGreaterThan(0);
    for (const r of batched) expect(r.accessId).toBe(`${r.transactionId}-${r.batch.position}`);
    for (const [i, r] of responses.entries()) {
      expect(r.body.outputs.find((o: Json) => o.name === 'label').data).toEqual([SAMPLES[i % SAMPLES.length].expectedLabel]);
    }
    // The model ran once per access, and each paid once.
    expect(await modelCalls()).toBe(calls + 12);
    expect(await remaining(batchLicense)).toBe('8');
    expect((await labRoyalties()) - royalties).toBe(12_000n);
    // Each access is its caller's, not the submitter's.
    const me = [(await practitioner.get('/v1/me')).body.account, (await practitioner2.get('/v1/me')).body.account];
    const records = await accesses(batchLicense);
    for (const [i, r] of receipts.entries()) expect(records.find((a) => a.accessId === r.accessId)?.callerAccount).toBe(me[i % 2]);
  });

  it('charges one unit per row of a batch', async () => {
    const before = await ledgerState(licenseId);
    const rows = SAMPLES.slice(0, 2).flatMap((s) => s.input);
    const response = await practitioner.post(`/v1/models/${modelId}/infer`, inferBody(licenseId, 'clinical-diagnosis', rows, [2, 30]));
    expect(response.status).toBe(200);
    expect(response.body.outputs.find((o: Json) => o.name === 'label').data).toEqual(SAMPLES.slice(0, 2).map((s) => s.expectedLabel));
    expect(response.body.receipt).toMatchObject({ units: '2', amount: '2000', remainingUnits: String(Number(before.remaining) - 2) });
    expect((await labRoyalties()) - before.royalties).toBe(2000n);
  });

  it('answers a retry with an Idempotency-Key with the first receipt and charges once, even after that call took the last unit', async () => {
    const key = { 'Idempotency-Key': `infer-${run}` };
    const first = await practitioner.post(`/v1/models/${modelId}/infer`, inferBody(lastUnitLicense), key);
    expect(first.status).toBe(200);
    expect(first.body.receipt).toMatchObject({ licenseId: lastUnitLicense, remainingUnits: '0' });
    expect(first.body.receipt.replayed).toBeUndefined();
    const charged = await ledgerState(lastUnitLicense);
    const calls = await modelCalls();

    const retry = await practitioner.post(`/v1/models/${modelId}/infer`, inferBody(lastUnitLicense), key);
    expect(retry.status).toBe(200);
    // The same answer, saying that it repeats the first, as every replayed write does.
    expect(retry.body).toEqual({ ...first.body, receipt: { ...first.body.receipt, replayed: true } });
    // The gate answers the retry with the result it served for that access: the model ran once.
    expect(await modelCalls()).toBe(calls);
    expect(await ledgerState(lastUnitLicense)).toEqual(charged);

    // The same key for other inputs or another licence: refused before the model runs.
    const otherInputs = await practitioner.post(
      `/v1/models/${modelId}/infer`,
      inferBody(lastUnitLicense, 'clinical-diagnosis', SAMPLES[1].input),
      key,
    );
    expectError(otherInputs, 409, 'CONFLICT');
    expect(otherInputs.body.error.message).toContain(first.body.receipt.transactionId);
    expectError(await practitioner.post(`/v1/models/${modelId}/infer`, inferBody(licenseId), key), 409, 'CONFLICT');
    // Another caller's key space is its own: the same key is a new request there, refused on entitlement.
    expectError(await practitioner2.post(`/v1/models/${modelId}/infer`, inferBody(lastUnitLicense), key), 402, 'INSUFFICIENT_UNITS');
    // Without the key the exhausted licence is refused.
    expectError(await practitioner.post(`/v1/models/${modelId}/infer`, inferBody(lastUnitLicense)), 402, 'INSUFFICIENT_UNITS');
    expect(await modelCalls()).toBe(calls);
    expect(await ledgerState(lastUnitLicense)).toEqual(charged);
  });

  it('refuses the unlicensed, the unentitled, a wrong purpose and an exhausted licence without calling the model or writing', async () => {
    const cases: [string, () => Promise<Response>, string, number, string][] = [
      [
        'a practitioner of another org',
        () => clinicPractitioner.post(`/v1/models/${modelId}/infer`, inferBody(licenseId)),
        licenseId,
        403,
        'FORBIDDEN',
      ],
      [
        'a member without role=practitioner',
        () => clerk.post(`/v1/models/${modelId}/infer`, inferBody(licenseId)),
        licenseId,
        403,
        'FORBIDDEN',
      ],
      [
        'a purpose the terms do not permit',
        () => practitioner.post(`/v1/models/${modelId}/infer`, inferBody(licenseId, 'research')),
        licenseId,
        403,
        'PURPOSE_NOT_PERMITTED',
      ],
      [
        'an exhausted licence',
        () => practitioner.post(`/v1/models/${modelId}/infer`, inferBody(exhaustedLicense)),
        exhaustedLicense,
        402,
        'INSUFFICIENT_UNITS',
      ],
      [
        'a licence of another model',
        () => practitioner.post(`/v1/models/${modelId}/infer`, inferBody(relayLicense)),
        relayLicense,
        403,
        'FORBIDDEN',
      ],
      ['a regulator', () => auditor.post(`/v1/models/${modelId}/infer`, inferBody(licenseId)), licenseId, 403, 'FORBIDDEN'],
      [
        'an unknown licence',
        () => practitioner.post(`/v1/models/${modelId}/infer`, inferBody(`L-none-${process.pid}`)),
        licenseId,
        404,
        'NOT_FOUND',
      ],
    ];
    for (const [what, call, license, status, code] of cases) {
      const before = await ledgerState(license);
      const calls = await modelCalls();
      const response = await call();
      expect({ what, status: response.status, code: response.body.error?.code }).toEqual({ what, status, code });
      expectError(response, status, code);
      expect({ what, ...(await ledgerState(license)) }).toEqual({ what, ...before });
      expect({ what, calls: await modelCalls() }).toEqual({ what, calls });
    }
  });

  it('rejects a malformed request at the edge and a batch without rows, without calling the model', async () => {
    const calls = await modelCalls();
    const noLicence = await practitioner.post(`/v1/models/${modelId}/infer`, { inputs: inferBody(licenseId).inputs });
    expectError(noLicence, 400, 'INVALID_ARGUMENT');
    expect(noLicence.body.error.message).toMatch(/parameters/);
    const empty = await practitioner.post(`/v1/models/${modelId}/infer`, inferBody(licenseId, 'clinical-diagnosis', [], [0, 30]));
    expectError(empty, 400, 'INVALID_ARGUMENT');
    expect(await modelCalls()).toBe(calls);
  });

  it('passes the model\u2019s refusal of bad inputs on as 400, and the gate refunds the access it charged', async () => {
    const before = await chargeState(licenseId);
    const records = (await accesses(licenseId)).length;
    const response = await practitioner.post(
      `/v1/models/${modelId}/infer`,
      inferBody(licenseId, 'clinical-diagnosis', SAMPLES[0].input.slice(0, 29), [1, 29]),
    );
    expectError(response, 400, 'MODEL_INPUT_REJECTED');
    expect(await chargeState(licenseId)).toEqual(before);
    // The access record stays beside its refund, for the audit.
    const all = await accesses(licenseId);
    expect(all).toHaveLength(records + 1);
    const refund = await refundOf(all[all.length - 1].accessId as string);
    expect(refund.status).toBe(200);
    expect(refund.body).toMatchObject({
      accessId: all[all.length - 1].accessId,
      units: '1',
      amount: '1000',
      reason: expect.stringMatching(/^MODEL_INPUT_REJECTED: /),
    });
    expect(response.body.error.transactionId).toBe(refund.body.txId);
  });

  it('refuses to serve a model whose endpoint reports another artifact than the ledger\u2019s, without running it', async () => {
    const forged = await labAdmin.post(`/v1/models/${modelId}/versions`, {
      version: `forged-${run}`,
      artifactSha256: sha256(`forged-${run}`),
      artifactUri: 'file://elsewhere.onnx',
      inferenceEndpoint: endpoint,
    });
    expect(forged.status).toBe(201);
    expect((await engineer.put(`/v1/models/${modelId}/active-version`, { version: `forged-${run}` })).status).toBe(200);
    try {
      const before = await ledgerState(licenseId);
      const calls = await modelCalls();
      const response = await practitioner.post(`/v1/models/${modelId}/infer`, inferBody(licenseId));
      expectError(response, 502, 'MODEL_INTEGRITY_MISMATCH');
      expect(response.body.error.message).toContain(CARD.sha256);
      expect(await ledgerState(licenseId)).toEqual(before);
      expect(await modelCalls()).toBe(calls);
    } finally {
      expect((await engineer.put(`/v1/models/${modelId}/active-version`, { version: CARD.version })).status).toBe(200);
    }
  });

  it('answers 504 when the model is too slow, and the gate refunds the access', async () => {
    const before = await chargeState(relayLicense);
    relay.mode = 'slow';
    const started = Date.now();
    const response = await practitioner.post(`/v1/models/${relayModel}/infer`, inferBody(relayLicense));
    relay.mode = 'pass';
    expectError(response, 504, 'MODEL_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(INFER_TIMEOUT_MS + 1500);
    expect(await chargeState(relayLicense)).toEqual(before);
    expect(response.body.error.message).toMatch(/refunded in transaction [0-9a-f]{64}/);
  });

  it('refuses, without running the model, a call whose last unit went to another call between its check and its charge', async () => {
    const lastUnit = await buy(relayOffering, '1');
    // Held at the gate's metadata read, which the gateway makes before it charges.
    const held = relay.hold('hold-metadata');
    const calls = relay.inferCalls;
    const pending = practitioner.post(`/v1/models/${relayModel}/infer`, inferBody(lastUnit));
    const letThrough = await held;
    const other = await practitioner2.post(`/v1/licenses/${lastUnit}/accesses`, {
      purpose: 'clinical-diagnosis',
      requestHash: sha256(`other-${run}`),
    });
    expect(other.status).toBe(201);
    const royaltiesAfterOther = await labRoyalties();
    letThrough();

    const response = await pending;
    expectError(response, 402, 'INSUFFICIENT_UNITS');
    expect(relay.inferCalls).toBe(calls);
    expect(await ledgerState(lastUnit)).toEqual({ remaining: '0', accesses: 1, royalties: royaltiesAfterOther });
  });

  it('charges nothing when the active version changed between the check and the charge (ARTIFACT_MISMATCH)', async () => {
    const before = await ledgerState(relayLicense);
    const calls = relay.inferCalls;
    const held = relay.hold('hold-metadata');
    const pending = practitioner.post(`/v1/models/${relayModel}/infer`, inferBody(relayLicense));
    const letThrough = await held;
    const added = await engineer.post(`/v1/models/${relayModel}/versions`, {
      version: '2',
      artifactSha256: sha256(`v2-${run}`),
      artifactUri: 'file://v2.onnx',
      inferenceEndpoint: relayedEndpoint,
    });
    expect(added.status).toBe(201);
    expect((await engineer.put(`/v1/models/${relayModel}/active-version`, { version: '2' })).status).toBe(200);
    letThrough();
    try {
      const response = await pending;
      expectError(response, 409, 'ARTIFACT_MISMATCH');
      expect(await ledgerState(relayLicense)).toEqual(before);
      expect(relay.inferCalls).toBe(calls);
    } finally {
      expect((await engineer.put(`/v1/models/${relayModel}/active-version`, { version: CARD.version })).status).toBe(200);
    }
  });

  it('ignores Prefer: respond-async, since the result exists only once the access has committed', async () => {
    const response = await practitioner.post(`/v1/models/${relayModel}/infer`, inferBody(relayLicense), { Prefer: 'respond-async' });
    expect(response.status).toBe(200);
    expect(response.body.receipt.blockNumber).toMatch(/^[0-9]+$/);
  });

  it('serves the request and answer shapes of Triton\u2019s own Python client unchanged', async () => {
    const prepared = await promisify(execFile)('bash', [join(repoRoot, 'test/interop/setup.sh')], { cwd: repoRoot, timeout: 170_000 });
    const python = prepared.stdout.trim().split('\n').pop() ?? '';
    const before = await ledgerState(licenseId);
    const { stdout } = await promisify(execFile)(
      python,
      [
        join(repoRoot, 'test/interop/tritonclient_gateway.py'),
        api.urls.hospital,
        practitioner.key,
        modelId,
        licenseId,
        'clinical-diagnosis',
        SAMPLES_FILE,
      ],
      { timeout: 60_000 },
    );
    const report = JSON.parse(stdout) as Json;
    expect(report).toMatchObject({ status: 200, id: 'triton-through-gateway', model_name: CARD.name, label: [report.expected_label] });
    (report.probabilities[0] as number[]).forEach((p, i) => expect(p).toBeCloseTo(report.expected_probabilities[i], 5));
    expect(report.receipt).toMatchObject({ licenseId, units: '1', remainingUnits: String(Number(before.remaining) - 1) });
    expect((await labRoyalties()) - before.royalties).toBe(1000n);
  }, 240_000);

  it('runs the demo that the start command seeds, through the start command\u2019s own API instance and key', async () => {
    const demo = JSON.parse(readFileSync(join(runtimeDir, 'api', 'demo.json'), 'utf8')) as Json;
    const body = readFileSync(join(runtimeDir, 'api', 'demo-infer.json'), 'utf8');
    const key = readFileSync(join(runtimeDir, 'api', 'demo-keys.tsv'), 'utf8')
      .split('\n')
      .map((line) => line.split('\t'))
      .find(([org]) => org === 'hospital')?.[2];
    const hospital = (plan.orgs.find((o) => o.name === 'hospital') as unknown as { api: { url: string } }).api.url;
    const before = await remaining(demo.licenseId);
    const response = await fetch(`${hospital}/v1/models/${demo.modelId}/infer`, {
      method: 'POST',
      headers: { 'X-API-Key': key ?? '', 'content-type': 'application/json' },
      body,
    });
    const answer = (await response.json()) as Json;
    expect(response.status).toBe(200);
    expect(answer.outputs.find((o: Json) => o.name === 'label').data).toEqual([SAMPLES[0].expectedLabel]);
    expect(answer.receipt).toMatchObject({ modelId: demo.modelId, licenseId: demo.licenseId, artifactSha256: CARD.sha256 });
    expect(await remaining(demo.licenseId)).toBe(String(Number(before) - 1));
  });

  it('answers 502 when the model server is gone, and charges nothing', async () => {
    await relay.close();
    const before = await ledgerState(relayLicense);
    const response = await practitioner.post(`/v1/models/${relayModel}/infer`, inferBody(relayLicense));
    expectError(response, 502, 'MODEL_UNAVAILABLE');
    expect(await ledgerState(relayLicense)).toEqual(before);
  });
});
