import { Router } from 'express';
import type { Ledger } from '../fabric/ledger';

/** /healthz: answers 200 only when the peer answers a ledger query. */
export function healthRoutes(ledger: Ledger): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const height = await ledger.height();
    res.json({
      status: 'ok',
      org: ledger.binding.org.name,
      mspId: ledger.binding.org.mspId,
      peer: ledger.binding.peer.id,
      blockHeight: height.toString(),
    });
  });
  return router;
}
