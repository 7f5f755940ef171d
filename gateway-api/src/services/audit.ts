import { ApiCode, ApiError } from '../errors';
import type { Session } from '../fabric/ledger';
import { Page, PageRequest, pageArgs, Schemas, toPage, Window, windowArgs } from './common';

/** Which index an access query reads: at most one filter, or none for all accesses by time. */
export interface AccessFilter {
  readonly modelId?: string;
  readonly mspId?: string;
  readonly caller?: string;
  readonly licenseId?: string;
}

const ACCESS_QUERIES = {
  modelId: 'ListAccessByModel',
  mspId: 'ListAccessByOrg',
  caller: 'ListAccessByCaller',
  licenseId: 'ListAccessByLicense',
} as const;

/** Read-only audit queries (AuditContract). */
export class AuditService {
  constructor(private readonly session: Session) {}

  /**
   * Access records, oldest first, through the index the filter names.
   *
   * @throws ApiError INVALID_ARGUMENT when more than one filter is given.
   */
  async accesses(filter: AccessFilter, window: Window, page: PageRequest): Promise<Page<Schemas['AccessRecord']>> {
    const given = (Object.keys(ACCESS_QUERIES) as (keyof AccessFilter)[]).filter((k) => filter[k] !== undefined);
    if (given.length > 1) {
      throw new ApiError(ApiCode.INVALID_ARGUMENT, `${given.join(', ')}: give at most one of modelId, mspId, caller, licenseId`);
    }
    const by = given[0];
    const args = by === undefined ? [] : [filter[by] as string];
    const transaction = by === undefined ? 'ListAccessByTime' : ACCESS_QUERIES[by];
    return toPage(await this.session.evaluate('AuditContract', transaction, ...args, ...windowArgs(window), ...pageArgs(page)));
  }

  async listPurchases(offeringId: string, window: Window, page: PageRequest): Promise<Page<Schemas['Purchase']>> {
    return toPage(
      await this.session.evaluate('AuditContract', 'ListPurchasesByOffering', offeringId, ...windowArgs(window), ...pageArgs(page)),
    );
  }

  async assetHistory(assetType: string, assetId: string, page: PageRequest): Promise<Schemas['History']> {
    return toPage(await this.session.evaluate('AuditContract', 'GetAssetHistory', assetType, assetId, ...pageArgs(page)));
  }
}
