/**
 * Headers a client relies on (issue 16 §6): every 429 and 503 says when to
 * come back (Retry-After), and every 201 says where its resource is
 * (Location), whichever write made it.
 */
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { ApiCode, ApiError } from '../src/errors';
import { locationOf } from '../src/http/created';
import { errorMiddleware, statusOf } from '../src/http/errors';

/** An app whose one route fails with ERROR. */
function failing(error: ApiError): express.Express {
  const app = express();
  // The error middleware logs through pino-http's req.log.
  app.use((req, _res, next) => {
    req.log = pino({ level: 'silent' });
    next();
  });
  app.get('/x', () => {
    throw error;
  });
  app.use(errorMiddleware);
  return app;
}

describe('Retry-After', () => {
  it('comes with every 503 and 429, with the cause’s estimate when it gave one', async () => {
    const estimated = await request(failing(new ApiError(ApiCode.LEDGER_UNAVAILABLE, 'peer down', undefined, 5))).get('/x');
    expect(estimated.status).toBe(503);
    expect(estimated.headers['retry-after']).toBe('5');
    const waiting = Object.values(ApiCode).filter((code) => [429, 503].includes(statusOf(code)));
    expect(waiting.sort()).toEqual(['LEDGER_UNAVAILABLE', 'RATE_LIMITED', 'TOO_MANY_STREAMS']);
    for (const code of waiting) {
      const response = await request(failing(new ApiError(code, 'no estimate'))).get('/x');
      expect({ code, retryAfter: response.headers['retry-after'] }).toEqual({ code, retryAfter: '1' });
    }
  });

  it('is not sent with a refusal that waiting does not lift', async () => {
    const response = await request(failing(new ApiError(ApiCode.FORBIDDEN, 'no'))).get('/x');
    expect(response.status).toBe(403);
    expect(response.headers['retry-after']).toBeUndefined();
  });
});

describe('Location of a 201', () => {
  const committed = { transaction: { id: 'a'.repeat(64), blockNumber: '7' } };

  it('names the resource a write created', () => {
    expect(locationOf('/v1/models', { ...committed, data: { modelId: 'M-1' } })).toBe('/v1/models/M-1');
    expect(locationOf('/v1/models/M-1/versions', { ...committed, data: { version: '2 beta' } })).toBe('/v1/models/M-1/versions/2%20beta');
    expect(locationOf('/v1/offerings', { ...committed, data: { offering: { offeringId: 'O-1' } } })).toBe('/v1/offerings/O-1');
    expect(locationOf('/v1/purchases', { ...committed, data: { licenseId: 'L-1' } })).toBe('/v1/licenses/L-1');
    expect(locationOf('/v1/licenses/L-1/accesses', { ...committed, data: { accessId: 'b'.repeat(64) } })).toBe(
      `/v1/accesses/${'b'.repeat(64)}`,
    );
    expect(locationOf('/v1/listings', { ...committed, data: { listingId: 'S-1' } })).toBe('/v1/listings/S-1');
    expect(locationOf('/v1/proposals', { ...committed, data: { proposalId: 'P-1' } })).toBe('/v1/proposals/P-1');
  });

  it('names the transaction of any other write', () => {
    for (const path of ['/v1/token/transfers', '/v1/proposals/P-1/votes', '/v1/royalty-claims', '/v1/listings/S-1/trades']) {
      expect({ path, location: locationOf(path, { ...committed, data: {} }) }).toEqual({
        path,
        location: `/v1/transactions/${'a'.repeat(64)}`,
      });
    }
    expect(locationOf('/v1/token/transfers', {})).toBeUndefined();
  });
});
