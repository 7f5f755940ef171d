import { Router } from 'express';
import type { Ledger } from '../fabric/ledger';
import { writer } from '../http/auth';
import { bodyOf, param, requestIdsOf, sessionOf } from '../http/context';
import { InferenceService, type Serving } from '../services/inference';
import type { Meter } from '../services/meter';

/** POST /v1/models/{modelId}/infer: the model, run only through a licence. */
export function inferenceRoutes(ledger: Ledger, serving: Serving, meter: Meter): Router {
  const router = Router();
  router.post('/models/:modelId/infer', writer({ action: 'run a model' }), async (req, res) => {
    res.json(
      await new InferenceService(sessionOf(res), requestIdsOf(req, res, ledger), serving, meter).infer(
        param(req, 'modelId'),
        bodyOf(req),
        req.get('idempotency-key'),
      ),
    );
  });
  return router;
}
