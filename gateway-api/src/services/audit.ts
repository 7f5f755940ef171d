import {
  AuditClient,
  type AccessIndex,
  type AccessRecord,
  type AssetType,
  type HistoryEntry,
  type PurchaseRecord,
  type Window,
} from '@model-ledger/contract';
import { ApiCode, ApiError } from '../errors';
import type { Session } from '../fabric/ledger';
import { Page, PageRequest, pageArgs, toPage } from './common';

/** Which index an access query reads: at most one filter, or none for all accesses by time. */
export interface AccessFilter {
  readonly modelId?: string;
  readonly mspId?: string;
  readonly caller?: string;
  readonly licenseId?: string;
}

/** The access index each filter reads. */
const ACCESS_INDEXES = {
  modelId: 'model',
  mspId: 'org',
  caller: 'caller',
  licenseId: 'license',
} as const satisfies Record<keyof AccessFilter, AccessIndex>;

/** Read-only audit queries (AuditContract). */
export class AuditService {
  private readonly audit: AuditClient;

  constructor(session: Session) {
    this.audit = new AuditClient(session);
  }

  /**
   * Access records, oldest first, through the index the filter names.
   *
   * @throws ApiError INVALID_ARGUMENT when more than one filter is given.
   */
  async accesses(filter: AccessFilter, window: Window, page: PageRequest): Promise<Page<AccessRecord>> {
    const given = (Object.keys(ACCESS_INDEXES) as (keyof AccessFilter)[]).filter((k) => filter[k] !== undefined);
    if (given.length > 1) {
      throw new ApiError(
        ApiCode.INVALID_ARGUMENT,
        `${given.map((name) => `query.${name}`).join(', ')} exclude each other: give at most one of modelId, mspId, caller and licenseId, ` +
          'each of which reads its own index of the accesses',
      );
    }
    const by = given[0];
    const p = pageArgs(page);
    return toPage(
      by === undefined
        ? await this.audit.listAccessByTime(window, p)
        : await this.audit.listAccessBy(ACCESS_INDEXES[by], filter[by] as string, window, p),
    );
  }

  async listPurchases(offeringId: string, window: Window, page: PageRequest): Promise<Page<PurchaseRecord>> {
    return toPage(await this.audit.listPurchasesByOffering(offeringId, window, pageArgs(page)));
  }

  async assetHistory(assetType: AssetType, assetId: string, page: PageRequest): Promise<Page<HistoryEntry>> {
    return toPage(await this.audit.getAssetHistory(assetType, assetId, pageArgs(page)));
  }
}
