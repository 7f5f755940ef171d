import { Router, type Request, type Response } from 'express';
import type { Ledger } from '../fabric/ledger';
import { writer } from '../http/auth';
import { bodyOf, pageOf, param, query, requestIdsOf, sessionOf, windowOf } from '../http/context';
import { sendList } from '../http/lists';
import { AuditService } from '../services/audit';
import { LicenseService } from '../services/licenses';
import type { LotHints } from '../services/lot-hints';
import type { Meter } from '../services/meter';

/** /v1/purchases, /v1/licenses and /v1/accesses. */
export function licenseRoutes(ledger: Ledger, hints: LotHints, meter: Meter): Router {
  const router = Router();
  const licenses = (req: Request, res: Response): LicenseService =>
    new LicenseService(sessionOf(res), hints, requestIdsOf(req, res, ledger), meter);

  router.post('/purchases', writer({ action: 'purchase a licence' }), async (req, res) => {
    res.status(201).json(await licenses(req, res).purchase(bodyOf(req), req.get('idempotency-key')));
  });
  router.get('/licenses', async (req, res) => {
    res.json(await licenses(req, res).listByHolder(String(query(req, 'holder')), pageOf(req)));
  });
  router.get('/licenses/:licenseId', async (req, res) => {
    res.json(await licenses(req, res).get(param(req, 'licenseId')));
  });
  router.get('/licenses/:licenseId/entitlement', async (req, res) => {
    res.json(await licenses(req, res).checkEntitlement(param(req, 'licenseId'), query(req, 'units') ?? '1', String(query(req, 'purpose'))));
  });
  router.post('/licenses/:licenseId/accesses', writer({ action: 'use a licence' }), async (req, res) => {
    res.status(201).json(await licenses(req, res).recordAccess(param(req, 'licenseId'), bodyOf(req), req.get('idempotency-key')));
  });
  router.post('/licenses/:licenseId/expiry-settlements', writer({ action: 'settle an expired licence' }), async (req, res) => {
    res.status(201).json(await licenses(req, res).settleExpired(param(req, 'licenseId')));
  });
  router.get('/licenses/:licenseId/accesses', async (req, res) => {
    const window = windowOf(req);
    await sendList(req, res, (session, page) => new AuditService(session).accesses({ licenseId: param(req, 'licenseId') }, window, page));
  });
  router.get('/accesses/:accessId', async (req, res) => {
    res.json(await licenses(req, res).getAccess(param(req, 'accessId')));
  });
  router.get('/accesses/:accessId/refund', async (req, res) => {
    res.json(await licenses(req, res).getRefund(param(req, 'accessId')));
  });
  router.post('/accesses/:accessId/refund', writer({ action: 'refund an access', roles: ['admin', 'engineer'] }), async (req, res) => {
    res.status(201).json(await licenses(req, res).refund(param(req, 'accessId'), bodyOf<{ reason: string }>(req).reason));
  });
  return router;
}
