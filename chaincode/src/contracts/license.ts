import { ContractName, accessLeaf, callName, merkleTree, parseBatchedAccessId } from '@model-ledger/contract';
import type { BatchedAccessView, Entitlement, LicenseView } from '@model-ledger/contract';
import { Context, Info, Transaction } from 'fabric-contract-api';
import { LedgerContract } from './base';
import { Limits, Role } from '../config';

import { ChaincodeError, ErrorCode } from '../errors';
import { Events } from '../events';
import { mspOfAccount } from '../domain/identity';
import { Keys } from '../domain/keys';
import { lotCount, startLot } from '../domain/lots';
import type {
  AccessRecord,
  ExpirySettlementRecord,
  LicenseRecord,
  ModelRecord,
  ModelVersionRecord,
  OfferingRecord,
  PurchaseRecord,
  RefundRecord,
  RoyaltyRow,
  RoyaltyShare,
  TermsSnapshot,
} from '../domain/records';
import { splitRoyalty } from '../domain/split';
import { assertEntitled, expiryFor, mayHold } from '../domain/terms';
import type { LicenseTerms } from '../domain/terms';
import {
  optionalIndex,
  requireAccountId,
  requireBookmark,
  requireChoice,
  requireId,
  requirePageSize,
  requireSha256,
  requireText,
  requireUnits,
} from '../domain/validation';
import { findAccess, findAccessBatch, findRefund, saveAccess, saveRefund } from '../ledger/accesses';
import { ACCOUNT_CHOICES, actingAccount, requireAccountReader, requireOrgWriter, requireReader, requireWriter } from '../ledger/authz';
import { credit, debit } from '../ledger/balances';
import {
  licenseOutflow,
  licenseRemaining,
  pageOfHolderLicenses,
  planTake,
  returnToLots,
  saveExpirySettlement,
  saveNewLicense,
  unindexHoldingOfModel,
  writeTakes,
} from '../ledger/licenses';
import type { LotTake } from '../ledger/licenses';
import { loadLineagePolicies } from '../ledger/lineage';
import { requireLicense, requireModel, requireModelVersion, requireOffering, requireTerms } from '../ledger/loads';
import { planSupply, writeSupply, type SupplyTake } from '../ledger/supply';
import { savePurchase } from '../ledger/purchases';
import { royaltyRows, shareOf, writeRoyaltyRows } from '../ledger/royalties';
import { ClientRequest } from '../ledger/requests';
import { Tx } from '../ledger/tx';
import { recordAccessBatch } from './batch';
import { result } from './result';

/** Who may refund an access of a model: its owner org's admins and engineers (the serving gate runs as one). */
const REFUNDERS = [Role.admin, Role.engineer] as const;

/** A purchase checked and priced, before anything is written. */
interface PurchasePlan {
  readonly offering: OfferingRecord;
  readonly termsKey: string;
  readonly snapshot: TermsSnapshot;
  /** The shards of the offering's supply the units are drawn from. */
  readonly supply: readonly SupplyTake[];
  readonly price: bigint;
  readonly licenseId: string;
  /** The model's resale royalty rate now, frozen on the licence like the terms. */
  readonly resaleRoyaltyBps: number;
}

/**
 * Checks that `buyer` may buy `units` of an offering now (on sale, allowed
 * to hold its current terms, within its supply cap) and prices them.
 *
 * @throws ChaincodeError INVALID_ARGUMENT, OFFERING_PAUSED, OFFERING_RETIRED, FORBIDDEN, SUPPLY_EXHAUSTED or CONFLICT.
 */
