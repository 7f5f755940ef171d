/**
 * The meter records an access alone when nothing else is in flight, and
 * batches what arrives while others are, on licences whose terms allow it:
 * each access signed by its own caller, each answered with its own outcome.
 */
import { signers } from '@hyperledger/fabric-gateway';
import {
  accessLeaf,
  accessRequestBytes,
  merkleRoot,
  type AccessBatchInput,
  type AccessRecord,
  type BatchOutcome,
  type BatchResult,
} from '@model-ledger/contract';
import type { Call, Committed, WriteCall } from '@model-ledger/contract';
import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import pino from 'pino';
import { ApiError } from '../src/errors';
import { messageSigner, type EnrolledUser } from '../src/fabric/identity';
import type { Session } from '../src/fabric/ledger';
import { LotHints } from '../src/services/lot-hints';
import { Meter } from '../src/services/meter';

const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

function access(id: string, txId: string, licenseId: string): AccessRecord {
  return { accessId: id, txId, licenseId, modelId: 'M-1', units: '1' } as AccessRecord;
}

/** A ledger that commits after `delayMs`, answers batches by a rule, and records what it was sent. */
class FakeLedger {
  readonly singles: WriteCall[] = [];
  readonly batches: AccessBatchInput[] = [];
  /** Whose session submitted each batch. */
  readonly batchSubmitters: string[] = [];
  refuse: (licenseId: string, index: number) => { code: string; message: string } | undefined = () => undefined;
  failBatch: Error | undefined;
  metering = 'batch';
  lookups = 0;
  private sequence = 0;
  /** What each batch recorded, as GetAccessBatch answers it. */
  private readonly records = new Map<string, AccessRecord[]>();

  constructor(private readonly delayMs: number) {}

  session(name: string, deadline?: number): { session: Session; publicKey: KeyObject } {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const user: EnrolledUser = {
      name,
      org: 'hospital',
      mspId: 'HospitalMSP',
      role: 'practitioner',
      attributes: {},
      identity: { mspId: 'HospitalMSP', credentials: new TextEncoder().encode(`certificate of ${name}`) },
      signer: signers.newPrivateKeySigner(privateKey),
      signMessage: messageSigner(privateKey),
    };
    return {
      publicKey,
      session: { user, deadline, evaluate: async (call) => this.evaluate(call), submit: async (call) => this.submit(call, name) },
    };
  }

  private async evaluate(call: Call): Promise<Uint8Array> {
    if (call.transaction === 'GetAccessBatch') {
      const accesses = this.records.get(call.args[0]) ?? [];
      return encode({ batchId: call.args[0], accesses, merkleRoot: merkleRoot(accesses.map(accessLeaf)).toString('hex') });
    }
    if (call.transaction !== 'GetLicense') throw new Error(`unexpected query ${call.transaction}`);
    this.lookups += 1;
    return encode({ terms: { metering: this.metering }, license: { units: '1000', lotCount: 256 } });
  }

  private async submit(call: WriteCall, by: string): Promise<Committed> {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.sequence += 1;
    const txId = `tx${this.sequence}`;
    if (call.transaction === 'RecordAccess') {
      this.singles.push(call);
      return { result: encode(access(txId, txId, call.args[0])), transactionId: txId, blockNumber: 1n };
    }
    if (this.failBatch !== undefined) throw this.failBatch;
    const input = JSON.parse(call.args[0]) as AccessBatchInput;
    this.batches.push(input);
    this.batchSubmitters.push(by);
    const recorded: AccessRecord[] = [];
    const outcomes: BatchOutcome[] = input.accesses.map((signed, index) => {
      const refusal = this.refuse(signed.request.licenseId, index);
      if (refusal !== undefined) return { index, status: 'refused', ...refusal };
      const position = recorded.push(access(`${txId}-${recorded.length}`, txId, signed.request.licenseId)) - 1;
      return { index, status: 'recorded', accessId: `${txId}-${position}`, position };
    });
    this.records.set(txId, recorded);
    const result: BatchResult = { batchId: txId, recorded: recorded.length, refused: 0, replayed: 0, outcomes };
    return { result: encode(result), transactionId: txId, blockNumber: 2n };
  }
}

const settings = { batching: true, windowMs: 5, maxBatch: 8, maxBatches: 2 };
const quiet = pino({ level: 'silent' });

function call(
  licenseId = 'L-1',
  requestId?: string,
): { licenseId: string; units: string; purpose: string; requestHash: string; requestId?: string } {
  return { licenseId, units: '1', purpose: 'research', requestHash: 'a'.repeat(64), requestId };
}

