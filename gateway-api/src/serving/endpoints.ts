/**
 * Which model endpoints the gateway calls, and how: only https endpoints
 * whose certificate chains to the model owner org's TLS root as the channel's
 * configuration holds it (so a registered endpoint can reach nothing but the
 * owner's own servers: not a metadata service, not another org's peer, not a
 * plain http port), or, for local development only, plain http to hosts the
 * operator allowed.
 */
import { Agent } from 'undici';
import { ApiCode, ApiError } from '../errors';
import type { Ledger, Session } from '../fabric/ledger';
import type { Route } from './oip';

/** How long the owner orgs' TLS roots read from the channel are reused. */
const ROOTS_TTL_MS = 5 * 60_000;

export class EndpointRoutes {
  /** Connection pools by owner MSP id, each trusting that org's TLS roots only. */
  private readonly pools = new Map<string, { agent: Agent; until: number }>();
  private readonly plain = new Agent();

  constructor(
    private readonly ledger: Ledger,
    private readonly plainHttpHosts: readonly string[],
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The route to a model owner's endpoint.
   *
   * @throws ApiError MODEL_ENDPOINT_UNTRUSTED for an endpoint that is neither
   *   https nor an allowed plain http host, or not a URL; nothing is sent.
   */
  async routeTo(session: Session, ownerMspId: string, endpoint: string): Promise<Route> {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new ApiError(ApiCode.MODEL_ENDPOINT_UNTRUSTED, `the registered inference endpoint ${JSON.stringify(endpoint)} is not a URL`);
    }
    if (url.protocol === 'http:' && this.plainHttpHosts.includes(url.hostname)) {
      return { dispatcher: this.plain };
    }
    if (url.protocol !== 'https:') {
      throw new ApiError(
        ApiCode.MODEL_ENDPOINT_UNTRUSTED,
        `the registered inference endpoint ${url.origin} is not https; the gateway calls a model only at its owner's serving gate, over TLS from the owner org's CA`,
      );
    }
    const cached = this.pools.get(ownerMspId);
    if (cached !== undefined && cached.until > this.now()) {
      return { dispatcher: cached.agent };
    }
    const roots = await this.ledger.channelTlsRoots(session, ownerMspId);
    const agent = new Agent({ connect: { ca: roots, rejectUnauthorized: true } });
    this.pools.set(ownerMspId, { agent, until: this.now() + ROOTS_TTL_MS });
    // An older pool may still carry requests; it closes once they are done.
    void cached?.agent.close();
    return { dispatcher: agent };
  }
}
