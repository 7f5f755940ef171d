import { Router } from 'express';
import { writer } from '../http/auth';
import { bodyOf, pageOf, param, query, sessionOf, windowOf } from '../http/context';
import { RoyaltyService } from '../services/royalties';

/** /v1/royalty-claims and /v1/accounts/{account}/royalties, royalty-payments, claims. */
export function royaltyRoutes(): Router {
  const router = Router();
  const royalties = (res: Parameters<typeof sessionOf>[0]): RoyaltyService => new RoyaltyService(sessionOf(res));

  router.post('/royalty-claims', writer({ action: 'claim royalties' }), async (req, res) => {
    res.status(201).json(await royalties(res).claim(bodyOf(req)));
  });
  router.get('/accounts/:account/royalties', async (req, res) => {
    res.json(await royalties(res).accrued(param(req, 'account')));
  });
  router.get('/accounts/:account/royalty-payments', async (req, res) => {
    res.json(await royalties(res).statement(param(req, 'account'), query(req, 'modelId'), windowOf(req), pageOf(req)));
  });
  router.get('/accounts/:account/claims', async (req, res) => {
    res.json(await royalties(res).claims(param(req, 'account'), pageOf(req)));
  });
  return router;
}
