/**
 * The chaincode's events, as one ordered feed per API instance.
 *
 * One listener reads the chaincode events from the org's peer. Its position
 * is checkpointed to a file, so after a peer restart (the stream fails) or an
 * API restart it resumes where it was: it retries with backoff for as long as
 * the instance runs. Recent events are kept in a bounded ring; a reader that
 * resumes from further back replays them from the ledger.
 *
 * Each event is identified by its position `<blockNumber>:<n>`, where n counts
 * this chaincode's events within the block from 0. Fabric's event stream does
 * not say which transaction of the block an event came from, but it always
 * delivers a block's events in order, so the position is the same whether
 * the event is read live or replayed, and positions are totally ordered.
 */
import { ChaincodeEvent, Checkpointer, checkpointers, CloseableAsyncIterable } from '@hyperledger/fabric-gateway';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Ledger } from './ledger';

/** Where an event is in the ledger: its block and its place among the chaincode's events in that block. */
export interface Position {
  readonly block: bigint;
  readonly ordinal: number;
}

/** One chaincode event as the API serves it. */
export interface LedgerEvent {
  /** `<blockNumber>:<n>`: see the module comment. */
  readonly id: string;
  readonly position: Position;
  readonly name: string;
  readonly transactionId: string;
  /** The chaincode's canonical JSON payload, parsed. */
  readonly payload: unknown;
}

/** Compares two positions: negative, zero or positive. */
export function comparePositions(a: Position, b: Position): number {
  if (a.block !== b.block) {
    return a.block < b.block ? -1 : 1;
  }
  return a.ordinal - b.ordinal;
}

/** `12:3` → { block: 12n, ordinal: 3 }; undefined for anything else. */
export function parseEventId(id: string): Position | undefined {
  const match = /^([0-9]{1,19}):([0-9]{1,9})$/.exec(id);
  if (match === null) {
    return undefined;
  }
  return { block: BigInt(match[1]), ordinal: Number(match[2]) };
}

const idOf = (position: Position): string => `${position.block}:${position.ordinal}`;

function toLedgerEvent(event: ChaincodeEvent, ordinal: number): LedgerEvent {
  const position = { block: event.blockNumber, ordinal };
  const text = Buffer.from(event.payload).toString('utf8');
  let payload: unknown;
  try {
    payload = text === '' ? null : (JSON.parse(text) as unknown);
  } catch {
    // Our chaincode always emits JSON; anything else is passed on as text rather than dropped.
    payload = text;
  }
  return { id: idOf(position), position, name: event.eventName, transactionId: event.transactionId, payload };
}

/**
 * Numbers the events of one stream that starts at the first event of a
 * block (never mid-block: see EventFeed.run), yielding each with its position.
 */
async function* numbered(events: AsyncIterable<ChaincodeEvent>): AsyncGenerator<LedgerEvent> {
  let block: bigint | undefined;
  let ordinal = 0;
  for await (const event of events) {
    if (event.blockNumber !== block) {
      block = event.blockNumber;
      ordinal = 0;
    }
    yield toLedgerEvent(event, ordinal++);
  }
}

/** Settings of the feed (from `config.ts`). */
export interface FeedOptions {
  readonly checkpointFile: string;
  readonly ringSize: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
}

/** What a reader gets: each event in order, then an end when the feed closes. */
export interface EventSink {
  event(event: LedgerEvent): void;
  /** The feed (or the replay) stopped; err is set when it failed. */
  end(err?: Error): void;
  /**
   * Resolves when the reader can take more. A replay from the ledger waits
   * for it before each event, so a slow reader slows its own replay (and,
   * by gRPC flow control, the peer's stream) instead of piling it up in
   * memory. Live events never wait: the feed is shared by every reader, so
   * a reader buffers them and drops itself when it falls too far behind.
   */
  ready?(): Promise<void>;
}

/** A reader's subscription; cancel() stops it (and any replay it runs). */
export interface Subscription {
  cancel(): void;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** Waits until the sink is ready for more, or until one of the signals aborts. */
async function readyOrAborted(sink: EventSink, ...signals: AbortSignal[]): Promise<void> {
  const ready = sink.ready?.();
  if (ready === undefined || signals.some((signal) => signal.aborted)) {
    return;
  }
  let abort = (): void => undefined;
  const aborted = new Promise<void>((resolve) => {
    abort = resolve;
  });
  signals.forEach((signal) => signal.addEventListener('abort', abort, { once: true }));
  try {
    await Promise.race([ready, aborted]);
  } finally {
    signals.forEach((signal) => signal.removeEventListener('abort', abort));
  }
}

export class EventFeed {
  private readonly ring: LedgerEvent[] = [];
  private readonly sinks = new Set<EventSink>();
  private readonly stopping = new AbortController();
  private readonly streams = new Set<CloseableAsyncIterable<ChaincodeEvent>>();
  /** The last event accepted: nothing at or before it is accepted again. */
  private last: Position | undefined;
  /** Every event at or after this position is in the ring (or has not happened yet). */
  private complete: Position | undefined;
  private running: Promise<void> | undefined;
  private connected = false;

  constructor(
    private readonly ledger: Ledger,
    private readonly options: FeedOptions,
    private readonly log: Logger,
  ) {}

  /** Starts the listener; it runs until close(). */
  start(): void {
    this.running ??= this.run();
  }

  /** Whether the listener is connected to the peer now. */
  get isConnected(): boolean {
    return this.connected;
  }

