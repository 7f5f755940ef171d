/**
 * One typed client per chaincode contract. Each method owns its transaction's
 * name, the order of its string arguments and the type of its answer; how a
 * call reaches the peers (which identity signs, deadlines, retries, which orgs
 * endorse) is the `Transport`'s business. The gateway, the bench and the tests
 * each bring their own transport and share these classes.
 */
import type {
  AccessRecord,
  ClaimRecord,
  ExpirySettlementRecord,
  HistoryEntry,
  LicenseRecord,
  LineageConsentRecord,
  ListingRecord,
  ModelRecord,
  ModelVersionRecord,
  OfferingRecord,
  OrgRootRecord,
  Page,
  ProposalChange,
  ProposalRecord,
  PurchaseRecord,
  RefundRecord,
  RequestRecord,
  RoyaltyPolicy,
  RoyaltyRow,
  TermsSnapshot,
  TradeRecord,
  TransferRecord,
  VoteChoice,
  VoteRecord,
} from './records';
import type {
  Accrued,
  Balance,
  BaselineWrite,
  BatchedAccessView,
  Burned,
  CallerView,
  Entitlement,
  ExecutedProposal,
  GovernanceView,
  LicenseView,
  Minted,
  ModelView,
  OfferingView,
  ProposalView,
  PublishedOffering,
  Reindexed,
  TotalSupply,
  Transferred,
} from './views';
import type { AccessBatchInput, AccessBatchRecord, BatchResult } from './batch';

/** The contracts the chaincode serves, by the name a client calls them with. */
export const ContractName = {
  model: 'ModelContract',
  offering: 'OfferingContract',
  token: 'TokenContract',
  license: 'LicenseContract',
  royalty: 'RoyaltyContract',
  audit: 'AuditContract',
  market: 'MarketContract',
  governance: 'GovernanceContract',
  member: 'MemberContract',
  /** Served only by the benchmark build of the chaincode (`MLL_CHAINCODE_BENCH=1`). */
  baseline: 'BaselineContract',
} as const;

export type ContractName = (typeof ContractName)[keyof typeof ContractName];

/** How a stored client request names the call that answered it (`RequestRecord.call`), e.g. `LicenseContract.RecordAccess`. */
export function callName(contract: ContractName, transaction: string): string {
  return `${contract}.${transaction}`;
}

/** One transaction of one contract with its arguments, in the chaincode's order. */
export interface Call {
  readonly contract: ContractName;
  readonly transaction: string;
  readonly args: readonly string[];
}

/** A write. */
export interface WriteCall extends Call {
  /**
   * The client request id the write carries as its last argument, when the
   * caller gave one: the chaincode answers an id at most once, and a retry
   * with it returns the first answer and changes nothing.
   */
  readonly requestId?: string;
}

/** A write as the orderer and the peers settled it. */
export interface Committed {
  /** The chaincode's answer, canonical JSON. */
  readonly result: Uint8Array;
  readonly transactionId: string;
  readonly blockNumber: bigint;
  /** True when the chaincode had answered the request id before: the result and ids are the first transaction's. */
  readonly replayed?: boolean;
}

/** A committed write with its decoded answer. */
export interface Written<T> extends Committed {
  readonly data: T;
}

/** How calls reach the ledger. */
export interface Transport {
  /** Runs a query on a peer; nothing is ordered. Throws the transport's error for a chaincode refusal. */
  evaluate(call: Call): Promise<Uint8Array>;
  /** Endorses, orders and waits for the commit of a write. */
  submit(call: WriteCall): Promise<Committed>;
}

/** Which page of a paginated query: the page size and the bookmark the previous page ended at. */
export interface PageArgs {
  readonly pageSize: number;
  /** Empty or absent for the first page. */
  readonly bookmark?: string;
}

/** A time window, ISO 8601 instants: `from` inclusive, `to` exclusive; absent is unbounded. */
export interface Window {
  readonly from?: string;
  readonly to?: string;
}

/** An amount or a unit count: a decimal string on the wire. */
export type Amount = string | bigint | number;

