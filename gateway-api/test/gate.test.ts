/**
 * The model owner's serving gate, against a real OIP backend over HTTP and a
 * fake of the owner's ledger: the model runs only for a committed, fresh,
 * unserved access whose request hash and creator signature match, once; a
 * failure after the charge is refunded.
 */
import { signers } from '@hyperledger/fabric-gateway';
import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Agent } from 'undici';
import { ApiError } from '../src/errors';
import type { CommittedTransaction } from '../src/fabric/ledger';
import { ServingGate, modelNameOf, type GateAccess, type GateLedger } from '../src/gate/gate';
import { ServedLog } from '../src/gate/served';
import { requestHashOf, signAccess } from '../src/serving/access';
import { OipClient } from '../src/serving/oip';

const ARTIFACT = 'ab'.repeat(32);
const MODEL = 'derm';
const ENDPOINT = `https://gate.lab.example:8443/v2/models/${MODEL}`;

/** An EC P-256 key and a self-signed certificate, as a Fabric CA would issue (only the key matters to the gate). */
function identity(dir: string, name: string): { certPem: string; signer: ReturnType<typeof signers.newPrivateKeySigner> } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      `/CN=${name}`,
      '-days',
      '1',
    ],
    {
      stdio: 'ignore',
    },
  );
  return { certPem: readFileSync(cert, 'utf8'), signer: signers.newPrivateKeySigner(createPrivateKey(readFileSync(key))) };
}

class FakeLedger implements GateLedger {
  readonly transactions = new Map<string, CommittedTransaction>();
  readonly accesses = new Map<string, GateAccess>();
  /** The caller certificate each batched access's record attributes it to. */
  readonly batchedCallers = new Map<string, { mspId: string; certPem: string }>();
  readonly refunds: { accessId: string; reason: string }[] = [];
  refundFails = false;
  /** Lookups the gate's peer answers NOT_FOUND before it has committed the block. */
  lagging = 0;

  async transaction(accessId: string): Promise<CommittedTransaction> {
    if (this.lagging > 0) {
      this.lagging -= 1;
      throw new ApiError('NOT_FOUND', `transaction ${accessId} is not on the ledger yet`);
    }
    const tx = this.transactions.get(accessId);
    if (tx === undefined) throw new ApiError('NOT_FOUND', `transaction ${accessId} is not on the ledger`);
    return tx;
  }
  async access(accessId: string): Promise<GateAccess | undefined> {
    return this.accesses.get(accessId);
  }
  async batchedCaller(accessId: string): Promise<{ mspId: string; certPem: string }> {
    const caller = this.batchedCallers.get(accessId);
    if (caller === undefined) throw new ApiError('NOT_FOUND', `no batched access ${accessId}`);
    return caller;
  }
  async version(): Promise<{ inferenceEndpoint: string; ownerMspId: string }> {
    return { inferenceEndpoint: ENDPOINT, ownerMspId: 'LabMSP' };
  }
  async refund(accessId: string, reason: string): Promise<string> {
    if (this.refundFails) throw new ApiError('LEDGER_UNAVAILABLE', 'the peer is unavailable');
    if (this.refunds.some((refund) => refund.accessId === accessId))
      throw new ApiError('CONFLICT', `access ${accessId} was already refunded`);
    this.refunds.push({ accessId, reason });
    return 'f'.repeat(64);
  }
}

