/**
 * The API's configuration: the only module that reads `process.env`. One
 * instance serves one member org, so the config names the org, the peer it
 * talks to, the network plan that says where that peer and the org's
 * identities are, and the file of API keys.
 */
import { ConfigError, EnvReader, type Env } from '@model-ledger/service-kit';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { JwtSettings } from './auth/jwt';

/** Settings of one API instance, validated at start-up. */
export interface Config {
  /** The org this instance serves, as named in `network/topology.json` (for example `hospital`). */
  readonly org: string;
  /** The peer of that org to connect to; empty for the org's first peer. */
  readonly peer: string;
  /** The runtime folder written by `scripts/network.sh up`. */
  readonly runtimeDir: string;
  /** The resolved network plan (`<runtimeDir>/plan.json`). */
  readonly planFile: string;
  /** The hashed API key store of this org (JSON, mode 0600). */
  readonly keysFile: string;
  readonly host: string;
  readonly port: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest accepted JSON body, in bytes. */
  readonly bodyLimitBytes: number;
  /** Whether responses are validated against the spec (on unless turned off; always on in tests). */
  readonly validateResponses: boolean;
  /**
   * The one deadline of a request: every ledger call made for it, retries
   * included, ends by then, and a request that runs out answers 504 with the
   * transaction id. The model calls of an inference end by it too (their own
   * timeout, `inference.timeoutMs`, cut to what is left).
   */
  readonly requestDeadlineMs: number;
  /** Deadlines of single ledger calls, each cut to what is left of the request's. */
  readonly deadlines: {
    readonly evaluateMs: number;
    readonly endorseMs: number;
    readonly submitMs: number;
    /** One wait for a commit status; past it the same transaction is sent again and waited for anew. */
    readonly commitStatusMs: number;
  };
  /** Backoff between retries of a transient ledger failure: first and largest delay (full jitter). */
  readonly retry: { readonly minDelayMs: number; readonly maxDelayMs: number };
  /**
   * How long shutdown waits for in-flight requests before it closes their
   * connections; a write cut off then may still commit (its id is in the log).
   */
  readonly shutdownGraceMs: number;
  /** New transactions one write may make when it commits as an MVCC or phantom read conflict, the first included. */
  readonly maxSubmitAttempts: number;
  /** Requests one API key may make per window; 0 turns rate limiting off. */
  readonly rateLimit: { readonly limit: number; readonly windowMs: number };
  /** Origins allowed to call the API from a browser; empty (the default) sends no CORS headers. */
  readonly corsOrigins: readonly string[];
  /** Whether `/metrics` (Prometheus text, no API key) is served. */
  readonly metrics: boolean;
  /** The built web console served at /console (`npm run build -w console` writes it). */
  readonly consoleDir: string;
  /** Bearer tokens (JWT) from the org's identity provider; undefined when only API keys are accepted. */
  readonly jwt: JwtSettings | undefined;
  /**
   * How accesses are metered (`services/meter.ts`). With one access in flight
   * it is recorded at once, alone; accesses that arrive while others are in
   * flight, on licences whose terms allow it, wait up to `windowMs` and go
   * together, at most `maxBatch` per transaction and `maxBatches`
   * transactions at a time.
   */
  readonly metering: {
    readonly batching: boolean;
    readonly windowMs: number;
    readonly maxBatch: number;
    readonly maxBatches: number;
  };
  /** Calls to a model's serving endpoint (Open Inference Protocol v2) behind `POST /v1/models/{id}/infer`. */
  readonly inference: {
    /** Deadline of the metadata check and the inference together. */
    readonly timeoutMs: number;
    /** Largest response accepted from the endpoint; a larger one fails with MODEL_FAILED. */
    readonly maxResponseBytes: number;
    /**
     * Hosts whose registered endpoints may be called over plain http, for
     * local development only; empty (the default) calls only https endpoints
     * whose certificate chains to the model owner org's TLS root on the channel.
     */
    readonly plainHttpHosts: readonly string[];
  };
  /**
   * The serving gate this instance runs in front of its org's model servers
   * (an HTTPS listener beside the API), or undefined for none: set by
   * `MLL_GATE_PORT`.
   */
  readonly gate: GateConfig | undefined;
  /** The chaincode event feed behind `GET /v1/events`. */
  readonly events: {
    /** Where the listener checkpoints its position (one file per instance). */
    readonly checkpointFile: string;
    /** Recent events kept in memory for readers that resume; older ones are replayed from the ledger. */
    readonly ringSize: number;
    /** Interval of the SSE comment that keeps idle streams open through proxies. */
    readonly heartbeatMs: number;
    /** The SSE `retry:` hint: how long a client waits before reconnecting. */
    readonly retryHintMs: number;
    /** Backoff of the listener's reconnects after the peer goes away: first and largest delay. */
    readonly reconnectMinMs: number;
    readonly reconnectMaxMs: number;
    /** Open streams one API key (or bearer-token user) may hold on this instance; one more answers 429 TOO_MANY_STREAMS. */
    readonly maxStreamsPerKey: number;
    /** Open streams this instance serves in all; one more answers 429 TOO_MANY_STREAMS. */
    readonly maxStreams: number;
    /** Bytes a client may leave unread (the response's `writableLength`) before it counts as too slow. */
    readonly maxBufferedBytes: number;
    /** How long a client may stay over `maxBufferedBytes` before its stream is dropped (0: at once). */
    readonly slowClientMs: number;
    /**
     * How many blocks behind the channel height a `Last-Event-ID` may resume
     * from the ledger; further back answers 409 REPLAY_TOO_FAR (the audit API pages through history).
     */
    readonly maxReplayBlocks: number;
  };
  /** How long `/healthz` reuses the peer's last answer (or failure), so unauthenticated hits do not each query the ledger; 0 for none. */
  readonly healthCacheMs: number;
}

