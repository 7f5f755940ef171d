import type { Context } from 'fabric-contract-api';
import type { ChaincodeStub, ClientIdentity } from 'fabric-shim';
import { ROLE_ATTRIBUTE } from '../config';
import { canonicalJson } from '../domain/canonical';
import { clientAccountId } from '../domain/identity';
import type { KeyRange } from '../domain/keys';
import { isoFromMillis, millisFromTimestamp } from '../domain/time';
import { invalidArgument } from '../errors';
import { ownerPolicy } from './endorsement';
export type { Page, HistoryEntry } from '@model-ledger/contract';
import type { Page, HistoryEntry } from '@model-ledger/contract';

/** The part of Fabric's stub the chaincode uses; the test stub implements exactly this. */
/**
 * Seconds of a protobuf timestamp. The shim's typings say Long, and
 * getTxTimestamp() returns one, but history entries come from protobuf's
 * toObject() and carry a plain number.
 */
function secondsOf(seconds: number | { toNumber(): number }): number {
  return typeof seconds === 'number' ? seconds : seconds.toNumber();
}

export type LedgerStub = Pick<
  ChaincodeStub,
  | 'getState'
  | 'putState'
  | 'deleteState'
  | 'getStateByRange'
  | 'getStateByRangeWithPagination'
  | 'getHistoryForKey'
  | 'getTxID'
  | 'getTxTimestamp'
  | 'setEvent'
  | 'setStateValidationParameter'
  | 'getStateValidationParameter'
>;

/** The part of Fabric's client identity the chaincode uses. */
export type LedgerIdentity = Pick<ClientIdentity, 'getID' | 'getMSPID' | 'getAttributeValue' | 'getIDBytes'>;

/** Who submitted the transaction. */
export interface Caller {
  /** The caller's own account id (see `identity.ts`). */
  readonly account: string;
  readonly mspId: string;
  /** The `role` certificate attribute, or undefined if absent. */
  readonly role: string | undefined;
  /** Reads one certificate attribute, or null if absent. */
  readonly attribute: (name: string) => string | null;
}

/** A stored key and its parsed JSON value. */
export interface Entry<T> {
  readonly key: string;
  readonly value: T;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function parse(bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes)) as unknown;
}

/**
 * One transaction's view of the ledger: typed JSON reads and canonical JSON
 * writes, the caller, the transaction id and time, and events. Built afresh
 * for every transaction; it holds nothing between transactions.
 *
 * Fabric quirk: a read never sees this transaction's own writes, so code
 * must not write a key and read it back expecting the new value.
 */
export class Tx {
  private readonly stub: LedgerStub;
  private readonly identity: LedgerIdentity;
  private eventName: string | undefined;

  constructor(ctx: Pick<Context, 'stub' | 'clientIdentity'>) {
    this.stub = ctx.stub;
    this.identity = ctx.clientIdentity;
  }

  /** The transaction id; ids of new assets derive from it. */
  get txId(): string {
    return this.stub.getTxID();
  }

  /** The transaction timestamp as an ISO string; the only clock chaincode may read. */
  get now(): string {
    const timestamp = this.stub.getTxTimestamp();
    return isoFromMillis(millisFromTimestamp(secondsOf(timestamp.seconds), timestamp.nanos));
  }

  /** The submitting identity. */
  get caller(): Caller {
    const mspId = this.identity.getMSPID();
    const identity = this.identity;
    return {
      account: clientAccountId(mspId, identity.getID()),
      mspId,
      role: identity.getAttributeValue(ROLE_ATTRIBUTE) ?? undefined,
      attribute: (name: string): string | null => identity.getAttributeValue(name),
    };
  }

  /** The submitting identity's certificate as Fabric's MSP validated it (PEM), or '' for an identity without one. */
  get creatorCertificate(): string {
    return decoder.decode(this.identity.getIDBytes());
  }

  /** Reads and parses a JSON document, or undefined if the key is absent. */
  async get<T>(key: string): Promise<T | undefined> {
    const bytes = await this.stub.getState(key);
    return bytes === undefined || bytes.length === 0 ? undefined : (parse(bytes) as T);
  }

  /** Writes a document as canonical JSON (sorted keys). */
  async put(key: string, value: object): Promise<void> {
    await this.stub.putState(key, encoder.encode(canonicalJson(value)));
  }

  /**
   * Writes a document that holds `ownerMspId`'s value and pins the key to
   * that org: from the next transaction on, a write of the key is valid only
   * if the owner's peer endorsed it (see `endorsement.ts`). The policy is
   * written only when the key lacks it (a new key, or one from before
   * key-level policies), never again: Fabric invalidates, with
   * ENDORSEMENT_POLICY_FAILURE, every later transaction of a block that
   * writes a key whose policy an earlier one in the block changed, so a
   * policy written with every write would turn ordinary read conflicts on
   * one key into policy failures. Reading the policy adds the key to the read
   * set, which the callers have read already. Fabric checks a change of a
   * key's policy against the policy it had before, so a pinned key cannot be
   * unpinned without its owner.
   */
  async putOwned(key: string, value: object, ownerMspId: string): Promise<void> {
    await this.put(key, value);
    const policy = ownerPolicy(ownerMspId);
    if (policy === undefined) {
      return;
    }
    const current = await this.stub.getStateValidationParameter(key);
    if (current === undefined || Buffer.compare(Buffer.from(current), Buffer.from(policy)) !== 0) {
      await this.stub.setStateValidationParameter(key, policy);
    }
  }

