import { Router } from 'express';
import { writer } from '../http/auth';
import { bodyOf, pageOf, param, sessionOf } from '../http/context';
import { ModelService } from '../services/models';
import { OfferingService } from '../services/offerings';

const MODEL_WRITERS = ['admin', 'engineer'] as const;

/** /v1/models: models, versions, active version, royalty policy, lineage consents, history and offerings of a model. */
export function modelRoutes(): Router {
  const router = Router();
  const models = (res: Parameters<typeof sessionOf>[0]): ModelService => new ModelService(sessionOf(res));

  router.get('/models', async (req, res) => {
    res.json(await models(res).list(pageOf(req)));
  });
  router.post('/models', writer({ action: 'register a model', roles: MODEL_WRITERS }), async (req, res) => {
    res.status(201).json(await models(res).register(bodyOf(req)));
  });
  router.get('/models/:modelId', async (req, res) => {
    res.json(await models(res).get(param(req, 'modelId')));
  });
  router.post('/models/:modelId/versions', writer({ action: 'add a model version', roles: MODEL_WRITERS }), async (req, res) => {
    res.status(201).json(await models(res).addVersion(param(req, 'modelId'), bodyOf(req)));
  });
  router.get('/models/:modelId/versions/:version', async (req, res) => {
    res.json(await models(res).getVersion(param(req, 'modelId'), param(req, 'version')));
  });
  router.put('/models/:modelId/active-version', writer({ action: 'set the active version', roles: MODEL_WRITERS }), async (req, res) => {
    res.json(await models(res).setActiveVersion(param(req, 'modelId'), bodyOf<{ version: string }>(req).version));
  });
  router.get('/models/:modelId/royalty-policy', async (req, res) => {
    res.json((await models(res).get(param(req, 'modelId'))).model.royaltyPolicy);
  });
  router.put('/models/:modelId/royalty-policy', writer({ action: 'set a royalty policy', roles: ['admin'] }), async (req, res) => {
    res.json(await models(res).setRoyaltyPolicy(param(req, 'modelId'), bodyOf(req)));
  });
  // The caller is an admin of the parent model's owner, not the child's: the chaincode checks the org.
  router.post(
    '/models/:modelId/lineage-consents',
    writer({ action: 'consent to a lineage change', roles: ['admin'] }),
    async (req, res) => {
      res.status(201).json(await models(res).consentLineageChange(param(req, 'modelId'), bodyOf(req)));
    },
  );
  router.get('/models/:modelId/history', async (req, res) => {
    res.json(await models(res).history(param(req, 'modelId'), pageOf(req)));
  });
  router.get('/models/:modelId/offerings', async (req, res) => {
    res.json(await new OfferingService(sessionOf(res)).listByModel(param(req, 'modelId'), pageOf(req)));
  });
  return router;
}
