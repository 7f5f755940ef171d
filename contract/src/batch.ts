/**
 * Batched metering (issue 17), as the chaincode, the gateway and anyone who
 * checks a receipt offline see it: what a caller signs to have one access
 * recorded in a batch, what the batch transaction takes and answers, and how
 * an access becomes a leaf of the batch's Merkle tree.
 *
 * A batch is one transaction of one org's gateway holding many accesses of
 * that org's users. Each access carries its caller's certificate and the
 * caller's signature over the canonical JSON of its request, so the chaincode
 * attributes it to that user (checked against the org's CA root registered on
 * the ledger), not merely to the org that submitted the batch.
 */
import { canonicalJson } from './canonical';
import { leafHash, merkleTree } from './merkle';
import type { AccessRecord, RoyaltyShare } from './records';

/** The domain tag every signed access request carries, so a signature over it can never pass for another message. */
export const ACCESS_REQUEST_KIND = 'mll-access-request-v1';

/**
 * One access as its caller asked for it and signed it. The signature covers
 * the canonical JSON of exactly these members, in UTF-8, hashed with SHA-256
 * and signed with the key of the caller's certificate, as Fabric signs a
 * proposal (ECDSA, DER).
 */
export interface AccessRequest {
  readonly kind: typeof ACCESS_REQUEST_KIND;
  /** The caller's MSP: the batch's submitter must be of the same one. */
  readonly mspId: string;
  readonly licenseId: string;
  readonly units: string;
  readonly purpose: string;
  /** sha256 (hex) of the inference request the access pays for. */
  readonly requestHash: string;
  /**
   * The caller's request id (its Idempotency-Key), or absent: an access with
   * one is recorded once per caller and id, batched or single, and a retry
   * gets the first answer; the chaincode then reads and writes a request
   * record for it. An access without one costs neither, and may be carried
   * again by its own org's gateway while its signature is fresh (that
   * gateway holds its users' keys, so this gives it nothing it lacked).
   */
  readonly requestId?: string;
  /** When the caller signed; the chaincode refuses a request signed long before or after the batch's timestamp. */
  readonly signedAt: string;
  /**
   * The artifact the serving endpoint reported, when the gateway checked it
   * before charging (as RecordAccess's `servedArtifactSha256`): the access is
   * refused with ARTIFACT_MISMATCH unless it is the active version's.
   */
  readonly artifactSha256?: string;
}

/** The bytes a caller signs for an access request. */
export function accessRequestBytes(request: AccessRequest): Buffer {
  return Buffer.from(canonicalJson(request), 'utf8');
}

/** One signed access in a batch. */
export interface SignedAccess {
  /** Index into the batch's `certificates`: the caller's certificate. */
  readonly certificate: number;
  readonly request: AccessRequest;
  /** Base64 DER ECDSA signature over `accessRequestBytes(request)` with the certificate's key. */
  readonly signature: string;
  /** The first lot to draw from (not signed: it moves no value, it only spreads concurrent batches over keys). */
  readonly lotHint?: number;
}

/** The argument of `RecordAccessBatch`: each distinct caller's certificate once, and the accesses. */
export interface AccessBatchInput {
  /** PEM certificates of the callers. */
  readonly certificates: readonly string[];
  readonly accesses: readonly SignedAccess[];
}

/**
 * The record a batch writes once: every access it recorded, in order, the
 * Merkle root over their leaves, and the signatures that attribute them.
 */
export interface AccessBatchRecord {
  readonly docType: 'accessBatch';
  /** The batch transaction's id. */
  readonly batchId: string;
  readonly mspId: string;
  /** The account that submitted the batch (an identity of `mspId`). */
  readonly submitter: string;
  /** Hex RFC 6962 root over `accessLeaf(record)` of every access, in position order. */
  readonly merkleRoot: string;
  readonly accesses: readonly AccessRecord[];
  /** Per access, in the same order: its caller's signature over its request, and that request's signing time. */
  readonly signatures: readonly { readonly signature: string; readonly signedAt: string; readonly requestId?: string }[];
  /** The callers' certificates (PEM), indexed by `certificateOf`. */
  readonly certificates: readonly string[];
  /** Per access, the index of its caller's certificate in `certificates`. */
  readonly certificateOf: readonly number[];
  readonly timestamp: string;
  readonly txId: string;
}

/**
 * One access as a batch stores it: only what is its own. Its licence's
 * fields, its caller's account, its amount and royalties (the same for every
 * access of a licence with the same units) and the batch's time and id are
 * stored once in the batch (`StoredAccessBatch`).
 */
