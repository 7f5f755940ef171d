import { Router } from 'express';
import type { Ledger } from '../fabric/ledger';
import { writer } from '../http/auth';
import { bodyOf, param, requestIdsOf, sessionOf } from '../http/context';
import { InferenceService, type Serving } from '../services/inference';
import type { LotHints } from '../services/lot-hints';

/** POST /v1/models/{modelId}/infer: the model, run only through a licence. */
export function inferenceRoutes(ledger: Ledger, serving: Serving, hints: LotHints): Router {
  const router = Router();
  router.post('/models/:modelId/infer', writer({ action: 'run a model' }), async (req, res) => {
    res.json(
      await new InferenceService(sessionOf(res), requestIdsOf(req, res, ledger), serving, hints).infer(
        param(req, 'modelId'),
        bodyOf(req),
        req.get('idempotency-key'),
      ),
    );
  });
  return router;
}
