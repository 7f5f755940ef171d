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
import { ConfigError, loadConfig } from './config';
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
      ledger.close();
    },
  };
}

/**
 * Stops accepting connections and waits for in-flight requests; after
 * `graceMs` it calls `overdue` and closes the connections still open.
 * Resolves once the server has closed.
 */
export async function drain(server: Server, graceMs: number, overdue: () => void): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const grace = setTimeout(() => {
    overdue();
    server.closeAllConnections();
  }, graceMs);
  await closed;
  clearTimeout(grace);
}

if (require.main === module) {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(1);
  }
  start(config).then(
    (running) => {
      const stop = (): void => {
        running.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
    (err: unknown) => {
      process.stderr.write(`gateway API failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
