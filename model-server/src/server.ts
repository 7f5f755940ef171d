/**
 * Starts the model server: `node model-server/dist/server.js`.
 *
 * Loads the ONNX artifact, refuses to start when its sha256 differs from the
 * model card's, then serves it over the Open Inference Protocol v2. Exits with
 * the list of every configuration problem when the environment is unusable.
 * SIGTERM and SIGINT drain in-flight requests, then release the model.
 */
import { createServer, type Server } from 'node:http';
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { drain, runMain } from '@model-ledger/service-kit';
import { loadConfig, type Config } from './config';
import { createApp } from './http';
import { Model } from './model';
import { Stats } from './stats';

/** A running model server and how to stop it. */
export interface Running {
  readonly server: Server;
  readonly model: Model;
  readonly stats: Stats;
  /** Base URL, with the port actually bound (useful when `port` is 0). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Loads the model and listens; resolves once the server is ready.
 *
 * @throws ModelLoadError when the artifact is missing, unloadable or not the one the model card names.
 * @throws Error when the port cannot be bound.
 */
export async function start(config: Config, log: (message: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<Running> {
  const model = await Model.load(config.modelPath, config.metadataPath, config.intraOpThreads);
  const stats = new Stats(model.info.name, model.info.version);
  const server = createServer(
    { maxHeaderSize: 16 * 1024 },
    createApp({ model, stats, bodyLimitBytes: config.bodyLimitBytes, maxBatch: config.maxBatch, log }),
  );
  server.requestTimeout = 30_000;
  try {
    if (config.socket !== undefined) {
      await listenOnSocket(server, config.socket);
    } else {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    }
  } catch (err) {
    await model.close();
    throw err;
  }
  let url: string;
  if (config.socket !== undefined) {
    url = `unix:${config.socket}`;
  } else {
    const { port } = server.address() as AddressInfo;
    url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  }
  return {
    server,
    model,
    stats,
    url,
    close: async () => {
      await drain(server);
      await model.close();
    },
  };
}

/**
 * Listens on a Unix socket readable by this user only: the socket's folder is
 * made mode 0700 and the socket 0600. A socket file left by a server that
 * died is removed first; one that still answers is refused.
 *
 * @throws Error when another server listens on the socket.
 */
async function listenOnSocket(server: Server, socket: string): Promise<void> {
  mkdirSync(dirname(socket), { recursive: true, mode: 0o700 });
  chmodSync(dirname(socket), 0o700);
  if (existsSync(socket)) {
    const alive = await new Promise<boolean>((resolve) => {
      const probe = connect(socket, () => {
        probe.end();
        resolve(true);
      });
      probe.once('error', () => resolve(false));
    });
    if (alive) {
      throw new Error(`another server already listens on ${socket}`);
    }
    unlinkSync(socket);
  }
  // The socket is created with the process umask; tighten it before it is announced.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
}

if (require.main === module) {
  runMain({
    name: 'model server',
    loadConfig,
    start,
    started: (running) => {
      const { info } = running.model;
      process.stdout.write(`model server listening on ${running.url}: ${info.name} v${info.version} sha256 ${info.sha256}\n`);
    },
  });
}
