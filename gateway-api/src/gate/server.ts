/**
 * The serving gate's HTTPS listener, run by the model owner's API instance
 * beside the API itself. It speaks the Open Inference Protocol v2 (REST) so
 * that any OIP client works through it, with two headers more on `infer`:
 * `mll-access-id` and `mll-access-signature`. Its certificate comes from the
 * owner org's CA, whose TLS root the channel holds, which is how a
 * licensee's gateway knows it is the owner's.
 */
import { LedgerClient } from '@model-ledger/contract';
import express, { type NextFunction, type Request, type Response } from 'express';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { Agent } from 'undici';
import type { Config } from '../config';
import { ApiCode, ApiError } from '../errors';
import type { Ledger } from '../fabric/ledger';
import { errorMiddleware } from '../http/errors';
import { ACCESS_ID_HEADER, ACCESS_SIGNATURE_HEADER } from '../serving/access';
import { OipClient } from '../serving/oip';
import { ServingGate, type Backend, type GateLedger } from './gate';
import { ServedLog } from './served';

/** A running gate. */
export interface RunningGate {
  readonly server: Server;
  /** `https://<host>:<port>`, with the port actually bound. */
  readonly url: string;
  close(): Promise<void>;
}

/** The gate's ledger view, as its org's configured identity (see GateLedger). */
function gateLedger(ledger: Ledger, userName: string): GateLedger {
  const session = (): ReturnType<Ledger['session']> => ledger.session(ledger.user(userName));
  const chaincode = (): LedgerClient => new LedgerClient(session());
  // A model version's endpoint and its model's owner never change once written, so each is read once.
  const versions = new Map<string, { inferenceEndpoint: string; ownerMspId: string }>();
  return {
    transaction: (transactionId) => ledger.committedTransaction(session(), transactionId),
    batchedCaller: async (accessId) => {
      const batched = await chaincode().license.getBatchedAccess(accessId);
      return { mspId: batched.access.callerMspId, certPem: batched.certificate };
    },
    access: async (accessId) => {
      try {
        return await chaincode().license.getAccessRecord(accessId);
      } catch (err) {
        if (err instanceof ApiError && err.code === ApiCode.NOT_FOUND) {
          return undefined;
        }
        throw err;
      }
    },
    version: async (modelId, version) => {
      const key = `${modelId}@${version}`;
      const known = versions.get(key);
      if (known !== undefined) {
        return known;
      }
      const { model } = await chaincode().model.getModel(modelId);
      const served = await chaincode().model.getModelVersion(modelId, version);
      const found = { inferenceEndpoint: served.inferenceEndpoint, ownerMspId: model.ownerMspId };
      if (versions.size >= 10_000) {
        versions.clear();
      }
      versions.set(key, found);
      return found;
    },
    refund: async (accessId, reason) => (await chaincode().license.refundAccess(accessId, reason)).transactionId,
  };
}

/** A backend URL from config: `unix:<socket path>` or `http(s)://host:port`. */
function backendOf(target: string): Backend {
  if (target.startsWith('unix:')) {
    return { base: 'http://localhost', route: { dispatcher: new Agent({ connect: { socketPath: target.slice('unix:'.length) } }) } };
  }
  return { base: target.replace(/\/+$/, ''), route: { dispatcher: new Agent() } };
}

/**
 * Starts the gate of this org's API instance.
 *
 * @throws Error when its TLS files are unreadable or its port cannot be bound.
 */
export async function startGate(
  settings: NonNullable<Config['gate']>,
  config: Config,
  ledger: Ledger,
  logger: Logger,
): Promise<RunningGate> {
  const log = logger.child({ component: 'gate' });
  const backends = new Map(Object.entries(settings.backends).map(([name, target]) => [name, backendOf(target)]));
  const served = new ServedLog(settings.stateFile, settings.freshnessMs * 2, settings.maxHeldResults);
  const oip = new OipClient({ timeoutMs: settings.modelTimeoutMs, maxResponseBytes: config.inference.maxResponseBytes });
  const gate = new ServingGate(
    { mspId: ledger.binding.org.mspId, freshnessMs: settings.freshnessMs, commitWaitMs: settings.commitWaitMs },
    backends,
    gateLedger(ledger, settings.user),
    served,
    oip,
    log,
  );

  const app = express();
  app.disable('x-powered-by');
  app.use(pinoHttp({ logger: log }));
  app.use(express.json({ limit: settings.bodyLimitBytes }));
  app.get('/v2/health/ready', (_req, res) => {
    res.json({ ready: true });
  });
  app.get('/v2/models/:name', async (req, res) => {
    res.json((await gate.metadata(req.params.name)).raw);
  });
  app.post('/v2/models/:name/infer', async (req, res) => {
    const served = await gate.infer(req.params.name, req.body as unknown, req.get(ACCESS_ID_HEADER), req.get(ACCESS_SIGNATURE_HEADER));
    res.set('mll-served', served.repeated ? 'repeated' : 'first').json(served.body);
  });
  app.use((_req: Request, _res: Response, next: NextFunction) =>
    next(new ApiError(ApiCode.NOT_FOUND, 'no such route at this serving gate')),
  );
  app.use(errorMiddleware);

  const tls = { cert: readFileSync(join(settings.tlsDir, 'cert.pem')), key: readFileSync(join(settings.tlsDir, 'key.pem')) };
  const server = createServer(tls, app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `https://${settings.host}:${port}`;
  log.info({ url, models: [...backends.keys()] }, 'serving gate listening');
  return {
    server,
    url,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([...backends.values()].map((backend) => backend.route.dispatcher.close()));
    },
  };
}
