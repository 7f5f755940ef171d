import { Router } from 'express';
import { writer } from '../http/auth';
import { bodyOf, param, query, sessionOf, windowOf } from '../http/context';
import { sendList } from '../http/lists';
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
    const window = windowOf(req);
    await sendList(req, res, (session, page) =>
      new RoyaltyService(session).statement(param(req, 'account'), query(req, 'modelId'), window, page),
    );
  });
  router.get('/accounts/:account/claims', async (req, res) => {
    await sendList(req, res, (session, page) => new RoyaltyService(session).claims(param(req, 'account'), page));
  });
  return router;
}
