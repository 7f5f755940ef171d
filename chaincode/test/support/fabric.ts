/**
 * An in-memory Fabric for contract tests, no kinder than the real one:
 *
 * - a transaction reads committed state only, never its own writes;
 * - range queries return keys in UTF-8 byte order, as LevelDB does;
 * - paginated queries fail inside submit transactions, as on a peer;
 * - every committed write is kept in the key's history with tx id and time;
 * - endorsement and commit are separate, and commit validates read versions
 *   (MVCC_READ_CONFLICT) and re-runs range queries (PHANTOM_READ_CONFLICT),
 *   so tests can endorse many transactions against one state and see which
 *   would fail at commit;
 * - client identities carry an MSP id and certificate attributes, and every
 *   transaction has a timestamp and a unique id.
 */
import { createHash } from 'crypto';
import type { Context, Contract } from 'fabric-contract-api';
import type { Iterators, StateQueryResponse, Timestamp } from 'fabric-shim';
import Long from 'long';
import { Endorsement } from '../../src/config';
import { decodeOwnerPolicy } from '../../src/ledger/endorsement';
import type { LedgerIdentity, LedgerStub } from '../../src/ledger/tx';

const MAX_KEY = '\u{10ffff}';

function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function timestampOf(millis: number): Timestamp {
  return { seconds: Long.fromNumber(Math.floor(millis / 1000), true), nanos: (millis % 1000) * 1_000_000 };
}

interface Versioned {
  readonly value: Uint8Array;
  readonly version: number;
}

interface RangeRead {
  readonly start: string;
  readonly end: string;
  readonly results: readonly { key: string; version: number }[];
  exhausted: boolean;
}

/** The outcome of committing an endorsed transaction. */
export type ValidationCode = 'VALID' | 'MVCC_READ_CONFLICT' | 'PHANTOM_READ_CONFLICT' | 'ENDORSEMENT_POLICY_FAILURE';

/** A chaincode event as a listener would see it. */
export interface RecordedEvent {
  readonly name: string;
  readonly payload: unknown;
  readonly txId: string;
}

/** A client identity: MSP id, subject name and certificate attributes. */
export class FakeIdentity implements LedgerIdentity {
  constructor(
    readonly mspId: string,
    readonly name: string,
    readonly attributes: Readonly<Record<string, string>>,
  ) {}

  getID(): string {
    return `x509::/OU=client/CN=${this.name}::/CN=ca.${this.mspId.toLowerCase()}`;
  }

  getMSPID(): string {
    return this.mspId;
  }

  getAttributeValue(name: string): string | null {
    return this.attributes[name] ?? null;
  }

  /** No certificate: a check that needs the creator's certificate fails for this identity, as for a forged one. */
  getIDBytes(): Uint8Array {
    return new Uint8Array();
  }
}

function iteratorOf<T>(items: readonly T[], onNext: (index: number) => void, onClose: () => void): Iterators.CommonIterator<T> {
  let index = 0;
  return {
    async next(): Promise<Iterators.NextResult<T>> {
      if (index >= items.length) {
        onClose();
        return { value: undefined as unknown as T, done: true };
      }
      onNext(index);
      const value = items[index];
      index += 1;
      return { value, done: false };
    },
    async close(): Promise<void> {
      onClose();
    },
  };
}

function asyncIterable<R, T>(promise: Promise<R>, items: () => readonly T[]): Promise<R> & AsyncIterable<T> {
  return Object.assign(promise, {
    async *[Symbol.asyncIterator](): AsyncIterator<T> {
      await promise;
      yield* items();
    },
  });
}

/** One transaction's simulation: buffered writes, recorded reads. */
export class FakeStub implements LedgerStub {
  readonly reads = new Map<string, number>();
  readonly ranges: RangeRead[] = [];
  readonly writes = new Map<string, Uint8Array | null>();
  /** Key-level endorsement policies set by this transaction. */
  readonly policies = new Map<string, Uint8Array>();
  event: { name: string; payload: Uint8Array } | undefined;