describe('Meter', () => {
  it('records an access alone when nothing else is in flight, one after another', async () => {
    const ledger = new FakeLedger(2);
    const meter = new Meter(settings, new LotHints(), quiet);
    const { session } = ledger.session('dr-ada');
    for (let i = 0; i < 3; i += 1) {
      const recorded = await meter.record(session, call());
      expect(recorded.receipt).toBeUndefined();
    }
    expect(ledger.singles).toHaveLength(3);
    expect(ledger.batches).toHaveLength(0);
    expect(ledger.lookups).toBe(0);
  });

  it('batches what arrives while others are in flight, each signed by its own caller, at most maxBatch a transaction', async () => {
    const ledger = new FakeLedger(20);
    const meter = new Meter(settings, new LotHints(), quiet);
    const ada = ledger.session('dr-ada');
    const grace = ledger.session('dr-grace');
    const results = await Promise.all(
      Array.from({ length: 21 }, (_, i) =>
        meter.record(i % 2 === 0 ? ada.session : grace.session, call('L-1', i === 3 ? 'key-3' : undefined)),
      ),
    );
    // The first went alone; the other 20 in batches of at most 8.
    expect(ledger.singles).toHaveLength(1);
    expect(ledger.batches.map((b) => b.accesses.length).reduce((a, b) => a + b, 0)).toBe(20);
    expect(Math.max(...ledger.batches.map((b) => b.accesses.length))).toBeLessThanOrEqual(8);
    expect(results.filter((r) => r.receipt !== undefined)).toHaveLength(20);
    // The licence's metering was looked up once and remembered.
    expect(ledger.lookups).toBe(1);
    for (const batch of ledger.batches) {
      expect(batch.certificates.length).toBeLessThanOrEqual(2);
      for (const signed of batch.accesses) {
        const certificate = batch.certificates[signed.certificate];
        const key = certificate === 'certificate of dr-ada' ? ada.publicKey : grace.publicKey;
        expect(verify('sha256', accessRequestBytes(signed.request), key, Buffer.from(signed.signature, 'base64'))).toBe(true);
        // Only the access with an Idempotency-Key carries a request id.
        if (signed.request.requestId !== undefined) expect(signed.request.requestId).toBe('key-3');
      }
    }
    expect(ledger.batches.flatMap((b) => b.accesses).filter((a) => a.request.requestId !== undefined)).toHaveLength(1);
    // One lot hint per batch and licence, and distinct across batches: concurrent batches draw from different lots.
    const hints = ledger.batches.map((b) => new Set(b.accesses.map((a) => a.lotHint)));
    expect(hints.every((h) => h.size === 1)).toBe(true);
    const firsts = hints.map((h) => [...h][0] as number);
    expect(new Set(firsts).size).toBe(firsts.length);
    // Each batch's start lot is past the lots the one before it draws from (lots of 3 whole units here).
    for (let i = 1; i < firsts.length; i += 1) {
      const before = ledger.batches[i - 1].accesses.length;
      expect(firsts[i] - firsts[i - 1]).toBeGreaterThanOrEqual(Math.ceil(before / 3) + 1);
    }
  });

  it('answers each access of a batch with its own refusal, and records alone those the batch path cannot take', async () => {
    const ledger = new FakeLedger(10);
    ledger.refuse = (licenseId) =>
      licenseId === 'L-poor'
        ? { code: 'INSUFFICIENT_UNITS', message: 'INSUFFICIENT_UNITS: licence L-poor has 0 units left' }
        : licenseId === 'L-single'
          ? { code: 'BATCH_NOT_PERMITTED', message: 'BATCH_NOT_PERMITTED: one transaction per access' }
          : undefined;
    const meter = new Meter(settings, new LotHints(), quiet);
    const { session } = ledger.session('dr-ada');
    const outcomes = await Promise.allSettled([
      meter.record(session, call('L-1')),
      meter.record(session, call('L-1')),
      meter.record(session, call('L-poor')),
      meter.record(session, call('L-single', 'kept-id')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const refused = (outcomes[2] as PromiseRejectedResult).reason as ApiError;
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused.code).toBe('INSUFFICIENT_UNITS');
    // The licence that insists on one transaction per access went alone, with the request id it was signed with.
    const alone = ledger.singles.filter((c) => c.args[0] === 'L-single');
    expect(alone).toHaveLength(1);
    expect(alone[0].requestId).toBe('kept-id');
  });

  it('fails every access of a batch the ledger failed, and never batches a licence whose terms say single', async () => {
    const ledger = new FakeLedger(10);
    ledger.failBatch = new ApiError('LEDGER_UNAVAILABLE', 'no orderer answered');
    const meter = new Meter(settings, new LotHints(), quiet);
    const { session } = ledger.session('dr-ada');
    const outcomes = await Promise.allSettled([
      meter.record(session, call()),
      meter.record(session, call()),
      meter.record(session, call()),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(((outcomes[1] as PromiseRejectedResult).reason as ApiError).code).toBe('LEDGER_UNAVAILABLE');

    const single = new FakeLedger(10);
    single.metering = 'single';
    const other = new Meter(settings, new LotHints(), quiet);
    const s = single.session('dr-ada').session;
    await Promise.all([other.record(s, call('L-2')), other.record(s, call('L-2')), other.record(s, call('L-2'))]);
    expect(single.singles).toHaveLength(3);
    expect(single.batches).toHaveLength(0);
  });

  it('submits a batch as the caller whose deadline comes first, so no caller is kept past its own', async () => {
    const ledger = new FakeLedger(20);
    const meter = new Meter(settings, new LotHints(), quiet);
    const now = Date.now();
    const late = ledger.session('dr-late', now + 60_000);
    const early = ledger.session('dr-early', now + 30_000);
    const none = ledger.session('dr-none');
    // The first goes alone; the next three wait together, the earliest deadline last in the queue.
    await Promise.all([late, late, none, early].map(({ session }) => meter.record(session, call())));
    expect(ledger.batches.map((b) => b.accesses.length)).toEqual([3]);
    expect(ledger.batchSubmitters).toEqual(['dr-early']);
  });

  it('never batches with batching turned off', async () => {
    const ledger = new FakeLedger(10);
    const meter = new Meter({ ...settings, batching: false }, new LotHints(), quiet);
    const { session } = ledger.session('dr-ada');
    await Promise.all(Array.from({ length: 5 }, () => meter.record(session, call())));
    expect(ledger.singles).toHaveLength(5);
  });
});
