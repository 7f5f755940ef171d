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

  async setRoyaltyPolicy(modelId: string, policy: Schemas['RoyaltyPolicyInput']): Promise<Written<Schemas['Model']>> {
    return written(await this.session.submit('ModelContract', 'SetRoyaltyPolicy', modelId, JSON.stringify(policy)));
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
