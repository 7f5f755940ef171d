import { X509Certificate, type KeyObject } from 'crypto';
import { ContractName, accessLeaf, batchedAccessId, callName, merkleRoot as rootOf } from '@model-ledger/contract';
import type {
  AccessBatchInput,
  AccessBatchRecord,
  AccessRecord,
  AccessRequest,
  BatchOutcome,
  BatchResult,
  SignedAccess,
} from '@model-ledger/contract';
import { Limits } from '../config';
import { ChaincodeError, ErrorCode, invalidArgument } from '../errors';
import { Events } from '../events';
import { identityOf, requireTrusted, verifySignedRequest } from '../domain/attestation';
import type { CertifiedIdentity } from '../domain/attestation';
import { clientAccountId } from '../domain/identity';
import { drawInOrder, lotVisitOrder, startLot } from '../domain/lots';
import type {
  LicenseRecord,
  ModelRecord,
  ModelVersionRecord,
  RoyaltyPolicy,
  RoyaltyRow,
  RoyaltyShare,
  TermsSnapshot,
} from '../domain/records';
import { splitRoyalty } from '../domain/split';
import { assertEntitled, mayBatch } from '../domain/terms';
import type { AccessCaller } from '../domain/terms';
import {
  requireArray,
  requireId,
  requireInteger,
  requireObject,
  requirePemCertificate,
  requireSha256,
  requireText,
  requireUnits,
} from '../domain/validation';
import { saveAccessBatch } from '../ledger/accesses';
import { requireWriter } from '../ledger/authz';
import { lotRemaining, writeTakes } from '../ledger/licenses';
import type { LotTake } from '../ledger/licenses';
import { loadLineagePolicies } from '../ledger/lineage';
import { requireLicense, requireModel, requireModelVersion, requireTerms } from '../ledger/loads';
import { ClientRequest } from '../ledger/requests';
import { rootsOf } from '../ledger/roots';
import { shareOf, writeRoyaltyRows } from '../ledger/royalties';
import type { Tx } from '../ledger/tx';

/**
 * RecordAccessBatch: many accesses of one org's users in one transaction
 * (issue 17). Each access is checked exactly as RecordAccess checks one, with
 * its own caller, who signed it: the certificate against the org's CA roots
 * on the ledger, the signature against the certificate, then the licence's
 * terms, expiry, purpose and units. An access that fails a check is refused
 * alone, with its own code; the others are recorded. Units are drawn from
 * the lots through an overlay of what earlier accesses of the batch took, so
 * the batch never reads its own writes and never overdraws.
 *
 * What it writes: one batch record with every access and the Merkle root of
 * their leaves, five index rows per licence and caller (not per access), one
 * royalty accrual and payment row per beneficiary and licence, the lots it
 * drew from once each, and one request record per access (its caller's
 * request id, shared with RecordAccess: a retry through either path gets the
 * first answer).
 */

/** RecordAccess's call name: a batched access answers a caller's request id exactly as a single one does. */
const ACCESS_CALL = callName(ContractName.license, 'RecordAccess');

/**
 * Parses the batch's form. A malformed batch is refused whole; a malformed
 * access within a well-formed batch is refused alone, later.
 *
 * @throws ChaincodeError INVALID_ARGUMENT naming the field at fault.
 */
function parseBatch(raw: string): AccessBatchInput {
  const text = requireText('batch', raw, Limits.maxBatchLength);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    throw invalidArgument('batch', 'must be valid JSON');
  }
  const batch = requireObject('batch', parsed);
  const certificates = requireArray('batch.certificates', batch.certificates, Limits.maxBatchAccesses).map((pem, i) =>
    requirePemCertificate(`batch.certificates[${i}]`, pem),
  );
  const accesses = requireArray('batch.accesses', batch.accesses, Limits.maxBatchAccesses);
  if (accesses.length === 0) {
    throw invalidArgument('batch.accesses', 'must hold at least one access');
  }
  return {
    certificates,
    accesses: accesses.map((entry, i): SignedAccess => {
      const access = requireObject(`batch.accesses[${i}]`, entry);
      return {
        certificate: requireInteger(`batch.accesses[${i}].certificate`, access.certificate, 0, certificates.length - 1),
        request: requireObject(`batch.accesses[${i}].request`, access.request) as unknown as AccessRequest,
        signature: requireText(`batch.accesses[${i}].signature`, access.signature, 256),
        lotHint:
          access.lotHint === undefined
            ? undefined
            : requireInteger(`batch.accesses[${i}].lotHint`, access.lotHint, 0, Number.MAX_SAFE_INTEGER),
      };
    }),
  };
}

