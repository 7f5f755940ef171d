/**
 * What the gateway API and the model server share as processes: a
 * configuration error that lists every problem at once, and a `main` that
 * loads the configuration, starts the service, and stops it on SIGTERM or
 * SIGINT with an exit code that says how it went.
 */
import type { Server } from 'node:http';

/** The environment a service reads its configuration from. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Thrown when the environment is unusable; its message lists every problem. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** A started service: what stops it. */
export interface Running {
  close(): Promise<void>;
}

/**
 * The entry point of a service process: loads its configuration (a
 * ConfigError's list goes to stderr, exit 1), starts it (a failure says
 * `<name> failed to start: ...`, exit 1), calls `started`, and on SIGTERM or
 * SIGINT closes it, exiting 0 when it closed cleanly and 1 otherwise.
 */
export function runMain<C, R extends Running>(service: {
  readonly name: string;
  readonly loadConfig: () => C;
  readonly start: (config: C) => Promise<R>;
  readonly started?: (running: R) => void;
}): void {
  let config: C;
  try {
    config = service.loadConfig();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  service.start(config).then(
    (running) => {
      service.started?.(running);
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
      process.stderr.write(`${service.name} failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

/**
 * Stops accepting connections and waits for in-flight requests; after
 * `graceMs` (none: wait for them all) it calls `overdue` and closes the
 * connections still open. Resolves once the server has closed.
 */
export async function drain(server: Server, graceMs?: number, overdue?: () => void): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const grace =
    graceMs === undefined
      ? undefined
      : setTimeout(() => {
          overdue?.();
          server.closeAllConnections();
        }, graceMs);
  await closed;
  clearTimeout(grace);
}
