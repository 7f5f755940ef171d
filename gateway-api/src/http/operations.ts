/**
 * Operational middleware: request metrics, per-key rate limiting and CORS.
 */
import cors from 'cors';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Config } from '../config';
import { ApiCode, ApiError } from '../errors';
import type { Metrics } from '../metrics';
import { callerOf } from './context';

/**
 * Observes every request's latency when its response finishes, labelled with
 * the spec's path template (unknown paths share one label), and counts error
 * responses by the code the error middleware chose.
 */
export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const stop = metrics.requestSeconds.startTimer();
    res.once('finish', () => {
      const openapi = (req as Request & { openapi?: { openApiRoute?: string } }).openapi;
      const route =
        openapi?.openApiRoute ?? (req.route === undefined ? 'unmatched' : `${req.baseUrl}${String((req.route as { path: unknown }).path)}`);
      const status = String(res.statusCode);
      stop({ method: req.method, route, status });
      const code = res.locals.errorCode as string | undefined;
      if (code !== undefined) {
        metrics.errors.inc({ code, status });
      }
    });
    next();
  };
}

/**
 * Limits requests per API key (after authentication, so the key is known)
 * in a fixed window; over the limit the error middleware answers 429
 * RATE_LIMITED, and the `RateLimit` and `Retry-After` headers say when to
 * come back. The count is per instance and in memory.
 */
export function rateLimitPerKey(config: Config): RequestHandler {
  const { limit, windowMs } = config.rateLimit;
  if (limit === 0) {
    return (_req, _res, next) => next();
  }
  return rateLimit({
    windowMs,
    limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (_req, res) => callerOf(res).keyId,
    handler: (_req, _res, next) => {
      next(
        new ApiError(
          ApiCode.RATE_LIMITED,
          `this API key may make ${limit} requests per ${windowMs / 1000} s; retry after the Retry-After header`,
        ),
      );
    },
  });
}

/** CORS for the configured origins only; with none configured, no CORS headers at all. */
export function corsFor(config: Config): RequestHandler {
  if (config.corsOrigins.length === 0) {
    return (_req, _res, next) => next();
  }
  return cors({
    origin: [...config.corsOrigins],
    allowedHeaders: ['Content-Type', 'X-API-Key', 'Authorization', 'Last-Event-ID', 'Idempotency-Key', 'Prefer', 'X-Request-Id'],
    exposedHeaders: ['Location', 'Preference-Applied', 'X-Request-Id', 'RateLimit', 'RateLimit-Policy', 'Retry-After'],
    maxAge: 600,
  });
}
