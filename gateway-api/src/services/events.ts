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
 * Who may see an event. A regulator sees every event. A member sees an
 * event whose payload names its org anywhere: its MSP id (an owner, a
 * seller's or buyer's org), its treasury `org::<mspId>`, or an account of
 * one of its identities `x509::<mspId>::…`. Everything else stays hidden,
 * including events between other orgs.
 */
export function visibleTo(user: Pick<EnrolledUser, 'mspId' | 'role'>, event: Pick<LedgerEvent, 'payload'>): boolean {
  return isRegulator(user) || mentions(event.payload, user.mspId);
}

/** The chaincode events a caller may see, from the instance's one feed. */
export class EventService {
  constructor(
    private readonly feed: EventFeed,
    private readonly user: EnrolledUser,
  ) {}

  /**
   * Reads a Last-Event-ID header.
   *
   * @throws ApiError INVALID_ARGUMENT when it is not `<blockNumber>:<n>`.
   */
  resumeAfter(lastEventId: string | undefined): Position | undefined {
    if (lastEventId === undefined) {
      return undefined;
    }
    const after = parseEventId(lastEventId);
    if (after === undefined) {
      throw new ApiError(ApiCode.INVALID_ARGUMENT, `header.last-event-id must be an event id <blockNumber>:<n>, not "${lastEventId}"`);
    }
    return after;
  }

  /**
   * Streams the caller's events after `after` (or from now), in ledger
   * order, until the feed closes (end) or the subscription is cancelled.
   */
  stream(after: Position | undefined, send: (message: EventMessage) => void, end: (err?: Error) => void): Subscription {
    return this.feed.subscribe(
      {
        event: (event) => {
          if (visibleTo(this.user, event)) {
            send({
              id: event.id,
              name: event.name,
              data: { name: event.name, blockNumber: event.position.block.toString(), transactionId: event.transactionId, payload: event.payload },
            });
          }
        },
        end,
      },
      after,
    );
  }
}