const utf8 = new TextDecoder();

/** Parses a chaincode answer: the chaincode writes canonical JSON of the declared type. */
export function decodeResult<T>(bytes: Uint8Array): T {
  return JSON.parse(utf8.decode(bytes)) as T;
}

const page = (p: PageArgs): string[] => [String(p.pageSize), p.bookmark ?? ''];
const window = (w: Window): string[] => [w.from ?? '', w.to ?? ''];

/** What every contract client shares: building calls and decoding answers. */
abstract class ContractClient {
  protected abstract readonly contract: ContractName;

  constructor(protected readonly transport: Transport) {}

  protected async query<T>(transaction: string, ...args: string[]): Promise<T> {
    return decodeResult<T>(await this.transport.evaluate({ contract: this.contract, transaction, args }));
  }

  protected async write<T>(transaction: string, ...args: string[]): Promise<Written<T>> {
    const committed = await this.transport.submit({ contract: this.contract, transaction, args });
    return { ...committed, data: decodeResult<T>(committed.result) };
  }

  /** A write that takes a client request id as its last argument (none when undefined). */
  protected async request<T>(transaction: string, requestId: string | undefined, ...args: string[]): Promise<Written<T>> {
    const call: WriteCall = {
      contract: this.contract,
      transaction,
      args: [...args, requestId ?? ''],
      ...(requestId === undefined ? {} : { requestId }),
    };
    const committed = await this.transport.submit(call);
    return { ...committed, data: decodeResult<T>(committed.result) };
  }
}

/** Input of `RegisterModel`. */
export interface RegisterModelInput {
  readonly name: string;
  readonly description: string;
  readonly task: string;
  readonly intendedUse: string;
  readonly version: string;
  readonly artifactSha256: string;
  readonly artifactUri: string;
  readonly inferenceEndpoint: string;
  /** The policy object, or its JSON (passed through unchanged, so malformed JSON reaches the chaincode's validation). */
  readonly royaltyPolicy: RoyaltyPolicy | string | object;
}

/** Input of `AddModelVersion`. */
export interface AddModelVersionInput {
  readonly modelId: string;
  readonly version: string;
  readonly artifactSha256: string;
  readonly artifactUri: string;
  readonly inferenceEndpoint: string;
}

const json = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** `ModelContract`: the model catalogue, versions, royalty policies and lineage consents. */
export class ModelClient extends ContractClient {
  protected readonly contract = ContractName.model;

  registerModel(input: RegisterModelInput): Promise<Written<ModelRecord>> {
    const i = input;
    return this.write(
      'RegisterModel',
      i.name,
      i.description,
      i.task,
      i.intendedUse,
      i.version,
      i.artifactSha256,
      i.artifactUri,
      i.inferenceEndpoint,
      json(i.royaltyPolicy),
    );
  }

  addModelVersion(i: AddModelVersionInput): Promise<Written<ModelVersionRecord>> {
    return this.write('AddModelVersion', i.modelId, i.version, i.artifactSha256, i.artifactUri, i.inferenceEndpoint);
  }

  setActiveVersion(modelId: string, version: string): Promise<Written<ModelRecord>> {
    return this.write('SetActiveVersion', modelId, version);
  }

  setRoyaltyPolicy(modelId: string, royaltyPolicy: RoyaltyPolicy | string | object): Promise<Written<ModelRecord>> {
    return this.write('SetRoyaltyPolicy', modelId, json(royaltyPolicy));
  }

  consentLineageChange(modelId: string, parentModelId: string, shareBps: number | string): Promise<Written<LineageConsentRecord>> {
    return this.write('ConsentLineageChange', modelId, parentModelId, String(shareBps));
  }

  getModel(modelId: string): Promise<ModelView> {
    return this.query('GetModel', modelId);
  }

  getModelVersion(modelId: string, version: string): Promise<ModelVersionRecord> {
    return this.query('GetModelVersion', modelId, version);
  }

  listModels(p: PageArgs): Promise<Page<ModelRecord>> {
    return this.query('ListModels', ...page(p));
  }

