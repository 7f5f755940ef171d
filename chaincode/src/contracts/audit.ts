import { ContractName } from '@model-ledger/contract';
import { Context, Info, Transaction } from 'fabric-contract-api';
import { LedgerContract } from './base';
import { notFound } from '../errors';
import { mspOfAccount } from '../domain/identity';
import { Keys } from '../domain/keys';
import {
  optionalIsoInstant,
  requireAccountId,
  requireBookmark,
  requireChoice,
  requireId,
  requireMspId,
  requirePageSize,
  requireText,
} from '../domain/validation';
import { accessHistoryValue, accessKeyOf, findAccess, pageOfAccesses } from '../ledger/accesses';
import type { AccessIndex } from '../ledger/accesses';
import { requireAccountReader, requireReader, requireRegulator } from '../ledger/authz';
import { requireLicense, requireModel, requireOffering } from '../ledger/loads';
import { pageOfPurchases } from '../ledger/purchases';
import { royaltyPayments } from '../ledger/royalties';
import { answeredRequest } from '../ledger/requests';
import { Tx } from '../ledger/tx';
import { result } from './result';

/** Kinds of asset whose key history `GetAssetHistory` returns. */
const ASSET_TYPES = ['model', 'modelVersion', 'offering', 'license', 'balance', 'access'] as const;

/** Arguments shared by every time-bounded, paginated audit query. */
interface Window {
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly pageSize: number;
  readonly bookmark: string;
}

function window(from: string, to: string, pageSize: string, bookmark: string): Window {
  return {
    from: optionalIsoInstant('from', from),
    to: optionalIsoInstant('to', to),
    pageSize: requirePageSize('pageSize', pageSize),
    bookmark: requireBookmark('bookmark', bookmark),
  };
}

async function accessPage(tx: Tx, index: AccessIndex, subject: string, win: Window): Promise<string> {
  return result(await pageOfAccesses(tx, index, subject, win));
}

/**
 * Read-only audit queries, paginated with bookmarks over key-range indexes
 * (the state database is LevelDB). Times are ISO instants bounding [from, to);
 * empty means unbounded. Regulators may run every query; members see what
 * concerns their own org. Paginated queries are evaluate-only in Fabric.
 */
@Info({ title: ContractName.audit, description: 'Audit queries over access records, purchases, royalties and history' })
export class AuditContract extends LedgerContract {
  constructor() {
    super(ContractName.audit);
  }

  /**
   * The caller's own request of this request id: which call answered it, in
   * which transaction, and its result. A client (or the gateway) asks before
   * retrying a write it never saw the answer of. Any caller, for its own ids.
   */
  @Transaction(false)
  async GetRequest(ctx: Context, requestId: string): Promise<string> {
    const tx = new Tx(ctx);
    const record = await answeredRequest(tx, requestId);
    if (record === undefined) {
      throw notFound('request', requestId);
    }
    return result(record);
  }

  /** Access records of a model, oldest first. The model owner's org or a regulator. */
  @Transaction(false)
  async ListAccessByModel(ctx: Context, modelId: string, from: string, to: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const model = await requireModel(tx, requireId('modelId', modelId));
    requireReader(tx.caller, [model.ownerMspId], `the accesses of model ${model.modelId}`);
    return accessPage(tx, 'model', model.modelId, window(from, to, pageSize, bookmark));
  }

  /** Access records made by callers of a licensee org. That org or a regulator. */
  @Transaction(false)
  async ListAccessByOrg(ctx: Context, mspId: string, from: string, to: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const org = requireMspId('mspId', mspId);
    requireReader(tx.caller, [org], `the accesses of ${org}`);
    return accessPage(tx, 'org', org, window(from, to, pageSize, bookmark));
  }

  /** Access records made by one caller account. The caller's org or a regulator. */
  @Transaction(false)
  async ListAccessByCaller(ctx: Context, account: string, from: string, to: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const id = requireAccountId('account', account);
    requireAccountReader(tx.caller, id, 'the accesses of this caller');
    return accessPage(tx, 'caller', id, window(from, to, pageSize, bookmark));
  }

