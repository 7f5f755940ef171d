/**
 * The model owner gates its own model, on the real network. The lab's model
 * server listens only on a Unix socket in the lab's folder; the one way to
 * it is the lab's serving gate, which serves an inference only for a
 * committed, fresh, unserved access on the lab's own peer whose request hash
 * and creator signature match. Here the other side misbehaves: it calls the
 * gate with no access, a made-up one, someone else's, another request, a
 * replay or a stale access, and registers endpoints that point elsewhere.
 * The model server's own counters show it never ran for any of them.
 */
import { signers } from '@hyperledger/fabric-gateway';
import { createPrivateKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Agent, fetch as fetchVia } from 'undici';
import { requestHashOf, signAccess } from '../../gateway-api/src/serving/access';
import { ApiCaller, ApiFleet, Json, gateEnv, startApiFleet } from '../support/api';
import { loadPlan, repoRoot, runtimeDir, type Plan } from '../support/network';

const CARD = JSON.parse(readFileSync(join(repoRoot, 'model/model.json'), 'utf8')) as { name: string; version: string; sha256: string };
const SAMPLE = (JSON.parse(readFileSync(join(repoRoot, 'model/heldout-samples.json'), 'utf8')) as { samples: { input: number[] }[] })
  .samples[0].input;
/** The gate of this test refunds accesses older than this. */
const FRESHNESS_MS = 4000;

/** The OIP request the model receives (without the gateway's licence parameters). */
function oipRequest(row = SAMPLE): Json {
  return { inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: row }] };
}

/** A signer from an enrolled user's own MSP folder, as that user's gateway holds it. */
function signerOf(plan: Plan, org: string, user: string): ReturnType<typeof signers.newPrivateKeySigner> {
  const msp = plan.orgs.find((o) => o.name === org)?.users.find((u) => u.name === user)?.msp ?? '';
  return signers.newPrivateKeySigner(createPrivateKey(readFileSync(join(msp, 'keystore', 'key.pem'))));
}

