/**
 * The licensee side of the inference path, with a fake ledger and a fake
 * model endpoint: what a call is charged, when, and what is never charged.
 * The owner's side (the serving gate, which runs the model only for a
 * committed access and refunds a failed serve) is tested in gate.test.ts.
 */
import { signers } from '@hyperledger/fabric-gateway';
import type { AccessRecord, Call, Committed, Entitlement, RequestRecord, WriteCall } from '@model-ledger/contract';
import { ContractName } from '@model-ledger/contract';
import { generateKeyPairSync } from 'node:crypto';
import pino from 'pino';
import { ApiError } from '../src/errors';
import type { Session } from '../src/fabric/ledger';
import { messageSigner, type EnrolledUser } from '../src/fabric/identity';
import { InferenceService, type Serving } from '../src/services/inference';
import type { Schemas } from '../src/services/common';
import { LotHints } from '../src/services/lot-hints';
import { Meter } from '../src/services/meter';
import { RequestIds } from '../src/services/requests';
import { ACCESS_ID_HEADER, ACCESS_SIGNATURE_HEADER, requestHashOf } from '../src/serving/access';
import type { InferResponse, Route } from '../src/serving/oip';

const MODEL = 'M-1';
const LICENSE = 'L-1';
const ARTIFACT = 'a'.repeat(64);
const ENDPOINT = 'https://gate.lab.example/v2/models/bcs';
const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

const request: Schemas['InferenceRequest'] = {
  parameters: { licenseId: LICENSE, purpose: 'clinical-diagnosis' },
  inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }],
};
/** What the model receives: the request without the gateway's own parameters. */
const forwarded = { inputs: request.inputs };

const entitlement: Entitlement = {
  entitled: true,
  licenseId: LICENSE,
  modelId: MODEL,
  ownerMspId: 'LabMSP',
  version: '1',
  artifactSha256: ARTIFACT,
  inferenceEndpoint: ENDPOINT,
  remainingUnits: '10',
};

/** A ledger that answers like the chaincode would, and records every call. */
class FakeLedger {
  readonly calls: (Call & { write: boolean })[] = [];
  entitlement: Entitlement | Error = entitlement;
  answered: RequestRecord | undefined;
  private accesses = 0;

  readonly session: Session;

  constructor() {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const user: EnrolledUser = {
      name: 'practitioner1',
      org: 'hospital',
      mspId: 'HospitalMSP',
      role: 'practitioner',
      attributes: {},
      identity: { mspId: 'HospitalMSP', credentials: new Uint8Array() },
      signer: signers.newPrivateKeySigner(privateKey),
      signMessage: messageSigner(privateKey),
    };
    this.session = {
      user,
      evaluate: async (call) => this.evaluate(call),
      submit: async (call) => this.submit(call),
    };
  }

  writes(): string[] {
    return this.calls.filter((c) => c.write).map((c) => `${c.contract}.${c.transaction}`);
  }

  private async evaluate(call: Call): Promise<Uint8Array> {
    this.calls.push({ ...call, write: false });
    switch (call.transaction) {
      case 'CheckEntitlement':
        if (this.entitlement instanceof Error) throw this.entitlement;
        return encode(this.entitlement);
      case 'GetRequest':
        if (this.answered === undefined) throw new ApiError('NOT_FOUND', `request ${call.args[0]} does not exist`);
        return encode(this.answered);
      case 'GetLicense':
        return encode({ remainingUnits: String(10 - 2 * this.accesses) });
      case 'GetModelVersion':
        return encode({ inferenceEndpoint: ENDPOINT });
      case 'GetModel':
        return encode({ model: { ownerMspId: 'LabMSP' } });
      default:
        throw new Error(`unexpected query ${call.transaction}`);
    }
  }

  private async submit(call: WriteCall): Promise<Committed> {
    this.calls.push({ ...call, write: true });
    if (call.transaction !== 'RecordAccess') throw new Error(`unexpected write ${call.transaction}`);
    this.accesses += 1;
    const [licenseId, units, purpose, requestHash, , servedArtifactSha256] = call.args;
    const record = accessRecord(`tx-${this.accesses}`, { licenseId, units, purpose, requestHash, servedArtifactSha256 });
    return { result: encode(record), transactionId: record.txId, blockNumber: 7n };
  }
}

function accessRecord(
  txId: string,
  fields: { licenseId: string; units: string; purpose: string; requestHash: string; servedArtifactSha256?: string },
): AccessRecord {
  return {
    docType: 'access',
    accessId: txId,
    licenseId: fields.licenseId,
    offeringId: 'O-1',
    modelId: MODEL,
    version: '1',
    artifactSha256: fields.servedArtifactSha256 ?? ARTIFACT,
    callerAccount: 'x509::HospitalMSP::p1',
    callerMspId: 'HospitalMSP',
    holder: 'org::HospitalMSP',
    units: fields.units,
    purpose: fields.purpose,
    requestHash: fields.requestHash,
    amount: '2000',
    royalties: [],
    lots: [{ index: 0, units: fields.units }],
    termsHash: 'h',
    timestamp: '2026-12-06T00:00:00.000Z',
    txId,
  };
}

