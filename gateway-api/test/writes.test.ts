/**
 * How a write reaches the ledger through faults and contention, against a
 * fake Fabric Gateway client that fails on cue: what is retried, as which
 * transaction, and what the caller is told when no retry follows.
 */
import { status as GrpcStatus, type ServiceError, Metadata } from '@grpc/grpc-js';
import { CommitStatusError, EndorseError, GatewayError, StatusCode } from '@hyperledger/fabric-gateway';
import { ContractName, type WriteCall } from '@model-ledger/contract';
import { ApiCode, ApiError } from '../src/errors';
import { classifyFailure } from '../src/fabric/errors';
import {
  alreadyOrdered,
  AsyncWrites,
  Write,
  type CallOptions,
  type CommitStatus,
  type WriteContract,
  type WritePolicy,
} from '../src/fabric/writes';

const POLICY: WritePolicy = { conflictAttempts: 3, endorseMs: 1000, submitMs: 1000, commitWaitMs: 1000, minDelayMs: 1, maxDelayMs: 5 };
const CALL: WriteCall = { contract: ContractName.license, transaction: 'RecordAccess', args: ['L-1', '1'] };

function cause(code: number): ServiceError {
  return Object.assign(new Error('rpc'), { code, details: '', metadata: new Metadata() });
}

/** What each step of the fake does on its next call: answer, or throw. */
type Step<T> = T | Error;

/** A fake Fabric Gateway client: each step takes the next scripted outcome; calls are recorded. */
class FakeLedger implements WriteContract {
  readonly endorsements: string[] = [];
  readonly submissions: string[] = [];
  readonly waits: string[] = [];
  readonly deadlines: number[] = [];
  private next = 0;

  constructor(
    private readonly script: {
      endorse?: Step<true>[];
      submit?: Step<true>[];
      status?: Step<CommitStatus>[];
      /** Every commit status waits for this first. */
      holdStatus?: Promise<void>;
    },
  ) {}

  newProposal(): ReturnType<WriteContract['newProposal']> {
    const id = `tx-${++this.next}`;
    const take = <T>(steps: Step<T>[] | undefined, fallback: T): T => {
      const step = steps?.shift() ?? fallback;
      if (step instanceof Error) {
        throw step;
      }
      return step;
    };
    return {
      getTransactionId: () => id,
      endorse: async (options: CallOptions) => {
        this.endorsements.push(id);
        this.deadlines.push(options.deadline);
        take(this.script.endorse, true);
        return {
          getResult: () => Buffer.from(`result of ${id}`),
          submit: async () => {
            this.submissions.push(id);
            take(this.script.submit, true);
            return {
              getStatus: async () => {
                this.waits.push(id);
                await this.script.holdStatus;
                return take(this.script.status, { successful: true, code: StatusCode.VALID, blockNumber: 7n });
              },
            };
          },
        };
      },
    };
  }
}

const invalid = (code: number): CommitStatus => ({ successful: false, code, blockNumber: 7n });
const mismatch = (): EndorseError =>
  new EndorseError({
    code: GrpcStatus.ABORTED,
    cause: cause(GrpcStatus.ABORTED),
    transactionId: 'x',
    message: 'failed to collect enough transaction endorsements, see attached details for more info',
    details: [{ address: 'peer0.lab', mspId: 'LabMSP', message: 'ProposalResponsePayloads do not match' }],
  });
// The client throws a SubmitError, a GatewayError it exports only as a type.
const noOrderer = (): GatewayError =>
  new GatewayError({
    code: GrpcStatus.UNAVAILABLE,
    cause: cause(GrpcStatus.UNAVAILABLE),
    message: 'no orderers could successfully process transaction',
    details: [{ address: 'orderer1', mspId: 'OrdererMSP', message: 'status=SERVICE_UNAVAILABLE, info=no Raft leader' }],
  });