  constructor(
    private readonly ledger: FakeLedger,
    private readonly txId: string,
    private readonly millis: number,
    private readonly evaluateOnly: boolean,
  ) {}

  getTxID(): string {
    return this.txId;
  }

  getTxTimestamp(): Timestamp {
    return timestampOf(this.millis);
  }

  async getState(key: string): Promise<Uint8Array> {
    const current = this.ledger.state.get(key);
    this.reads.set(key, current?.version ?? 0);
    return current?.value ?? new Uint8Array(0);
  }

  async putState(key: string, value: Uint8Array): Promise<void> {
    if (key.length === 0 || value.length === 0) {
      throw new Error('putState needs a key and a non-empty value');
    }
    this.writes.set(key, value);
  }

  async deleteState(key: string): Promise<void> {
    this.writes.set(key, null);
  }

  getStateByRange(startKey: string, endKey: string): Promise<Iterators.StateQueryIterator> & AsyncIterable<Iterators.KV> {
    const rows = this.ledger.scan(startKey, endKey);
    const read: RangeRead = { start: startKey, end: endKey, results: [], exhausted: false };
    this.ranges.push(read);
    const results = read.results as { key: string; version: number }[];
    const iterator = iteratorOf(
      rows.map((row) => ({ namespace: 'ledger', key: row.key, value: row.value })),
      (index) => results.push({ key: rows[index].key, version: rows[index].version }),
      () => {
        read.exhausted = results.length === rows.length;
      },
    );
    return asyncIterable(Promise.resolve(iterator), () => rows.map((row) => ({ namespace: 'ledger', key: row.key, value: row.value })));
  }

  getStateByRangeWithPagination(
    startKey: string,
    endKey: string,
    pageSize: number,
    bookmark?: string,
  ): Promise<StateQueryResponse<Iterators.StateQueryIterator>> & AsyncIterable<Iterators.KV> {
    if (!this.evaluateOnly) {
      const failure = Promise.reject(new Error('paginated queries are not supported in a submit transaction'));
      return asyncIterable(failure, () => []);
    }
    const from = bookmark !== undefined && bookmark !== '' ? bookmark : startKey;
    const rows = this.ledger.scan(from, endKey);
    const page = rows.slice(0, pageSize).map((row) => ({ namespace: 'ledger', key: row.key, value: row.value }));
    const next = rows.length > pageSize ? rows[pageSize].key : '';
    const response: StateQueryResponse<Iterators.StateQueryIterator> = {
      iterator: iteratorOf(
        page,
        () => undefined,
        () => undefined,
      ),
      // Like Fabric's shim: an empty range comes back with no metadata at all.
      metadata: (page.length === 0
        ? undefined
        : { fetchedRecordsCount: page.length, bookmark: next }) as StateQueryResponse<Iterators.StateQueryIterator>['metadata'],
    };
    return asyncIterable(Promise.resolve(response), () => page);
  }

  getHistoryForKey(key: string): Promise<Iterators.HistoryQueryIterator> & AsyncIterable<Iterators.KeyModification> {
    // Newest first, as Fabric's history database answers since v2.0.
    const entries = [...(this.ledger.history.get(key) ?? [])].reverse();
    return asyncIterable(
      Promise.resolve(
        iteratorOf(
          entries,
          () => undefined,
          () => undefined,
        ),
      ),
      () => entries,
    );
  }

  setEvent(name: string, payload: Uint8Array): void {
    this.event = { name, payload };
  }

  async setStateValidationParameter(key: string, policy: Uint8Array): Promise<void> {
    this.policies.set(key, policy);
  }

  /** The committed policy, never this transaction's own; like Fabric, it reads the key. */
  async getStateValidationParameter(key: string): Promise<Uint8Array> {
    this.reads.set(key, this.ledger.state.get(key)?.version ?? 0);
    return this.ledger.keyPolicies.get(key) ?? new Uint8Array(0);
  }
}

/**
 * Whether `endorsers` (MSP ids whose peers endorsed) satisfy the policies a
 * transaction's writes are validated against, as Fabric's validator decides:
 * a key with a committed key-level policy is checked against that policy
 * only; the chaincode's policy (a majority of the member orgs) is checked for
 * the other keys, and once for a transaction that writes none. A change of a
 * key's policy is checked against the policy the key had before.
 */