/** The serving gate's settings (see `gate/`). */
export interface GateConfig {
  readonly host: string;
  /** 0 asks the OS for a free port (tests use it). */
  readonly port: number;
  /** Holds `cert.pem` and `key.pem`: the gate's TLS pair from the org's own CA. */
  readonly tlsDir: string;
  /** OIP model name → backend: `unix:<socket>` or `http://host:port`. */
  readonly backends: Readonly<Record<string, string>>;
  /** The enrolled user of this org the gate reads the ledger and refunds as (role admin or engineer). */
  readonly user: string;
  /** How old an access may be when presented; older ones are refused. */
  readonly freshnessMs: number;
  /** How long the gate waits for its own peer to commit an access the licensee saw committed on its peer. */
  readonly commitWaitMs: number;
  /** Deadline of one model call behind the gate (metadata check and inference). */
  readonly modelTimeoutMs: number;
  readonly bodyLimitBytes: number;
  /** Where the gate keeps the accesses it served, so a restart still refuses replays. */
  readonly stateFile: string;
  /** Served results held for a retry of the same request. */
  readonly maxHeldResults: number;
}

/** Thrown when the environment is unusable; its message lists every problem (shared with the other services). */
export { ConfigError };

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** Asymmetric algorithms only: a shared secret (HS256) would let anyone who verifies also sign. */
const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const ORG_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Reads and validates the configuration.
 *
 * Variables: `MLL_API_ORG` (required), `MLL_API_PORT` (default 4000),
 * `MLL_API_HOST` (127.0.0.1), `MLL_RUNTIME_DIR` (`<repo>/.runtime`),
 * `MLL_API_PEER`, `MLL_API_KEYS_FILE` (`<runtime>/api/<org>-keys.json`),
 * `MLL_API_LOG_LEVEL` (info), `MLL_API_BODY_LIMIT_BYTES` (65536),
 * `MLL_API_VALIDATE_RESPONSES` (true), `MLL_API_REQUEST_DEADLINE_MS` (30000),
 * `MLL_API_EVALUATE_TIMEOUT_MS` (10000), `MLL_API_ENDORSE_TIMEOUT_MS` (15000),
 * `MLL_API_SUBMIT_TIMEOUT_MS` (10000), `MLL_API_COMMIT_TIMEOUT_MS` (10000),
 * `MLL_API_RETRY_MIN_DELAY_MS` (50), `MLL_API_RETRY_MAX_DELAY_MS` (1000),
 * `MLL_API_SHUTDOWN_GRACE_MS` (30000), `MLL_API_MAX_SUBMIT_ATTEMPTS` (5),
 * `MLL_API_RATE_LIMIT` (600 requests per key per window; 0 for none),
 * `MLL_API_RATE_WINDOW_MS` (60000), `MLL_API_CORS_ORIGINS` (comma-separated
 * origins; empty for no CORS), `MLL_API_METRICS` (true),
 * `MLL_API_CONSOLE_DIR` (`<repo>/console/dist`), `MLL_API_EVENTS_CHECKPOINT_FILE` (`<runtime>/api/<org>-<port>-events.checkpoint.json`),
 * `MLL_API_EVENTS_RING_SIZE` (1000), `MLL_API_EVENTS_HEARTBEAT_MS` (15000),
 * `MLL_API_EVENTS_RETRY_HINT_MS` (2000), `MLL_API_EVENTS_RECONNECT_MIN_MS` (250),
 * `MLL_API_EVENTS_RECONNECT_MAX_MS` (10000), `MLL_API_EVENTS_MAX_STREAMS_PER_KEY` (4),
 * `MLL_API_EVENTS_MAX_STREAMS` (64), `MLL_API_EVENTS_MAX_BUFFERED_BYTES` (1048576),
 * `MLL_API_EVENTS_SLOW_CLIENT_MS` (5000), `MLL_API_EVENTS_MAX_REPLAY_BLOCKS` (1000),
 * `MLL_API_HEALTH_CACHE_MS` (1000), `MLL_API_BATCHING` (true), `MLL_API_BATCH_WINDOW_MS` (20),
 * `MLL_API_BATCH_MAX` (512, the chaincode's most), `MLL_API_BATCH_IN_FLIGHT` (4),
 * `MLL_API_INFER_TIMEOUT_MS` (30000),
 * `MLL_API_INFER_MAX_RESPONSE_BYTES` (4194304), `MLL_API_MODEL_PLAIN_HTTP_HOSTS`
 * (comma-separated hosts; none). The serving gate runs when `MLL_GATE_PORT` is
 * set; then `MLL_GATE_TLS_DIR` and `MLL_GATE_BACKENDS` (JSON: model name →
 * `unix:<socket>` or `http://host:port`) are required, and `MLL_GATE_HOST`
 * (127.0.0.1), `MLL_GATE_USER` (admin), `MLL_GATE_FRESHNESS_MS` (120000), `MLL_GATE_COMMIT_WAIT_MS` (3000),
 * `MLL_GATE_MODEL_TIMEOUT_MS` (20000), `MLL_GATE_BODY_LIMIT_BYTES` (1048576),
 * `MLL_GATE_STATE_FILE` (`<runtime>/api/<org>-gate-served.jsonl`) and
 * `MLL_GATE_MAX_HELD_RESULTS` (1000) may be set. Bearer tokens are accepted when
 * `MLL_API_JWT_KEYS` names a JWKS or PEM public key file; then
 * `MLL_API_JWT_ISSUER` and `MLL_API_JWT_AUDIENCE` are required, and
 * `MLL_API_JWT_USER_CLAIM` (sub), `MLL_API_JWT_ALGORITHMS` (RS256,ES256,EdDSA)
 * and `MLL_API_JWT_CLOCK_TOLERANCE_S` (30) may be set.
 *
 * @param env The environment; `process.env` unless given (tests pass their own).
 * @throws ConfigError listing every missing or bad variable, not just the first.
 */
export function loadConfig(env: Env = process.env): Config {
  const { text, integer, flag, problems } = new EnvReader(env);

  const org = text('MLL_API_ORG');
  if (org !== '' && !ORG_NAME.test(org)) {
    problems.push(`MLL_API_ORG must be an org name from network/topology.json, not "${org}"`);
  }
  const runtimeDir = resolve(text('MLL_RUNTIME_DIR', resolve(__dirname, '../../.runtime')));
  const planFile = join(runtimeDir, 'plan.json');
  if (!existsSync(planFile)) {
    problems.push(`MLL_RUNTIME_DIR: no network plan at ${planFile}; start the network first (scripts/network.sh up)`);
  }
  const logLevel = text('MLL_API_LOG_LEVEL', 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(`MLL_API_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not "${logLevel}"`);
  }

  const corsOrigins = text('MLL_API_CORS_ORIGINS', '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?$/.test(origin)) {
      problems.push(`MLL_API_CORS_ORIGINS must list origins such as https://app.example:8443, not "${origin}"`);
    }
  }

  const port = integer('MLL_API_PORT', 4000, 1, 65535);
  const requestDeadlineMs = integer('MLL_API_REQUEST_DEADLINE_MS', 30_000, 100, 600_000);
  const retry = {
    minDelayMs: integer('MLL_API_RETRY_MIN_DELAY_MS', 50, 1, 60_000),
    maxDelayMs: integer('MLL_API_RETRY_MAX_DELAY_MS', 1000, 1, 60_000),
  };
  if (retry.minDelayMs > retry.maxDelayMs) {
    problems.push(`MLL_API_RETRY_MIN_DELAY_MS (${retry.minDelayMs}) must not exceed MLL_API_RETRY_MAX_DELAY_MS (${retry.maxDelayMs})`);
  }
  if (retry.maxDelayMs * 2 > requestDeadlineMs) {
    problems.push(
      `MLL_API_REQUEST_DEADLINE_MS (${requestDeadlineMs}) must be at least twice MLL_API_RETRY_MAX_DELAY_MS (${retry.maxDelayMs})`,
    );
  }

  let jwt: JwtSettings | undefined;
  const jwtKeys = text('MLL_API_JWT_KEYS', '');
  if (jwtKeys !== '') {
    const keysFile = resolve(jwtKeys);
    if (!existsSync(keysFile)) {
      problems.push(`MLL_API_JWT_KEYS: no key file at ${keysFile}`);
    }
    const algorithms = text('MLL_API_JWT_ALGORITHMS', 'RS256,ES256,EdDSA')
      .split(',')
      .map((alg) => alg.trim())
      .filter((alg) => alg !== '');
    for (const alg of algorithms) {
      if (!JWT_ALGORITHMS.includes(alg)) {
        problems.push(`MLL_API_JWT_ALGORITHMS may list ${JWT_ALGORITHMS.join(', ')}, not "${alg}"`);
      }
    }
    jwt = {
      keysFile,
      issuer: text('MLL_API_JWT_ISSUER'),
      audience: text('MLL_API_JWT_AUDIENCE'),
      userClaim: text('MLL_API_JWT_USER_CLAIM', 'sub'),
      algorithms,
      clockToleranceSeconds: integer('MLL_API_JWT_CLOCK_TOLERANCE_S', 30, 0, 600),
    };
  }
  const maxStreamsPerKey = integer('MLL_API_EVENTS_MAX_STREAMS_PER_KEY', 4, 1, 100_000);
  const maxStreams = integer('MLL_API_EVENTS_MAX_STREAMS', 64, 1, 100_000);
  if (maxStreamsPerKey > maxStreams) {
    problems.push(`MLL_API_EVENTS_MAX_STREAMS_PER_KEY (${maxStreamsPerKey}) must not exceed MLL_API_EVENTS_MAX_STREAMS (${maxStreams})`);
  }
  const plainHttpHosts = text('MLL_API_MODEL_PLAIN_HTTP_HOSTS', '')
    .split(',')
    .map((host) => host.trim())
    .filter((host) => host !== '');
  let gate: GateConfig | undefined;
  if (text('MLL_GATE_PORT', '') !== '') {
    const tlsDir = resolve(text('MLL_GATE_TLS_DIR'));
    if (!existsSync(join(tlsDir, 'cert.pem')) || !existsSync(join(tlsDir, 'key.pem'))) {
      problems.push(`MLL_GATE_TLS_DIR: no cert.pem and key.pem in ${tlsDir}`);
    }
    let backends: Record<string, string> = {};
    try {
      const parsed = JSON.parse(text('MLL_GATE_BACKENDS', '{}')) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new Error('not an object');
      }
      backends = parsed as Record<string, string>;
    } catch {
      problems.push('MLL_GATE_BACKENDS must be a JSON object of model name to backend');
    }
    if (Object.keys(backends).length === 0) {
      problems.push('MLL_GATE_BACKENDS must name at least one model the gate serves');
    }
    for (const [name, target] of Object.entries(backends)) {
      if (typeof target !== 'string' || !/^(unix:\/.+|https?:\/\/[^/]+)$/.test(target)) {
        problems.push(
          `MLL_GATE_BACKENDS: the backend of ${name} must be unix:<absolute socket path> or http://host:port, not ${JSON.stringify(target)}`,
        );
      }
    }
    gate = {
      host: text('MLL_GATE_HOST', '127.0.0.1'),
      port: integer('MLL_GATE_PORT', 0, 0, 65535),
      tlsDir,
      backends,
      user: text('MLL_GATE_USER', 'admin'),
      freshnessMs: integer('MLL_GATE_FRESHNESS_MS', 120_000, 1000, 86_400_000),
      commitWaitMs: integer('MLL_GATE_COMMIT_WAIT_MS', 3000, 0, 60_000),
      modelTimeoutMs: integer('MLL_GATE_MODEL_TIMEOUT_MS', 20_000, 100, 600_000),
      bodyLimitBytes: integer('MLL_GATE_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 256 * 1024 * 1024),
      stateFile: resolve(text('MLL_GATE_STATE_FILE', join(runtimeDir, 'api', `${org}-gate-served.jsonl`))),
      maxHeldResults: integer('MLL_GATE_MAX_HELD_RESULTS', 1000, 0, 1_000_000),
    };
  }
  const config: Config = {
    org,
    peer: text('MLL_API_PEER', ''),
    runtimeDir,
    planFile,
    keysFile: resolve(text('MLL_API_KEYS_FILE', join(runtimeDir, 'api', `${org}-keys.json`))),
    host: text('MLL_API_HOST', '127.0.0.1'),
    port,
    logLevel: logLevel as Config['logLevel'],
    bodyLimitBytes: integer('MLL_API_BODY_LIMIT_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    validateResponses: flag('MLL_API_VALIDATE_RESPONSES', true),
    requestDeadlineMs,
    deadlines: {
      evaluateMs: integer('MLL_API_EVALUATE_TIMEOUT_MS', 10_000, 100, 600_000),
      endorseMs: integer('MLL_API_ENDORSE_TIMEOUT_MS', 15_000, 100, 600_000),
      submitMs: integer('MLL_API_SUBMIT_TIMEOUT_MS', 10_000, 100, 600_000),
      commitStatusMs: integer('MLL_API_COMMIT_TIMEOUT_MS', 10_000, 100, 600_000),
    },
    retry,
    shutdownGraceMs: integer('MLL_API_SHUTDOWN_GRACE_MS', 30_000, 0, 600_000),
    maxSubmitAttempts: integer('MLL_API_MAX_SUBMIT_ATTEMPTS', 5, 1, 20),
    rateLimit: {
      limit: integer('MLL_API_RATE_LIMIT', 600, 0, 1_000_000),
      windowMs: integer('MLL_API_RATE_WINDOW_MS', 60_000, 1000, 86_400_000),
    },
    corsOrigins,
    metrics: flag('MLL_API_METRICS', true),
    consoleDir: resolve(text('MLL_API_CONSOLE_DIR', resolve(__dirname, '../../console/dist'))),
    jwt,
    metering: {
      batching: flag('MLL_API_BATCHING', true),
      windowMs: integer('MLL_API_BATCH_WINDOW_MS', 20, 0, 1000),
      maxBatch: integer('MLL_API_BATCH_MAX', 512, 2, 512),
      maxBatches: integer('MLL_API_BATCH_IN_FLIGHT', 4, 1, 64),
    },
    inference: {
      timeoutMs: integer('MLL_API_INFER_TIMEOUT_MS', 30_000, 100, 600_000),
      maxResponseBytes: integer('MLL_API_INFER_MAX_RESPONSE_BYTES', 4 * 1024 * 1024, 1024, 256 * 1024 * 1024),
      plainHttpHosts,
    },
    gate,
    events: {
      checkpointFile: resolve(text('MLL_API_EVENTS_CHECKPOINT_FILE', join(runtimeDir, 'api', `${org}-${port}-events.checkpoint.json`))),
      ringSize: integer('MLL_API_EVENTS_RING_SIZE', 1000, 1, 1_000_000),
      heartbeatMs: integer('MLL_API_EVENTS_HEARTBEAT_MS', 15_000, 100, 600_000),
      retryHintMs: integer('MLL_API_EVENTS_RETRY_HINT_MS', 2000, 0, 600_000),
      reconnectMinMs: integer('MLL_API_EVENTS_RECONNECT_MIN_MS', 250, 10, 60_000),
      reconnectMaxMs: integer('MLL_API_EVENTS_RECONNECT_MAX_MS', 10_000, 10, 600_000),
      maxStreamsPerKey,
      maxStreams,
      // At least Node's default high-water mark, so that a write refused for back-pressure is not already over the bound.
      maxBufferedBytes: integer('MLL_API_EVENTS_MAX_BUFFERED_BYTES', 1024 * 1024, 16 * 1024, 256 * 1024 * 1024),
      slowClientMs: integer('MLL_API_EVENTS_SLOW_CLIENT_MS', 5000, 0, 600_000),
      maxReplayBlocks: integer('MLL_API_EVENTS_MAX_REPLAY_BLOCKS', 1000, 0, 1_000_000_000),
    },
    healthCacheMs: integer('MLL_API_HEALTH_CACHE_MS', 1000, 0, 60_000),
  };
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return config;
}
