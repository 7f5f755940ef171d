import { Router } from 'express';
import type { CachedHeight } from '../fabric/height';
import type { Ledger } from '../fabric/ledger';

/**
 * /healthz: answers 200 only when the peer answers a ledger query. The
 * height is cached for `MLL_API_HEALTH_CACHE_MS`, so a flood of
 * unauthenticated hits costs the peer one query per interval.
 */
export function healthRoutes(ledger: Ledger, height: CachedHeight): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const blockHeight = await height.get();
    res.json({
      status: 'ok',
      org: ledger.binding.org.name,
      mspId: ledger.binding.org.mspId,
      peer: ledger.binding.peer.id,
      blockHeight: blockHeight.toString(),
    });
  });
  return router;
}