/** An access's request fields, checked as RecordAccess checks its arguments. */
function requestFields(request: AccessRequest): {
  licenseId: string;
  units: bigint;
  purpose: string;
  requestHash: string;
  requestId: string | undefined;
  served: string | undefined;
} {
  return {
    licenseId: requireId('licenseId', request.licenseId),
    units: requireUnits('units', request.units),
    purpose: requireText('purpose', request.purpose, 64),
    requestHash: requireSha256('requestHash', request.requestHash),
    requestId: request.requestId === undefined ? undefined : requireId('requestId', request.requestId),
    served: request.artifactSha256 === undefined ? undefined : requireSha256('artifactSha256', request.artifactSha256),
  };
}

/**
 * What a batch reads once and what it has drawn so far: licences, terms,
 * models and lineage read at most once per transaction, and each lot's
 * remaining units after the accesses recorded so far.
 */
class BatchLedger {
  private readonly licenses = new Map<string, LicenseRecord>();
  private readonly terms = new Map<string, TermsSnapshot>();
  private readonly models = new Map<string, { model: ModelRecord; version: ModelVersionRecord; policies: Map<string, RoyaltyPolicy> }>();
  /** Remaining units per licence and lot, after the accesses recorded so far. */
  private readonly lots = new Map<string, Map<number, { before: bigint; remaining: bigint }>>();

  constructor(private readonly tx: Tx) {}

  async license(licenseId: string): Promise<LicenseRecord> {
    let license = this.licenses.get(licenseId);
    if (license === undefined) {
      license = await requireLicense(this.tx, licenseId, 'licenseId');
      this.licenses.set(licenseId, license);
    }
    return license;
  }

  async snapshot(license: LicenseRecord): Promise<TermsSnapshot> {
    let snapshot = this.terms.get(license.termsKey);
    if (snapshot === undefined) {
      snapshot = await requireTerms(this.tx, license.termsKey);
      this.terms.set(license.termsKey, snapshot);
    }
    return snapshot;
  }

  async model(modelId: string): Promise<{ model: ModelRecord; version: ModelVersionRecord; policies: Map<string, RoyaltyPolicy> }> {
    let entry = this.models.get(modelId);
    if (entry === undefined) {
      const model = await requireModel(this.tx, modelId);
      entry = {
        model,
        version: await requireModelVersion(this.tx, model.modelId, model.activeVersion),
        policies: await loadLineagePolicies(this.tx, model),
      };
      this.models.set(modelId, entry);
    }
    return entry;
  }

  private lotsOf(license: LicenseRecord): Map<number, { before: bigint; remaining: bigint }> {
    let lots = this.lots.get(license.licenseId);
    if (lots === undefined) {
      lots = new Map();
      this.lots.set(license.licenseId, lots);
    }
    return lots;
  }

  /**
   * Plans drawing `units` from a licence's lots from `start`, after what the
   * batch drew already; nothing is taken until `take`.
   *
   * @throws ChaincodeError INSUFFICIENT_UNITS when fewer are left.
   */
  async plan(license: LicenseRecord, units: bigint, start: number): Promise<LotTake[]> {
    const lots = this.lotsOf(license);
    const { draws, taken } = await drawInOrder(lotVisitOrder(start, license.lotCount), units, async (index) => {
      let lot = lots.get(index);
      if (lot === undefined) {
        const before = await lotRemaining(this.tx, license, index);
        lot = { before, remaining: before };
        lots.set(index, lot);
      }
      return lot.remaining;
    });
    if (taken < units) {
      throw new ChaincodeError(
        ErrorCode.INSUFFICIENT_UNITS,
        `licence ${license.licenseId} has ${taken} units left after this batch's earlier accesses, fewer than the ${units} requested`,
      );
    }
    return draws.map(({ index, units: drawn, available }) => ({ index, units: drawn, before: available }));
  }

  /** Takes what `plan` planned. */
  take(license: LicenseRecord, takes: readonly LotTake[]): void {
    const lots = this.lotsOf(license);
    for (const take of takes) {
      const lot = lots.get(take.index);
      if (lot !== undefined) lot.remaining -= take.units;
    }
  }