describe('the lab\u2019s serving gate, against a misbehaving caller', () => {
  const run = `${process.pid}-${Date.now()}`;
  const plan = loadPlan();
  const labGate = plan.orgs.find((o) => o.name === 'lab')?.gate;
  const socket = new Agent({ connect: { socketPath: plan.modelServer.socket } });
  let trusting: Agent;
  let api: ApiFleet;
  let labAdmin: ApiCaller;
  let practitioner: ApiCaller;
  let auditor: ApiCaller;
  let gateUrl: string;
  let modelId: string;
  let licenseId: string;
  let counted: Server;
  let countedHits = 0;

  /** Inference requests the model server has received since it started (its Triton-style statistics). */
  const modelCalls = async (): Promise<number> => {
    const response = await fetchVia(`http://localhost/v2/models/${CARD.name}/stats`, { dispatcher: socket });
    const stats = ((await response.json()) as Json).model_stats[0].inference_stats;
    return stats.success.count + stats.fail.count;
  };
  const remaining = async (id: string): Promise<string> => (await auditor.get(`/v1/licenses/${id}`)).body.remainingUnits;

  /** Calls the gate directly, as an engineer of another org could, with the headers given. */
  const callGate = async (body: Json, headers: Record<string, string> = {}): Promise<{ status: number; body: Json; served?: string }> => {
    const response = await fetchVia(`${gateUrl}/v2/models/${CARD.name}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      dispatcher: trusting,
    });
    return { status: response.status, body: (await response.json()) as Json, served: response.headers.get('mll-served') ?? undefined };
  };
  const headersFor = async (
    accessId: string,
    request: Json,
    signer = signerOf(plan, 'hospital', 'practitioner1'),
  ): Promise<Record<string, string>> => ({
    'mll-access-id': accessId,
    'mll-access-signature': await signAccess(signer, accessId, requestHashOf(request)),
  });
  /** Records (and pays for) an access of `request` through the API, without running anything. */
  const recordAccess = async (request: Json): Promise<string> => {
    const response = await practitioner.post(`/v1/licenses/${licenseId}/accesses`, {
      purpose: 'clinical-diagnosis',
      requestHash: requestHashOf(request),
    });
    expect(response.status).toBe(201);
    return response.body.data.accessId as string;
  };
  const registerModel = async (name: string, inferenceEndpoint: string): Promise<string> => {
    const response = await labAdmin.post('/v1/models', {
      name,
      description: 'The shipped model, behind a gate',
      task: 'tabular-classification',
      intendedUse: 'Decision support for certified practitioners',
      version: CARD.version,
      artifactSha256: CARD.sha256,
      artifactUri: 'file://model/breast-cancer-diagnostic.onnx',
      inferenceEndpoint,
      royaltyPolicy: { beneficiaries: [{ account: 'org::LabMSP', shareBps: 10000 }] },
    });
    expect(response.status).toBe(201);
    return response.body.data.modelId as string;
  };
  const publishAndBuy = async (model: string, units: string): Promise<{ offeringId: string; licenseId: string }> => {
    const offering = await labAdmin.post('/v1/offerings', {
      modelId: model,
      kind: 'metered',
      unitPrice: '100',
      supplyCap: '1000',
      transferable: false,
      requiredAttributes: { role: 'practitioner' },
      allowedMspIds: ['HospitalMSP'],
      purposes: ['clinical-diagnosis'],
    });
    expect(offering.status).toBe(201);
    const id = offering.body.data.offering.offeringId as string;
    const bought = await api.as('hospital', 'admin').post('/v1/purchases', { offeringId: id, units, payer: 'org' });
    expect(bought.status).toBe(201);
    return { offeringId: id, licenseId: bought.body.data.licenseId as string };
  };

  beforeAll(async () => {
    if (labGate === undefined) {
      throw new Error('the plan has no gate for the lab: run scripts/network.sh up on the current topology');
    }
    trusting = new Agent({ connect: { ca: readFileSync(labGate.tls.ca) } });
    counted = createServer((_req, res) => {
      countedHits += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"x","parameters":{}}');
    });
    await new Promise<void>((resolve) => counted.listen(0, '127.0.0.1', resolve));
    api = await startApiFleet({
      orgEnv: { lab: gateEnv({ [CARD.name]: `unix:${plan.modelServer.socket}` }, { MLL_GATE_FRESHNESS_MS: String(FRESHNESS_MS) }) },
    });
    gateUrl = api.gates.lab ?? '';
    labAdmin = api.as('lab', 'admin');
    practitioner = api.as('hospital', 'practitioner1');
    auditor = api.as('regulator', 'auditor1');
    expect((await api.as('clearing', 'issuer1').post('/v1/token/mints', { to: 'org::HospitalMSP', amount: '100000' })).status).toBe(201);
    modelId = await registerModel(`gated-${run}`, `${gateUrl}/v2/models/${CARD.name}`);
    ({ licenseId } = await publishAndBuy(modelId, '20'));
  });

  afterAll(async () => {
    await api?.stop();
    counted.closeAllConnections();
    await new Promise((resolve) => counted.close(resolve));
    await Promise.all([socket.close(), trusting?.close()]);
  });

  it('serves the model only on a Unix socket its operator alone can open, and registers the gate, not the server, on the ledger', async () => {
    expect(plan.modelServer).not.toHaveProperty('url');
    expect(plan.modelServer).not.toHaveProperty('port');
    expect(statSync(plan.modelServer.socket).isSocket()).toBe(true);
    expect(statSync(plan.modelServer.socket).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(plan.modelServer.socket)).mode & 0o777).toBe(0o700);
    const demo = JSON.parse(readFileSync(join(runtimeDir, 'api', 'demo.json'), 'utf8')) as Json;
    const version = await auditor.get(`/v1/models/${demo.modelId}/versions/${CARD.version}`);
    expect(version.body.inferenceEndpoint).toBe(plan.modelServer.endpoint);
    expect(plan.modelServer.endpoint).toMatch(/^https:\/\//);
  });

  it('refuses a call without an access, and one naming no committed access, without running the model', async () => {
    const calls = await modelCalls();
    const bare = await callGate(oipRequest());
    expect({ status: bare.status, code: bare.body.error?.code }).toEqual({ status: 401, code: 'ACCESS_REQUIRED' });
    const madeUp = 'a'.repeat(64);
    const unknown = await callGate(oipRequest(), await headersFor(madeUp, oipRequest()));
    expect({ status: unknown.status, code: unknown.body.error?.code }).toEqual({ status: 403, code: 'ACCESS_NOT_COMMITTED' });
    // The metadata is no result: anyone may read whether the gate is up and which artifact it serves.
    const metadata = await fetchVia(`${gateUrl}/v2/models/${CARD.name}`, { dispatcher: trusting });
    expect(((await metadata.json()) as Json).parameters.artifact_sha256).toBe(CARD.sha256);
    expect(await modelCalls()).toBe(calls);
  });

  it('refuses another request under an access, and an access presented by anyone but its creator; then serves its creator once', async () => {
    const request = oipRequest();
    const other = oipRequest(SAMPLE.map((x) => x * 2));
    const accessId = await recordAccess(request);
    const calls = await modelCalls();

    const mismatch = await callGate(other, await headersFor(accessId, other));
    expect({ status: mismatch.status, code: mismatch.body.error?.code }).toEqual({ status: 403, code: 'ACCESS_MISMATCH' });
    const colleague = await callGate(request, await headersFor(accessId, request, signerOf(plan, 'hospital', 'practitioner2')));
    expect({ status: colleague.status, code: colleague.body.error?.code }).toEqual({ status: 403, code: 'ACCESS_SIGNATURE_INVALID' });
    const stranger = await callGate(request, await headersFor(accessId, request, signerOf(plan, 'clinic', 'practitioner1')));
    expect({ status: stranger.status, code: stranger.body.error?.code }).toEqual({ status: 403, code: 'ACCESS_SIGNATURE_INVALID' });
    expect(await modelCalls()).toBe(calls);

    const served = await callGate(request, await headersFor(accessId, request));
    expect(served.status).toBe(200);
    expect(served.body.model_name).toBe(CARD.name);
    expect(served.served).toBe('first');
    expect(await modelCalls()).toBe(calls + 1);

    // A replay with another request is refused; the same request gets what was served, and the model does not run again.
    const replayed = await callGate(other, await headersFor(accessId, other));
    expect({ status: replayed.status, code: replayed.body.error?.code }).toEqual({ status: 409, code: 'ACCESS_ALREADY_SERVED' });
    const again = await callGate(request, await headersFor(accessId, request));
    expect({ status: again.status, served: again.served, body: again.body }).toEqual({
      status: 200,
      served: 'repeated',
      body: served.body,
    });
    expect(await modelCalls()).toBe(calls + 1);
  });

  it('refuses a stale access without running the model, and refunds it only by the owner\u2019s hand', async () => {
    const request = oipRequest(SAMPLE.map((x) => x * 3));
    const before = await remaining(licenseId);
    const accessId = await recordAccess(request);
    expect(await remaining(licenseId)).toBe(String(Number(before) - 1));
    await new Promise((resolve) => setTimeout(resolve, FRESHNESS_MS + 1000));
    const calls = await modelCalls();
    const stale = await callGate(request, await headersFor(accessId, request));
    expect({ status: stale.status, code: stale.body.error?.code }).toEqual({ status: 403, code: 'ACCESS_STALE' });
    expect(await modelCalls()).toBe(calls);
    expect((await auditor.get(`/v1/accesses/${accessId}/refund`)).status).toBe(404);
    expect(await remaining(licenseId)).toBe(String(Number(before) - 1));
    // The holder cannot refund itself; the lab's engineer can, once.
    const self = await practitioner.post(`/v1/accesses/${accessId}/refund`, { reason: 'never served' });
    expect({ status: self.status, code: self.body.error?.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
    const byHand = await api.as('lab', 'engineer1').post(`/v1/accesses/${accessId}/refund`, { reason: 'never served: presented late' });
    expect(byHand.status).toBe(201);
    expect(byHand.body.data).toMatchObject({ accessId, units: '1', reason: 'never served: presented late' });
    const again = await api.as('lab', 'engineer1').post(`/v1/accesses/${accessId}/refund`, { reason: 'twice' });
    expect({ status: again.status, code: again.body.error?.code }).toEqual({ status: 409, code: 'CONFLICT' });
    expect((await auditor.get(`/v1/accesses/${accessId}/refund`)).body).toEqual(byHand.body.data);
    expect(await remaining(licenseId)).toBe(before);
  });

  it('lets no endpoint registered on the ledger point the gateway at anything but the owner\u2019s TLS servers, and charges nothing', async () => {
    const hospitalPeer = plan.orgs.find((o) => o.name === 'hospital')?.peers[0];
    const targets: [string, string][] = [
      ['plain http', `http://127.0.0.1:${(counted.address() as AddressInfo).port}/v2/models/${CARD.name}`],
      ['another org\u2019s peer', `https://127.0.0.1:${hospitalPeer?.port ?? 0}/v2/models/${CARD.name}`],
    ];
    for (const [what, endpoint] of targets) {
      const model = await registerModel(`elsewhere-${run}-${what.length}`, endpoint);
      const { licenseId: license } = await publishAndBuy(model, '5');
      const response = await practitioner.post(`/v1/models/${model}/infer`, {
        parameters: { licenseId: license, purpose: 'clinical-diagnosis' },
        ...oipRequest(),
      });
      expect({ what, status: response.status, code: response.body.error?.code }).toEqual({
        what,
        status: 502,
        code: 'MODEL_ENDPOINT_UNTRUSTED',
      });
      expect({ what, remaining: await remaining(license) }).toEqual({ what, remaining: '5' });
    }
    expect(countedHits).toBe(0);
  });

  it('serves the full story through the gate: the gateway charges, signs, and relays the model\u2019s answer', async () => {
    const before = await remaining(licenseId);
    const response = await practitioner.post(`/v1/models/${modelId}/infer`, {
      parameters: { licenseId, purpose: 'clinical-diagnosis' },
      ...oipRequest(),
    });
    expect(response.status).toBe(200);
    expect(response.body.receipt).toMatchObject({ licenseId, modelId, units: '1' });
    expect(await remaining(licenseId)).toBe(String(Number(before) - 1));
  });
});