function endorsementSatisfied(ledger: FakeLedger, stub: FakeStub, endorsers: readonly string[]): boolean {
  const chaincodePolicy = endorsers.filter((mspId) => (Endorsement.orgs as readonly string[]).includes(mspId)).length >= Endorsement.quorum;
  const keys = new Set([...stub.writes.keys(), ...stub.policies.keys()]);
  for (const key of keys) {
    const policy = ledger.keyPolicies.get(key);
    if (policy === undefined) {
      if (!chaincodePolicy) {
        return false;
      }
      continue;
    }
    const { owner, others, othersNeeded } = decodeOwnerPolicy(policy);
    if (!endorsers.includes(owner) || others.filter((mspId) => endorsers.includes(mspId)).length < othersNeeded) {
      return false;
    }
  }
  return keys.size > 0 || chaincodePolicy;
}

/** The committed world state, its history and the chaincode events. */
export class FakeLedger {
  readonly state = new Map<string, Versioned>();
  readonly history = new Map<string, Iterators.KeyModification[]>();
  readonly events: RecordedEvent[] = [];
  /** Committed key-level endorsement policies, by key. */
  readonly keyPolicies = new Map<string, Uint8Array>();
  private version = 0;
  private sequence = 0;
  /** The time of the next transaction, in milliseconds since the epoch. */
  millis = Date.parse('2026-01-01T00:00:00.000Z');

  /** Committed rows with start <= key < end, in byte order. */
  scan(start: string, end: string): { key: string; value: Uint8Array; version: number }[] {
    const upper = end === '' ? MAX_KEY : end;
    return [...this.state.entries()]
      .filter(([key]) => compareKeys(key, start) >= 0 && compareKeys(key, upper) < 0)
      .sort(([a], [b]) => compareKeys(a, b))
      .map(([key, row]) => ({ key, value: row.value, version: row.version }));
  }

  /** Starts a transaction simulation; each gets a fresh id and the current time plus one second. */
  simulate(evaluateOnly: boolean): FakeStub {
    this.sequence += 1;
    this.millis += 1000;
    const txId = createHash('sha256').update(`tx-${this.sequence}`).digest('hex');
    return new FakeStub(this, txId, this.millis, evaluateOnly);
  }

  /**
   * Validates and applies a simulation, as the committing peer does. With
   * `endorsers`, the transaction counts as endorsed by those orgs' peers only
   * and is checked against the endorsement policies; without, as endorsed by
   * whoever the policies ask for, as Fabric's gateway plans it.
   */
  commit(stub: FakeStub, endorsers?: readonly string[]): ValidationCode {
    if (endorsers !== undefined && !endorsementSatisfied(this, stub, endorsers)) {
      return 'ENDORSEMENT_POLICY_FAILURE';
    }
    for (const [key, version] of stub.reads) {
      if ((this.state.get(key)?.version ?? 0) !== version) {
        return 'MVCC_READ_CONFLICT';
      }
    }
    for (const range of stub.ranges) {
      const now = this.scan(range.start, range.end);
      const lastRead = range.results[range.results.length - 1]?.key;
      const relevant = range.exhausted ? now : now.filter((row) => lastRead !== undefined && compareKeys(row.key, lastRead) <= 0);
      const same =
        relevant.length === range.results.length &&
        relevant.every((row, index) => row.key === range.results[index].key && row.version === range.results[index].version);
      if (!same) {
        return 'PHANTOM_READ_CONFLICT';
      }
    }
    this.version += 1;
    const timestamp = stub.getTxTimestamp();
    for (const [key, value] of stub.writes) {
      if (value === null) {
        this.state.delete(key);
      } else {
        this.state.set(key, { value, version: this.version });
      }
      const entries = this.history.get(key) ?? [];
      // Like Fabric: history timestamps come from protobuf's toObject(), with seconds as a plain number.
      const historyTimestamp = { seconds: timestamp.seconds.toNumber(), nanos: timestamp.nanos } as unknown as Timestamp;
      entries.push({ txId: stub.getTxID(), timestamp: historyTimestamp, isDelete: value === null, value: value ?? new Uint8Array(0) });
      this.history.set(key, entries);
    }
    for (const [key, policy] of stub.policies) {
      this.keyPolicies.set(key, policy);
    }
    if (stub.event !== undefined) {
      this.events.push({
        name: stub.event.name,
        payload: JSON.parse(new TextDecoder().decode(stub.event.payload)) as unknown,
        txId: stub.getTxID(),
      });
    }
    return 'VALID';
  }