export type StoredAccess = readonly [
  /** Index into the batch's `licences`. */
  licence: number,
  /** Index into the batch's `certificates` and `callers`. */
  caller: number,
  units: string,
  purpose: string,
  requestHash: string,
  /** The lots drawn from: [index, units]. */
  lots: readonly (readonly [number, string])[],
  /** The caller's signature over its request (base64 DER). */
  signature: string,
  signedAt: string,
  requestId?: string,
];

/** What the accesses of one licence in a batch share. */
export interface StoredBatchLicence extends Pick<
  AccessRecord,
  'licenseId' | 'offeringId' | 'modelId' | 'version' | 'artifactSha256' | 'holder' | 'termsHash'
> {
  /** By units: the amount an access of that many units released, and its royalty shares. */
  readonly charges: Readonly<Record<string, Pick<AccessRecord, 'amount' | 'royalties'>>>;
}

/**
 * How the ledger stores an `AccessBatchRecord`: every field of every access
 * is there, but what accesses share is stored once (a batch of one licence
 * and a few callers keeps about a quarter of the bytes). `expandAccessBatch`
 * gives back the record exactly, so the Merkle leaves, which are over the
 * expanded access records, are the same whichever form was read.
 */
export interface StoredAccessBatch extends Pick<
  AccessBatchRecord,
  'docType' | 'batchId' | 'mspId' | 'submitter' | 'merkleRoot' | 'certificates' | 'timestamp' | 'txId'
> {
  readonly layout: 'compact-1';
  /** The account each certificate's holder is, by the same index as `certificates`. */
  readonly callers: readonly string[];
  readonly licences: readonly StoredBatchLicence[];
  readonly accesses: readonly StoredAccess[];
}

/**
 * The stored form of a batch record.
 *
 * @throws Error when its accesses do not share what the stored form keeps
 *   once (another MSP, time or transaction than the batch's, two accounts
 *   for one certificate, two charges for the same units of one licence): a
 *   batch the chaincode made never does.
 */
export function compactAccessBatch(batch: AccessBatchRecord): StoredAccessBatch {
  const licences: StoredBatchLicence[] = [];
  const charges: Record<string, { amount: string; royalties: readonly RoyaltyShare[] }>[] = [];
  const callers: string[] = batch.certificates.map(() => '');
  const same = (what: string, a: unknown, b: unknown): void => {
    if (canonicalJson(a) !== canonicalJson(b)) {
      throw new Error(`batch ${batch.batchId}: ${what} differs between accesses that share it`);
    }
  };
  const accesses = batch.accesses.map((record, position): StoredAccess => {
    same('the MSP, time or transaction', [record.callerMspId, record.timestamp, record.txId], [batch.mspId, batch.timestamp, batch.txId]);
    same('the access id', record.accessId, batchedAccessId(batch.batchId, position));
    let licence = licences.findIndex((l) => l.licenseId === record.licenseId);
    if (licence < 0) {
      licence = charges.push({}) - 1;
      const { licenseId, offeringId, modelId, version, artifactSha256, holder, termsHash } = record;
      licences.push({ licenseId, offeringId, modelId, version, artifactSha256, holder, termsHash, charges: charges[licence] });
    }
    const shared = licences[licence];
    same(
      'the licence',
      [record.offeringId, record.modelId, record.version, record.artifactSha256, record.holder, record.termsHash],
      [shared.offeringId, shared.modelId, shared.version, shared.artifactSha256, shared.holder, shared.termsHash],
    );
    const charge = { amount: record.amount, royalties: record.royalties };
    const known = charges[licence][record.units];
    if (known === undefined) charges[licence][record.units] = charge;
    else same('the charge', charge, known);
    const caller = batch.certificateOf[position];
    if (callers[caller] === '') callers[caller] = record.callerAccount;
    same("the certificate's account", record.callerAccount, callers[caller]);
    const { signature, signedAt, requestId } = batch.signatures[position];
    const lots = record.lots.map((lot): readonly [number, string] => [lot.index, lot.units]);
    const stored = [licence, caller, record.units, record.purpose, record.requestHash, lots, signature, signedAt] as const;
    return requestId === undefined ? stored : [...stored, requestId];
  });
  const { batchId, mspId, submitter, merkleRoot, certificates, timestamp, txId } = batch;
  return {
    docType: 'accessBatch',
    layout: 'compact-1',
    batchId,
    mspId,
    submitter,
    merkleRoot,
    certificates,
    callers,
    licences,
    accesses,
    timestamp,
    txId,
  };
}

