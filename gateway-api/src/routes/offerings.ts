import { Router } from 'express';
import { writer } from '../http/auth';
import { bodyOf, param, sessionOf, windowOf } from '../http/context';
import { sendList } from '../http/lists';
import { AuditService } from '../services/audit';
import { OfferingService } from '../services/offerings';

/** /v1/offerings: publish, read, change status, list purchases. */
export function offeringRoutes(): Router {
  const router = Router();
  router.post('/offerings', writer({ action: 'publish an offering', roles: ['admin'] }), async (req, res) => {
    res.status(201).json(await new OfferingService(sessionOf(res)).publish(bodyOf(req)));
  });
  router.get('/offerings/:offeringId', async (req, res) => {
    res.json(await new OfferingService(sessionOf(res)).get(param(req, 'offeringId')));
  });
  router.patch('/offerings/:offeringId', writer({ action: 'change an offering', roles: ['admin'] }), async (req, res) => {
    res.json(
      await new OfferingService(sessionOf(res)).setStatus(
        param(req, 'offeringId'),
        bodyOf<{ status: 'active' | 'paused' | 'retired' }>(req).status,
      ),
    );
  });
  router.get('/offerings/:offeringId/purchases', async (req, res) => {
    const window = windowOf(req);
    await sendList(req, res, (session, page) => new AuditService(session).listPurchases(param(req, 'offeringId'), window, page));
  });
  return router;
}
