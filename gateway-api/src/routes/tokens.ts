import { Router, type Request, type Response } from 'express';
import type { Ledger } from '../fabric/ledger';
import { writer } from '../http/auth';
import { bodyOf, param, requestIdsOf, sessionOf } from '../http/context';
import { sendList } from '../http/lists';
import { TokenService } from '../services/tokens';

const ISSUERS = { roles: ['issuer'], mspIds: ['ClearingMSP'] } as const;

/** /v1/token and /v1/accounts/{account}/balance*. */
export function tokenRoutes(ledger: Ledger): Router {
  const router = Router();
  const tokens = (req: Request, res: Response): TokenService => new TokenService(sessionOf(res), requestIdsOf(req, res, ledger));

  router.get('/token/supply', async (req, res) => {
    res.json(await tokens(req, res).totalSupply());
  });
  router.post('/token/mints', writer({ action: 'mint tokens', ...ISSUERS }), async (req, res) => {
    res.status(201).json(await tokens(req, res).mint(bodyOf(req), req.get('idempotency-key')));
  });
  router.post('/token/burns', writer({ action: 'burn tokens', ...ISSUERS }), async (req, res) => {
    res.status(201).json(await tokens(req, res).burn(bodyOf(req), req.get('idempotency-key')));
  });
  router.post('/token/transfers', writer({ action: 'transfer tokens' }), async (req, res) => {
    res.status(201).json(await tokens(req, res).transfer(bodyOf(req), req.get('idempotency-key')));
  });
  router.get('/accounts/:account/balance', async (req, res) => {
    res.json(await tokens(req, res).balance(param(req, 'account')));
  });
  router.get('/accounts/:account/balance-history', async (req, res) => {
    await sendList(req, res, (session, page) =>
      new TokenService(session, requestIdsOf(req, res, ledger)).balanceHistory(param(req, 'account'), page),
    );
  });
  return router;
}