  /**
   * Sends a reader every event after `after` (all new events when it is
   * undefined), in order, then each new event as it arrives. Events still in
   * the ring come from memory; older ones are replayed from the ledger
   * first, and the reader then moves on to the ring without a gap or a
   * repeat.
   */
  subscribe(sink: EventSink, after?: Position): Subscription {
    if (this.stopping.signal.aborted) {
      sink.end();
      return { cancel: () => undefined };
    }
    if (after === undefined || this.holdsAfter(after)) {
      this.attach(sink, after);
      return { cancel: () => this.sinks.delete(sink) };
    }
    const replay = new AbortController();
    void this.replay(sink, after, replay.signal);
    return {
      cancel: () => {
        replay.abort();
        this.sinks.delete(sink);
      },
    };
  }

  /** Stops the listener and ends every reader. */
  async close(): Promise<void> {
    this.stopping.abort();
    for (const stream of this.streams) {
      stream.close();
    }
    for (const sink of this.sinks) {
      sink.end();
    }
    this.sinks.clear();
    await this.running;
  }

  /** Whether every event after `after` is in the ring or still to come, so that resuming there needs no replay from the ledger. */
  holdsAfter(after: Position): boolean {
    if (this.complete === undefined) {
      return false;
    }
    const next = { block: after.block, ordinal: after.ordinal + 1 };
    return comparePositions(next, this.complete) >= 0;
  }

  /** Sends the ring after `after`, then live events; synchronous, so no event falls between. */
  private attach(sink: EventSink, after?: Position): void {
    if (after !== undefined) {
      for (const event of this.ring) {
        if (comparePositions(event.position, after) > 0) {
          sink.event(event);
        }
      }
    }
    this.sinks.add(sink);
  }

  /**
   * Replays from the ledger from the block of `after`, skipping what the
   * reader has, until it reaches what the ring holds; then attaches the
   * reader to the ring. A failed replay ends the reader, which reconnects
   * with its Last-Event-ID.
   */
  private async replay(sink: EventSink, after: Position, signal: AbortSignal): Promise<void> {
    let stream: CloseableAsyncIterable<ChaincodeEvent> | undefined;
    const stop = (): void => stream?.close();
    signal.addEventListener('abort', stop);
    this.stopping.signal.addEventListener('abort', stop);
    let sent = after;
    try {
      stream = await this.ledger.chaincodeEvents({ startBlock: after.block });
      if (signal.aborted || this.stopping.signal.aborted) {
        stream.close();
        return;
      }
      for await (const event of numbered(stream)) {
        if (this.holdsAfter(sent)) {
          break;
        }
        if (comparePositions(event.position, sent) > 0) {
          await readyOrAborted(sink, signal, this.stopping.signal);
          if (signal.aborted || this.stopping.signal.aborted) {
            break;
          }
          sink.event(event);
          sent = event.position;
        }
      }
      if (!signal.aborted && !this.stopping.signal.aborted) {
        this.attach(sink, sent);
      } else if (this.stopping.signal.aborted) {
        sink.end();
      }
    } catch (err) {
      if (!signal.aborted) {
        this.log.warn({ err, after: idOf(after) }, 'event replay from the ledger failed; ending the reader');
        sink.end(err instanceof Error ? err : new Error(String(err)));
      }
    } finally {
      stream?.close();
      signal.removeEventListener('abort', stop);
      this.stopping.signal.removeEventListener('abort', stop);
    }
  }

  private accept(event: LedgerEvent): void {
    if (this.last !== undefined && comparePositions(event.position, this.last) <= 0) {
      return; // Re-read after a reconnect from the start of the checkpointed block.
    }
    this.last = event.position;
    this.ring.push(event);
    if (this.ring.length > this.options.ringSize) {
      const dropped = this.ring.shift() as LedgerEvent;
      this.complete = { block: dropped.position.block, ordinal: dropped.position.ordinal + 1 };
    }
    for (const sink of this.sinks) {
      sink.event(event);
    }
  }

  /**
   * The listener. The checkpoint is kept at block granularity: when the
   * first event of block b arrives, block b-1 is done. A reconnect therefore
   * starts at the first event of a block, which keeps the numbering of
   * positions right; events it reads again are dropped by accept().
   */
  private async run(): Promise<void> {
    const { checkpointFile, retryMinMs, retryMaxMs } = this.options;
    mkdirSync(dirname(checkpointFile), { recursive: true, mode: 0o700 });
    let checkpointer: Checkpointer | undefined;
    let delay = retryMinMs;
    while (!this.stopping.signal.aborted) {
      try {
        if (checkpointer === undefined) {
          const fresh = await checkpointers.file(checkpointFile);
          if (fresh.getBlockNumber() === undefined) {
            // A first start: from the next block, checkpointed at once so that a reconnect leaves no gap.
            await fresh.checkpointBlock((await this.ledger.height()) - 1n);
          }
          checkpointer = fresh;
        }
        const from = checkpointer.getBlockNumber() as bigint;
        this.complete ??= { block: from, ordinal: 0 };
        const stream = await this.ledger.chaincodeEvents({ checkpoint: checkpointer });
        this.streams.add(stream);
        this.connected = true;
        this.log.info({ fromBlock: from.toString() }, 'listening to chaincode events');
        try {
          let block: bigint | undefined;
          for await (const event of numbered(stream)) {
            delay = retryMinMs;
            if (event.position.block !== block) {
              if (block !== undefined) {
                await checkpointer.checkpointBlock(block);
              }
              block = event.position.block;
            }
            this.accept(event);
          }
        } finally {
          this.connected = false;
          this.streams.delete(stream);
          stream.close();
        }
      } catch (err) {
        if (this.stopping.signal.aborted) {
          break;
        }
        this.log.warn({ err, retryInMs: delay }, 'chaincode event stream failed; reconnecting from the checkpoint');
      }
      await sleep(delay, this.stopping.signal);
      delay = Math.min(delay * 2, retryMaxMs);
    }
  }
}
