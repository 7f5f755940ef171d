/**
 * Checks that keep the gateway API honest without a network: its generated
 * types match its spec, it knows every chaincode error code, its config
 * reports every bad variable at once, its cursors round-trip, and shutdown
 * drains requests within its grace period.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ErrorCode } from '@model-ledger/contract';
import { ConfigError, loadConfig } from '../src/config';
import { ApiError } from '../src/errors';
import { parseChaincodeMessage } from '../src/fabric/errors';
import { statusOf } from '../src/http/errors';
import { drain } from '../src/server';
import { decodeCursor, encodeCursor } from '../src/services/common';

const api = resolve(__dirname, '..');

describe('the gateway API contract', () => {
  it('has generated types that match openapi.yaml (run npm run -w gateway-api generate)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-types-'));
    try {
      const out = join(dir, 'openapi.ts');
      execFileSync(
        process.execPath,
        [join(dirname(require.resolve('openapi-typescript/package.json')), 'bin/cli.js'), join(api, 'openapi.yaml'), '-o', out],
        {
          stdio: 'pipe',
        },
      );
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(api, 'src/generated/openapi.ts'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('knows every error code the chaincode can raise, and gives each a 4xx status', () => {
    for (const code of Object.values(ErrorCode)) {
      expect(parseChaincodeMessage(`chaincode response 500, ${code}: refused`)).toEqual({ code, message: `${code}: refused` });
      expect(statusOf(code)).toBeGreaterThanOrEqual(400);
      expect(statusOf(code)).toBeLessThan(500);
    }
  });

  it('finds the chaincode code inside a peer\u2019s wrapped message', () => {
    expect(parseChaincodeMessage('chaincode response 500, INSUFFICIENT_UNITS: licence L-1 has 0 units left')).toEqual({
      code: 'INSUFFICIENT_UNITS',
      message: 'INSUFFICIENT_UNITS: licence L-1 has 0 units left',
    });
    expect(parseChaincodeMessage('chaincode response 500, Cannot read properties of undefined')).toBeUndefined();
  });

  it('maps the ledger\u2019s own failures to 409, 502, 503 and 504', () => {
    expect([statusOf('LEDGER_CONFLICT'), statusOf('COMMIT_FAILED'), statusOf('LEDGER_UNAVAILABLE'), statusOf('LEDGER_TIMEOUT')]).toEqual([
      409, 502, 503, 504,
    ]);
    expect(statusOf('SOMETHING_NEW')).toBe(500);
  });

  it('round-trips a bookmark through an opaque cursor and rejects a forged one', () => {
    const bookmark = '\u0000acctime\u00002026-01-01T00:00:00.000Z\u0000abc';
    expect(decodeCursor(encodeCursor(bookmark))).toBe(bookmark);
    expect(decodeCursor(undefined)).toBe('');
    expect(() => decodeCursor('not-a-cursor')).toThrow(ApiError);
  });
});

describe('the gateway API configuration', () => {
  it('lists every missing or bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ MLL_RUNTIME_DIR: '/nonexistent', MLL_API_PORT: 'eighty', MLL_API_LOG_LEVEL: 'loud', MLL_API_VALIDATE_RESPONSES: 'yes' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((p) => p.split(' ')[0]);
    expect(problems.sort()).toEqual(
      ['MLL_API_LOG_LEVEL', 'MLL_API_ORG', 'MLL_API_PORT', 'MLL_API_VALIDATE_RESPONSES', 'MLL_RUNTIME_DIR:'].sort(),
    );
  });

  it('accepts a complete environment with defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-config-'));
    try {
      writeFileSync(join(dir, 'plan.json'), '{}');
      const config = loadConfig({ MLL_API_ORG: 'hospital', MLL_RUNTIME_DIR: dir });
      expect(config).toMatchObject({
        org: 'hospital',
        port: 4000,
        keysFile: join(dir, 'api', 'hospital-keys.json'),
        validateResponses: true,
      });
      expect(config).toMatchObject({
        corsOrigins: [],
        rateLimit: { limit: 600, windowMs: 60_000 },
        metrics: true,
        shutdownGraceMs: 30_000,
      });
      expect(config).toMatchObject({
        healthCacheMs: 1000,
        events: { maxStreamsPerKey: 4, maxStreams: 64, maxBufferedBytes: 1024 * 1024, slowClientMs: 5000, maxReplayBlocks: 1000 },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('turns CORS on only for well-formed origins, and rejects a bad rate limit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-config-'));
    try {
      writeFileSync(join(dir, 'plan.json'), '{}');
      const env = { MLL_API_ORG: 'hospital', MLL_RUNTIME_DIR: dir };
      expect(loadConfig({ ...env, MLL_API_CORS_ORIGINS: 'https://a.example, http://b.example:8080' }).corsOrigins).toEqual([
        'https://a.example',
        'http://b.example:8080',
      ]);
      let error: unknown;
      try {
        loadConfig({ ...env, MLL_API_CORS_ORIGINS: '*', MLL_API_RATE_LIMIT: '-1', MLL_API_SHUTDOWN_GRACE_MS: 'soon' });
      } catch (err) {
        error = err;
      }
      expect((error as ConfigError).problems.map((p) => p.split(' ')[0]).sort()).toEqual([
        'MLL_API_CORS_ORIGINS',
        'MLL_API_RATE_LIMIT',
        'MLL_API_SHUTDOWN_GRACE_MS',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects stream caps, a backlog bound, a replay bound and a health cache that make no sense, all at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-config-'));
    try {
      writeFileSync(join(dir, 'plan.json'), '{}');
      let error: unknown;
      try {
        loadConfig({
          MLL_API_ORG: 'hospital',
          MLL_RUNTIME_DIR: dir,
          MLL_API_EVENTS_MAX_STREAMS_PER_KEY: '8',
          MLL_API_EVENTS_MAX_STREAMS: '4',
          MLL_API_EVENTS_MAX_BUFFERED_BYTES: '100',
          MLL_API_EVENTS_SLOW_CLIENT_MS: 'soon',
          MLL_API_EVENTS_MAX_REPLAY_BLOCKS: '-1',
          MLL_API_HEALTH_CACHE_MS: '1.5',
        });
      } catch (err) {
        error = err;
      }
      expect((error as ConfigError).problems.map((p) => p.split(' ')[0]).sort()).toEqual([
        'MLL_API_EVENTS_MAX_BUFFERED_BYTES',
        'MLL_API_EVENTS_MAX_REPLAY_BLOCKS',
        'MLL_API_EVENTS_MAX_STREAMS_PER_KEY',
        'MLL_API_EVENTS_SLOW_CLIENT_MS',
        'MLL_API_HEALTH_CACHE_MS',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('maps the stream refusals to 429 and a resume from too far back to 409', () => {
    expect([statusOf('TOO_MANY_STREAMS'), statusOf('REPLAY_TOO_FAR')]).toEqual([429, 409]);
  });

  describe('shutdown', () => {
    /**
     * A server whose one route answers only when `release` is called;
     * `received` resolves once a request is in flight (a connection whose
     * request has not arrived yet is idle, and drain rightly closes it).
     */
    async function serverHoldingARequest(): Promise<{ server: Server; url: string; received: Promise<void>; release: () => void }> {
      let release = (): void => undefined;
      let arrived = (): void => undefined;
      const received = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const server = createServer((_req, res) => {
        release = () => res.end('done');
        arrived();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, received, release: () => release() };
    }

    it('lets an in-flight request finish within the grace period', async () => {
      const { server, url, received, release } = await serverHoldingARequest();
      const answer = fetch(url).then((r) => r.text());
      await received;
      const overdue = jest.fn();
      const drained = drain(server, 5_000, overdue);
      setTimeout(release, 100);
      await drained;
      await expect(answer).resolves.toBe('done');
      expect(overdue).not.toHaveBeenCalled();
      expect(server.listening).toBe(false);
    });

    it('closes a request still open when the grace period ends, and says so', async () => {
      const { server, url, received } = await serverHoldingARequest();
      const answer = fetch(url).then((r) => r.text());
      await received;
      const overdue = jest.fn();
      await drain(server, 200, overdue);
      expect(overdue).toHaveBeenCalledTimes(1);
      await expect(answer).rejects.toThrow();
    });
  });
});
