import type { Session } from '../fabric/ledger';
import { decode, Page, PageRequest, pageArgs, Schemas, toPage, Written, written } from './common';

const STATUS_TRANSACTIONS = { active: 'ResumeOffering', paused: 'PauseOffering', retired: 'RetireOffering' } as const;

/** Licence offerings and their frozen terms (OfferingContract). */
export class OfferingService {
  constructor(private readonly session: Session) {}

  /** Publishes an offering. @throws ApiError FORBIDDEN unless the model owner's admin; INVALID_ARGUMENT naming the field. */
  async publish(input: Schemas['NewOffering']): Promise<Written<Schemas['OfferingPublished']['data']>> {
    const { modelId, ...offering } = input;
    return written(await this.session.submit('OfferingContract', 'PublishOffering', modelId, JSON.stringify(offering)));
  }

  /** Pauses, resumes or retires an offering. @throws ApiError CONFLICT for a change a retired offering cannot make. */
  async setStatus(offeringId: string, status: Schemas['OfferingStatus']): Promise<Written<Schemas['Offering']>> {
    const committed = await this.session.submit('OfferingContract', STATUS_TRANSACTIONS[status], offeringId);
    return written(committed);
  }

  async get(offeringId: string): Promise<Schemas['OfferingDetail']> {
    return decode(await this.session.evaluate('OfferingContract', 'GetOffering', offeringId));
  }

  async listByModel(modelId: string, page: PageRequest): Promise<Page<Schemas['Offering']>> {
    return toPage(await this.session.evaluate('OfferingContract', 'ListOfferingsByModel', modelId, ...pageArgs(page)));
  }
}
