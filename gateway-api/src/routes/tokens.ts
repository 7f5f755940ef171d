import { Router } from 'express';
import { writer } from '../http/auth';
import { pageOf, param, sessionOf } from '../http/context';
import { TokenService } from '../services/tokens';

const ISSUERS = { roles: ['issuer'], mspIds: ['ClearingMSP'] } as const;

/** /v1/token and /v1/accounts/{account}/balance*. */
export function tokenRoutes(): Router {
  const router = Router();
  const tokens = (res: Parameters<typeof sessionOf>[0]): TokenService => new TokenService(sessionOf(res));

  router.get('/token/supply', async (_req, res) => {
    res.json(await tokens(res).totalSupply());
  });
  router.post('/token/mints', writer({ action: 'mint tokens', ...ISSUERS }), async (req, res) => {
    res.status(201).json(await tokens(res).mint(req.body, req.get('idempotency-key')));
  });
  router.post('/token/burns', writer({ action: 'burn tokens', ...ISSUERS }), async (req, res) => {
    res.status(201).json(await tokens(res).burn(req.body, req.get('idempotency-key')));
  });
  router.post('/token/transfers', writer({ action: 'transfer tokens' }), async (req, res) => {
    res.status(201).json(await tokens(res).transfer(req.body, req.get('idempotency-key')));
  });
  router.get('/accounts/:account/balance', async (req, res) => {
    res.json(await tokens(res).balance(param(req, 'account')));
  });
  router.get('/accounts/:account/balance-history', async (req, res) => {
    res.json(await tokens(res).balanceHistory(param(req, 'account'), pageOf(req)));
  });
  return router;
}
