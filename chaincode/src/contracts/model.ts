import { ContractName } from '@model-ledger/contract';
import type { ModelView } from '@model-ledger/contract';
import { Context, Info, Transaction } from 'fabric-contract-api';
import { LedgerContract } from './base';
import { Limits, Role } from '../config';
import { ChaincodeError, ErrorCode, invalidArgument } from '../errors';
import { Events } from '../events';
import { Keys, prefixRange } from '../domain/keys';
import { parseRoyaltyPolicy } from '../domain/policy';
import type { LineageConsentRecord, ModelRecord, ModelVersionRecord } from '../domain/records';
import {
  requireBookmark,
  requireHttpUrl,
  requireId,
  requireInteger,
  requireJson,
  requirePageSize,
  requireSha256,
  requireText,
  requireUri,
} from '../domain/validation';
import { requireOrgWriter, requireWriter } from '../ledger/authz';
import { checkLineageKept, checkParents, saveLineageConsent } from '../ledger/lineage';
import { requireModel, requireModelVersion } from '../ledger/loads';
import { saveModelVersion, versionsRange, writeModel } from '../ledger/models';
import { pageOfDocuments } from '../ledger/pages';
import { Tx } from '../ledger/tx';
import { result } from './result';

const MODEL_WRITERS = [Role.admin, Role.engineer] as const;
const POLICY_WRITERS = [Role.admin] as const;

interface VersionInput {
  readonly version: string;
  readonly artifactSha256: string;
  readonly artifactUri: string;
  readonly inferenceEndpoint: string;
}

function parseVersion(version: string, artifactSha256: string, artifactUri: string, inferenceEndpoint: string): VersionInput {
  return {
    version: requireId('version', version),
    artifactSha256: requireSha256('artifactSha256', artifactSha256),
    artifactUri: requireUri('artifactUri', artifactUri),
    inferenceEndpoint: requireHttpUrl('inferenceEndpoint', inferenceEndpoint),
  };
}

/**
 * Models and their versions: the model owner's catalogue.
 */
@Info({ title: ContractName.model, description: 'Registers models and versions and sets their royalty policy' })
export class ModelContract extends LedgerContract {
  constructor() {
    super(ContractName.model);
  }

