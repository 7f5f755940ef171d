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
import type { AccessRecord } from './records';

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
