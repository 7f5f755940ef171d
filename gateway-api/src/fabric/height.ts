/**
 * The channel height, asked of the org's peer at most once per time to live.
 * `/healthz` is served without a key, so without this every hit would be a
 * qscc query on the peer; a stream that resumes from the ledger reads it too.
 */

/** A clock in milliseconds; `Date.now` unless a test gives its own. */
export type Clock = () => number;

export class CachedHeight {
  private last: { readonly answer: Promise<bigint>; settledAt: number | undefined } | undefined;

  /**
   * @param probe Asks the peer (`Ledger.height`).
   * @param ttlMs How long an answer, or a failure, is reused after it came; 0 reuses only a probe still running.
   */
  constructor(
    private readonly probe: () => Promise<bigint>,
    private readonly ttlMs: number,
    private readonly now: Clock = Date.now,
  ) {}

  /**
   * The height from the last probe while that probe runs or for `ttlMs`
   * after it settled; otherwise from a new probe. Concurrent callers share
   * one probe. A failure is kept for as long as an answer, so a peer outage
   * does not turn every hit into a query.
   *
   * @throws whatever the probe throws: ApiError LEDGER_UNAVAILABLE or LEDGER_TIMEOUT from `Ledger.height`.
   */
  get(): Promise<bigint> {
    const last = this.last;
    if (last !== undefined && (last.settledAt === undefined || this.now() - last.settledAt < this.ttlMs)) {
      return last.answer;
    }
    const entry: { answer: Promise<bigint>; settledAt: number | undefined } = {
      answer: Promise.resolve().then(() => this.probe()),
      settledAt: undefined,
    };
    const settled = (): void => {
      entry.settledAt = this.now();
    };
    // Also marks the rejection handled: each caller still sees it through the promise it awaits.
    entry.answer.then(settled, settled);
    this.last = entry;
    return entry.answer;
  }
}