  /** Writes every lot the batch drew from, once, with what is left in it. */
  async writeLots(): Promise<void> {
    for (const [licenseId, lots] of this.lots) {
      const license = this.licenses.get(licenseId);
      if (license === undefined) continue;
      const takes = [...lots.entries()]
        .filter(([, lot]) => lot.remaining !== lot.before)
        .map(([index, lot]) => ({ index, units: lot.before - lot.remaining, before: lot.before }));
      await writeTakes(this.tx, license, takes);
    }
  }
}

/** One access recorded by the batch, with the request record it answers. */
interface Recorded {
  readonly index: number;
  readonly record: AccessRecord;
  readonly request: ClientRequest;
  readonly signature: string;
  readonly signedAt: string;
  readonly requestId: string | undefined;
  readonly certificate: number;
  /** The accessed model's owner, whom the batch's event names so that its org sees it. */
  readonly ownerMspId: string;
}

/**
 * The royalty rows of a batch: one per beneficiary, model, depth and
 * licence, summing its accesses' shares (one row per beneficiary for a
 * batch on one licence), each naming the batch as its source.
 */
function batchRoyaltyRows(records: readonly AccessRecord[], batchId: string, at: string): RoyaltyRow[] {
  const rows = new Map<string, RoyaltyRow>();
  for (const record of records) {
    for (const share of record.royalties) {
      const key = JSON.stringify([share.account, share.modelId, share.depth, record.modelId, record.licenseId]);
      const row = rows.get(key);
      rows.set(key, {
        docType: 'royalty',
        kind: 'batch',
        account: share.account,
        amount: (BigInt(row?.amount ?? '0') + BigInt(share.amount)).toString(),
        modelId: share.modelId,
        accessedModelId: record.modelId,
        depth: share.depth,
        licenseId: record.licenseId,
        accessId: batchId,
        at,
        txId: batchId,
      });
    }
  }
  return [...rows.values()];
}