// With BFT ordering: two orderers already hold the transaction, and the gateway counts them against its quorum.
const alreadyProcessed = (): GatewayError =>
  new GatewayError({
    code: GrpcStatus.UNAVAILABLE,
    cause: cause(GrpcStatus.UNAVAILABLE),
    message: 'insufficient number of orderers could successfully process transaction to satisfy quorum requirement',
    details: [
      {
        address: 'orderer0.lab',
        mspId: 'LabMSP',
        message: 'status=SERVICE_UNAVAILABLE, info=failed to submit request: request already processed',
      },
      {
        address: 'orderer0.clinic',
        mspId: 'ClinicMSP',
        message: 'status=SERVICE_UNAVAILABLE, info=failed to submit request: request already processed',
      },
    ],
  });
const statusTimeout = (): CommitStatusError =>
  new CommitStatusError({
    code: GrpcStatus.DEADLINE_EXCEEDED,
    cause: cause(GrpcStatus.DEADLINE_EXCEEDED),
    transactionId: 'x',
    details: [],
  });
const peerDown = (): GatewayError =>
  new GatewayError({ code: GrpcStatus.UNAVAILABLE, cause: cause(GrpcStatus.UNAVAILABLE), details: [], message: 'connect ECONNREFUSED' });

function write(fake: FakeLedger, deadlineMs = 5000, retries: string[] = []): Write {
  return new Write(fake, CALL, POLICY, Date.now() + deadlineMs, (_t, reason) => retries.push(reason));
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('a write through faults and contention', () => {
  it('commits at once when nothing fails, endorsing, ordering and waiting once', async () => {
    const fake = new FakeLedger({});
    const committed = await write(fake).untilCommitted();
    expect(committed).toMatchObject({ transactionId: 'tx-1', blockNumber: 7n });
    expect(Buffer.from(committed.result).toString()).toBe('result of tx-1');
    expect([fake.endorsements, fake.submissions, fake.waits]).toEqual([['tx-1'], ['tx-1'], ['tx-1']]);
  });

  it('endorses again when the endorsers simulated on different states, and orders only the endorsement that agreed', async () => {
    const retries: string[] = [];
    const fake = new FakeLedger({ endorse: [mismatch(), mismatch()] });
    const committed = await write(fake, 5000, retries).untilCommitted();
    expect(committed.transactionId).toBe('tx-3');
    expect(fake.submissions).toEqual(['tx-3']);
    expect(retries).toEqual(['ENDORSEMENT_MISMATCH', 'ENDORSEMENT_MISMATCH']);
  });

  it('sends the same signed transaction again when no orderer took it, never a second transaction', async () => {
    const retries: string[] = [];
    const fake = new FakeLedger({ submit: [noOrderer(), noOrderer(), noOrderer()] });
    const committed = await write(fake, 5000, retries).untilCommitted();
    expect(committed.transactionId).toBe('tx-1');
    expect(fake.endorsements).toEqual(['tx-1']);
    expect(fake.submissions).toEqual(['tx-1', 'tx-1', 'tx-1', 'tx-1']);
    expect(retries).toEqual(['GRPC_UNAVAILABLE', 'GRPC_UNAVAILABLE', 'GRPC_UNAVAILABLE']);
  });

  it('waits for the commit of a transaction the BFT orderers already hold, instead of sending it again', async () => {
    const fake = new FakeLedger({ submit: [alreadyProcessed()] });
    const asked: string[] = [];
    const commitOf = (id: string) => ({
      getStatus: async () => {
        asked.push(id);
        return { successful: true, code: StatusCode.VALID, blockNumber: 9n };
      },
    });
    const committed = await new Write(fake, CALL, POLICY, Date.now() + 5000, () => undefined, undefined, commitOf).untilCommitted();
    expect(committed).toMatchObject({ transactionId: 'tx-1', blockNumber: 9n });
    expect([fake.endorsements, fake.submissions, asked]).toEqual([['tx-1'], ['tx-1'], ['tx-1']]);
    expect(alreadyOrdered(alreadyProcessed())).toBe(true);
    expect(alreadyOrdered(noOrderer())).toBe(false);
  });

  it('sends the same transaction again and waits anew when its commit status did not come in time', async () => {
    const fake = new FakeLedger({ status: [statusTimeout()] });
    const committed = await write(fake).untilCommitted();
    expect(committed.transactionId).toBe('tx-1');
    expect(fake.endorsements).toEqual(['tx-1']);
    expect(fake.submissions).toEqual(['tx-1', 'tx-1']);
    expect(fake.waits).toEqual(['tx-1', 'tx-1']);
  });

  it('makes a new transaction after an MVCC or phantom read conflict at commit', async () => {
    const fake = new FakeLedger({ status: [invalid(StatusCode.MVCC_READ_CONFLICT), invalid(StatusCode.PHANTOM_READ_CONFLICT)] });
    const committed = await write(fake).untilCommitted();
    expect(committed.transactionId).toBe('tx-3');
    expect(fake.endorsements).toEqual(['tx-1', 'tx-2', 'tx-3']);
  });

  it('answers 409 LEDGER_CONFLICT with the last transaction and Retry-After once the conflicts outlast their bound', async () => {
    const conflicts = Array.from({ length: 10 }, () => invalid(StatusCode.MVCC_READ_CONFLICT));
    const fake = new FakeLedger({ status: conflicts });
    const err = await failure(write(fake).untilCommitted());
    expect(err.code).toBe(ApiCode.LEDGER_CONFLICT);
    expect(err.transactionId).toBe('tx-3');
    expect(err.retryAfterSeconds).toBeGreaterThan(0);
    expect(err.message).toMatch(/MVCC_READ_CONFLICT on each of 3 attempts/);
    expect(fake.endorsements).toHaveLength(POLICY.conflictAttempts);
  });

  it('never retries a chaincode rejection, and keeps its code', async () => {
    const rejection = new EndorseError({
      code: GrpcStatus.ABORTED,
      cause: cause(GrpcStatus.ABORTED),
      transactionId: 'x',
      details: [
        { address: 'peer0.lab', mspId: 'LabMSP', message: 'chaincode response 500, INSUFFICIENT_UNITS: licence L-1 has 0 units left' },
      ],
    });
    const fake = new FakeLedger({ endorse: [rejection] });
    const err = await failure(write(fake).untilCommitted());
    expect(err.code).toBe('INSUFFICIENT_UNITS');
    expect(fake.endorsements).toEqual(['tx-1']);
  });

  it('answers 503 LEDGER_UNAVAILABLE with Retry-After when the peer stays out of reach until the deadline, having ordered nothing', async () => {
    const fake = new FakeLedger({ endorse: Array.from({ length: 100 }, peerDown) });
    const started = Date.now();
    const err = await failure(write(fake, 300).untilCommitted());
    expect(err.code).toBe(ApiCode.LEDGER_UNAVAILABLE);
    expect(err.retryAfterSeconds).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fake.submissions).toEqual([]);
  });

  it('still answers 503 LEDGER_UNAVAILABLE when a busy process wakes for the next attempt past the deadline', async () => {
    const fake = new FakeLedger({ endorse: Array.from({ length: 100 }, peerDown) });
    const deadline = Date.now() + 300;
    // The retry's bookkeeping runs long (a starved event loop): the backoff ends after the deadline.
    const starved = new Write(fake, CALL, POLICY, deadline, () => {
      while (Date.now() <= deadline);
    });
    const err = await failure(starved.untilCommitted());
    expect(err.code).toBe(ApiCode.LEDGER_UNAVAILABLE);
    expect(err.retryAfterSeconds).toBeGreaterThan(0);
    expect(fake.endorsements).toHaveLength(1);
    expect(fake.submissions).toEqual([]);
  });

  it('answers 504 LEDGER_TIMEOUT naming the transaction when the deadline passes with an ordered transaction of unknown fate', async () => {
    const fake = new FakeLedger({ status: Array.from({ length: 200 }, statusTimeout) });
    const started = Date.now();
    const err = await failure(write(fake, 300).untilCommitted());
    expect(err.code).toBe(ApiCode.LEDGER_TIMEOUT);
    expect(err.transactionId).toBe('tx-1');
    expect(err.message).toMatch(/may still commit/);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fake.endorsements).toEqual(['tx-1']);
  });

  it('cuts every call to the deadline of the request', async () => {
    const fake = new FakeLedger({});
    const deadline = Date.now() + 200;
    await new Write(fake, CALL, POLICY, deadline, () => undefined).untilCommitted();
    expect(fake.deadlines.every((d) => d <= deadline)).toBe(true);
  });
});

