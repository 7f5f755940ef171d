/**
 * What keeps `GET /v1/events` from being turned against the instance: a cap
 * on open streams per API key and per instance, and a writer that honours
 * back-pressure and drops a client that does not read.
 */
import type { Writable } from 'node:stream';
import { ApiCode, ApiError } from '../errors';

/** Caps on open streams (from `config.ts`). */
export interface StreamLimits {
  /** Streams one principal (an API key, or a bearer-token user) may hold at once. */
  readonly perKey: number;
  /** Streams the instance serves at once. */
  readonly perInstance: number;
  /** The `Retry-After` of a refusal, in seconds. */
  readonly retryAfterSeconds: number;
}

/** A held stream slot; release() is idempotent, so every way a stream ends may call it. */
export interface StreamSlot {
  release(): void;
}

/** Counts open streams per principal and in all; in memory, per instance. */
export class StreamSlots {
  private readonly byKey = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: StreamLimits) {}

  /** Streams open on this instance. */
  get open(): number {
    return this.total;
  }

  /** Streams `key` holds. */
  openFor(key: string): number {
    return this.byKey.get(key) ?? 0;
  }

  /**
   * Takes a slot for one stream of `key`.
   *
   * @throws ApiError TOO_MANY_STREAMS (429, with Retry-After) when `key`
   *   already holds its cap, or the instance serves its cap; nothing is taken then.
   */
  acquire(key: string): StreamSlot {
    const { perKey, perInstance, retryAfterSeconds } = this.limits;
    const held = this.openFor(key);
    if (held >= perKey) {
      throw new ApiError(
        ApiCode.TOO_MANY_STREAMS,
        `this API key already holds ${held} open event streams on this instance, the most it may; close one before opening another`,
        undefined,
        retryAfterSeconds,
      );
    }
    if (this.total >= perInstance) {
      throw new ApiError(
        ApiCode.TOO_MANY_STREAMS,
        `this instance already serves ${this.total} event streams, the most it may; retry after the Retry-After header`,
        undefined,
        retryAfterSeconds,
      );
    }
    this.byKey.set(key, held + 1);
    this.total++;
    let released = false;
    return {
      release: () => {
        if (released) {
          return;
        }
        released = true;
        this.total--;
        const left = this.openFor(key) - 1;
        if (left > 0) {
          this.byKey.set(key, left);
        } else {
          this.byKey.delete(key);
        }
      },
    };
  }
}

/** Where a stream's frames go: the HTTP response, or any Writable in tests. */
export type SseOutput = Pick<Writable, 'write' | 'writableLength' | 'writableEnded' | 'destroyed' | 'on' | 'once' | 'off' | 'destroy'>;

/** How far behind a client may fall (from `config.ts`). */
export interface BacklogLimits {
  /** Unsent bytes (`writableLength`) above which a client counts as too slow. */
  readonly maxBufferedBytes: number;
  /** How long it may stay above that before it is dropped; 0 drops it at once. */
  readonly slowClientMs: number;
}

/**
 * Writes SSE frames to one client. When a write is refused for
 * back-pressure (`write()` returns false), `ready()` waits for `'drain'`,
 * so a replay from the ledger pauses instead of piling up in memory. Live
 * events come from the instance's one shared feed and cannot wait for one
 * client: they are buffered, and a client whose unsent bytes stay over
 * `maxBufferedBytes` for `slowClientMs` is dropped (its connection is
 * destroyed, which ends the stream; it resumes with Last-Event-ID).
 */
export class SseWriter {
  private drained: Promise<void> | undefined;
  private slowTimer: NodeJS.Timeout | undefined;
  private dropped = false;

  /**
   * @param onDrop Told the client's unsent bytes when it is dropped (for the log and metrics).
   */
  constructor(
    private readonly out: SseOutput,
    private readonly limits: BacklogLimits,
    private readonly onDrop: (bufferedBytes: number) => void,
  ) {
    out.once('close', () => this.clearSlowTimer());
  }

  /** Whether the client has yet to take what was written (the last write was refused). */
  get paused(): boolean {
    return this.drained !== undefined;
  }

  /** Whether frames still reach the client. */
  get open(): boolean {
    return !this.dropped && !this.out.destroyed && !this.out.writableEnded;
  }

  /** Sends one event. */
  event(id: string, name: string, data: unknown): void {
    this.write(`id: ${id}\nevent: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Sends a comment line; skipped while paused, where it would only add to the backlog. */
  comment(text: string): void {
    if (!this.paused) {
      this.write(`: ${text}\n\n`);
    }
  }

  /** Sends a raw frame (for example `retry:`); nothing once the stream is closed or dropped. */
  write(frame: string): void {
    if (!this.open) {
      return;
    }
    if (!this.out.write(frame)) {
      this.drained ??= this.waitForDrain();
    }
    if (this.out.writableLength > this.limits.maxBufferedBytes) {
      this.overBound();
    }
  }

  /** Resolves once the client has taken what was written: at once unless a write was refused; on 'drain' or 'close' otherwise. */
  ready(): Promise<void> {
    return this.drained ?? Promise.resolve();
  }

  private waitForDrain(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.out.off('drain', done);
        this.out.off('close', done);
        this.drained = undefined;
        // Drained means nothing is left unsent, so the client is no longer behind.
        this.clearSlowTimer();
        resolve();
      };
      this.out.on('drain', done);
      this.out.on('close', done);
    });
  }

  private overBound(): void {
    if (this.limits.slowClientMs === 0) {
      this.drop();
      return;
    }
    this.slowTimer ??= setTimeout(() => {
      this.slowTimer = undefined;
      if (this.open && this.out.writableLength > this.limits.maxBufferedBytes) {
        this.drop();
      }
    }, this.limits.slowClientMs);
    // A slow client must not keep the process alive at shutdown.
    this.slowTimer.unref();
  }

  private drop(): void {
    if (this.dropped) {
      return;
    }
    this.dropped = true;
    this.clearSlowTimer();
    this.onDrop(this.out.writableLength);
    this.out.destroy();
  }

  private clearSlowTimer(): void {
    if (this.slowTimer !== undefined) {
      clearTimeout(this.slowTimer);
      this.slowTimer = undefined;
    }
  }
}
