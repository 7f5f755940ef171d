import type { Session } from '../fabric/ledger';
import { decode, Page, PageRequest, pageArgs, Schemas, toPage, Written, written } from './common';

/** Models, their versions and royalty policies (ModelContract). */
export class ModelService {
  constructor(private readonly session: Session) {}

  /** Registers a model with its first version. @throws ApiError FORBIDDEN unless the org's admin or engineer; INVALID_ARGUMENT naming the field. */
  async register(input: Schemas['NewModel']): Promise<Written<Schemas['Model']>> {
    return written(
      await this.session.submit(
        'ModelContract',
        'RegisterModel',
        input.name,
        input.description,
        input.task,
        input.intendedUse,
        input.version,
        input.artifactSha256,
        input.artifactUri,
        input.inferenceEndpoint,
        JSON.stringify(input.royaltyPolicy),
      ),
    );
  }

  async addVersion(modelId: string, input: Schemas['NewModelVersion']): Promise<Written<Schemas['ModelVersion']>> {
    return written(
      await this.session.submit(
        'ModelContract',
        'AddModelVersion',
        modelId,
        input.version,
        input.artifactSha256,
        input.artifactUri,
        input.inferenceEndpoint,
      ),
    );
  }

  async setActiveVersion(modelId: string, version: string): Promise<Written<Schemas['Model']>> {
    return written(await this.session.submit('ModelContract', 'SetActiveVersion', modelId, version));
  }

  /**
   * Replaces a model's royalty policy for future accruals; licences keep their frozen resale rate.
   * @throws ApiError FORBIDDEN unless the owner org's admin; LINEAGE_CONSENT_REQUIRED when it drops a parent or pays it less than its owner consented to.
   */
  async setRoyaltyPolicy(modelId: string, policy: Schemas['RoyaltyPolicyInput']): Promise<Written<Schemas['Model']>> {
    return written(await this.session.submit('ModelContract', 'SetRoyaltyPolicy', modelId, JSON.stringify(policy)));
  }

  /**
   * The parent model's owner consents that child `modelId` may pay the parent as little as `shareBps` (0: drop it).
   * @throws ApiError FORBIDDEN unless an admin of the parent's owner org; INVALID_ARGUMENT when the child does not pay that parent or the share is above what it pays now; NOT_FOUND.
   */
  async consentLineageChange(modelId: string, input: Schemas['NewLineageConsent']): Promise<Written<Schemas['LineageConsent']>> {
    return written(await this.session.submit('ModelContract', 'ConsentLineageChange', modelId, input.parentModelId, String(input.shareBps)));
  }

  /** @throws ApiError NOT_FOUND. */
  async get(modelId: string): Promise<Schemas['ModelWithVersions']> {
    return decode(await this.session.evaluate('ModelContract', 'GetModel', modelId));
  }

  async getVersion(modelId: string, version: string): Promise<Schemas['ModelVersion']> {
    return decode(await this.session.evaluate('ModelContract', 'GetModelVersion', modelId, version));
  }

  async list(page: PageRequest): Promise<Page<Schemas['Model']>> {
    return toPage(await this.session.evaluate('ModelContract', 'ListModels', ...pageArgs(page)));
  }

  async history(modelId: string, page: PageRequest): Promise<Schemas['History']> {
    return toPage(await this.session.evaluate('ModelContract', 'GetModelHistory', modelId, ...pageArgs(page)));
  }
}
