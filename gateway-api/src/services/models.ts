import {
  ModelClient,
  type HistoryEntry,
  type LineageConsentRecord,
  type ModelRecord,
  type ModelVersionRecord,
  type ModelView,
} from '@model-ledger/contract';
import type { Session } from '../fabric/ledger';
import { Page, PageRequest, pageArgs, Schemas, toPage, WriteResult, written } from './common';

/** Models, their versions and royalty policies (ModelContract). */
export class ModelService {
  private readonly models: ModelClient;

  constructor(session: Session) {
    this.models = new ModelClient(session);
  }

  /** Registers a model with its first version. @throws ApiError FORBIDDEN unless the org's admin or engineer; INVALID_ARGUMENT naming the field. */
  async register(input: Schemas['NewModel']): Promise<WriteResult<ModelRecord>> {
    return written(await this.models.registerModel(input));
  }

  async addVersion(modelId: string, input: Schemas['NewModelVersion']): Promise<WriteResult<ModelVersionRecord>> {
    return written(await this.models.addModelVersion({ modelId, ...input }));
  }

  async setActiveVersion(modelId: string, version: string): Promise<WriteResult<ModelRecord>> {
    return written(await this.models.setActiveVersion(modelId, version));
  }

  /**
   * Replaces a model's royalty policy for future accruals; licences keep their frozen resale rate.
   * @throws ApiError FORBIDDEN unless the owner org's admin; LINEAGE_CONSENT_REQUIRED when it drops a parent or pays it less than its owner consented to.
   */
  async setRoyaltyPolicy(modelId: string, policy: Schemas['RoyaltyPolicyInput']): Promise<WriteResult<ModelRecord>> {
    return written(await this.models.setRoyaltyPolicy(modelId, policy));
  }

  /**
   * The parent model's owner consents that child `modelId` may pay the parent as little as `shareBps` (0: drop it).
   * @throws ApiError FORBIDDEN unless an admin of the parent's owner org; INVALID_ARGUMENT when the child does not pay that parent or the share is above what it pays now; NOT_FOUND.
   */
  async consentLineageChange(modelId: string, input: Schemas['NewLineageConsent']): Promise<WriteResult<LineageConsentRecord>> {
    return written(await this.models.consentLineageChange(modelId, input.parentModelId, input.shareBps));
  }

  /** @throws ApiError NOT_FOUND. */
  async get(modelId: string): Promise<ModelView> {
    return this.models.getModel(modelId);
  }

  async getVersion(modelId: string, version: string): Promise<ModelVersionRecord> {
    return this.models.getModelVersion(modelId, version);
  }

  async list(page: PageRequest): Promise<Page<ModelRecord>> {
    return toPage(await this.models.listModels(pageArgs(page)));
  }

  async history(modelId: string, page: PageRequest): Promise<Page<HistoryEntry>> {
    return toPage(await this.models.getModelHistory(modelId, pageArgs(page)));
  }
}