async function planPurchase(
  tx: Tx,
  offeringId: string,
  units: bigint,
  buyer: string,
  supplyHint: number | undefined,
): Promise<PurchasePlan> {
  const offering = await requireOffering(tx, offeringId, 'offeringId');
  if (offering.status === 'paused') {
    throw new ChaincodeError(ErrorCode.OFFERING_PAUSED, `offering ${offeringId} is paused and sells nothing until resumed`);
  }
  if (offering.status === 'retired') {
    throw new ChaincodeError(ErrorCode.OFFERING_RETIRED, `offering ${offeringId} is retired and sells nothing`);
  }
  const termsKey = Keys.terms(offering.offeringId, offering.termsVersion);
  const snapshot = await requireTerms(tx, termsKey);
  if (!mayHold(snapshot.terms, buyer)) {
    throw new ChaincodeError(
      ErrorCode.FORBIDDEN,
      `offering ${offeringId} may only be held by ${snapshot.terms.allowedMspIds.join(', ')}, not ${mspOfAccount(buyer)}`,
    );
  }
  const supply = await planSupply(tx, offering, units, supplyHint);
  const price = units * BigInt(snapshot.terms.unitPrice);
  if (price > Limits.maxAmount) {
    throw new ChaincodeError(ErrorCode.INVALID_ARGUMENT, `units ${units} at this price exceed ${Limits.maxAmount}`);
  }
  const licenseId = `L-${tx.txId.slice(0, 16)}`;
  if ((await tx.get<LicenseRecord>(Keys.license(licenseId))) !== undefined) {
    throw new ChaincodeError(ErrorCode.CONFLICT, `licence ${licenseId} already exists; submit again`);
  }
  // The resale royalty these units will pay is frozen now, like the terms.
  const model = await requireModel(tx, offering.modelId);
  return { offering, termsKey, snapshot, supply, price, licenseId, resaleRoyaltyBps: model.royaltyPolicy.resaleRoyaltyBps };
}

/** The licence a planned purchase gives `buyer`: the units, under the frozen terms, price and resale rate. */
function purchasedLicense(tx: Tx, plan: PurchasePlan, buyer: string, units: bigint): LicenseRecord {
  const now = tx.now;
  return {
    docType: 'license',
    licenseId: plan.licenseId,
    holder: buyer,
    offeringId: plan.offering.offeringId,
    modelId: plan.offering.modelId,
    termsKey: plan.termsKey,
    termsHash: plan.snapshot.hash,
    units: units.toString(),
    unitPrice: plan.snapshot.terms.unitPrice,
    lotCount: lotCount(units, Limits.maxLotsPerLicense),
    purchasedAt: now,
    expiresAt: expiryFor(plan.snapshot.terms, now),
    resaleRoyaltyBps: plan.resaleRoyaltyBps,
    txId: tx.txId,
  };
}

/** The purchase record of a new licence. */
function purchaseRecord(license: LicenseRecord, price: bigint, requestId: string): PurchaseRecord {
  return {
    docType: 'purchase',
    licenseId: license.licenseId,
    offeringId: license.offeringId,
    modelId: license.modelId,
    buyer: license.holder,
    units: license.units,
    unitPrice: license.unitPrice,
    price: price.toString(),
    termsHash: license.termsHash,
    expiresAt: license.expiresAt,
    requestId: requestId === '' ? undefined : requestId,
    purchasedAt: license.purchasedAt,
    txId: license.txId,
  };
}

/** Everything an access needs, checked and planned, before anything is written. */
interface AccessPlan {
  readonly license: LicenseRecord;
  readonly terms: LicenseTerms;
  readonly model: ModelRecord;
  readonly version: ModelVersionRecord;
  readonly units: bigint;
  readonly purpose: string;
  /** Units taken from each lot, and the lot's remaining count before. */
  readonly takes: readonly LotTake[];
}

/**
 * Checks that the caller may use `units` of a licence now for `purpose`, and
 * plans which lots to take them from. Reads only: the licence header, its
 * terms snapshot, the model header and active version, and lots from the
 * start lot onwards, none of which other accesses rewrite, except the lots
 * they share (see README). With `served`, the artifact the serving endpoint
 * reported must be the active version's.
 *
 * @throws ChaincodeError FORBIDDEN, LICENSE_EXPIRED, PURPOSE_NOT_PERMITTED, INSUFFICIENT_UNITS or ARTIFACT_MISMATCH.
 */