describe('an asynchronous write', () => {
  it('answers once ordered, then carries a read conflict on as a new transaction whose status the first id reports', async () => {
    const settled: string[] = [];
    const writes = new AsyncWrites(10, (first, outcome) => settled.push(`${first}:${JSON.stringify(outcome)}`));
    const fake = new FakeLedger({ status: [invalid(StatusCode.MVCC_READ_CONFLICT)] });
    const first = await writes.start(write(fake));
    expect(first).toBe('tx-1');
    await writes.settled();
    expect(writes.outcome('tx-1')).toEqual({ settled: true, transactionId: 'tx-2', supersedes: ['tx-1'] });
    expect(settled).toHaveLength(1);
  });

  it('is not settled while it is still in flight', async () => {
    let release: (() => void) | undefined;
    const fake = new FakeLedger({ holdStatus: new Promise<void>((resolve) => (release = resolve)) });
    const writes = new AsyncWrites(10, () => undefined);
    const first = await writes.start(write(fake));
    expect(writes.outcome(first)).toEqual({ settled: false });
    release?.();
    await writes.settled();
    expect(writes.outcome(first)).toEqual({ settled: true, transactionId: first, supersedes: [] });
  });

  it('keeps only the most recent outcomes', async () => {
    const writes = new AsyncWrites(2, () => undefined);
    const fake = new FakeLedger({});
    for (let i = 0; i < 3; i++) {
      await writes.start(write(fake));
    }
    await writes.settled();
    expect([writes.outcome('tx-1'), writes.outcome('tx-2')?.settled, writes.outcome('tx-3')?.settled]).toEqual([undefined, true, true]);
  });
});

