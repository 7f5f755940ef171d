import { ContractName } from '@model-ledger/contract';
import type { OfferingView, PublishedOffering } from '@model-ledger/contract';
import { Context, Info, Transaction } from 'fabric-contract-api';
import { LedgerContract } from './base';
import { Role } from '../config';
import { ChaincodeError, ErrorCode } from '../errors';
import { Events } from '../events';
import { Keys } from '../domain/keys';
import type { OfferingRecord, OfferingStatus } from '../domain/records';
import { buildTerms, parseOfferingInput, termsHash } from '../domain/terms';
import { requireBookmark, requireId, requireInteger, requireJson, requirePageSize } from '../domain/validation';
import { requireOrgWriter, requireWriter } from '../ledger/authz';
import { requireModel, requireOffering, requireTerms } from '../ledger/loads';
import { pageOfModelOfferings, saveNewOffering, writeOffering } from '../ledger/offerings';
import { soldUnits } from '../ledger/supply';
import { Tx } from '../ledger/tx';
import { result } from './result';

const OFFERING_WRITERS = [Role.admin] as const;

/** Allowed status changes: from → to. */
export const OFFERING_TRANSITIONS: Readonly<Record<OfferingStatus, readonly OfferingStatus[]>> = {
  active: ['paused', 'retired'],
  paused: ['active', 'retired'],
  retired: [],
};

/**
 * Licence offerings of a model. The terms of an offering live in immutable,
 * versioned snapshots; a licence points at the snapshot it was sold under.
 */
@Info({ title: ContractName.offering, description: 'Publishes, pauses and retires licence offerings' })
export class OfferingContract extends LedgerContract {
  constructor() {
    super(ContractName.offering);
  }

  /**
   * Publishes an offering of a model. `offering` is JSON:
   * `{ kind: "metered"|"term", unitPrice: "<int>", supplyCap: "<int>", termSeconds?: n,
   *    transferable?: bool, requiredAttributes?: {name: value}, allowedMspIds?: [..], purposes: [..] }`.
   * Model owner org, role admin. Returns `{ offering, terms }`.
   */
  @Transaction()
  async PublishOffering(ctx: Context, modelId: string, offering: string): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'publish an offering', OFFERING_WRITERS);
    const model = await requireModel(tx, requireId('modelId', modelId), 'modelId');
    requireOrgWriter(caller, model.ownerMspId, 'publish offerings of this model', OFFERING_WRITERS);
    const input = parseOfferingInput(requireJson('offering', offering));
    const offeringId = `O-${tx.txId.slice(0, 16)}`;
    if ((await tx.get<OfferingRecord>(Keys.offering(offeringId))) !== undefined) {
      throw new ChaincodeError(ErrorCode.CONFLICT, `offering ${offeringId} already exists; submit again`);
    }
    const terms = buildTerms(input, offeringId, model.modelId, 1);
    const hash = termsHash(terms);
    const now = tx.now;
    const record: OfferingRecord = {
      docType: 'offering',
      offeringId,
      modelId: model.modelId,
      ownerMspId: model.ownerMspId,
      status: 'active',
      supplyCap: input.supplyCap.toString(),
      termsVersion: terms.version,
      termsHash: hash,
      publishedAt: now,
      updatedAt: now,
      txId: tx.txId,
    };
    await saveNewOffering(tx, record, terms);
    tx.emit(Events.OfferingPublished, { offering: record, terms });
    return result<PublishedOffering>({ offering: record, terms });
  }

  /** Stops sales of an active offering until resumed. Existing licences stay usable. Owner org, role admin. */
  @Transaction()
  async PauseOffering(ctx: Context, offeringId: string): Promise<string> {
    return result(await changeStatus(new Tx(ctx), offeringId, 'paused', 'pause'));
  }

  /** Resumes sales of a paused offering. Owner org, role admin. */
  @Transaction()
  async ResumeOffering(ctx: Context, offeringId: string): Promise<string> {
    return result(await changeStatus(new Tx(ctx), offeringId, 'active', 'resume'));
  }

  /** Ends sales of an offering for good. Existing licences stay usable. Owner org, role admin. */
  @Transaction()
  async RetireOffering(ctx: Context, offeringId: string): Promise<string> {
    return result(await changeStatus(new Tx(ctx), offeringId, 'retired', 'retire'));
  }

  /** Reads an offering with its current terms and the units sold so far. */
  @Transaction(false)
  async GetOffering(ctx: Context, offeringId: string): Promise<string> {
    const tx = new Tx(ctx);
    const offering = await requireOffering(tx, requireId('offeringId', offeringId));
    const snapshot = await requireTerms(tx, Keys.terms(offering.offeringId, offering.termsVersion));
    const sold = await soldUnits(tx, offering.offeringId);
    return result<OfferingView>({ offering, terms: snapshot.terms, termsHash: snapshot.hash, sold: sold.toString() });
  }

  /** Reads one immutable terms snapshot of an offering. */
  @Transaction(false)
  async GetTerms(ctx: Context, offeringId: string, version: string): Promise<string> {
    const tx = new Tx(ctx);
    const id = requireId('offeringId', offeringId);
    const number = requireInteger('version', Number(version), 1, 999_999);
    return result(await requireTerms(tx, Keys.terms(id, number)));
  }

  /** Lists a model's offerings, one page at a time. */
  @Transaction(false)
  async ListOfferingsByModel(ctx: Context, modelId: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const model = await requireModel(tx, requireId('modelId', modelId));
    return result(
      await pageOfModelOfferings(tx, model.modelId, requirePageSize('pageSize', pageSize), requireBookmark('bookmark', bookmark)),
    );
  }
}

async function changeStatus(tx: Tx, offeringId: string, to: OfferingStatus, verb: string): Promise<OfferingRecord> {
  const caller = tx.caller;
  requireWriter(caller, `${verb} an offering`, OFFERING_WRITERS);
  const offering = await requireOffering(tx, requireId('offeringId', offeringId), 'offeringId');
  requireOrgWriter(caller, offering.ownerMspId, `${verb} this offering`, OFFERING_WRITERS);
  if (!OFFERING_TRANSITIONS[offering.status].includes(to)) {
    throw new ChaincodeError(ErrorCode.CONFLICT, `offering ${offering.offeringId} is ${offering.status} and cannot ${verb}`);
  }
  const updated: OfferingRecord = { ...offering, status: to, updatedAt: tx.now, txId: tx.txId };
  await writeOffering(tx, updated);
  tx.emit(Events.OfferingStatusChanged, {
    offeringId: offering.offeringId,
    modelId: offering.modelId,
    status: to,
    previousStatus: offering.status,
    txId: tx.txId,
  });
  return updated;
}
