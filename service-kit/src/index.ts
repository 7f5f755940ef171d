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

/**
 * Reads a service's variables and collects every problem instead of stopping
 * at the first, so that start-up can fail with the whole list. Its readers
 * are plain functions, so they can be taken apart: `const { text, integer } = new EnvReader(env)`.
 */
export class EnvReader {
  /** Every problem found so far, one sentence each. */
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** A variable's text; `fallback` when unset or empty, and a problem when there is no fallback. */
  readonly text = (name: string, fallback?: string): string => {
    const value = this.env[name];
    if (value === undefined || value === '') {
      if (fallback === undefined) {
        this.problems.push(`${name} is required`);
        return '';
      }
      return fallback;
    }
    return value;
  };

  /** A whole number in [min, max]. */
  readonly integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = this.text(name, String(fallback));
    const value = Number(raw);
    if (!/^[0-9]+$/.test(raw) || value < min || value > max) {
      this.problems.push(`${name} must be an integer between ${min} and ${max}, not "${raw}"`);
    }
    return value;
  };

  /** `true` or `false`. */
  readonly flag = (name: string, fallback: boolean): boolean => {
    const raw = this.text(name, String(fallback));
    if (raw !== 'true' && raw !== 'false') {
      this.problems.push(`${name} must be true or false, not "${raw}"`);
    }
    return raw === 'true';
  };

  /**
   * The configuration, once every variable has been read.
   *
   * @throws ConfigError listing every problem found.
   */
  readonly done = <T>(config: T): T => {
    if (this.problems.length > 0) {
      throw new ConfigError(this.problems);
    }
    return config;
  };
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