/** A model endpoint that reports an artifact and answers (or fails) inferences, recording what it was sent. */
class FakeEndpoint {
  artifact: string | undefined = ARTIFACT;
  failure: Error | undefined;
  readonly inferences: { request: object; headers: Readonly<Record<string, string>> }[] = [];

  serving(): Serving {
    const route: Route = { dispatcher: {} as Route['dispatcher'] };
    return {
      endpoints: { routeTo: async () => route } as unknown as Serving['endpoints'],
      oip: {
        deadline: () => ({ signal: new AbortController().signal, ms: 1000 }),
        metadata: async () => ({ name: 'bcs', versions: ['1'], artifactSha256: this.artifact }),
        infer: async (_endpoint: string, body: object, _deadline: unknown, r: Route): Promise<InferResponse> => {
          this.inferences.push({ request: body, headers: r.headers ?? {} });
          if (this.failure !== undefined) throw this.failure;
          return { model_name: 'bcs', outputs: [{ name: 'label', datatype: 'INT64', shape: [2], data: [0, 1] }] };
        },
      } as unknown as Serving['oip'],
    };
  }
}

function service(ledger: FakeLedger, endpoint: FakeEndpoint): InferenceService {
  const lookup = { transactionStatus: async () => ({ transactionId: 'tx', blockNumber: 5n, validationCode: 'VALID', valid: true }) };
  const requests = new RequestIds(ledger.session, lookup, pino({ level: 'silent' }));
  const meter = new Meter({ batching: true, windowMs: 5, maxBatch: 64, maxBatches: 2 }, new LotHints(), pino({ level: 'silent' }));
  return new InferenceService(ledger.session, requests, endpoint.serving(), meter);
}

async function refusal(call: Promise<unknown>): Promise<ApiError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the call to be refused');
}