describe('the serving gate', () => {
  let dir: string;
  let backend: Server;
  let base: string;
  let calls = 0;
  let behaviour: 'ok' | 'fail' | 'other-artifact' = 'ok';
  let practitioner: ReturnType<typeof identity>;
  let stranger: ReturnType<typeof identity>;
  let sequence = 0;
  const request = { inputs: [{ name: 'input', shape: [1, 2], datatype: 'FP32', data: [0.5, 0.25] }] };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gate-'));
    practitioner = identity(dir, 'practitioner');
    stranger = identity(dir, 'stranger');
    backend = createServer((req, res) => {
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.method === 'GET') {
        return send(200, {
          name: MODEL,
          versions: ['1'],
          parameters: { artifact_sha256: behaviour === 'other-artifact' ? 'cd'.repeat(32) : ARTIFACT },
        });
      }
      calls += 1;
      return behaviour === 'fail'
        ? send(500, { error: 'boom' })
        : send(200, { model_name: MODEL, outputs: [{ name: 'p', shape: [1], datatype: 'FP32', data: [0.9] }] });
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    backend.closeAllConnections();
    await new Promise((resolve) => backend.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    calls = 0;
    behaviour = 'ok';
  });

  function setup(now = Date.now, file = join(dir, `served-${++sequence}.jsonl`)): { gate: ServingGate; ledger: FakeLedger; file: string } {
    const ledger = new FakeLedger();
    const gate = new ServingGate(
      { mspId: 'LabMSP', freshnessMs: 60_000, commitWaitMs: 300 },
      new Map([[MODEL, { base, route: { dispatcher: new Agent() } }]]),
      ledger,
      new ServedLog(file, 120_000, 10, now),
      new OipClient({ timeoutMs: 2000, maxResponseBytes: 65536 }),
      pino({ level: 'silent' }),
      now,
    );
    return { gate, ledger, file };
  }

  /** Commits an access of `request` created by the practitioner; returns its id. */
  function commit(ledger: FakeLedger, overrides: Partial<GateAccess> = {}, valid = true, at = new Date()): string {
    const accessId = `${sequence}`.padStart(8, '0').padEnd(64, 'a');
    ledger.transactions.set(accessId, {
      transactionId: accessId,
      valid,
      validationCode: valid ? 'VALID' : 'MVCC_READ_CONFLICT',
      creator: { mspId: 'HospitalMSP', certPem: practitioner.certPem },
    });
    ledger.accesses.set(accessId, {
      accessId,
      modelId: 'M-1',
      version: '1',
      artifactSha256: ARTIFACT,
      callerMspId: 'HospitalMSP',
      requestHash: requestHashOf(request),
      timestamp: at.toISOString(),
      ...overrides,
    });
    return accessId;
  }

  const codeOf = async (promise: Promise<unknown>): Promise<string> => {
    try {
      await promise;
    } catch (err) {
      return err instanceof ApiError ? err.code : String(err);
    }
    return 'served';
  };

  /** Commits a batch of one access of `request`, submitted by `submitter` and attributed to `caller`; returns the access id. */
  function commitBatched(ledger: FakeLedger, caller: ReturnType<typeof identity>, submitter: ReturnType<typeof identity>): string {
    const batchId = `${sequence}`.padStart(8, '0').padEnd(64, 'b');
    const accessId = `${batchId}-3`;
    ledger.transactions.set(batchId, {
      transactionId: batchId,
      valid: true,
      validationCode: 'VALID',
      creator: { mspId: 'HospitalMSP', certPem: submitter.certPem },
    });
    ledger.accesses.set(accessId, {
      accessId,
      modelId: 'M-1',
      version: '1',
      artifactSha256: ARTIFACT,
      callerMspId: 'HospitalMSP',
      requestHash: requestHashOf(request),
      timestamp: new Date().toISOString(),
    });
    ledger.batchedCallers.set(accessId, { mspId: 'HospitalMSP', certPem: caller.certPem });
    return accessId;
  }

  it('serves a batched access only to the caller its record names, not to the batch’s submitter', async () => {
    const { gate, ledger } = setup();
    const accessId = commitBatched(ledger, practitioner, stranger);
    const hash = requestHashOf(request);
    // The gateway that submitted the batch signs with its own key: refused.
    expect(await codeOf(gate.infer(MODEL, request, accessId, await signAccess(stranger.signer, accessId, hash)))).toBe(
      'ACCESS_SIGNATURE_INVALID',
    );
    const first = await gate.infer(MODEL, request, accessId, await signAccess(practitioner.signer, accessId, hash));
    expect(first).toMatchObject({ repeated: false });
    expect(await gate.infer(MODEL, request, accessId, await signAccess(practitioner.signer, accessId, hash))).toMatchObject({
      repeated: true,
    });
    expect(calls).toBe(1);
    // An id naming a position the batch does not hold is not committed.
    expect(await codeOf(gate.infer(MODEL, request, `${accessId.slice(0, 64)}-9`, 'c2ln'))).toBe('ACCESS_NOT_COMMITTED');
    expect(await codeOf(gate.infer(MODEL, request, `${accessId.slice(0, 64)}-x`, 'c2ln'))).toBe('ACCESS_NOT_COMMITTED');
  });

  it('reads the model name from a registered endpoint', () => {
    expect(modelNameOf(ENDPOINT)).toBe(MODEL);
    expect(modelNameOf('https://gate/v2/models/derm/')).toBe(MODEL);
    expect(modelNameOf('not a url')).toBeUndefined();
  });

  it('serves a committed, fresh access signed by its creator once, and the same request again from what it holds', async () => {
    const { gate, ledger } = setup();
    const accessId = commit(ledger);
    const signature = await signAccess(practitioner.signer, accessId, requestHashOf(request));
    const first = await gate.infer(MODEL, request, accessId, signature);
    expect(first).toMatchObject({ repeated: false, body: { model_name: MODEL } });
    const again = await gate.infer(MODEL, request, accessId, signature);
    expect(again).toMatchObject({ repeated: true, body: first.body });
    expect(calls).toBe(1);
    const other = { inputs: [{ name: 'input', shape: [1, 2], datatype: 'FP32', data: [1, 1] }] };
    expect(await codeOf(gate.infer(MODEL, other, accessId, await signAccess(practitioner.signer, accessId, requestHashOf(other))))).toBe(
      'ACCESS_ALREADY_SERVED',
    );
    expect(calls).toBe(1);
    expect(ledger.refunds).toEqual([]);
  });

  it('refuses, without running the model or refunding, a call without an access, an access not committed or invalid, another request, and another signer', async () => {
    const { gate, ledger } = setup();
    const hash = requestHashOf(request);
    expect(await codeOf(gate.infer(MODEL, request, undefined, undefined))).toBe('ACCESS_REQUIRED');
    const unknown = 'e'.repeat(64);
    expect(await codeOf(gate.infer(MODEL, request, unknown, await signAccess(practitioner.signer, unknown, hash)))).toBe(
      'ACCESS_NOT_COMMITTED',
    );
    const invalid = commit(ledger, {}, false);
    expect(await codeOf(gate.infer(MODEL, request, invalid, await signAccess(practitioner.signer, invalid, hash)))).toBe(
      'ACCESS_NOT_COMMITTED',
    );
    sequence += 1;
    const accessId = commit(ledger);
    const other = { inputs: [{ name: 'input', shape: [1, 2], datatype: 'FP32', data: [9, 9] }] };
    expect(await codeOf(gate.infer(MODEL, other, accessId, await signAccess(practitioner.signer, accessId, requestHashOf(other))))).toBe(
      'ACCESS_MISMATCH',
    );
    expect(await codeOf(gate.infer(MODEL, request, accessId, await signAccess(stranger.signer, accessId, hash)))).toBe(
      'ACCESS_SIGNATURE_INVALID',
    );
    expect(await codeOf(gate.infer(MODEL, request, accessId, 'AAAA'))).toBe('ACCESS_SIGNATURE_INVALID');
    expect(await codeOf(gate.infer('another-model', request, accessId, await signAccess(practitioner.signer, accessId, hash)))).toBe(
      'NOT_FOUND',
    );
    expect(calls).toBe(0);
    expect(ledger.refunds).toEqual([]);
    // None of that used the access up: its creator is still served.
    expect(await codeOf(gate.infer(MODEL, request, accessId, await signAccess(practitioner.signer, accessId, hash)))).toBe('served');
  });

  it('waits for its own peer to commit an access the licensee saw committed first', async () => {
    const { gate, ledger } = setup();
    const accessId = commit(ledger);
    ledger.lagging = 3;
    expect(
      await codeOf(gate.infer(MODEL, request, accessId, await signAccess(practitioner.signer, accessId, requestHashOf(request)))),
    ).toBe('served');
    expect(calls).toBe(1);
  });

  it('refuses an access of another model or artifact registered under another name', async () => {
    const { gate, ledger } = setup();
    const accessId = commit(ledger);
    ledger.version = async (): Promise<{ inferenceEndpoint: string; ownerMspId: string }> => ({
      inferenceEndpoint: 'https://x/v2/models/other',
      ownerMspId: 'LabMSP',
    });
    expect(
      await codeOf(gate.infer(MODEL, request, accessId, await signAccess(practitioner.signer, accessId, requestHashOf(request)))),
    ).toBe('ACCESS_MISMATCH');
    ledger.version = async (): Promise<{ inferenceEndpoint: string; ownerMspId: string }> => ({
      inferenceEndpoint: ENDPOINT,
      ownerMspId: 'ClinicMSP',
    });
    expect(
      await codeOf(gate.infer(MODEL, request, accessId, await signAccess(practitioner.signer, accessId, requestHashOf(request)))),
    ).toBe('ACCESS_MISMATCH');
    expect(calls).toBe(0);
  });

  it('refuses a stale access without serving or refunding it: past the window a replay looks the same', async () => {
    const { gate, ledger } = setup();
    const accessId = commit(ledger, {}, true, new Date(Date.now() - 61_000));
    expect(
      await codeOf(gate.infer(MODEL, request, accessId, await signAccess(practitioner.signer, accessId, requestHashOf(request)))),
    ).toBe('ACCESS_STALE');
    expect(ledger.refunds).toEqual([]);
    expect(calls).toBe(0);
  });

  it('refunds when the model fails or serves another artifact, and serves that access no more', async () => {
    const { gate, ledger } = setup();
    behaviour = 'fail';
    const failing = commit(ledger);
    const signature = await signAccess(practitioner.signer, failing, requestHashOf(request));
    expect(await gate.infer(MODEL, request, failing, signature).catch((err: ApiError) => err)).toMatchObject({
      code: 'MODEL_FAILED',
      transactionId: 'f'.repeat(64),
    });
    behaviour = 'ok';
    expect(await codeOf(gate.infer(MODEL, request, failing, signature))).toBe('ACCESS_ALREADY_SERVED');
    behaviour = 'other-artifact';
    sequence += 1;
    const swapped = commit(ledger);
    expect(await codeOf(gate.infer(MODEL, request, swapped, await signAccess(practitioner.signer, swapped, requestHashOf(request))))).toBe(
      'MODEL_INTEGRITY_MISMATCH',
    );
    expect(ledger.refunds.map((refund) => refund.accessId)).toEqual([failing, swapped]);
    expect(calls).toBe(1);
  });

  it('makes a refund that failed when the access is presented again', async () => {
    const { gate, ledger } = setup();
    behaviour = 'fail';
    ledger.refundFails = true;
    const accessId = commit(ledger);
    const signature = await signAccess(practitioner.signer, accessId, requestHashOf(request));
    expect(await codeOf(gate.infer(MODEL, request, accessId, signature))).toBe('MODEL_FAILED');
    expect(ledger.refunds).toEqual([]);
    ledger.refundFails = false;
    expect(await codeOf(gate.infer(MODEL, request, accessId, signature))).toBe('MODEL_FAILED');
    expect(ledger.refunds.map((refund) => refund.accessId)).toEqual([accessId]);
    expect(calls).toBe(1);
  });

  it('still refuses a served access after a restart, from its log', async () => {
    const first = setup();
    const accessId = commit(first.ledger);
    const signature = await signAccess(practitioner.signer, accessId, requestHashOf(request));
    await first.gate.infer(MODEL, request, accessId, signature);
    const restarted = setup(Date.now, first.file);
    first.ledger.transactions.forEach((tx, id) => restarted.ledger.transactions.set(id, tx));
    restarted.ledger.accesses.set(accessId, first.ledger.accesses.get(accessId) as GateAccess);
    expect(await codeOf(restarted.gate.infer(MODEL, request, accessId, signature))).toBe('ACCESS_ALREADY_SERVED');
    expect(calls).toBe(1);
  });
});