async function planAccess(
  tx: Tx,
  license: LicenseRecord,
  use: { readonly units: bigint; readonly purpose: string; readonly lotHint?: number; readonly served?: string },
): Promise<AccessPlan> {
  const snapshot = await requireTerms(tx, license.termsKey);
  assertEntitled(snapshot.terms, license, tx.caller, tx.now, use.purpose);
  const takes = await planTake(tx, license, use.units, startLot(tx.txId, license.lotCount, use.lotHint));
  const model = await requireModel(tx, license.modelId);
  const version = await requireModelVersion(tx, model.modelId, model.activeVersion);
  if (use.served !== undefined && use.served !== version.artifactSha256) {
    throw new ChaincodeError(
      ErrorCode.ARTIFACT_MISMATCH,
      `model ${model.modelId} serves version ${version.version} with artifact ${version.artifactSha256}, not ${use.served}`,
    );
  }
  return { license, terms: snapshot.terms, model, version, units: use.units, purpose: use.purpose, takes };
}

/** What a planned access pays: its units' escrowed price, split along the model's royalty policy and lineage. */
async function accessShares(tx: Tx, plan: AccessPlan): Promise<RoyaltyShare[]> {
  const amount = plan.units * BigInt(plan.license.unitPrice);
  const payouts = splitRoyalty(amount, plan.model.modelId, await loadLineagePolicies(tx, plan.model), Limits.maxLineageDepth);
  return payouts.map(shareOf);
}

/** The access record of a planned access: who used which right, of which model version, when, and who it paid. */
function accessRecord(tx: Tx, plan: AccessPlan, requestHash: string, royalties: readonly RoyaltyShare[]): AccessRecord {
  const { license, model, version } = plan;
  return {
    docType: 'access',
    accessId: tx.txId,
    licenseId: license.licenseId,
    offeringId: license.offeringId,
    modelId: model.modelId,
    version: version.version,
    artifactSha256: version.artifactSha256,
    callerAccount: tx.caller.account,
    callerMspId: tx.caller.mspId,
    holder: license.holder,
    units: plan.units.toString(),
    purpose: plan.purpose,
    requestHash,
    amount: (plan.units * BigInt(license.unitPrice)).toString(),
    royalties: [...royalties],
    lots: plan.takes.map((take) => ({ index: take.index, units: take.units.toString() })),
    termsHash: license.termsHash,
    timestamp: tx.now,
    txId: tx.txId,
  };
}

/** The royalty rows of an access: one per share, each pointing back at the access. */
function accessRoyaltyRows(record: AccessRecord): RoyaltyRow[] {
  return royaltyRows(record.royalties, {
    accessedModelId: record.modelId,
    licenseId: record.licenseId,
    accessId: record.accessId,
    at: record.timestamp,
    txId: record.txId,
  });
}

/** The refund of an access: its units and amount, and every share reversed (a negative amount). */
function refundRecord(tx: Tx, record: AccessRecord, reason: string): RefundRecord {
  return {
    docType: 'refund',
    accessId: record.accessId,
    licenseId: record.licenseId,
    modelId: record.modelId,
    holder: record.holder,
    units: record.units,
    amount: record.amount,
    reason,
    royalties: record.royalties.map((share) => ({ ...share, amount: (-BigInt(share.amount)).toString() })),
    refundedBy: tx.caller.account,
    refundedAt: tx.now,
    txId: tx.txId,
  };
}

/**
 * Licences: buying units of an offering into escrow, and using them. A
 * licence is the units bought in one purchase under one frozen terms snapshot;
 * a holder's holding of an offering is the sum of its licences.
 */
@Info({ title: ContractName.license, description: 'Purchases licences and records metered accesses' })
export class LicenseContract extends LedgerContract {
  constructor() {
    super(ContractName.license);
  }

