import type { AssetType } from '@model-ledger/contract';
import { Router } from 'express';
import { callerOf, param, query, requestIdsOf, sessionOf, windowOf } from '../http/context';
import { sendList } from '../http/lists';
import { certificateView, isReadOnly, isRegulator } from '../fabric/identity';
import type { Ledger } from '../fabric/ledger';
import { AuditService } from '../services/audit';
import { ProofService } from '../services/proofs';
import { TokenService } from '../services/tokens';
import { TransactionService } from '../services/transactions';

/** /v1/audit, /v1/transactions and /v1/me: read-only routes every role may call. */
export function auditRoutes(ledger: Ledger): Router {
  const router = Router();
  router.get('/me', async (req, res) => {
    const { user } = callerOf(res);
    const ledgerView = await new TokenService(sessionOf(res), requestIdsOf(req, res, ledger)).whoAmI();
    // Role, regulator and read-only follow the chaincode's rules (fabric/identity.ts); the raw attributes show why an offering's requiredAttributes refuse a caller.
    res.json({
      user: user.name,
      org: user.org,
      ...ledgerView,
      role: user.role,
      regulator: isRegulator(user),
      readOnly: isReadOnly(user),
      attributes: user.attributes,
      certificate: certificateView(user.identity.credentials),
    });
  });
  router.get('/audit/accesses', async (req, res) => {
    const filter = {
      modelId: query(req, 'modelId'),
      mspId: query(req, 'mspId'),
      caller: query(req, 'caller'),
      licenseId: query(req, 'licenseId'),
    };
    const window = windowOf(req);
    await sendList(req, res, (session, page) => new AuditService(session).accesses(filter, window, page));
  });
  router.get('/audit/history/:assetType/:assetId', async (req, res) => {
    // The OpenAPI validator has checked it against the spec's enum of asset types.
    const assetType = param(req, 'assetType') as AssetType;
    await sendList(req, res, (session, page) => new AuditService(session).assetHistory(assetType, param(req, 'assetId'), page));
  });
  router.get('/audit/proofs/:transactionId', async (req, res) => {
    const caller = callerOf(res);
    res.json(await new ProofService(ledger, caller.session, caller.user).prove(param(req, 'transactionId')));
  });
  router.get('/transactions/:transactionId', async (req, res) => {
    res.json(await new TransactionService(ledger, sessionOf(res)).status(param(req, 'transactionId')));
  });
  return router;
}