  /**
   * Writes a document under a key this transaction creates (one named after
   * its own transaction id: a new licence and its lots) and pins it to
   * `ownerMspId`, as `putOwned` does, without first reading a policy that no
   * such key can have yet.
   */
  async createOwned(key: string, value: object, ownerMspId: string): Promise<void> {
    await this.put(key, value);
    const policy = ownerPolicy(ownerMspId);
    if (policy !== undefined) {
      await this.stub.setStateValidationParameter(key, policy);
    }
  }

  /**
   * Rewrites the value of a key that `createOwned` or `putOwned` pinned to an
   * owner that never changes (a licence's lots, an account's balance). Fabric
   * keeps a key's validation parameter when a transaction writes only its
   * value, so the key stays pinned; this saves the read of the policy, a round
   * trip to the peer on the hot path.
   */
  async updateOwned(key: string, value: object): Promise<void> {
    await this.put(key, value);
  }

  /** Deletes a key. */
  async delete(key: string): Promise<void> {
    await this.stub.deleteState(key);
  }

  /**
   * Reads a key range in key order, stopping after `limit` entries. Allowed
   * in submit transactions; note that Fabric re-checks the range at commit,
   * so a concurrent insert inside it fails this transaction (phantom read).
   */
  async range<T>(range: KeyRange, limit: number): Promise<Entry<T>[]> {
    const entries: Entry<T>[] = [];
    const iterator = await this.stub.getStateByRange(range.start, range.end);
    try {
      for (let next = await iterator.next(); !next.done && entries.length < limit; next = await iterator.next()) {
        entries.push({ key: next.value.key, value: parse(next.value.value) as T });
      }
    } finally {
      await iterator.close();
    }
    return entries;
  }

  /**
   * Reads one page of a key range. Fabric allows paginated queries only in
   * evaluate (query) transactions, so only `@Transaction(false)` methods call this.
   */
  async page<T>(range: KeyRange, pageSize: number, bookmark: string): Promise<Page<Entry<T>>> {
    // The peer starts the page at the bookmark without checking it, so a
    // bookmark outside the range would read keys this query's authorisation
    // never admitted. Compared as UTF-8 bytes, the order of the state database.
    if (bookmark !== '' && !withinRange(bookmark, range)) {
      throw invalidArgument('bookmark', 'is not a bookmark of this query; pass back the one the previous page returned');
    }
    const { iterator, metadata } = await this.stub.getStateByRangeWithPagination(range.start, range.end, pageSize, bookmark);
    const records: Entry<T>[] = [];
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        records.push({ key: next.value.key, value: parse(next.value.value) as T });
      }
    } finally {
      await iterator.close();
    }
    // Over an empty range the shim hands back no metadata at all.
    return {
      records,
      fetchedCount: metadata?.fetchedRecordsCount ?? records.length,
      bookmark: metadata?.bookmark ?? '',
    };
  }

  /**
   * One page of the committed modifications of a key, oldest first, so that
   * later changes only ever add pages at the end. The bookmark is the number
   * of entries before the page. Fabric (since v2.0) iterates newest first and
   * cannot start part way, so each page reads the key's whole history; it
   * returns only the page. `read` maps each stored value to what the entry
   * shows (a batched access's entry shows that access, not its whole batch).
   *
   * @throws ChaincodeError INVALID_ARGUMENT naming `bookmark` when it is not one this returned.
   */
  async history(
    key: string,
    pageSize: number,
    bookmark: string,
    read: (value: unknown) => unknown = (value) => value,
  ): Promise<Page<HistoryEntry>> {
    if (bookmark !== '' && !/^[1-9][0-9]{0,8}$/.test(bookmark)) {
      throw invalidArgument('bookmark', 'must be a bookmark returned by an earlier page of this history');
    }
    const start = bookmark === '' ? 0 : Number(bookmark);
    const entries: HistoryEntry[] = [];
    const iterator = await this.stub.getHistoryForKey(key);
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        const modification = next.value;
        entries.push({
          txId: modification.txId,
          timestamp: isoFromMillis(millisFromTimestamp(secondsOf(modification.timestamp.seconds), modification.timestamp.nanos)),
          isDelete: modification.isDelete,
          value: modification.isDelete || modification.value.length === 0 ? null : read(parse(modification.value)),
        });
      }
    } finally {
      await iterator.close();
    }
    const records = entries.reverse().slice(start, start + pageSize);
    const end = start + records.length;
    return { records, fetchedCount: records.length, bookmark: end < entries.length ? String(end) : '' };
  }

  /**
   * Sets the transaction's chaincode event. Fabric keeps only one event per
   * transaction, so a second call is a programming error.
   *
   * @throws Error if an event was already set in this transaction.
   */
  emit(name: string, payload: object): void {
    if (this.eventName !== undefined) {
      throw new Error(`event ${this.eventName} already set; Fabric keeps one event per transaction`);
    }
    this.eventName = name;
    this.stub.setEvent(name, encoder.encode(canonicalJson(payload)));
  }
}

/** True if `key` lies in `[range.start, range.end)` in byte order. */
function withinRange(key: string, range: KeyRange): boolean {
  const bytes = Buffer.from(key, 'utf8');
  return Buffer.compare(bytes, Buffer.from(range.start, 'utf8')) >= 0 && Buffer.compare(bytes, Buffer.from(range.end, 'utf8')) < 0;
}
