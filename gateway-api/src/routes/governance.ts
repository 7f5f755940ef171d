import { Router } from 'express';
import { writer } from '../http/auth';
import { bodyOf, pageOf, param, query, sessionOf } from '../http/context';
import { GovernanceService } from '../services/governance';

/** /v1/proposals and their votes, closure and execution; proposals and governance policy under models. */
export function governanceRoutes(): Router {
  const router = Router();
  const governance = (res: Parameters<typeof sessionOf>[0]): GovernanceService => new GovernanceService(sessionOf(res));

  router.post('/proposals', writer({ action: 'create a proposal' }), async (req, res) => {
    res.status(201).json(await governance(res).propose(bodyOf(req)));
  });
  router.get('/proposals/:proposalId', async (req, res) => {
    res.json(await governance(res).get(param(req, 'proposalId')));
  });
  router.post('/proposals/:proposalId/votes', writer({ action: 'vote' }), async (req, res) => {
    res.status(201).json(await governance(res).vote(param(req, 'proposalId'), bodyOf(req)));
  });
  router.get('/proposals/:proposalId/votes', async (req, res) => {
    res.json(await governance(res).votes(param(req, 'proposalId'), pageOf(req)));
  });
  router.post('/proposals/:proposalId/closure', writer({ action: 'close a proposal' }), async (req, res) => {
    res.status(201).json(await governance(res).close(param(req, 'proposalId')));
  });
  router.post('/proposals/:proposalId/execution', writer({ action: 'execute a proposal' }), async (req, res) => {
    res.status(201).json(await governance(res).execute(param(req, 'proposalId')));
  });
  router.get('/proposals/:proposalId/history', async (req, res) => {
    res.json(await governance(res).history(param(req, 'proposalId'), pageOf(req)));
  });
  router.get('/models/:modelId/proposals', async (req, res) => {
    res.json(await governance(res).byModel(param(req, 'modelId'), query(req, 'state'), pageOf(req)));
  });
  router.post('/holdings-reindexes', writer({ action: 'reindex holdings' }), async (req, res) => {
    res.status(201).json(await governance(res).reindexHoldings(bodyOf(req)));
  });
  router.get('/models/:modelId/governance-policy', async (req, res) => {
    res.json(await governance(res).policy(param(req, 'modelId')));
  });
  return router;
}
