/**
 * The model server's configuration: the only module that reads `process.env`.
 * Every variable is validated at start-up, and start-up fails with the list of
 * every problem rather than the first.
 */
import { ConfigError, EnvReader, type Env } from '@model-ledger/service-kit';
import { resolve } from 'node:path';

/** Settings of one model server, validated at start-up. */
export interface Config {
  readonly host: string;
  /** 0 asks the OS for a free port (tests use it). */
  readonly port: number;
  /**
   * A Unix socket to listen on instead of host and port: how the lab runs it
   * behind its serving gate, so that only processes that can open the socket
   * file (mode 0600, in a folder of mode 0700) reach the model.
   */
  readonly socket: string | undefined;
  /** The ONNX artifact to serve. */
  readonly modelPath: string;
  /** The model card written by model/train.py: name, version and the artifact's sha256. */
  readonly metadataPath: string;
  /** Largest accepted request body, in bytes; larger ones get 413. */
  readonly bodyLimitBytes: number;
  /** Most rows one inference request may carry. */
  readonly maxBatch: number;
  /** Threads onnxruntime may use inside one operator. */
  readonly intraOpThreads: number;
}

/** Thrown when the environment is unusable; its message lists every problem (shared with the other services). */
export { ConfigError };

const REPO_ROOT = resolve(__dirname, '../..');
const DEFAULT_PORT = 8500;

/**
 * Reads and validates the configuration.
 *
 * Variables: `MLL_MODEL_HOST` (127.0.0.1), `MLL_MODEL_PORT` (8500 +
 * `MLL_PORT_OFFSET`, so it shifts with the network's ports),
 * `MLL_MODEL_SOCKET` (unset: listen on host and port; set: a Unix socket path, and host and port are ignored),
 * `MLL_MODEL_PATH` (`<repo>/model/breast-cancer-diagnostic.onnx`),
 * `MLL_MODEL_METADATA` (`model.json` beside the artifact),
 * `MLL_MODEL_BODY_LIMIT_BYTES` (1048576), `MLL_MODEL_MAX_BATCH` (1024),
 * `MLL_MODEL_THREADS` (1).
 *
 * @param env The environment; `process.env` unless given (tests pass their own).
 * @throws ConfigError listing every missing or bad variable, not just the first.
 */
export function loadConfig(env: Env = process.env): Config {
  const { text, integer, done } = new EnvReader(env);

  const offset = integer('MLL_PORT_OFFSET', 0, 0, 65535 - DEFAULT_PORT);
  // Paths given in the environment are relative to the working directory; the defaults to the repo.
  const modelPath = resolve(text('MLL_MODEL_PATH', resolve(REPO_ROOT, 'model/breast-cancer-diagnostic.onnx')));
  const config: Config = {
    host: text('MLL_MODEL_HOST', '127.0.0.1'),
    port: integer('MLL_MODEL_PORT', DEFAULT_PORT + offset, 0, 65535),
    socket: env.MLL_MODEL_SOCKET === undefined || env.MLL_MODEL_SOCKET === '' ? undefined : resolve(env.MLL_MODEL_SOCKET),
    modelPath,
    metadataPath: resolve(text('MLL_MODEL_METADATA', resolve(modelPath, '../model.json'))),
    bodyLimitBytes: integer('MLL_MODEL_BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    maxBatch: integer('MLL_MODEL_MAX_BATCH', 1024, 1, 1_000_000),
    intraOpThreads: integer('MLL_MODEL_THREADS', 1, 1, 64),
  };
  return done(config);
}
