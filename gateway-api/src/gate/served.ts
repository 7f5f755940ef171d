/**
 * Which accesses a serving gate has served: each is served once. Kept in
 * memory and appended to a file, so that a restarted gate still refuses a
 * replay. Entries older than twice the freshness window are forgotten (at
 * start, and every 10 000 lines), since the gate refuses such accesses as
 * stale anyway.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** What happened to an access at this gate. */
export type ServedState = 'serving' | 'served' | 'refunded' | 'refund-failed';

interface Entry {
  readonly accessId: string;
  readonly state: ServedState;
  readonly requestHash: string;
  /** Milliseconds since the epoch, when the state was reached. */
  readonly at: number;
}

/** A served result, held for a retry of the same request within the window. */
export interface HeldResult {
  readonly requestHash: string;
  readonly body: unknown;
}

export class ServedLog {
  private readonly entries = new Map<string, Entry>();
  private readonly results = new Map<string, HeldResult>();
  /** Lines appended since the file was last rewritten; past `compactEvery`, old entries are dropped. */
  private appended = 0;
  private static readonly compactEvery = 10_000;

  constructor(
    private readonly file: string,
    private readonly keepMs: number,
    private readonly maxHeldResults: number,
    private readonly now: () => number = Date.now,
  ) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line.trim() !== '') {
          const entry = JSON.parse(line) as Entry;
          // A claim the last process never finished: the model may or may not have run, and no result
          // went out, so the access is owed a refund, which its next presentation makes.
          this.entries.set(entry.accessId, entry.state === 'serving' ? { ...entry, state: 'refund-failed' } : entry);
        }
      }
    }
    this.compact();
  }

  /** The access's state at this gate, if it has one. */
  get(accessId: string): ServedState | undefined {
    return this.entries.get(accessId)?.state;
  }

  /**
   * Claims an access for serving; false when it is already claimed, served
   * or refunded. Synchronous, so two requests for one access cannot both win.
   */
  claim(accessId: string, requestHash: string): boolean {
    if (this.entries.has(accessId)) {
      return false;
    }
    this.record({ accessId, state: 'serving', requestHash, at: this.now() });
    return true;
  }

  /** Releases a claim that was refused before anything ran, so the rightful caller may still present it. */
  release(accessId: string): void {
    if (this.entries.get(accessId)?.state === 'serving') {
      this.entries.delete(accessId);
      this.append({ accessId, state: 'serving', requestHash: '', at: 0 });
    }
  }

  /** Marks an access as served and holds its result for a retry of the same request. */
  served(accessId: string, requestHash: string, body: unknown): void {
    this.record({ accessId, state: 'served', requestHash, at: this.now() });
    this.results.set(accessId, { requestHash, body });
    while (this.results.size > this.maxHeldResults) {
      const oldest = this.results.keys().next().value;
      if (oldest === undefined) break;
      this.results.delete(oldest);
    }
  }

  /** Marks an access as refunded, or as failed with its refund still to be made. */
  settle(accessId: string, requestHash: string, state: 'refunded' | 'refund-failed'): void {
    this.record({ accessId, state, requestHash, at: this.now() });
  }

  /** The held result of a served access, if the gate still holds it. */
  heldResult(accessId: string): HeldResult | undefined {
    return this.results.get(accessId);
  }

  private record(entry: Entry): void {
    this.entries.set(entry.accessId, entry);
    this.append(entry);
  }

  /** A line with `at` 0 releases a claim (see `release`); replaying the file applies it by deleting. */
  private append(entry: Entry): void {
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    this.appended += 1;
    if (this.appended >= ServedLog.compactEvery) {
      this.compact();
    }
  }

  /** Drops what is past keeping and rewrites the file with the rest. */
  private compact(): void {
    const horizon = this.now() - this.keepMs;
    for (const [id, entry] of this.entries) {
      if (entry.at < horizon) {
        this.entries.delete(id);
      }
    }
    for (const id of this.results.keys()) {
      if (!this.entries.has(id)) {
        this.results.delete(id);
      }
    }
    writeFileSync(this.file, [...this.entries.values()].map((entry) => `${JSON.stringify(entry)}\n`).join(''), { mode: 0o600 });
    this.appended = 0;
  }
}