/** Records a batch of signed accesses; see the module's comment. */
export async function recordAccessBatch(tx: Tx, raw: string): Promise<BatchResult> {
  const submitter = tx.caller;
  requireWriter(submitter, 'record a batch of accesses');
  const input = parseBatch(raw);
  const now = tx.now;
  const txId = tx.txId;
  const roots = (await rootsOf(tx, submitter.mspId)).map((root) => new X509Certificate(root.certificate));
  // Each distinct caller's certificate is parsed and checked against the roots once, however many accesses it signed.
  const certificates = input.certificates.map((pem): { key: KeyObject; refusal?: ChaincodeError } | undefined => {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(pem);
    } catch {
      return undefined;
    }
    try {
      requireTrusted(certificate, roots, submitter.mspId, now);
      return { key: certificate.publicKey };
    } catch (err) {
      if (!(err instanceof ChaincodeError)) throw err;
      return { key: certificate.publicKey, refusal: err };
    }
  });
  const identities = new Map<number, CertifiedIdentity>();
  const ledger = new BatchLedger(tx);
  const outcomes: BatchOutcome[] = [];
  const recorded: Recorded[] = [];
  const seen = new Set<string>();

  for (const [index, signed] of input.accesses.entries()) {
    try {
      const certificate = certificates[signed.certificate];
      if (certificate === undefined) {
        throw new ChaincodeError(
          ErrorCode.CERTIFICATE_UNTRUSTED,
          `certificate ${signed.certificate} of the batch is not a PEM X.509 certificate`,
        );
      }
      if (certificate.refusal !== undefined) throw certificate.refusal;
      verifySignedRequest(signed.request, certificate.key, signed.signature, submitter.mspId, now);
      const fields = requestFields(signed.request);
      let identity = identities.get(signed.certificate);
      if (identity === undefined) {
        identity = identityOf(submitter.mspId, input.certificates[signed.certificate]);
        identities.set(signed.certificate, identity);
      }
      const certified = identity;
      const caller: AccessCaller = {
        account: clientAccountId(submitter.mspId, certified.getID()),
        mspId: submitter.mspId,
        attribute: (name) => certified.getAttributeValue(name),
      };
      const once = fields.requestId === undefined ? undefined : `${caller.account}\n${fields.requestId}`;
      if (once !== undefined && seen.has(once)) {
        throw new ChaincodeError(ErrorCode.CONFLICT, `request id ${fields.requestId} of this caller appears twice in the batch`);
      }
      const request = await ClientRequest.beginFor(
        tx,
        caller.account,
        ACCESS_CALL,
        [fields.licenseId, fields.units.toString(), fields.purpose, fields.requestHash, fields.served ?? ''],
        fields.requestId ?? '',
      );
      if (request.earlier !== undefined && once !== undefined) {
        seen.add(once);
        outcomes.push({ index, status: 'replayed', access: request.earlier as AccessRecord });
        continue;
      }
      const license = await ledger.license(fields.licenseId);
      const snapshot = await ledger.snapshot(license);
      if (!mayBatch(snapshot.terms)) {
        throw new ChaincodeError(
          ErrorCode.BATCH_NOT_PERMITTED,
          `licence ${license.licenseId} was bought under terms that record one transaction per access; record it with RecordAccess`,
        );
      }
      assertEntitled(snapshot.terms, license, caller, now, fields.purpose);
      const takes = await ledger.plan(license, fields.units, startLot(txId, license.lotCount, signed.lotHint));
      const { model, version, policies } = await ledger.model(license.modelId);
      if (fields.served !== undefined && fields.served !== version.artifactSha256) {
        throw new ChaincodeError(
          ErrorCode.ARTIFACT_MISMATCH,
          `model ${model.modelId} serves version ${version.version} with artifact ${version.artifactSha256}, not ${fields.served}`,
        );
      }
      const amount = fields.units * BigInt(license.unitPrice);
      const royalties: RoyaltyShare[] = splitRoyalty(amount, model.modelId, policies, Limits.maxLineageDepth).map(shareOf);
      ledger.take(license, takes);
      if (once !== undefined) seen.add(once);
      const position = recorded.length;
      const record: AccessRecord = {
        docType: 'access',
        accessId: batchedAccessId(txId, position),
        licenseId: license.licenseId,
        offeringId: license.offeringId,
        modelId: model.modelId,
        version: version.version,
        artifactSha256: version.artifactSha256,
        callerAccount: caller.account,
        callerMspId: caller.mspId,
        holder: license.holder,
        units: fields.units.toString(),
        purpose: fields.purpose,
        requestHash: fields.requestHash,
        amount: amount.toString(),
        royalties,
        lots: takes.map((take) => ({ index: take.index, units: take.units.toString() })),
        termsHash: license.termsHash,
        timestamp: now,
        txId,
      };
      recorded.push({
        index,
        record,
        request,
        signature: signed.signature,
        signedAt: signed.request.signedAt,
        requestId: fields.requestId,
        certificate: signed.certificate,
        ownerMspId: model.ownerMspId,
      });
      outcomes.push({ index, status: 'recorded', accessId: record.accessId, position });
    } catch (err) {
      if (!(err instanceof ChaincodeError)) throw err;
      outcomes.push({ index, status: 'refused', code: err.code, message: err.message });
    }
  }

  const records = recorded.map((entry) => entry.record);
  const summary = { recorded: records.length, refused: outcomes.filter((o) => o.status === 'refused').length };
  const replayed = outcomes.length - summary.recorded - summary.refused;
  if (records.length === 0) {
    return { batchId: txId, recorded: 0, refused: summary.refused, replayed, outcomes };
  }
  const merkleRoot = rootOf(records.map(accessLeaf)).toString('hex');
  // Certificates kept are those of recorded accesses, renumbered.
  const kept = [...new Set(recorded.map((entry) => entry.certificate))];
  const batch: AccessBatchRecord = {
    docType: 'accessBatch',
    batchId: txId,
    mspId: submitter.mspId,
    submitter: submitter.account,
    merkleRoot,
    accesses: records,
    signatures: recorded.map((entry) => ({ signature: entry.signature, signedAt: entry.signedAt, requestId: entry.requestId })),
    certificates: kept.map((i) => input.certificates[i]),
    certificateOf: recorded.map((entry) => kept.indexOf(entry.certificate)),
    timestamp: now,
    txId,
  };
  await ledger.writeLots();
  await saveAccessBatch(tx, batch);
  await writeRoyaltyRows(tx, batchRoyaltyRows(records, txId, now), now);
  for (const entry of recorded) {
    await entry.request.finish(entry.record);
  }
  tx.emit(Events.AccessBatchRecorded, {
    batchId: txId,
    mspId: submitter.mspId,
    merkleRoot,
    recorded: records.length,
    refused: summary.refused,
    replayed,
    licenseIds: [...new Set(records.map((record) => record.licenseId))].sort(),
    modelIds: [...new Set(records.map((record) => record.modelId))].sort(),
    ownerMspIds: [...new Set(recorded.map((entry) => entry.ownerMspId))].sort(),
    txId,
  });
  return { batchId: txId, merkleRoot, recorded: records.length, refused: summary.refused, replayed, outcomes };
}
