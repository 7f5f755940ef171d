import { Router } from 'express';
import { writer } from '../http/auth';
import { pageOf, param, sessionOf, windowOf } from '../http/context';
import { MarketService } from '../services/market';

/** /v1/listings, /v1/licenses/{id}/transfers, and the market lists under models and accounts. */
export function marketRoutes(): Router {
  const router = Router();
  const market = (res: Parameters<typeof sessionOf>[0]): MarketService => new MarketService(sessionOf(res));

  router.post('/listings', writer({ action: 'list licence units' }), async (req, res) => {
    res.status(201).json(await market(res).list(req.body));
  });
  router.get('/listings/:listingId', async (req, res) => {
    res.json(await market(res).get(param(req, 'listingId')));
  });
  router.delete('/listings/:listingId', writer({ action: 'cancel a listing' }), async (req, res) => {
    res.json(await market(res).cancel(param(req, 'listingId')));
  });
  router.post('/listings/:listingId/trades', writer({ action: 'buy from a listing' }), async (req, res) => {
    res.status(201).json(await market(res).buy(param(req, 'listingId'), req.body, req.get('idempotency-key')));
  });
  router.post('/licenses/:licenseId/transfers', writer({ action: 'transfer licence units' }), async (req, res) => {
    res.status(201).json(await market(res).transfer(param(req, 'licenseId'), req.body, req.get('idempotency-key')));
  });
  router.get('/models/:modelId/listings', async (req, res) => {
    res.json(await market(res).openByModel(param(req, 'modelId'), pageOf(req)));
  });
  router.get('/accounts/:account/listings', async (req, res) => {
    res.json(await market(res).bySeller(param(req, 'account'), pageOf(req)));
  });
  router.get('/models/:modelId/trades', async (req, res) => {
    res.json(await market(res).tradesByModel(param(req, 'modelId'), windowOf(req), pageOf(req)));
  });
  router.get('/accounts/:account/trades', async (req, res) => {
    res.json(await market(res).tradesByAccount(param(req, 'account'), windowOf(req), pageOf(req)));
  });
  return router;
}