  /** Access records of one licence. The holder's org, the model owner's org or a regulator. */
  @Transaction(false)
  async ListAccessByLicense(
    ctx: Context,
    licenseId: string,
    from: string,
    to: string,
    pageSize: string,
    bookmark: string,
  ): Promise<string> {
    const tx = new Tx(ctx);
    const license = await requireLicense(tx, requireId('licenseId', licenseId));
    const model = await requireModel(tx, license.modelId);
    requireReader(tx.caller, [mspOfAccount(license.holder), model.ownerMspId], `the accesses of licence ${license.licenseId}`);
    return accessPage(tx, 'license', license.licenseId, window(from, to, pageSize, bookmark));
  }

  /** Every access record in a time range, across all orgs. Regulators only. */
  @Transaction(false)
  async ListAccessByTime(ctx: Context, from: string, to: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    requireRegulator(tx.caller, 'accesses across all organisations');
    return accessPage(tx, 'time', '', window(from, to, pageSize, bookmark));
  }

  /** Purchases of an offering, oldest first. The offering owner's org or a regulator. */
  @Transaction(false)
  async ListPurchasesByOffering(
    ctx: Context,
    offeringId: string,
    from: string,
    to: string,
    pageSize: string,
    bookmark: string,
  ): Promise<string> {
    const tx = new Tx(ctx);
    const offering = await requireOffering(tx, requireId('offeringId', offeringId));
    requireReader(tx.caller, [offering.ownerMspId], `the purchases of offering ${offering.offeringId}`);
    const win = window(from, to, pageSize, bookmark);
    return result(await pageOfPurchases(tx, offering.offeringId, win));
  }

  /** Royalty payments to one beneficiary, oldest first. The beneficiary's org or a regulator. */
  @Transaction(false)
  async ListRoyaltyPayments(ctx: Context, account: string, from: string, to: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const id = requireAccountId('account', account);
    requireAccountReader(tx.caller, id, 'the royalty payments of this account');
    const win = window(from, to, pageSize, bookmark);
    return result(await royaltyPayments(tx, id, undefined, win.from, win.to, win.pageSize, win.bookmark));
  }

  /**
   * The committed changes of one asset's key, with transaction ids and
   * times, oldest first, one page at a time (the bookmark counts the entries
   * before the page), so a record can be checked against the ledger. `assetType` is one
   * of model, modelVersion (`assetId` = `<modelId>@<version>`), offering,
   * license, balance (`assetId` = account id) or access (`assetId` = tx id).
   * Models and offerings are public; the rest follow the owning orgs, and
   * regulators read everything.
   */
  @Transaction(false)
  async GetAssetHistory(ctx: Context, assetType: string, assetId: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const size = requirePageSize('pageSize', pageSize);
    const mark = requireBookmark('bookmark', bookmark);
    const type = requireChoice('assetType', assetType, ASSET_TYPES);
    const caller = tx.caller;
    switch (type) {
      case 'model':
        return result(await tx.history(Keys.model((await requireModel(tx, requireId('assetId', assetId))).modelId), size, mark));
      case 'modelVersion': {
        const [modelId, version] = requireText('assetId', assetId, 129).split('@');
        return result(await tx.history(Keys.modelVersion(requireId('assetId', modelId), requireId('assetId', version ?? '')), size, mark));
      }
      case 'offering':
        return result(await tx.history(Keys.offering((await requireOffering(tx, requireId('assetId', assetId))).offeringId), size, mark));
      case 'license': {
        const license = await requireLicense(tx, requireId('assetId', assetId));
        const model = await requireModel(tx, license.modelId);
        requireReader(caller, [mspOfAccount(license.holder), model.ownerMspId], `licence ${license.licenseId}`);
        return result(await tx.history(Keys.license(license.licenseId), size, mark));
      }
      case 'balance': {
        const account = requireAccountId('assetId', assetId);
        requireAccountReader(caller, account, 'the balance history of this account');
        return result(await tx.history(Keys.balance(account), size, mark));
      }
      case 'access': {
        const id = requireText('assetId', assetId, 128);
        const record = await findAccess(tx, id);
        if (record === undefined) {
          throw notFound('access record', id);
        }
        const model = await requireModel(tx, record.modelId);
        requireReader(caller, [record.callerMspId, mspOfAccount(record.holder), model.ownerMspId], `access record ${id}`);
        return result(await tx.history(accessKeyOf(id), size, mark, accessHistoryValue(id)));
      }
    }
  }
}