describe('an inference on the licensee\u2019s gateway', () => {
  it('records one access for the batch\u2019s rows, of the request actually sent, then runs the model under that access', async () => {
    const ledger = new FakeLedger();
    const endpoint = new FakeEndpoint();
    const response = await service(ledger, endpoint).infer(MODEL, request, 'key-1');

    expect(ledger.writes()).toEqual([`${ContractName.license}.RecordAccess`]);
    const access = ledger.calls.find((c) => c.transaction === 'RecordAccess');
    const [licenseId, units, purpose, requestHash, lotHint, served, requestId] = access?.args ?? [];
    expect({ licenseId, units, purpose, requestHash, served, requestId }).toEqual({
      licenseId: LICENSE,
      units: '2',
      purpose: 'clinical-diagnosis',
      requestHash: requestHashOf(forwarded),
      served: ARTIFACT,
      requestId: 'key-1',
    });
    // The instance's lot hint for the licence, so that concurrent accesses start on different lots.
    expect(lotHint).toMatch(/^\d+$/);
    expect(endpoint.inferences).toHaveLength(1);
    expect(endpoint.inferences[0].request).toEqual(forwarded);
    expect(endpoint.inferences[0].headers[ACCESS_ID_HEADER]).toBe('tx-1');
    expect(endpoint.inferences[0].headers[ACCESS_SIGNATURE_HEADER]).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(response.outputs).toEqual([{ name: 'label', datatype: 'INT64', shape: [2], data: [0, 1] }]);
    expect(response.receipt).toMatchObject({
      accessId: 'tx-1',
      transactionId: 'tx-1',
      blockNumber: '7',
      units: '2',
      remainingUnits: '8',
      requestHash: requestHashOf(forwarded),
    });
  });

  it('charges nothing and never calls the model when the chaincode refuses the entitlement', async () => {
    const ledger = new FakeLedger();
    const endpoint = new FakeEndpoint();
    ledger.entitlement = new ApiError('PURPOSE_NOT_PERMITTED', 'purpose research is not among the licence\u2019s purposes');
    const err = await refusal(service(ledger, endpoint).infer(MODEL, request, undefined));
    expect(err.code).toBe('PURPOSE_NOT_PERMITTED');
    expect(ledger.writes()).toEqual([]);
    expect(endpoint.inferences).toEqual([]);
  });

  it('charges nothing when the licence is of another model', async () => {
    const ledger = new FakeLedger();
    const endpoint = new FakeEndpoint();
    ledger.entitlement = { ...entitlement, modelId: 'M-2' };
    const err = await refusal(service(ledger, endpoint).infer(MODEL, request, undefined));
    expect({ code: err.code, message: err.message }).toEqual({
      code: 'FORBIDDEN',
      message: `licence ${LICENSE} is a licence of model M-2, not of ${MODEL}`,
    });
    expect(ledger.writes()).toEqual([]);
    expect(endpoint.inferences).toEqual([]);
  });

  it('charges nothing when the endpoint serves another artifact than the ledger\u2019s', async () => {
    const ledger = new FakeLedger();
    const endpoint = new FakeEndpoint();
    endpoint.artifact = 'b'.repeat(64);
    const err = await refusal(service(ledger, endpoint).infer(MODEL, request, undefined));
    expect(err.code).toBe('MODEL_INTEGRITY_MISMATCH');
    expect(ledger.writes()).toEqual([]);
    expect(endpoint.inferences).toEqual([]);
  });

  it('names the access a failed serve was charged under, so the caller can find its refund', async () => {
    const ledger = new FakeLedger();
    const endpoint = new FakeEndpoint();
    endpoint.failure = new ApiError('MODEL_FAILED', 'the model endpoint answered 500');
    const err = await refusal(service(ledger, endpoint).infer(MODEL, request, undefined));
    expect({ code: err.code, transactionId: err.transactionId, message: err.message }).toEqual({
      code: 'MODEL_FAILED',
      transactionId: 'tx-1',
      message: 'the model endpoint answered 500 (access tx-1)',
    });
    expect(ledger.writes()).toEqual([`${ContractName.license}.RecordAccess`]);
  });

  it('passes on the gate\u2019s failure unchanged when the gate names the refund it made for the access', async () => {
    const ledger = new FakeLedger();
    const endpoint = new FakeEndpoint();
    const refund = 'f'.repeat(64);
    endpoint.failure = new ApiError('MODEL_TIMEOUT', 'the model did not answer within 20000 ms; access tx-1 refunded', refund);
    const err = await refusal(service(ledger, endpoint).infer(MODEL, request, undefined));
    expect({ code: err.code, transactionId: err.transactionId, message: err.message }).toEqual({
      code: 'MODEL_TIMEOUT',
      transactionId: refund,
      message: 'the model did not answer within 20000 ms; access tx-1 refunded',
    });
    // The licensee's gateway charged once and refunds nothing itself: the owner's gate did.
    expect(ledger.writes()).toEqual([`${ContractName.license}.RecordAccess`]);
    expect(endpoint.inferences.map((i) => i.headers[ACCESS_ID_HEADER])).toEqual(['tx-1']);
  });

  it('charges a retry with the same Idempotency-Key nothing more: it presents the first access again, though the entitlement now refuses', async () => {
    const ledger = new FakeLedger();
    const endpoint = new FakeEndpoint();
    // The first call took the licence's last units: a new call would be refused, the retry is not.
    ledger.entitlement = new ApiError('INSUFFICIENT_UNITS', 'licence L-1 has 0 units left, fewer than the 2 requested');
    const first = accessRecord('tx-first', {
      licenseId: LICENSE,
      units: '2',
      purpose: 'clinical-diagnosis',
      requestHash: requestHashOf(forwarded),
    });
    ledger.answered = {
      docType: 'request',
      call: `${ContractName.license}.RecordAccess`,
      fingerprint: 'f',
      result: first,
      txId: 'tx-first',
      at: first.timestamp,
    };
    const response = await service(ledger, endpoint).infer(MODEL, request, 'key-1');

    expect(ledger.writes()).toEqual([]);
    expect(endpoint.inferences.map((i) => i.headers[ACCESS_ID_HEADER])).toEqual(['tx-first']);
    expect(response.receipt).toMatchObject({ accessId: 'tx-first', blockNumber: '5', replayed: true });
  });

  it('refuses a key already used for another request, charging nothing and running nothing', async () => {
    const ledger = new FakeLedger();
    const endpoint = new FakeEndpoint();
    const other = accessRecord('tx-other', { licenseId: LICENSE, units: '1', purpose: 'clinical-diagnosis', requestHash: 'c'.repeat(64) });
    ledger.answered = {
      docType: 'request',
      call: `${ContractName.license}.RecordAccess`,
      fingerprint: 'f',
      result: other,
      txId: 'tx-other',
      at: other.timestamp,
    };
    const err = await refusal(service(ledger, endpoint).infer(MODEL, request, 'key-1'));
    expect({ code: err.code, message: err.message }).toEqual({
      code: 'CONFLICT',
      message: 'Idempotency-Key key-1 was already used by transaction tx-other for a different request',
    });
    expect(ledger.writes()).toEqual([]);
    expect(endpoint.inferences).toEqual([]);
  });
});
