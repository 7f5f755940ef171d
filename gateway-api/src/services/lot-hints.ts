import { randomInt } from 'node:crypto';

/**
 * Lot hints for `RecordAccess`, and supply-shard hints for `PurchaseLicense`
 * (keyed `supply:<offering>`). A licence's units sit in lots, and an access
 * starting at a lot another in-flight access also starts at conflicts with
 * it at commit (MVCC); an offering's supply sits in shards the same way.
 * Handing concurrent calls on one licence (or offering) consecutive hints
 * spreads them over distinct lots (shards); the chaincode takes the hint
 * (below 10^9) modulo the lot (shard) count. Each licence's sequence starts at a random
 * point, so that several API instances of one org rarely line up.
 */
export class LotHints {
  private readonly next = new Map<string, number>();

  /** At most this many licences are tracked; the oldest are forgotten first. */
  constructor(private readonly capacity = 10_000) {}

  /** The hint for the next access of `licenseId`, as the decimal string the chaincode takes. */
  take(licenseId: string): string {
    return this.takeSpan(licenseId, 1);
  }

  /**
   * The hint for a batch that will draw from about `span` lots of
   * `licenseId` from its start lot on: the next hint skips them, so the
   * batch after it starts past them.
   */
  takeSpan(licenseId: string, span: number): string {
    const hint = this.next.get(licenseId) ?? randomInt(0, 1 << 20);
    this.next.delete(licenseId);
    if (this.next.size >= this.capacity) {
      const oldest = this.next.keys().next().value;
      if (oldest !== undefined) {
        this.next.delete(oldest);
      }
    }
    this.next.set(licenseId, (hint + Math.max(1, span)) % 1_000_000_000);
    return String(hint);
  }
}
