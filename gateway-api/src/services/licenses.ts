import type { Session } from '../fabric/ledger';
import type { LotHints } from './lot-hints';
import { decode, Page, PageRequest, pageArgs, Schemas, toPage, Written, written } from './common';

/** Purchases, licences and accesses (LicenseContract). */
export class LicenseService {
  constructor(
    private readonly session: Session,
    private readonly hints: LotHints,
  ) {}

  /**
   * Buys units of an offering. `idempotencyKey` becomes the chaincode's
   * request id: the chaincode returns the first purchase for a reused id and
   * charges nothing, so a retry (by the client, or by our conflict retry) is safe.
   *
   * @throws ApiError INSUFFICIENT_FUNDS, SUPPLY_EXHAUSTED, OFFERING_PAUSED, OFFERING_RETIRED,
   *   CONFLICT (the key was used for a different purchase), FORBIDDEN or INVALID_ARGUMENT.
   */
  async purchase(input: Schemas['NewPurchase'], idempotencyKey: string | undefined): Promise<Written<Schemas['Purchase']>> {
    return written(
      await this.session.submitRequest('LicenseContract', 'PurchaseLicense', idempotencyKey, input.offeringId, input.units, input.payer),
    );
  }

  /**
   * Records one use of a licence and pays its royalties.
   *
   * @throws ApiError FORBIDDEN (caller lacks the required attributes), PURPOSE_NOT_PERMITTED,
   *   LICENSE_EXPIRED, INSUFFICIENT_UNITS or INVALID_ARGUMENT.
   */
  async recordAccess(licenseId: string, input: Schemas['NewAccess'], idempotencyKey: string | undefined): Promise<Written<Schemas['AccessRecord']>> {
    const hint = this.hints.take(licenseId);
    return written(
      await this.session.submitRequest('LicenseContract', 'RecordAccess', idempotencyKey, licenseId, input.units ?? '1', input.purpose, input.requestHash, hint, ''),
    );
  }

  /**
   * Refunds an expired term licence's unused units to its holder.
   *
   * @throws ApiError CONFLICT (metered, not yet expired, or nothing left), FORBIDDEN (regulators) or INVALID_ARGUMENT.
   */
  async settleExpired(licenseId: string): Promise<Written<Schemas['ExpirySettlement']>> {
    return written(await this.session.submit('LicenseContract', 'SettleExpiredLicense', licenseId));
  }

  /** Evaluates whether an access would succeed now; same errors as recordAccess. */
  async checkEntitlement(licenseId: string, units: string, purpose: string): Promise<Schemas['Entitlement']> {
    return decode(await this.session.evaluate('LicenseContract', 'CheckEntitlement', licenseId, units, purpose));
  }

  async get(licenseId: string): Promise<Schemas['LicenseDetail']> {
    return decode(await this.session.evaluate('LicenseContract', 'GetLicense', licenseId));
  }

  async listByHolder(holder: string, page: PageRequest): Promise<Page<Schemas['License']>> {
    return toPage(await this.session.evaluate('LicenseContract', 'ListLicensesByHolder', holder, ...pageArgs(page)));
  }

  async getAccess(accessId: string): Promise<Schemas['AccessRecord']> {
    return decode(await this.session.evaluate('LicenseContract', 'GetAccessRecord', accessId));
  }

  /** @throws ApiError NOT_FOUND when the access was not refunded, FORBIDDEN for other orgs' accesses. */
  async getRefund(accessId: string): Promise<Schemas['AccessRefund']> {
    return decode(await this.session.evaluate('LicenseContract', 'GetAccessRefund', accessId));
  }

  /**
   * Refunds an access whose inference was not delivered: its units return and each share is reversed.
   *
   * @throws ApiError NOT_FOUND, FORBIDDEN (anyone but the model owner's admins and engineers) or CONFLICT (refunded before).
   */
  async refund(accessId: string, reason: string): Promise<Written<Schemas['AccessRefund']>> {
    return written(await this.session.submit('LicenseContract', 'RefundAccess', accessId, reason));
  }
}