  /**
   * Buys `units` of an offering for the caller's account (`payer` = `self`)
   * or its org treasury (`payer` = `org`, role admin). The price moves into
   * escrow, held by the new licence. `supplyHint` (optional, empty for none)
   * is the shard of the offering's supply to draw from first, as `lotHint` is
   * for an access: concurrent purchases with distinct hints do not conflict
   * (see ledger/supply.ts). `requestId` (optional, empty for none) makes a
   * retry return the first purchase instead of buying twice; a retry must
   * repeat every argument except `supplyHint`. Any non-regulator role.
   * Returns the PurchaseRecord.
   */
  @Transaction()
  async PurchaseLicense(
    ctx: Context,
    offeringId: string,
    units: string,
    payer: string,
    supplyHint: string,
    requestId: string,
  ): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'purchase a licence');
    const id = requireId('offeringId', offeringId);
    const quantity = requireUnits('units', units);
    const buyer = actingAccount(caller, requireChoice('payer', payer, ACCOUNT_CHOICES), 'purchase a licence');
    const request = await ClientRequest.begin(
      tx,
      callName(ContractName.license, 'PurchaseLicense'),
      [id, quantity.toString(), buyer],
      requestId,
    );
    if (request.earlier !== undefined) {
      return result(request.earlier);
    }
    const plan = await planPurchase(tx, id, quantity, buyer, optionalIndex('supplyHint', supplyHint));
    await debit(tx, buyer, plan.price);
    const license = purchasedLicense(tx, plan, buyer, quantity);
    const purchase = purchaseRecord(license, plan.price, requestId);
    await writeSupply(tx, id, plan.supply);
    await saveNewLicense(tx, license);
    await savePurchase(tx, purchase);
    await request.finish(purchase);
    tx.emit(Events.LicensePurchased, purchase);
    return result(purchase);
  }

  /**
   * The hot path. Records one use of `units` units of a licence for
   * `purpose`, by the holder itself or a member of the holder org carrying
   * the terms' required attributes. Consumes the units from lots, releases
   * their escrowed price as royalty delta rows along the model's policy and
   * lineage, and writes an immutable access record. `requestHash` is the
   * gateway's sha256 of the inference request. `lotHint` (optional, empty for
   * none) picks the first lot to draw from; a gateway that hands concurrent
   * calls distinct hints avoids all lot conflicts. `servedArtifactSha256`
   * (optional, empty for none) is the artifact hash the serving endpoint
   * reported for the inference this access pays for: the access fails with
   * ARTIFACT_MISMATCH, and charges nothing, unless it is the active version's,
   * so that a version switched while the model ran is never billed under the
   * wrong artifact. `requestId` (optional, empty for none) makes a retry
   * return the first access instead of charging twice; a retry must repeat
   * every argument except `lotHint`. Returns the AccessRecord.
   */
  @Transaction()
  async RecordAccess(
    ctx: Context,
    licenseId: string,
    units: string,
    purpose: string,
    requestHash: string,
    lotHint: string,
    servedArtifactSha256: string,
    requestId: string,
  ): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'record an access');
    const id = requireId('licenseId', licenseId);
    const quantity = requireUnits('units', units);
    const purposeText = requireText('purpose', purpose, 64);
    const hash = requireSha256('requestHash', requestHash);
    const hint = optionalIndex('lotHint', lotHint);
    const served = servedArtifactSha256 === '' ? undefined : requireSha256('servedArtifactSha256', servedArtifactSha256);
    const request = await ClientRequest.begin(
      tx,
      callName(ContractName.license, 'RecordAccess'),
      [id, quantity.toString(), purposeText, hash, served ?? ''],
      requestId,
    );
    if (request.earlier !== undefined) {
      return result(request.earlier);
    }
    const license = await requireLicense(tx, id, 'licenseId');
    const plan = await planAccess(tx, license, { units: quantity, purpose: purposeText, lotHint: hint, served });
    const record = accessRecord(tx, plan, hash, await accessShares(tx, plan));
    await writeTakes(tx, license, plan.takes);
    await saveAccess(tx, record);
    await writeRoyaltyRows(tx, accessRoyaltyRows(record), record.timestamp);
    await request.finish(record);
    tx.emit(Events.AccessRecorded, record);
    return result(record);
  }

  /**
   * Records many accesses of the submitting org's users in one transaction
   * (see contracts/batch.ts). `batch` is the JSON of an AccessBatchInput:
   * each access is its caller's signed request, with the caller's
   * certificate, which must chain to a CA root the org registered on the
   * ledger (MemberContract.RegisterOrgRoot). Each access is checked as
   * RecordAccess checks one, and refused alone, with its own code, when a
   * check fails; the licence's terms must allow batching. Any writer role of
   * a member org. Returns the BatchResult: per access, its record and Merkle
   * receipt, its earlier answer (a request id already answered), or the
   * refusal.
   *
   * @throws ChaincodeError INVALID_ARGUMENT for a malformed batch; FORBIDDEN for a regulator.
   */
  @Transaction()
  async RecordAccessBatch(ctx: Context, batch: string): Promise<string> {
    return result(await recordAccessBatch(new Tx(ctx), batch));
  }

  /**
   * The record of a batch: every access it recorded, in order, with the
   * Merkle root over them, the callers' signatures and certificates. The
   * submitting org (whose gateway derives each access's receipt from it,
   * `batchReceipts`) or a regulator.
   *
   * @throws ChaincodeError NOT_FOUND for an unknown batch; FORBIDDEN for another org.
   */
  @Transaction(false)
  async GetAccessBatch(ctx: Context, batchId: string): Promise<string> {
    const tx = new Tx(ctx);
    const id = requireSha256('batchId', batchId);
    const batch = await findAccessBatch(tx, id);
    if (batch === undefined) {
      throw new ChaincodeError(ErrorCode.NOT_FOUND, `no batch of accesses ${id}`);
    }
    requireReader(tx.caller, [batch.mspId], `batch ${id}`);
    return result(batch);
  }

  /**
   * A batched access with its receipt (its batch, position and Merkle path
   * to the root the batch wrote) and what attributes it to its caller: the
   * certificate the chaincode checked and the caller's signature over the
   * request. The model owner's serving gate checks the signature it is shown
   * against this certificate. Who may read the access may read this.
   *
   * @throws ChaincodeError NOT_FOUND for an unknown access, or one recorded alone (its proof is its own transaction).
   */
  @Transaction(false)
  async GetBatchedAccess(ctx: Context, accessId: string): Promise<string> {
    const tx = new Tx(ctx);
    const id = requireText('accessId', accessId, 128);
    const batched = parseBatchedAccessId(id);
    const batch = batched === undefined ? undefined : await findAccessBatch(tx, batched.batchId);
    const record = batched === undefined ? undefined : batch?.accesses[batched.position];
    if (batched === undefined || batch === undefined || record === undefined) {
      throw new ChaincodeError(ErrorCode.NOT_FOUND, `no batched access ${id}; an access recorded alone is proved by its own transaction`);
    }
    const model = await requireModel(tx, record.modelId);
    requireReader(tx.caller, [record.callerMspId, mspOfAccount(record.holder), model.ownerMspId], `access record ${id}`);
    const tree = merkleTree(batch.accesses.map(accessLeaf));
    const signed = batch.signatures[batched.position];
    return result<BatchedAccessView>({
      access: record,
      receipt: {
        batchId: batch.batchId,
        position: batched.position,
        size: batch.accesses.length,
        path: tree.paths[batched.position].map((hash) => hash.toString('hex')),
        merkleRoot: batch.merkleRoot,
      },
      certificate: batch.certificates[batch.certificateOf[batched.position]],
      signature: signed.signature,
      signedAt: signed.signedAt,
      requestId: signed.requestId,
    });
  }

  /**
   * Settles a term licence after its expiry. Its unused units can no longer
   * be used or sold, so their escrowed price goes back to the holder (no
   * charge without a delivered access) and the units count as consumed. Units
   * that come back later from a cancelled listing are settled by calling it
   * again. Any member may call it, since the refund always goes to the
   * holder; a regulator may not. Returns the ExpirySettlementRecord.
   *
   * @throws ChaincodeError INVALID_ARGUMENT for an unknown licence; FORBIDDEN
   *   for a regulator; CONFLICT when the licence never expires, has not
   *   expired yet, or has no unused units left.
   */
  @Transaction()
  async SettleExpiredLicense(ctx: Context, licenseId: string): Promise<string> {
    const tx = new Tx(ctx);
    requireWriter(tx.caller, 'settle an expired licence');
    const license = await requireLicense(tx, requireId('licenseId', licenseId), 'licenseId');
    const now = tx.now;
    if (license.expiresAt === undefined) {
      throw new ChaincodeError(ErrorCode.CONFLICT, `licence ${license.licenseId} is metered and never expires; its units stay usable`);
    }
    if (now < license.expiresAt) {
      throw new ChaincodeError(
        ErrorCode.CONFLICT,
        `licence ${license.licenseId} expires at ${license.expiresAt}; it can be settled from then on`,
      );
    }
    const units = await licenseRemaining(tx, license);
    if (units === 0n) {
      throw new ChaincodeError(ErrorCode.CONFLICT, `licence ${license.licenseId} has no unused units to settle`);
    }
    // Taking every unit left empties the lots, as accesses and listings take theirs.
    await writeTakes(tx, license, await planTake(tx, license, units, 0));
    const refund = units * BigInt(license.unitPrice);
    await credit(tx, license.holder, refund);
    // An expired licence never weighs in a vote again.
    await unindexHoldingOfModel(tx, license);
    const record: ExpirySettlementRecord = {
      docType: 'expirySettlement',
      licenseId: license.licenseId,
      offeringId: license.offeringId,
      modelId: license.modelId,
      holder: license.holder,
      units: units.toString(),
      unitPrice: license.unitPrice,
      refund: refund.toString(),
      expiresAt: license.expiresAt,
      settledAt: now,
      txId: tx.txId,
    };
    await saveExpirySettlement(tx, record);
    tx.emit(Events.LicenseExpirySettled, record);
    return result(record);
  }

  /**
   * Refunds an access whose inference was not delivered: the model failed,
   * timed out or served another artifact after the access committed. The
   * model owner's serving gate calls it, since the owner is the one that
   * knows; so may the owner's admins. The units go back to the lots they
   * came from, each beneficiary's share is reversed by a negative royalty
   * row (claims net them off), and a refund record joins the access record,
   * which stays. Model owner org, role admin or engineer; once per access.
   * Returns the RefundRecord.
   *
   * @throws ChaincodeError NOT_FOUND for an unknown access; FORBIDDEN for
   *   anyone but the owner's admins and engineers; CONFLICT when already refunded.
   */
  @Transaction()
  async RefundAccess(ctx: Context, accessId: string, reason: string): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'refund an access', REFUNDERS);
    const id = requireText('accessId', accessId, 128);
    const why = requireText('reason', reason, 200);
    const record = await findAccess(tx, id);
    if (record === undefined) {
      throw new ChaincodeError(ErrorCode.NOT_FOUND, `access record ${id} does not exist`);
    }
    const model = await requireModel(tx, record.modelId);
    requireOrgWriter(caller, model.ownerMspId, `refund accesses of model ${model.modelId}`, REFUNDERS);
    if ((await findRefund(tx, id)) !== undefined) {
      throw new ChaincodeError(ErrorCode.CONFLICT, `access ${id} was already refunded`);
    }
    const license = await requireLicense(tx, record.licenseId);
    await returnToLots(
      tx,
      license,
      record.lots.map((lot) => ({ index: lot.index, units: BigInt(lot.units) })),
    );
    const refund = refundRecord(tx, record, why);
    const rows = royaltyRows(refund.royalties, {
      kind: 'refund',
      accessedModelId: record.modelId,
      licenseId: record.licenseId,
      accessId: id,
      at: refund.refundedAt,
      txId: tx.txId,
    });
    await writeRoyaltyRows(tx, rows, refund.refundedAt);
    await saveRefund(tx, refund);
    tx.emit(Events.AccessRefunded, refund);
    return result(refund);
  }

  /** Reads the refund of an access. The caller's org, the holder's org, the model owner's org, or a regulator. */
  @Transaction(false)
  async GetAccessRefund(ctx: Context, accessId: string): Promise<string> {
    const tx = new Tx(ctx);
    const id = requireText('accessId', accessId, 128);
    const refund = await findRefund(tx, id);
    const record = await findAccess(tx, id);
    if (refund === undefined || record === undefined) {
      throw new ChaincodeError(ErrorCode.NOT_FOUND, `access ${id} has no refund`);
    }
    const model = await requireModel(tx, record.modelId);
    requireReader(tx.caller, [record.callerMspId, mspOfAccount(record.holder), model.ownerMspId], `the refund of access ${id}`);
    return result(refund);
  }

  /**
   * Evaluate-only: would `RecordAccess` with these arguments succeed now for
   * this caller? The gateway calls it before running inference. Returns
   * `{ entitled: true, licenseId, modelId, ownerMspId, version, artifactSha256,
   * inferenceEndpoint, remainingUnits, expiresAt }`, or fails with the same
   * code RecordAccess would.
   */
  @Transaction(false)
  async CheckEntitlement(ctx: Context, licenseId: string, units: string, purpose: string): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'use a licence');
    const license = await requireLicense(tx, requireId('licenseId', licenseId));
    const plan = await planAccess(tx, license, { units: requireUnits('units', units), purpose: requireText('purpose', purpose, 64) });
    return result<Entitlement>({
      entitled: true,
      licenseId: license.licenseId,
      modelId: plan.model.modelId,
      ownerMspId: plan.model.ownerMspId,
      version: plan.version.version,
      artifactSha256: plan.version.artifactSha256,
      inferenceEndpoint: plan.version.inferenceEndpoint,
      remainingUnits: (await licenseRemaining(tx, license)).toString(),
      expiresAt: license.expiresAt,
      metering: plan.terms.metering ?? 'single',
    });
  }

  /**
   * Reads a licence with its remaining units and escrow. The holder's org,
   * the model owner's org, or a regulator.
   */
  @Transaction(false)
  async GetLicense(ctx: Context, licenseId: string): Promise<string> {
    const tx = new Tx(ctx);
    const license = await requireLicense(tx, requireId('licenseId', licenseId));
    const model = await requireModel(tx, license.modelId);
    requireReader(tx.caller, [mspOfAccount(license.holder), model.ownerMspId], `licence ${license.licenseId}`);
    const snapshot = await requireTerms(tx, license.termsKey);
    const remaining = await licenseRemaining(tx, license);
    const moved = await licenseOutflow(tx, license.licenseId);
    return result<LicenseView>({
      license,
      terms: snapshot.terms,
      remainingUnits: remaining.toString(),
      movedUnits: moved.toString(),
      consumedUnits: (BigInt(license.units) - remaining - moved).toString(),
      escrow: (remaining * BigInt(license.unitPrice)).toString(),
    });
  }

  /** Lists the licences an account holds. The account's org or a regulator. */
  @Transaction(false)
  async ListLicensesByHolder(ctx: Context, holder: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const account = requireAccountId('holder', holder);
    requireAccountReader(tx.caller, account, 'the licences of this account');
    return result(await pageOfHolderLicenses(tx, account, requirePageSize('pageSize', pageSize), requireBookmark('bookmark', bookmark)));
  }

  /**
   * Reads one access record. The caller's org, the holder's org, the model
   * owner's org, or a regulator.
   */
  @Transaction(false)
  async GetAccessRecord(ctx: Context, accessId: string): Promise<string> {
    const tx = new Tx(ctx);
    const id = requireText('accessId', accessId, 128);
    const record = await findAccess(tx, id);
    if (record === undefined) {
      throw new ChaincodeError(ErrorCode.NOT_FOUND, `access record ${id} does not exist`);
    }
    const model = await requireModel(tx, record.modelId);
    requireReader(tx.caller, [record.callerMspId, mspOfAccount(record.holder), model.ownerMspId], `access record ${id}`);
    return result(record);
  }
}