  getModelHistory(modelId: string, p: PageArgs): Promise<Page<HistoryEntry>> {
    return this.query('GetModelHistory', modelId, ...page(p));
  }
}

/** The status changes an offering's owner may make, by the status they lead to. */
const STATUS_TRANSACTIONS = { paused: 'PauseOffering', active: 'ResumeOffering', retired: 'RetireOffering' } as const;

/** `OfferingContract`: offerings and their immutable terms snapshots. */
export class OfferingClient extends ContractClient {
  protected readonly contract = ContractName.offering;

  /** Publishes an offering: the offering object as the API takes it, or its JSON. */
  publishOffering(modelId: string, offering: object | string): Promise<Written<PublishedOffering>> {
    return this.write('PublishOffering', modelId, json(offering));
  }

  /** Pauses, resumes or retires an offering. */
  setStatus(offeringId: string, status: keyof typeof STATUS_TRANSACTIONS): Promise<Written<OfferingRecord>> {
    return this.write(STATUS_TRANSACTIONS[status], offeringId);
  }

  getOffering(offeringId: string): Promise<OfferingView> {
    return this.query('GetOffering', offeringId);
  }

  getTerms(offeringId: string, version: number | string): Promise<TermsSnapshot> {
    return this.query('GetTerms', offeringId, String(version));
  }

  listOfferingsByModel(modelId: string, p: PageArgs): Promise<Page<OfferingRecord>> {
    return this.query('ListOfferingsByModel', modelId, ...page(p));
  }
}

/** `TokenContract`: the payment token. */
export class TokenClient extends ContractClient {
  protected readonly contract = ContractName.token;

  mint(input: { to: string; amount: Amount; requestId?: string }): Promise<Written<Minted>> {
    return this.request('Mint', input.requestId, input.to, String(input.amount));
  }

  burn(input: { amount: Amount; requestId?: string }): Promise<Written<Burned>> {
    return this.request('Burn', input.requestId, String(input.amount));
  }

  transfer(input: { from: string; to: string; amount: Amount; requestId?: string }): Promise<Written<Transferred>> {
    return this.request('Transfer', input.requestId, input.from, input.to, String(input.amount));
  }

  getBalance(account: string): Promise<Balance> {
    return this.query('GetBalance', account);
  }

  getTotalSupply(): Promise<TotalSupply> {
    return this.query('GetTotalSupply');
  }

  whoAmI(): Promise<CallerView> {
    return this.query('WhoAmI');
  }

  getBalanceHistory(account: string, p: PageArgs): Promise<Page<HistoryEntry>> {
    return this.query('GetBalanceHistory', account, ...page(p));
  }
}

/** Input of `RecordAccess`. */
export interface RecordAccessInput {
  readonly licenseId: string;
  readonly units?: Amount;
  readonly purpose: string;
  /** sha256 hex of the inference request the access pays for. */
  readonly requestHash: string;
  /** The lot to start taking units from; absent lets the chaincode pick from the transaction id. */
  readonly lotHint?: number | string;
  /** The artifact digest the model server reported; absent when nothing was served yet. */
  readonly servedArtifactSha256?: string;
  readonly requestId?: string;
}

/** `LicenseContract`: purchases, accesses, refunds and expiry. */
export class LicenseClient extends ContractClient {
  protected readonly contract = ContractName.license;

  /** `supplyHint`: the shard of the offering's supply to draw from first; distinct hints keep concurrent purchases apart. */
  purchaseLicense(input: {
    offeringId: string;
    units: Amount;
    payer: string;
    supplyHint?: number | string;
    requestId?: string;
  }): Promise<Written<PurchaseRecord>> {
    const hint = input.supplyHint === undefined ? '' : String(input.supplyHint);
    return this.request('PurchaseLicense', input.requestId, input.offeringId, String(input.units), input.payer, hint);
  }