  /** A copy of the committed state, to assert that a failed transaction changed nothing. */
  snapshot(): Map<string, string> {
    return new Map([...this.state.entries()].map(([key, row]) => [key, new TextDecoder().decode(row.value)]));
  }
}

/** A transaction method of a contract: (ctx, ...string args) => JSON string. */
type TxMethod = (ctx: Context, ...args: string[]) => Promise<string>;

/** The transaction names of a contract class. */
export type TxName<C extends Contract> = {
  [K in keyof C]: C[K] extends TxMethod ? K : never;
}[keyof C] &
  string;

/** An endorsed transaction waiting to be committed. */
export interface EndorsedTx {
  readonly txId: string;
  readonly result: unknown;
  /** The keys whose key-level policy the transaction sets. */
  readonly policiesSet: readonly string[];
  /** Commits it; with `endorsers`, as endorsed by those orgs only (see `FakeLedger.commit`). */
  commit(endorsers?: readonly string[]): ValidationCode;
}

/**
 * Builds the context the contract API would pass. The one cast in the
 * tests: the fake implements only the stub and identity methods the
 * chaincode uses (`LedgerStub`, `LedgerIdentity`).
 */
function contextOf(stub: FakeStub, identity: FakeIdentity): Context {
  return { stub, clientIdentity: identity } as unknown as Context;
}

async function run<C extends Contract>(
  contract: C,
  name: TxName<C>,
  stub: FakeStub,
  identity: FakeIdentity,
  args: readonly string[],
): Promise<unknown> {
  const method = contract[name] as unknown as TxMethod;
  // The contract API refuses a call whose argument count differs from the function's; so must the fake.
  if (args.length !== method.length - 1) {
    throw new Error(`Expected ${method.length - 1} parameters, but ${args.length} have been supplied`);
  }
  const output = await method.call(contract, contextOf(stub, identity), ...args);
  return JSON.parse(output) as unknown;
}

/** Submit and evaluate helpers over one fake ledger. */
export class FakeFabric {
  readonly ledger = new FakeLedger();

  /** Endorses a submit transaction without committing it. Rejects with the chaincode error. */
  async endorse<C extends Contract>(identity: FakeIdentity, contract: C, name: TxName<C>, args: readonly string[]): Promise<EndorsedTx> {
    const stub = this.ledger.simulate(false);
    const result = await run(contract, name, stub, identity, args);
    return {
      txId: stub.getTxID(),
      result,
      policiesSet: [...stub.policies.keys()],
      commit: (endorsers?: readonly string[]): ValidationCode => this.ledger.commit(stub, endorsers),
    };
  }

  /** Endorses and commits a transaction; rejects with the chaincode error or a validation failure. */
  async submit<C extends Contract>(identity: FakeIdentity, contract: C, name: TxName<C>, ...args: string[]): Promise<unknown> {
    const endorsement = await this.endorse(identity, contract, name, args);
    const code = endorsement.commit();
    if (code !== 'VALID') {
      throw new Error(`transaction ${endorsement.txId} invalidated: ${code}`);
    }
    return endorsement.result;
  }

  /** Runs a query; nothing it writes is committed. */
  async evaluate<C extends Contract>(identity: FakeIdentity, contract: C, name: TxName<C>, ...args: string[]): Promise<unknown> {
    return run(contract, name, this.ledger.simulate(true), identity, args);
  }

  /** Moves the clock forward. */
  advance(seconds: number): void {
    this.ledger.millis += seconds * 1000;
  }
}