  /**
   * Registers a model with its first version, which becomes active. The
   * caller's org owns the model. Needs role admin or engineer.
   * Returns the ModelRecord; the model id derives from the transaction id.
   */
  @Transaction()
  async RegisterModel(
    ctx: Context,
    name: string,
    description: string,
    task: string,
    intendedUse: string,
    version: string,
    artifactSha256: string,
    artifactUri: string,
    inferenceEndpoint: string,
    royaltyPolicy: string,
  ): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'register a model', MODEL_WRITERS);
    const modelId = `M-${tx.txId.slice(0, 16)}`;
    const metadata = {
      name: requireText('name', name, Limits.maxNameLength),
      description: requireText('description', description, Limits.maxTextLength),
      task: requireText('task', task, Limits.maxNameLength),
      intendedUse: requireText('intendedUse', intendedUse, Limits.maxTextLength),
    };
    const first = parseVersion(version, artifactSha256, artifactUri, inferenceEndpoint);
    const policy = parseRoyaltyPolicy(requireJson('royaltyPolicy', royaltyPolicy), modelId);
    await checkParents(tx, modelId, policy);
    if ((await tx.get<ModelRecord>(Keys.model(modelId))) !== undefined) {
      throw new ChaincodeError(ErrorCode.CONFLICT, `model ${modelId} already exists; submit again`);
    }
    const now = tx.now;
    const model: ModelRecord = {
      docType: 'model',
      modelId,
      ownerMspId: caller.mspId,
      registeredBy: caller.account,
      ...metadata,
      activeVersion: first.version,
      royaltyPolicy: policy,
      createdAt: now,
      updatedAt: now,
      txId: tx.txId,
    };
    const versionRecord: ModelVersionRecord = {
      docType: 'modelVersion',
      modelId,
      ...first,
      addedBy: caller.account,
      addedAt: now,
      txId: tx.txId,
    };
    await writeModel(tx, model);
    await saveModelVersion(tx, versionRecord);
    tx.emit(Events.ModelRegistered, model);
    return result(model);
  }

  /** Adds a version to a model without activating it. Owner org, role admin or engineer. */
  @Transaction()
  async AddModelVersion(
    ctx: Context,
    modelId: string,
    version: string,
    artifactSha256: string,
    artifactUri: string,
    inferenceEndpoint: string,
  ): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'add a model version', MODEL_WRITERS);
    const model = await requireModel(tx, requireId('modelId', modelId), 'modelId');
    requireOrgWriter(caller, model.ownerMspId, 'add a version to this model', MODEL_WRITERS);
    const input = parseVersion(version, artifactSha256, artifactUri, inferenceEndpoint);
    if ((await tx.get<ModelVersionRecord>(Keys.modelVersion(model.modelId, input.version))) !== undefined) {
      throw new ChaincodeError(ErrorCode.CONFLICT, `model ${model.modelId} already has a version ${input.version}`);
    }
    const record: ModelVersionRecord = {
      docType: 'modelVersion',
      modelId: model.modelId,
      ...input,
      addedBy: caller.account,
      addedAt: tx.now,
      txId: tx.txId,
    };
    await saveModelVersion(tx, record);
    tx.emit(Events.ModelVersionAdded, record);
    return result(record);
  }

  /** Makes a registered version the active one. Owner org, role admin or engineer. */
  @Transaction()
  async SetActiveVersion(ctx: Context, modelId: string, version: string): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'set the active version', MODEL_WRITERS);
    const model = await requireModel(tx, requireId('modelId', modelId), 'modelId');
    requireOrgWriter(caller, model.ownerMspId, 'set the active version of this model', MODEL_WRITERS);
    const target = await requireModelVersion(tx, model.modelId, requireId('version', version), 'version');
    const updated: ModelRecord = { ...model, activeVersion: target.version, updatedAt: tx.now, txId: tx.txId };
    await writeModel(tx, updated);
    tx.emit(Events.ActiveVersionSet, {
      modelId: model.modelId,
      activeVersion: target.version,
      previousVersion: model.activeVersion,
      txId: tx.txId,
    });
    return result(updated);
  }

  /**
   * Replaces a model's royalty policy for future accruals. Licences keep their
   * frozen price and resale rate; royalties already accrued keep their split.
   * A lineage only grows: parents may be added or paid more, but dropping a
   * parent or lowering its share needs that parent owner's consent
   * (ConsentLineageChange), else LINEAGE_CONSENT_REQUIRED. Owner org, role admin.
   */
  @Transaction()
  async SetRoyaltyPolicy(ctx: Context, modelId: string, royaltyPolicy: string): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'set a royalty policy', POLICY_WRITERS);
    const model = await requireModel(tx, requireId('modelId', modelId), 'modelId');
    requireOrgWriter(caller, model.ownerMspId, 'set the royalty policy of this model', POLICY_WRITERS);
    const policy = parseRoyaltyPolicy(requireJson('royaltyPolicy', royaltyPolicy), model.modelId);
    await checkParents(tx, model.modelId, policy);
    await checkLineageKept(tx, model, policy);
    const updated: ModelRecord = { ...model, royaltyPolicy: policy, updatedAt: tx.now, txId: tx.txId };
    await writeModel(tx, updated);
    tx.emit(Events.RoyaltyPolicySet, { modelId: model.modelId, royaltyPolicy: policy, txId: tx.txId });
    return result(updated);
  }

  /**
   * The owner of parent model `parentModelId` consents that child model
   * `modelId` may pay it as little as `shareBps` basis points (0: the child
   * may drop it from its lineage). The consent stands until the parent's owner
   * writes another; writing the current share withdraws it. Parent owner org,
   * role admin. Returns the LineageConsentRecord.
   *
   * @throws ChaincodeError INVALID_ARGUMENT when the child does not pay that parent, FORBIDDEN for anyone but the parent's owner admins.
   */
  @Transaction()
  async ConsentLineageChange(ctx: Context, modelId: string, parentModelId: string, shareBps: string): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'consent to a lineage change', POLICY_WRITERS);
    const child = await requireModel(tx, requireId('modelId', modelId), 'modelId');
    const parent = await requireModel(tx, requireId('parentModelId', parentModelId), 'parentModelId');
    requireOrgWriter(caller, parent.ownerMspId, `consent to changes of what models pay ${parent.modelId}`, POLICY_WRITERS);
    const current = child.royaltyPolicy.parents.find((entry) => entry.modelId === parent.modelId);
    if (current === undefined) {
      throw invalidArgument('parentModelId', `is not a parent of model ${child.modelId}`);
    }
    const share = requireInteger('shareBps', Number(shareBps === '' ? NaN : shareBps), 0, current.shareBps);
    const record: LineageConsentRecord = {
      docType: 'lineageConsent',
      modelId: child.modelId,
      parentModelId: parent.modelId,
      shareBps: share,
      consentedBy: caller.account,
      consentedAt: tx.now,
      txId: tx.txId,
    };
    await saveLineageConsent(tx, record, parent.ownerMspId);
    tx.emit(Events.LineageChangeConsented, record);
    return result(record);
  }

  /** Reads a model and all its versions. Anyone on the channel may read the catalogue. */
  @Transaction(false)
  async GetModel(ctx: Context, modelId: string): Promise<string> {
    const tx = new Tx(ctx);
    const model = await requireModel(tx, requireId('modelId', modelId));
    const versions = await tx.range<ModelVersionRecord>(versionsRange(model.modelId), Limits.maxPageSize);
    return result<ModelView>({ model, versions: versions.map((entry) => entry.value) });
  }

  /** Reads one version of a model. */
  @Transaction(false)
  async GetModelVersion(ctx: Context, modelId: string, version: string): Promise<string> {
    const tx = new Tx(ctx);
    return result(await requireModelVersion(tx, requireId('modelId', modelId), requireId('version', version)));
  }

  /** Lists models in id order, one page at a time. */
  @Transaction(false)
  async ListModels(ctx: Context, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    return result(
      await pageOfDocuments<ModelRecord>(
        tx,
        prefixRange(Keys.models()),
        requirePageSize('pageSize', pageSize),
        requireBookmark('bookmark', bookmark),
      ),
    );
  }

  /** The committed changes of a model's header, with transaction ids and times, oldest first, one page at a time. */
  @Transaction(false)
  async GetModelHistory(ctx: Context, modelId: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const model = await requireModel(tx, requireId('modelId', modelId));
    return result(
      await tx.history(Keys.model(model.modelId), requirePageSize('pageSize', pageSize), requireBookmark('bookmark', bookmark)),
    );
  }
}
