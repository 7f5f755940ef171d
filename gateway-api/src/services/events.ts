import { ApiCode, ApiError } from '../errors';
import { EventFeed, LedgerEvent, parseEventId, Position, Subscription } from '../fabric/events';
import { EnrolledUser, isRegulator } from '../fabric/identity';

/** One event as the stream sends it (the `data` of an SSE event). */
export interface EventMessage {
  readonly id: string;
  readonly name: string;
  readonly data: { readonly name: string; readonly blockNumber: string; readonly transactionId: string; readonly payload: unknown };
}

/** Whether a string names the org of `mspId`: the MSP id itself, its treasury, or one of its client accounts. */
function namesOrg(text: string, mspId: string): boolean {
  return text === mspId || text === `org::${mspId}` || text.startsWith(`x509::${mspId}::`);
}

function mentions(value: unknown, mspId: string, depth = 0): boolean {
  if (typeof value === 'string') {
    return namesOrg(value, mspId);
  }
  if (depth > 16 || value === null || typeof value !== 'object') {
    return false;
  }
  return Object.values(value as Record<string, unknown>).some((inner) => mentions(inner, mspId, depth + 1));
}

/**
 * Who may see an event. A regulator (an identity of the regulator org) sees
 * every event. A member sees an event whose payload names its org anywhere:
 * its MSP id (an owner, a seller's or buyer's org), its treasury
 * `org::<mspId>`, or an account of one of its identities `x509::<mspId>::…`.
 * Everything else stays hidden, including events between other orgs, and a
 * member identity with `role=regulator` sees no more than its org.
 */
export function visibleTo(user: Pick<EnrolledUser, 'mspId'>, event: Pick<LedgerEvent, 'payload'>): boolean {
  return isRegulator(user) || mentions(event.payload, user.mspId);
}

/** How far back a stream may resume from the ledger. */
export interface ReplayBound {
  /** The channel height (cached: see `fabric/height.ts`). */
  height(): Promise<bigint>;
  /** Blocks behind the last block that a resume may start from. */
  readonly maxBlocks: number;
}

/** Who reads a stream: each visible event, the end, and when it can take more (see `EventSink.ready`). */
export interface EventReader {
  send(message: EventMessage): void;
  end(err?: Error): void;
  ready?(): Promise<void>;
}

/** The chaincode events a caller may see, from the instance's one feed. */
export class EventService {
  constructor(
    private readonly feed: EventFeed,
    private readonly user: EnrolledUser,
    private readonly bound: ReplayBound,
  ) {}

  /**
   * Reads a Last-Event-ID header and checks that resuming after it is
   * affordable: events still in the instance's memory always are; a replay
   * from the ledger may start at most `maxBlocks` behind the channel's last
   * block, so that `0:0` does not replay the whole ledger.
   *
   * @throws ApiError INVALID_ARGUMENT when it is not `<blockNumber>:<n>`;
   *   REPLAY_TOO_FAR when it is further back than the bound; LEDGER_UNAVAILABLE
   *   or LEDGER_TIMEOUT when the height cannot be read.
   */
  async resumeAfter(lastEventId: string | undefined): Promise<Position | undefined> {
    if (lastEventId === undefined) {
      return undefined;
    }
    const after = parseEventId(lastEventId);
    if (after === undefined) {
      throw new ApiError(ApiCode.INVALID_ARGUMENT, `header.last-event-id must be an event id <blockNumber>:<n>, not "${lastEventId}"`);
    }
    if (this.feed.holdsAfter(after)) {
      return after;
    }
    const lastBlock = (await this.bound.height()) - 1n;
    const behind = lastBlock - after.block;
    if (behind > BigInt(this.bound.maxBlocks)) {
      throw new ApiError(
        ApiCode.REPLAY_TOO_FAR,
        `Last-Event-ID ${lastEventId} is ${behind} blocks behind the channel's last block ${lastBlock}; this instance replays at most ${this.bound.maxBlocks}. ` +
          'Page through the audit API (GET /v1/audit/accesses, /v1/audit/history/{assetType}/{assetId}) for what came before, then open the stream without Last-Event-ID',
      );
    }
    return after;
  }

  /**
   * Streams the caller's events after `after` (or from now), in ledger
   * order, until the feed closes (end) or the subscription is cancelled.
   */
  stream(after: Position | undefined, reader: EventReader): Subscription {
    return this.feed.subscribe(
      {
        event: (event) => {
          if (visibleTo(this.user, event)) {
            reader.send({
              id: event.id,
              name: event.name,
              data: {
                name: event.name,
                blockNumber: event.position.block.toString(),
                transactionId: event.transactionId,
                payload: event.payload,
              },
            });
          }
        },
        end: (err) => reader.end(err),
        ready: () => reader.ready?.() ?? Promise.resolve(),
      },
      after,
    );
  }
}