  recordAccess(i: RecordAccessInput): Promise<Written<AccessRecord>> {
    const hint = i.lotHint === undefined ? '' : String(i.lotHint);
    return this.request(
      'RecordAccess',
      i.requestId,
      i.licenseId,
      String(i.units ?? 1),
      i.purpose,
      i.requestHash,
      hint,
      i.servedArtifactSha256 ?? '',
    );
  }

  settleExpiredLicense(licenseId: string): Promise<Written<ExpirySettlementRecord>> {
    return this.write('SettleExpiredLicense', licenseId);
  }

  refundAccess(accessId: string, reason: string): Promise<Written<RefundRecord>> {
    return this.write('RefundAccess', accessId, reason);
  }

  getAccessRefund(accessId: string): Promise<RefundRecord> {
    return this.query('GetAccessRefund', accessId);
  }

  checkEntitlement(licenseId: string, units: Amount, purpose: string): Promise<Entitlement> {
    return this.query('CheckEntitlement', licenseId, String(units), purpose);
  }

  getLicense(licenseId: string): Promise<LicenseView> {
    return this.query('GetLicense', licenseId);
  }

  listLicensesByHolder(holder: string, p: PageArgs): Promise<Page<LicenseRecord>> {
    return this.query('ListLicensesByHolder', holder, ...page(p));
  }

  getAccessRecord(accessId: string): Promise<AccessRecord> {
    return this.query('GetAccessRecord', accessId);
  }

  /** Records many signed accesses of the submitter's org in one transaction; see `AccessBatchInput`. */
  recordAccessBatch(batch: AccessBatchInput): Promise<Written<BatchResult>> {
    return this.write('RecordAccessBatch', JSON.stringify(batch));
  }

  /** A batch's record: its accesses, root, signatures and certificates. The submitting org or a regulator. */
  getAccessBatch(batchId: string): Promise<AccessBatchRecord> {
    return this.query('GetAccessBatch', batchId);
  }

  /** A batched access with its Merkle receipt, its caller's certificate and signature. */
  getBatchedAccess(accessId: string): Promise<BatchedAccessView> {
    return this.query('GetBatchedAccess', accessId);
  }
}

/** `RoyaltyContract`: accrued royalties, statements and claims. */
export class RoyaltyClient extends ContractClient {
  protected readonly contract = ContractName.royalty;

  /** Claims `self` or `org` accruals up to an instant (absent: everything so far). */
  claimRoyalties(beneficiary: string, upTo?: string): Promise<Written<ClaimRecord>> {
    return this.write('ClaimRoyalties', beneficiary, upTo ?? '');
  }

  getAccruedRoyalties(account: string): Promise<Accrued> {
    return this.query('GetAccruedRoyalties', account);
  }

  getRoyaltyStatement(account: string, filter: Window & { modelId?: string }, p: PageArgs): Promise<Page<RoyaltyRow>> {
    return this.query('GetRoyaltyStatement', account, filter.modelId ?? '', ...window(filter), ...page(p));
  }

  listClaims(account: string, p: PageArgs): Promise<Page<ClaimRecord>> {
    return this.query('ListClaims', account, ...page(p));
  }
}

/** The access indexes an auditor can read, by the subject they are keyed on. */
export type AccessIndex = 'model' | 'org' | 'caller' | 'license';

const ACCESS_INDEX_TRANSACTIONS = {
  model: 'ListAccessByModel',
  org: 'ListAccessByOrg',
  caller: 'ListAccessByCaller',
  license: 'ListAccessByLicense',
} as const satisfies Record<AccessIndex, string>;

/** The kinds of asset whose history `GetAssetHistory` reads. */
export type AssetType = 'model' | 'modelVersion' | 'offering' | 'license' | 'balance' | 'access';

/** `AuditContract`: the audit trail. */
export class AuditClient extends ContractClient {
  protected readonly contract = ContractName.audit;

  /** The caller's own answered request of this id. */
  getRequest(requestId: string): Promise<RequestRecord> {
    return this.query('GetRequest', requestId);
  }

