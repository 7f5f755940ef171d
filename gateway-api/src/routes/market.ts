import { Router, type Request, type Response } from 'express';
import type { Ledger } from '../fabric/ledger';
import { writer } from '../http/auth';
import { bodyOf, pageOf, param, requestIdsOf, sessionOf, windowOf } from '../http/context';
import { sendList } from '../http/lists';
import { MarketService } from '../services/market';

/** /v1/listings, /v1/licenses/{id}/transfers, and the market lists under models and accounts. */
export function marketRoutes(ledger: Ledger): Router {
  const router = Router();
  const market = (req: Request, res: Response): MarketService => new MarketService(sessionOf(res), requestIdsOf(req, res, ledger));

  router.post('/listings', writer({ action: 'list licence units' }), async (req, res) => {
    res.status(201).json(await market(req, res).list(bodyOf(req)));
  });
  router.get('/listings/:listingId', async (req, res) => {
    res.json(await market(req, res).get(param(req, 'listingId')));
  });
  router.delete('/listings/:listingId', writer({ action: 'cancel a listing' }), async (req, res) => {
    res.json(await market(req, res).cancel(param(req, 'listingId')));
  });
  router.post('/listings/:listingId/trades', writer({ action: 'buy from a listing' }), async (req, res) => {
    res.status(201).json(await market(req, res).buy(param(req, 'listingId'), bodyOf(req), req.get('idempotency-key')));
  });
  router.post('/licenses/:licenseId/transfers', writer({ action: 'transfer licence units' }), async (req, res) => {
    res.status(201).json(await market(req, res).transfer(param(req, 'licenseId'), bodyOf(req), req.get('idempotency-key')));
  });
  router.get('/models/:modelId/listings', async (req, res) => {
    res.json(await market(req, res).openByModel(param(req, 'modelId'), pageOf(req)));
  });
  router.get('/accounts/:account/listings', async (req, res) => {
    res.json(await market(req, res).bySeller(param(req, 'account'), pageOf(req)));
  });
  router.get('/models/:modelId/trades', async (req, res) => {
    const window = windowOf(req);
    await sendList(req, res, (session, page) =>
      new MarketService(session, requestIdsOf(req, res, ledger)).tradesByModel(param(req, 'modelId'), window, page),
    );
  });
  router.get('/accounts/:account/trades', async (req, res) => {
    const window = windowOf(req);
    await sendList(req, res, (session, page) =>
      new MarketService(session, requestIdsOf(req, res, ledger)).tradesByAccount(param(req, 'account'), window, page),
    );
  });
  return router;
}
