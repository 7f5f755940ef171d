import {
  LicenseClient,
  type AccessRecord,
  type BatchReceipt,
  type Entitlement,
  type ExpirySettlementRecord,
  type LicenseRecord,
  type LicenseView,
  type PurchaseRecord,
  type RefundRecord,
} from '@model-ledger/contract';
import type { Session } from '../fabric/ledger';
import { Page, PageRequest, pageArgs, Schemas, toPage, WriteResult, written } from './common';
import type { LotHints } from './lot-hints';
import type { Meter } from './meter';
import type { RequestIds } from './requests';

/** Purchases, licences and accesses (LicenseContract). */
export class LicenseService {
  private readonly licenses: LicenseClient;

  constructor(
    private readonly session: Session,
    private readonly hints: LotHints,
    private readonly requests: RequestIds,
    private readonly meter: Meter,
  ) {
    this.licenses = new LicenseClient(session);
  }

  /**
   * Buys units of an offering. Concurrent purchases of one offering get
   * distinct supply-shard hints, so they draw on distinct shards and do not
   * conflict. `idempotencyKey` becomes the chaincode's request id: the
   * chaincode returns the first purchase for a reused id and charges nothing,
   * so a retry (by the client, or by our conflict retry) is safe.
   *
   * @throws ApiError INSUFFICIENT_FUNDS, SUPPLY_EXHAUSTED, OFFERING_PAUSED, OFFERING_RETIRED,
   *   CONFLICT (the key was used for a different purchase), FORBIDDEN or INVALID_ARGUMENT.
   */
  async purchase(input: Schemas['NewPurchase'], idempotencyKey: string | undefined): Promise<WriteResult<PurchaseRecord>> {
    const purchased = await this.licenses.purchaseLicense({
      offeringId: input.offeringId,
      units: input.units,
      payer: input.payer,
      supplyHint: this.hints.take(`supply:${input.offeringId}`),
      requestId: idempotencyKey,
    });
    return written(await this.requests.firstAnswer(purchased, idempotencyKey));
  }

  /**
   * Records one use of a licence and pays its royalties: alone, or in a
   * batch when others are in flight and the licence's terms allow it (see
   * `meter.ts`); a batched access's answer carries its Merkle receipt.
   *
   * @throws ApiError FORBIDDEN (caller lacks the required attributes), PURPOSE_NOT_PERMITTED,
   *   LICENSE_EXPIRED, INSUFFICIENT_UNITS or INVALID_ARGUMENT.
   */
  async recordAccess(
    licenseId: string,
    input: Schemas['NewAccess'],
    idempotencyKey: string | undefined,
  ): Promise<WriteResult<AccessRecord> & { receipt?: BatchReceipt }> {
    const recorded = await this.meter.record(this.session, {
      licenseId,
      units: input.units ?? '1',
      purpose: input.purpose,
      requestHash: input.requestHash,
      requestId: idempotencyKey,
    });
    const answer = await this.requests.firstAnswer(recorded, idempotencyKey);
    return { ...written(answer), ...(recorded.receipt === undefined || answer.replayed === true ? {} : { receipt: recorded.receipt }) };
  }

  /**
   * Refunds an expired term licence's unused units to its holder.
   *
   * @throws ApiError CONFLICT (metered, not yet expired, or nothing left), FORBIDDEN (regulators) or INVALID_ARGUMENT.
   */
  async settleExpired(licenseId: string): Promise<WriteResult<ExpirySettlementRecord>> {
    return written(await this.licenses.settleExpiredLicense(licenseId));
  }

  /** Evaluates whether an access would succeed now; same errors as recordAccess. */
  async checkEntitlement(licenseId: string, units: string, purpose: string): Promise<Entitlement> {
    return this.licenses.checkEntitlement(licenseId, units, purpose);
  }

  async get(licenseId: string): Promise<LicenseView> {
    return this.licenses.getLicense(licenseId);
  }

  async listByHolder(holder: string, page: PageRequest): Promise<Page<LicenseRecord>> {
    return toPage(await this.licenses.listLicensesByHolder(holder, pageArgs(page)));
  }

  async getAccess(accessId: string): Promise<AccessRecord> {
    return this.licenses.getAccessRecord(accessId);
  }

  /** @throws ApiError NOT_FOUND when the access was not refunded, FORBIDDEN for other orgs' accesses. */
  async getRefund(accessId: string): Promise<RefundRecord> {
    return this.licenses.getAccessRefund(accessId);
  }

  /**
   * Refunds an access whose inference was not delivered: its units return and each share is reversed.
   *
   * @throws ApiError NOT_FOUND, FORBIDDEN (anyone but the model owner's admins and engineers) or CONFLICT (refunded before).
   */
  async refund(accessId: string, reason: string): Promise<WriteResult<RefundRecord>> {
    return written(await this.licenses.refundAccess(accessId, reason));
  }
}