  /** Accesses by model, org (MSP id), caller account or licence, in a time window. */
  listAccessBy(index: AccessIndex, subject: string, w: Window, p: PageArgs): Promise<Page<AccessRecord>> {
    return this.query(ACCESS_INDEX_TRANSACTIONS[index], subject, ...window(w), ...page(p));
  }

  listAccessByTime(w: Window, p: PageArgs): Promise<Page<AccessRecord>> {
    return this.query('ListAccessByTime', ...window(w), ...page(p));
  }

  listPurchasesByOffering(offeringId: string, w: Window, p: PageArgs): Promise<Page<PurchaseRecord>> {
    return this.query('ListPurchasesByOffering', offeringId, ...window(w), ...page(p));
  }

  listRoyaltyPayments(account: string, w: Window, p: PageArgs): Promise<Page<RoyaltyRow>> {
    return this.query('ListRoyaltyPayments', account, ...window(w), ...page(p));
  }

  /** `assetId` is `modelId@version` for a model version. */
  getAssetHistory(assetType: AssetType, assetId: string, p: PageArgs): Promise<Page<HistoryEntry>> {
    return this.query('GetAssetHistory', assetType, assetId, ...page(p));
  }
}

/** A listing's price: per unit for `ListUnits`, for the whole bundle for `ListBundle`. */
export interface ListUnitsInput {
  readonly licenseId: string;
  readonly units: Amount;
  readonly askUnitPrice: Amount;
  /** Only this org's accounts may buy; absent lets any member buy. */
  readonly reservedForMspId?: string;
}

export interface ListBundleInput {
  readonly items: readonly { readonly licenseId: string; readonly units: Amount }[] | string;
  readonly askPrice: Amount;
  readonly reservedForMspId?: string;
}

/** `MarketContract`: listings, trades and transfers of licence units. */
export class MarketClient extends ContractClient {
  protected readonly contract = ContractName.market;

  listUnits(i: ListUnitsInput): Promise<Written<ListingRecord>> {
    return this.write('ListUnits', i.licenseId, String(i.units), String(i.askUnitPrice), i.reservedForMspId ?? '');
  }

  listBundle(i: ListBundleInput): Promise<Written<ListingRecord>> {
    const items =
      typeof i.items === 'string'
        ? i.items
        : JSON.stringify(i.items.map((item) => ({ licenseId: item.licenseId, units: String(item.units) })));
    return this.write('ListBundle', items, String(i.askPrice), i.reservedForMspId ?? '');
  }

  /** Buys a listing: `units` of it (absent: all that is left, or the whole bundle). */
  buyListing(input: { listingId: string; units?: Amount; payer: string; requestId?: string }): Promise<Written<TradeRecord>> {
    return this.request('BuyListing', input.requestId, input.listingId, input.units === undefined ? '' : String(input.units), input.payer);
  }

  cancelListing(listingId: string): Promise<Written<ListingRecord>> {
    return this.write('CancelListing', listingId);
  }

  transferUnits(input: { licenseId: string; units: Amount; to: string; requestId?: string }): Promise<Written<TransferRecord>> {
    return this.request('TransferUnits', input.requestId, input.licenseId, String(input.units), input.to);
  }

  getListing(listingId: string): Promise<ListingRecord> {
    return this.query('GetListing', listingId);
  }

  listOpenListingsByModel(modelId: string, p: PageArgs): Promise<Page<ListingRecord>> {
    return this.query('ListOpenListingsByModel', modelId, ...page(p));
  }

  listListingsBySeller(seller: string, p: PageArgs): Promise<Page<ListingRecord>> {
    return this.query('ListListingsBySeller', seller, ...page(p));
  }

  listTradesByModel(modelId: string, w: Window, p: PageArgs): Promise<Page<TradeRecord>> {
    return this.query('ListTradesByModel', modelId, ...window(w), ...page(p));
  }

  listTradesByAccount(account: string, w: Window, p: PageArgs): Promise<Page<TradeRecord>> {
    return this.query('ListTradesByAccount', account, ...window(w), ...page(p));
  }
}