/** A batch record as the ledger stored it, in either form, as the full record. */
export function expandAccessBatch(stored: AccessBatchRecord | StoredAccessBatch): AccessBatchRecord {
  if (!('layout' in stored)) return stored;
  const { batchId, mspId, submitter, merkleRoot, certificates, callers, licences, timestamp, txId } = stored;
  const accesses = stored.accesses.map(([licence, caller, units, purpose, requestHash, lots], position): AccessRecord => {
    const { licenseId, offeringId, modelId, version, artifactSha256, holder, termsHash, charges } = licences[licence];
    return {
      docType: 'access',
      accessId: batchedAccessId(batchId, position),
      licenseId,
      offeringId,
      modelId,
      version,
      artifactSha256,
      callerAccount: callers[caller],
      callerMspId: mspId,
      holder,
      units,
      purpose,
      requestHash,
      amount: charges[units].amount,
      royalties: charges[units].royalties,
      lots: lots.map(([index, drawn]) => ({ index, units: drawn })),
      termsHash,
      timestamp,
      txId,
    };
  });
  return {
    docType: 'accessBatch',
    batchId,
    mspId,
    submitter,
    merkleRoot,
    accesses,
    signatures: stored.accesses.map(([, , , , , , signature, signedAt, requestId]) =>
      requestId === undefined ? { signature, signedAt } : { signature, signedAt, requestId },
    ),
    certificates,
    certificateOf: stored.accesses.map(([, caller]) => caller),
    timestamp,
    txId,
  };
}

/** Where an access sits in its batch, and the path that proves it. */
export interface BatchReceipt {
  /** The batch transaction's id (the block holding it holds the root). */
  readonly batchId: string;
  /** The access's position in the batch, from 0. */
  readonly position: number;
  /** Accesses in the batch. */
  readonly size: number;
  /** Hex RFC 6962 inclusion path, leaf to root. */
  readonly path: readonly string[];
  readonly merkleRoot: string;
}

/**
 * What a batch answers for one of its accesses, in the order the batch
 * listed them. A recorded access is named, not repeated: the answer is part
 * of the transaction the block keeps, and the records are in the batch's
 * record already (`GetAccessBatch`), from which anyone derives the receipts
 * (`batchReceipts`).
 */
export type BatchOutcome =
  | { readonly index: number; readonly status: 'recorded'; readonly accessId: string; readonly position: number }
  /** An access this caller's request id already recorded (in this batch's past): its first answer, nothing charged again. */
  | { readonly index: number; readonly status: 'replayed'; readonly access: AccessRecord; readonly receipt?: BatchReceipt }
  | { readonly index: number; readonly status: 'refused'; readonly code: string; readonly message: string };

/** The answer of `RecordAccessBatch`. */
export interface BatchResult {
  readonly batchId: string;
  /** Absent when the batch recorded nothing. */
  readonly merkleRoot?: string;
  readonly recorded: number;
  readonly refused: number;
  readonly replayed: number;
  readonly outcomes: readonly BatchOutcome[];
}

/** The id of the access at `position` of batch `batchId`: `<batch transaction id>-<position>`. */
export function batchedAccessId(batchId: string, position: number): string {
  return `${batchId}-${position}`;
}

/** A batched access id's batch and position, or undefined for the id of a single access (a transaction id). */
export function parseBatchedAccessId(accessId: string): { batchId: string; position: number } | undefined {
  const match = /^([0-9a-f]{64})-(0|[1-9][0-9]{0,5})$/.exec(accessId);
  return match === null ? undefined : { batchId: match[1], position: Number(match[2]) };
}

/** The bytes of an access's Merkle leaf: the canonical JSON of its record, as the ledger stores it. */
export function accessLeaf(record: AccessRecord): Buffer {
  return Buffer.from(canonicalJson(record), 'utf8');
}

/**
 * The receipt of every access of a batch record, by position, from its
 * records alone.
 *
 * @throws Error when the records do not lead to the root the record states.
 */
export function batchReceipts(batch: Pick<AccessBatchRecord, 'batchId' | 'merkleRoot' | 'accesses'>): BatchReceipt[] {
  const tree = merkleTree(batch.accesses.map(accessLeaf));
  if (tree.root.toString('hex') !== batch.merkleRoot) {
    throw new Error(`the accesses of batch ${batch.batchId} do not lead to its root ${batch.merkleRoot}`);
  }
  return tree.paths.map((path, position) => ({
    batchId: batch.batchId,
    position,
    size: batch.accesses.length,
    path: path.map((hash) => hash.toString('hex')),
    merkleRoot: batch.merkleRoot,
  }));
}

/** The RFC 6962 leaf hash of an access (hex), for display next to a receipt. */
export function accessLeafHash(record: AccessRecord): string {
  return leafHash(accessLeaf(record)).toString('hex');
}