describe('classifying a ledger failure', () => {
  it.each([
    ['endorsers that disagreed', mismatch(), 'conflict', ApiCode.LEDGER_CONFLICT],
    ['no orderer or no Raft leader', noOrderer(), 'unavailable', ApiCode.LEDGER_UNAVAILABLE],
    ['the peer out of reach', peerDown(), 'unavailable', ApiCode.LEDGER_UNAVAILABLE],
    ['a commit status past its deadline', statusTimeout(), 'timeout', ApiCode.LEDGER_TIMEOUT],
  ])('%s is transient', (_name, err, kind, code) => {
    const failure = classifyFailure(err);
    expect([failure.kind, failure.transient, failure.error.code]).toEqual([kind, true, code]);
  });

  it('an endorsement past its deadline says that nothing was sent to the orderers, not that the transaction may still commit', () => {
    const slow = new EndorseError({
      code: GrpcStatus.DEADLINE_EXCEEDED,
      cause: cause(GrpcStatus.DEADLINE_EXCEEDED),
      transactionId: 'tx-slow',
      details: [],
    });
    const failure = classifyFailure(slow);
    expect([failure.kind, failure.transient, failure.reason, failure.error.code, failure.error.transactionId]).toEqual([
      'timeout',
      true,
      'ENDORSE_TIMEOUT',
      ApiCode.LEDGER_TIMEOUT,
      'tx-slow',
    ]);
    expect(failure.error.message).toMatch(/never sent to the orderers, so nothing was committed/);
    expect(failure.error.message).not.toMatch(/may still commit/);
  });

  it('a chaincode bug without a code is final, not retried', () => {
    const bug = new EndorseError({
      code: GrpcStatus.ABORTED,
      cause: cause(GrpcStatus.ABORTED),
      transactionId: 'x',
      details: [
        { address: 'peer0.lab', mspId: 'LabMSP', message: "chaincode response 500, Cannot read properties of undefined (reading 'x')" },
      ],
    });
    expect(classifyFailure(bug)).toMatchObject({ kind: 'internal', transient: false });
  });

  it('a refused identity is final', () => {
    const denied = new GatewayError({ code: GrpcStatus.PERMISSION_DENIED, cause: cause(GrpcStatus.PERMISSION_DENIED), details: [] });
    expect(classifyFailure(denied).transient).toBe(false);
  });
});