/** Input of `CreateProposal`. */
export interface CreateProposalInput {
  readonly modelId: string;
  /** The change object, or its JSON. */
  readonly change: ProposalChange | object | string;
  readonly description: string;
  readonly votingSeconds: number | string;
  /** `self` or `org`: whose holdings back the proposal. */
  readonly proposer: string;
}

/** `GovernanceContract`: token-holder proposals and votes. */
export class GovernanceClient extends ContractClient {
  protected readonly contract = ContractName.governance;

  createProposal(i: CreateProposalInput): Promise<Written<ProposalRecord>> {
    return this.write('CreateProposal', i.modelId, json(i.change), i.description, String(i.votingSeconds), i.proposer);
  }

  castVote(proposalId: string, choice: VoteChoice, voter: string): Promise<Written<VoteRecord>> {
    return this.write('CastVote', proposalId, choice, voter);
  }

  closeProposal(proposalId: string): Promise<Written<ProposalRecord>> {
    return this.write('CloseProposal', proposalId);
  }

  executeProposal(proposalId: string): Promise<Written<ExecutedProposal>> {
    return this.write('ExecuteProposal', proposalId);
  }

  /** One bounded pass over a holder's licences, from after `after` (absent: the start). */
  reindexHoldings(holder: string, after?: string): Promise<Written<Reindexed>> {
    return this.write('ReindexHoldings', holder, after ?? '');
  }

  getProposal(proposalId: string): Promise<ProposalView> {
    return this.query('GetProposal', proposalId);
  }

  listProposalsByModel(modelId: string, state: string | undefined, p: PageArgs): Promise<Page<ProposalRecord>> {
    return this.query('ListProposalsByModel', modelId, state ?? '', ...page(p));
  }

  listVotes(proposalId: string, p: PageArgs): Promise<Page<VoteRecord>> {
    return this.query('ListVotes', proposalId, ...page(p));
  }

  getProposalHistory(proposalId: string, p: PageArgs): Promise<Page<HistoryEntry>> {
    return this.query('GetProposalHistory', proposalId, ...page(p));
  }

  getGovernancePolicy(modelId: string): Promise<GovernanceView> {
    return this.query('GetGovernancePolicy', modelId);
  }
}

/** `BaselineContract`: the benchmark's one blind write. Only the benchmark build of the chaincode serves it. */
export class BaselineClient extends ContractClient {
  protected readonly contract = ContractName.baseline;

  put(value: string): Promise<Written<BaselineWrite>> {
    return this.write('Put', value);
  }
}

/** `MemberContract`: member orgs' CA roots, registered on the ledger for the checks the chaincode makes itself. */
export class MemberClient extends ContractClient {
  protected readonly contract = ContractName.member;

  /** Registers a CA root (PEM) of the caller's org that issued the caller's own certificate. Role admin. */
  registerOrgRoot(certificatePem: string): Promise<Written<OrgRootRecord>> {
    return this.write('RegisterOrgRoot', certificatePem);
  }

  listOrgRoots(mspId: string): Promise<OrgRootRecord[]> {
    return this.query('ListOrgRoots', mspId);
  }
}

/** Every contract client over one transport. */
export class LedgerClient {
  readonly model: ModelClient;
  readonly offering: OfferingClient;
  readonly token: TokenClient;
  readonly license: LicenseClient;
  readonly royalty: RoyaltyClient;
  readonly audit: AuditClient;
  readonly market: MarketClient;
  readonly governance: GovernanceClient;
  readonly member: MemberClient;
  readonly baseline: BaselineClient;

  constructor(readonly transport: Transport) {
    this.model = new ModelClient(transport);
    this.offering = new OfferingClient(transport);
    this.token = new TokenClient(transport);
    this.license = new LicenseClient(transport);
    this.royalty = new RoyaltyClient(transport);
    this.audit = new AuditClient(transport);
    this.market = new MarketClient(transport);
    this.governance = new GovernanceClient(transport);
    this.member = new MemberClient(transport);
    this.baseline = new BaselineClient(transport);
  }
}
