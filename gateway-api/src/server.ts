/**
 * Starts one API instance for the org named by MLL_API_ORG. Exits with the
 * list of every configuration problem when the environment is unusable.
 * SIGTERM and SIGINT drain in-flight requests (for at most
 * MLL_API_SHUTDOWN_GRACE_MS), then close the gRPC connection.
 */
import type { Server } from 'node:http';
import pino from 'pino';
import { BearerVerifier } from './auth/jwt';
import { KeyStore } from './auth/keys';
import { drain, runMain } from '@model-ledger/service-kit';
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfig } from './config';
import { EventFeed } from './fabric/events';
import { Ledger } from './fabric/ledger';
import { bindOrg } from './fabric/plan';
import { startGate, type RunningGate } from './gate/server';
import { createApp } from './app';
import { Metrics } from './metrics';

/** A running instance and how to stop it. */
export interface Running {
  readonly server: Server;
  readonly ledger: Ledger;
  readonly events: EventFeed;
  readonly url: string;
  /** The serving gate this instance runs, if its config names one. */
  readonly gate: RunningGate | undefined;
  close(): Promise<void>;
}

/** Starts an instance from a validated config; resolves once it listens. */
export async function start(config: ReturnType<typeof loadConfig>): Promise<Running> {
  const logger = pino({ level: config.logLevel, base: { org: config.org } });
  const binding = bindOrg(config.planFile, config.org, config.peer);
  const metrics = new Metrics({ org: config.org });
  const ledger = new Ledger(binding, config, logger, metrics);
  const keys = new KeyStore(config.keysFile, config.org);
  const bearer = config.jwt === undefined ? undefined : new BearerVerifier(config.jwt);
  const { checkpointFile, ringSize, reconnectMinMs, reconnectMaxMs } = config.events;
  const events = new EventFeed(
    ledger,
    { checkpointFile, ringSize, retryMinMs: reconnectMinMs, retryMaxMs: reconnectMaxMs },
    logger.child({ component: 'events' }),
  );
  events.start();
  const app = createApp({ config, ledger, keys, logger, metrics, events, bearer });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.port, config.host, () => resolve(listening));
    listening.once('error', reject);
  });
  const url = `http://${config.host}:${config.port}`;
  logger.info({ url, peer: binding.peer.id, mspId: binding.org.mspId }, 'gateway API listening');
  const gate = config.gate === undefined ? undefined : await startGate(config.gate, config, ledger, logger);
  return {
    server,
    ledger,
    events,
    url,
    gate,
    close: async () => {
      await gate?.close();
      // Event streams never end by themselves: end them first, so the server can drain.
      await events.close();
      await drain(server, config.shutdownGraceMs, () =>
        logger.warn(
          { graceMs: config.shutdownGraceMs },
          'requests still in flight after the shutdown grace period; closing their connections',
        ),
      );
      // Asynchronous writes were answered 202 but may still be retrying: let them end, within the same grace.
      const grace = new AbortController();
      await Promise.race([
        ledger.writesSettled(),
        delay(config.shutdownGraceMs, undefined, { signal: grace.signal }).catch(() => undefined),
      ]);
      grace.abort();
      ledger.close();
    },
  };
}

export { drain };

if (require.main === module) {
  runMain({ name: 'gateway API', loadConfig, start });
}
