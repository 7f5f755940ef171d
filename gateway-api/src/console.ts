/**
 * The web console (console/), served at /console by every instance from
 * its built bundle. The page is static and public, as /docs is; everything
 * it shows comes from /v1 with the key or token the user signs in with, so
 * it sees exactly what that caller may see. Its assets carry content hashes
 * and are cached for good; index.html is never cached, so a new build is
 * picked up at the next load.
 */
import express, { Router } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApiCode, ApiError } from './errors';

/** The console's routes, mounted at /console. */
export function consoleRoutes(dir: string): Router {
  const router = Router();
  const built = existsSync(join(dir, 'index.html'));
  // Express matches /console/ here too (non-strict routing): only the bare path is redirected, so relative asset URLs resolve.
  router.get('/', (req, res, next) => (req.originalUrl.split('?')[0] === '/console' ? res.redirect(301, '/console/') : next()));
  if (!built) {
    router.use(() => {
      throw new ApiError(ApiCode.NOT_FOUND, `the console is not built in ${dir}: run npm run build -w console, then restart this instance`);
    });
    return router;
  }
  router.use('/assets', express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false, index: false }));
  router.use(
    express.static(dir, {
      index: 'index.html',
      setHeaders: (res, path) => {
        if (path.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
      },
    }),
  );
  return router;
}
