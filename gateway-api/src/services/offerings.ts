import { OfferingClient, type OfferingRecord, type OfferingView, type PublishedOffering } from '@model-ledger/contract';
import type { Session } from '../fabric/ledger';
import { Page, PageRequest, pageArgs, Schemas, toPage, WriteResult, written } from './common';

/** Licence offerings and their frozen terms (OfferingContract). */
export class OfferingService {
  private readonly offerings: OfferingClient;

  constructor(session: Session) {
    this.offerings = new OfferingClient(session);
  }

  /** Publishes an offering. @throws ApiError FORBIDDEN unless the model owner's admin; INVALID_ARGUMENT naming the field. */
  async publish(input: Schemas['NewOffering']): Promise<WriteResult<PublishedOffering>> {
    const { modelId, ...offering } = input;
    return written(await this.offerings.publishOffering(modelId, offering));
  }

  /** Pauses, resumes or retires an offering. @throws ApiError CONFLICT for a change a retired offering cannot make. */
  async setStatus(offeringId: string, status: Schemas['OfferingStatus']): Promise<WriteResult<OfferingRecord>> {
    return written(await this.offerings.setStatus(offeringId, status));
  }

  async get(offeringId: string): Promise<OfferingView> {
    return this.offerings.getOffering(offeringId);
  }

  async listByModel(modelId: string, page: PageRequest): Promise<Page<OfferingRecord>> {
    return toPage(await this.offerings.listOfferingsByModel(modelId, pageArgs(page)));
  }
}
