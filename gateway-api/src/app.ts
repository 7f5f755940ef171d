/**
 * The Express application of one org's API instance: security headers, body
 * limits, request logging with a request id, the spec served and enforced on
 * requests and responses, authentication, the /v1 routes, and the one error
 * middleware.
 */
import express, { Express } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import helmet from 'helmet';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { parse } from 'yaml';
import type { BearerVerifier } from './auth/jwt';
import type { KeyStore } from './auth/keys';
import type { Config } from './config';
import type { EventFeed } from './fabric/events';
import { CachedHeight } from './fabric/height';
import type { Ledger } from './fabric/ledger';
import type { Metrics } from './metrics';
import { auditRoutes } from './routes/audit';
import { eventRoutes } from './routes/events';
import { governanceRoutes } from './routes/governance';
import { healthRoutes } from './routes/health';
import { inferenceRoutes } from './routes/inference';
import { licenseRoutes } from './routes/licenses';
import { marketRoutes } from './routes/market';
import { modelRoutes } from './routes/models';
import { offeringRoutes } from './routes/offerings';
import { royaltyRoutes } from './routes/royalties';
import { tokenRoutes } from './routes/tokens';
import { LotHints } from './services/lot-hints';
import { Meter } from './services/meter';
import { EndpointRoutes } from './serving/endpoints';
import { OipClient } from './serving/oip';
import { acceptedWrites, preferAsync } from './http/async';
import { authenticate } from './http/auth';
import { createdLocation } from './http/created';
import { consoleRoutes } from './console';
import { csvColumnsOf } from './http/csv-columns';
import { requestDeadline } from './http/context';
import { errorMiddleware } from './http/errors';
import { corsFor, rateLimitPerKey, requestMetrics } from './http/operations';

/** The contract; read from the package folder, so it works from src/ and dist/ alike. */
export const SPEC_PATH = join(__dirname, '..', 'openapi.yaml');

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export interface AppDeps {
  readonly config: Config;
  readonly ledger: Ledger;
  readonly keys: KeyStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly events: EventFeed;
  /** Verifies bearer tokens; undefined when the org configured none. */
  readonly bearer?: BearerVerifier;
}

export function createApp({ config, ledger, keys, logger, metrics, events, bearer }: AppDeps): Express {
  const specText = readFileSync(SPEC_PATH, 'utf8');
  const app = express();
  // The header row of each list's CSV export (http/lists.ts), from the spec it is validated against.
  app.locals.csvColumns = csvColumnsOf(parse(specText) as Record<string, unknown>);
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestMetrics(metrics));
  app.use(requestDeadline(config.requestDeadlineMs));
  app.use(corsFor(config));

  app.use(
    pinoHttp({
      logger,
      // A caller's X-Request-Id is kept when it is sane, so logs join up across services.
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      redact: { paths: ['req.headers["x-api-key"]', 'req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    }),
  );

  // Swagger UI needs inline styles and scripts; everything else gets helmet's strict defaults.
  app.use('/docs', helmet({ contentSecurityPolicy: false }), swaggerUi.serve, swaggerUi.setup(parse(specText) as object));
  // The console: helmet's strict defaults, but no upgrade-insecure-requests, which would send a browser to https
  // for the bundle of an instance served over plain HTTP (any address but loopback) and leave the page blank.
  app.use(
    '/console',
    helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }),
    consoleRoutes(config.consoleDir),
  );
  app.use(helmet());
  app.get('/openapi.yaml', (_req, res) => {
    res.type('application/yaml').send(specText);
  });
  if (config.metrics) {
    // Scraped by Prometheus without an API key, like /healthz; it holds counts and latencies, no data.
    app.get('/metrics', async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }

  app.use(express.json({ limit: config.bodyLimitBytes }));
  app.use('/v1', createdLocation());
  app.use('/v1', authenticate(keys, ledger, bearer), rateLimitPerKey(config), preferAsync(ledger));
  app.use(
    OpenApiValidator.middleware({
      apiSpec: SPEC_PATH,
      validateRequests: { allowUnknownQueryParameters: false, allErrors: true },
      validateResponses: config.validateResponses,
      // Authentication is ours (http/auth.ts); the spec's security scheme documents it.
      validateSecurity: false,
      ignoreUndocumented: false,
    }),
  );
  // One per instance: concurrent accesses of a licence through this instance get distinct lot hints.
  const hints = new LotHints();
  // One per instance: accesses in flight together through this instance are batched (services/meter.ts).
  const meter = new Meter(config.metering, hints, logger, (size, recorded) => {
    metrics.accessBatchSize.observe(size);
    metrics.countAccesses(recorded);
  });
  const oip = new OipClient(config.inference);
  const endpoints = new EndpointRoutes(ledger, config.inference.plainHttpHosts);
  // One per instance, shared by /healthz and by streams that resume from the ledger.
  const height = new CachedHeight(() => ledger.height(), config.healthCacheMs);
  app.use(healthRoutes(ledger, height));
  app.use(
    '/v1',
    auditRoutes(ledger),
    modelRoutes(),
    inferenceRoutes(ledger, { oip, endpoints }, meter),
    offeringRoutes(),
    licenseRoutes(ledger, hints, meter),
    tokenRoutes(ledger),
    royaltyRoutes(),
    marketRoutes(ledger),
    governanceRoutes(),
    eventRoutes(events, config, height, metrics),
  );
  app.use((_req, _res, next) => next({ status: 404 }));
  app.use(acceptedWrites);
  app.use(errorMiddleware);
  return app;
}
