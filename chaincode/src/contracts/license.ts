import { ContractName, callName } from '@model-ledger/contract';
import type { Entitlement, LicenseView } from '@model-ledger/contract';
import { Context, Info, Transaction } from 'fabric-contract-api';
import { LedgerContract } from './base';
import { Limits, Role } from '../config';

import { ChaincodeError, ErrorCode } from '../errors';
import { Events } from '../events';
import { mspOfAccount } from '../domain/identity';
import { Keys, prefixRange } from '../domain/keys';
import { lotCount, startLot } from '../domain/lots';
import type {
  AccessRecord,
  ExpirySettlementRecord,
  LicenseRecord,
  ModelRecord,
  ModelVersionRecord,
  PurchaseRecord,
  RefundRecord,
  RoyaltyShare,
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
import { findAccess, saveAccess } from '../ledger/accesses';
import { ACCOUNT_CHOICES, actingAccount, requireAccountReader, requireOrgWriter, requireReader, requireWriter } from '../ledger/authz';
import { credit, debit } from '../ledger/balances';
import {
  indexHolding,
  licenseOutflow,
  licenseRemaining,
  lotRemaining,
  planTake,
  unindexHoldingOfModel,
  writeLot,
  writeNewLicense,
  writeTakes,
} from '../ledger/licenses';
import { loadLineagePolicies } from '../ledger/lineage';
import { requireLicense, requireModel, requireModelVersion, requireOffering, requireTerms } from '../ledger/loads';
import { soldUnits, writeSoldUnits } from '../ledger/offerings';
import { savePurchase } from '../ledger/purchases';
import { pageOfIndex } from '../ledger/pages';
import { royaltyRows, shareOf, writeRoyaltyRows } from '../ledger/royalties';
import { ClientRequest } from '../ledger/requests';
import { Tx } from '../ledger/tx';
import { result } from './result';

/** Who may refund an access of a model: its owner org's admins and engineers (the serving gate runs as one). */
const REFUNDERS = [Role.admin, Role.engineer] as const;

/** Everything an access needs, checked and planned, before anything is written. */
interface AccessPlan {
  readonly license: LicenseRecord;
  readonly terms: LicenseTerms;
  readonly model: ModelRecord;
  readonly version: ModelVersionRecord;
  /** Units taken from each lot, and the lot's remaining count before. */
  readonly takes: readonly { readonly index: number; readonly units: bigint; readonly before: bigint }[];
}

/**
 * Checks that the caller may use `units` of a licence now for `purpose`, and
 * plans which lots to take them from. Reads only: the licence header, its
 * terms snapshot, the model header and active version, and lots from the
 * start lot onwards, none of which other accesses rewrite, except the lots
 * they share (see README).
 *
 * @throws ChaincodeError FORBIDDEN, LICENSE_EXPIRED, PURPOSE_NOT_PERMITTED or INSUFFICIENT_UNITS.
 */
async function planAccess(
  tx: Tx,
  license: LicenseRecord,
  units: bigint,
  purpose: string,
  lotHint: number | undefined,
): Promise<AccessPlan> {
  const snapshot = await requireTerms(tx, license.termsKey);
  assertEntitled(snapshot.terms, license, tx.caller, tx.now, purpose);
  const takes = await planTake(tx, license, units, startLot(tx.txId, license.lotCount, lotHint));
  const model = await requireModel(tx, license.modelId);
  const version = await requireModelVersion(tx, model.modelId, model.activeVersion);
  return { license, terms: snapshot.terms, model, version, takes };
}

/** The access record of a planned access: who used which right, of which model version, when, and who it paid. */
function accessRecord(
  tx: Tx,
  plan: AccessPlan,
  use: { readonly units: bigint; readonly purpose: string; readonly requestHash: string },
  royalties: readonly RoyaltyShare[],
): AccessRecord {
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
    units: use.units.toString(),
    purpose: use.purpose,
    requestHash: use.requestHash,
    amount: (use.units * BigInt(license.unitPrice)).toString(),
    royalties: [...royalties],
    lots: plan.takes.map((take) => ({ index: take.index, units: take.units.toString() })),
    termsHash: license.termsHash,
    timestamp: tx.now,
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
   * escrow, held by the new licence. `requestId` (optional, empty for none)
   * makes a retry return the first purchase instead of buying twice.
   * Any non-regulator role. Returns the PurchaseRecord.
   */
  @Transaction()
  async PurchaseLicense(ctx: Context, offeringId: string, units: string, payer: string, requestId: string): Promise<string> {
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
    const offering = await requireOffering(tx, id, 'offeringId');
    if (offering.status === 'paused') {
      throw new ChaincodeError(ErrorCode.OFFERING_PAUSED, `offering ${id} is paused and sells nothing until resumed`);
    }
    if (offering.status === 'retired') {
      throw new ChaincodeError(ErrorCode.OFFERING_RETIRED, `offering ${id} is retired and sells nothing`);
    }
    const termsKey = Keys.terms(offering.offeringId, offering.termsVersion);
    const snapshot = await requireTerms(tx, termsKey);
    if (!mayHold(snapshot.terms, buyer)) {
      throw new ChaincodeError(
        ErrorCode.FORBIDDEN,
        `offering ${id} may only be held by ${snapshot.terms.allowedMspIds.join(', ')}, not ${mspOfAccount(buyer)}`,
      );
    }
    const sold = await soldUnits(tx, id);
    const cap = BigInt(offering.supplyCap);
    if (sold + quantity > cap) {
      throw new ChaincodeError(
        ErrorCode.SUPPLY_EXHAUSTED,
        `offering ${id} has ${cap - sold} of ${cap} units left, fewer than the ${quantity} requested`,
      );
    }
    const price = quantity * BigInt(snapshot.terms.unitPrice);
    if (price > Limits.maxAmount) {
      throw new ChaincodeError(ErrorCode.INVALID_ARGUMENT, `units ${quantity} at this price exceed ${Limits.maxAmount}`);
    }
    const licenseId = `L-${tx.txId.slice(0, 16)}`;
    if ((await tx.get<LicenseRecord>(Keys.license(licenseId))) !== undefined) {
      throw new ChaincodeError(ErrorCode.CONFLICT, `licence ${licenseId} already exists; submit again`);
    }
    // The resale royalty these units will pay is frozen now, like the terms.
    const model = await requireModel(tx, offering.modelId);
    await debit(tx, buyer, price);
    const now = tx.now;
    const expiresAt = expiryFor(snapshot.terms, now);
    const license: LicenseRecord = {
      docType: 'license',
      licenseId,
      holder: buyer,
      offeringId: id,
      modelId: offering.modelId,
      termsKey,
      termsHash: snapshot.hash,
      units: quantity.toString(),
      unitPrice: snapshot.terms.unitPrice,
      lotCount: lotCount(quantity, Limits.maxLotsPerLicense),
      purchasedAt: now,
      expiresAt,
      resaleRoyaltyBps: model.royaltyPolicy.resaleRoyaltyBps,
      txId: tx.txId,
    };
    const purchase: PurchaseRecord = {
      docType: 'purchase',
      licenseId,
      offeringId: id,
      modelId: offering.modelId,
      buyer,
      units: quantity.toString(),
      unitPrice: snapshot.terms.unitPrice,
      price: price.toString(),
      termsHash: snapshot.hash,
      expiresAt,
      requestId: requestId === '' ? undefined : requestId,
      purchasedAt: now,
      txId: tx.txId,
    };
    await writeSoldUnits(tx, id, sold + quantity);
    await writeNewLicense(tx, license);
    await indexHolding(tx, license);
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
    const plan = await planAccess(tx, license, quantity, purposeText, hint);
    if (served !== undefined && served !== plan.version.artifactSha256) {
      throw new ChaincodeError(
        ErrorCode.ARTIFACT_MISMATCH,
        `model ${plan.model.modelId} serves version ${plan.version.version} with artifact ${plan.version.artifactSha256}, not ${served}`,
      );
    }
    const payouts = splitRoyalty(
      quantity * BigInt(license.unitPrice),
      plan.model.modelId,
      await loadLineagePolicies(tx, plan.model),
      Limits.maxLineageDepth,
    );
    const record = accessRecord(tx, plan, { units: quantity, purpose: purposeText, requestHash: hash }, payouts.map(shareOf));
    await writeTakes(tx, license, plan.takes);
    await saveAccess(tx, record);
    const source = {
      accessedModelId: record.modelId,
      licenseId: license.licenseId,
      accessId: record.accessId,
      at: record.timestamp,
      txId: tx.txId,
    };
    await writeRoyaltyRows(tx, royaltyRows(record.royalties, source), record.timestamp);
    await request.finish(record);
    tx.emit(Events.AccessRecorded, record);
    return result(record);
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
    await tx.put(Keys.expirySettlement(license.licenseId, tx.txId), record);
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
    if ((await tx.get<RefundRecord>(Keys.refund(id))) !== undefined) {
      throw new ChaincodeError(ErrorCode.CONFLICT, `access ${id} was already refunded`);
    }
    const license = await requireLicense(tx, record.licenseId);
    for (const lot of record.lots) {
      await writeLot(tx, license, lot.index, (await lotRemaining(tx, license, lot.index)) + BigInt(lot.units));
    }
    const now = tx.now;
    const reversed = record.royalties.map((share) => ({ ...share, amount: (-BigInt(share.amount)).toString() }));
    const rows = royaltyRows(reversed, {
      kind: 'refund',
      accessedModelId: record.modelId,
      licenseId: record.licenseId,
      accessId: id,
      at: now,
      txId: tx.txId,
    });
    await writeRoyaltyRows(tx, rows, now);
    const refund: RefundRecord = {
      docType: 'refund',
      accessId: id,
      licenseId: record.licenseId,
      modelId: record.modelId,
      holder: record.holder,
      units: record.units,
      amount: record.amount,
      reason: why,
      royalties: reversed,
      refundedBy: caller.account,
      refundedAt: now,
      txId: tx.txId,
    };
    await tx.put(Keys.refund(id), refund);
    tx.emit(Events.AccessRefunded, refund);
    return result(refund);
  }

  /** Reads the refund of an access. The caller's org, the holder's org, the model owner's org, or a regulator. */
  @Transaction(false)
  async GetAccessRefund(ctx: Context, accessId: string): Promise<string> {
    const tx = new Tx(ctx);
    const id = requireText('accessId', accessId, 128);
    const refund = await tx.get<RefundRecord>(Keys.refund(id));
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
    const plan = await planAccess(tx, license, requireUnits('units', units), requireText('purpose', purpose, 64), undefined);
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
    return result(
      await pageOfIndex<LicenseRecord>(
        tx,
        prefixRange(Keys.licensesByHolder(account)),
        requirePageSize('pageSize', pageSize),
        requireBookmark('bookmark', bookmark),
      ),
    );
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
