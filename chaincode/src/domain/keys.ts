/**
 * Ledger keys, built in one place.
 *
 * Keys are simple (not Fabric composite) keys made of `/`-separated parts:
 * Fabric's range queries reject composite keys, and bounded time ranges need
 * range queries. Ids, account ids and MSP ids are validated to exclude `/`,
 * and timestamps are fixed-width ISO strings, so lexicographic key order is
 * (prefix, time, transaction id) order. Every hot-path key is unique per
 * transaction; see README.md for which transaction writes which key.
 */

const SEP = '/';
/** Sorts after every character used in keys; closes a prefix range. */
const HIGH = '\u{10ffff}';

function key(...parts: readonly string[]): string {
  return parts.join(SEP);
}

/** A half-open key range [start, end). */
export interface KeyRange {
  readonly start: string;
  readonly end: string;
}

/** All keys under a prefix, optionally bounded by [from, to) on the next part (an ISO time). */
export function prefixRange(prefix: readonly string[], from?: string, to?: string): KeyRange {
  const base = key(...prefix) + SEP;
  return { start: base + (from ?? ''), end: to === undefined ? base + HIGH : base + to };
}

/** The part of a range after `afterKey` (exclusive): for walking a range over several transactions. */
export function rangeAfter(range: KeyRange, afterKey: string): KeyRange {
  return { start: afterKey + '\u0000', end: range.end };
}

export const Keys = {
  /** Model header: owner, metadata, active version, royalty policy. */
  model: (modelId: string): string => key('model', modelId),
  /** Prefix of all models, for the catalogue listing. */
  models: (): readonly string[] => ['model'],
  /** One version of a model; immutable once written. */
  modelVersion: (modelId: string, version: string): string => key('modelver', modelId, version),
  modelVersions: (modelId: string): readonly string[] => ['modelver', modelId],
  /** Offering header: status, supply cap, current terms version. */
  offering: (offeringId: string): string => key('offer', offeringId),
  /** Index of offerings by model. */
  offeringByModel: (modelId: string, offeringId: string): string => key('offermodel', modelId, offeringId),
  offeringsByModel: (modelId: string): readonly string[] => ['offermodel', modelId],
  /** Immutable terms snapshot; version is zero-padded so versions sort. */
  terms: (offeringId: string, version: number): string => key('terms', offeringId, version.toString().padStart(6, '0')),
  /**
   * Units an offering sold before its supply was sharded (read, never
   * written): a ledger from before counts them as sold, outside every shard.
   */
  sold: (offeringId: string): string => key('sold', offeringId),
  /** Units sold from one shard of an offering's supply; written lazily by the purchases that draw on it. */
  supplyShard: (offeringId: string, shard: number): string => key('sold', offeringId, shard.toString().padStart(3, '0')),
  supplyShardsOf: (offeringId: string): readonly string[] => ['sold', offeringId],
  /** Payment-token total supply; rewritten by Mint and Burn only. */
  supply: (): string => key('token', 'supply'),
  /** Payment-token balance of an account. */
  balance: (account: string): string => key('bal', account),
  /** Licence header; written at purchase, never by accesses. */
  license: (licenseId: string): string => key('lic', licenseId),
  /** One lot of a licence's units; written lazily by the accesses that consume it. */
  lot: (licenseId: string, index: number): string => key('lot', licenseId, index.toString().padStart(4, '0')),
  lotsOf: (licenseId: string): readonly string[] => ['lot', licenseId],
  /** Immutable record of a term licence's unused units settled after its expiry. */
  expirySettlement: (licenseId: string, txId: string): string => key('expiry', licenseId, txId),
  /** Immutable record of an access refunded by the model owner; at most one per access. */
  refund: (accessId: string): string => key('refund', accessId),
  /** Index of licences by holder. */
  licenseByHolder: (holder: string, licenseId: string): string => key('holder', holder, licenseId),
  licensesByHolder: (holder: string): readonly string[] => ['holder', holder],
  /** Index of licences by holder and model: what governance weighs a holder's units by. */
  licenseByHolderModel: (holder: string, modelId: string, licenseId: string): string => key('holdermodel', holder, modelId, licenseId),
  licensesByHolderModel: (holder: string, modelId: string): readonly string[] => ['holdermodel', holder, modelId],
  /** Purchase record, by offering and time. */
  purchase: (offeringId: string, at: string, txId: string): string => key('pur', offeringId, at, txId),
  purchasesByOffering: (offeringId: string): readonly string[] => ['pur', offeringId],
  /** A client request id's first answer, scoped to the submitting identity (ledger/requests.ts). */
  request: (caller: string, requestId: string): string => key('req', caller, requestId),
  /** A CA root of a member org (OrgRootRecord), by its certificate's fingerprint. */
  orgRoot: (mspId: string, fingerprint: string): string => key('orgroot', mspId, fingerprint),
  orgRootsOf: (mspId: string): readonly string[] => ['orgroot', mspId],
  /** A batch of accesses (AccessBatchRecord), keyed by its transaction id; its index rows point here with the positions they cover. */
  accessBatch: (txId: string): string => key('accbatch', txId),
  /** Immutable access record, keyed by transaction id. */
  access: (txId: string): string => key('access', txId),
  accessByModel: (modelId: string, at: string, txId: string): string => key('accmodel', modelId, at, txId),
  accessesByModel: (modelId: string): readonly string[] => ['accmodel', modelId],
  accessByOrg: (mspId: string, at: string, txId: string): string => key('accorg', mspId, at, txId),
  accessesByOrg: (mspId: string): readonly string[] => ['accorg', mspId],
  accessByCaller: (account: string, at: string, txId: string): string => key('acccaller', account, at, txId),
  accessesByCaller: (account: string): readonly string[] => ['acccaller', account],
  accessByTime: (at: string, txId: string): string => key('acctime', at, txId),
  accessesByTime: (): readonly string[] => ['acctime'],
  accessByLicense: (licenseId: string, at: string, txId: string): string => key('acclic', licenseId, at, txId),
  accessesByLicense: (licenseId: string): readonly string[] => ['acclic', licenseId],
  /** Unclaimed royalty delta row; deleted when claimed. */
  accrual: (account: string, at: string, txId: string, index: number): string =>
    key('accrual', account, at, txId, index.toString().padStart(3, '0')),
  accrualsOf: (account: string): readonly string[] => ['accrual', account],
  /** Immutable royalty payment row, for statements and audit. */
  royaltyPayment: (account: string, at: string, txId: string, index: number): string =>
    key('roypay', account, at, txId, index.toString().padStart(3, '0')),
  royaltyPaymentsOf: (account: string): readonly string[] => ['roypay', account],
  /** Claim record. */
  claim: (account: string, at: string, txId: string): string => key('claim', account, at, txId),
  claimsOf: (account: string): readonly string[] => ['claim', account],
  /** Listing header: seller, items (the locked units and their escrow), status. Rewritten only by buys and cancel of that listing. */
  listing: (listingId: string): string => key('listing', listingId),
  /** Index of open listings by model; deleted when the listing closes. */
  openListing: (modelId: string, listingId: string): string => key('listopen', modelId, listingId),
  openListingsOf: (modelId: string): readonly string[] => ['listopen', modelId],
  /** Index of every listing by seller. */
  listingBySeller: (seller: string, listingId: string): string => key('listseller', seller, listingId),
  listingsBySeller: (seller: string): readonly string[] => ['listseller', seller],
  /** Units that left a licence to a listing or a transfer (negative when a cancel returns them). */
  licenseOutflow: (licenseId: string, txId: string): string => key('licout', licenseId, txId),
  licenseOutflows: (licenseId: string): readonly string[] => ['licout', licenseId],
  /** Immutable trade record, by model (a bundle writes one row per model) and by account. */
  tradeByModel: (modelId: string, at: string, txId: string): string => key('trade', modelId, at, txId),
  tradesByModel: (modelId: string): readonly string[] => ['trade', modelId],
  tradeByAccount: (account: string, at: string, txId: string): string => key('tradeacct', account, at, txId),
  tradesByAccount: (account: string): readonly string[] => ['tradeacct', account],
  /** A parent model owner's consent to a child model paying it less (lineage consent); rewritten only by that owner. */
  lineageConsent: (modelId: string, parentModelId: string): string => key('lineageconsent', modelId, parentModelId),
  /** Proposal header; rewritten only when it closes or executes, never by votes. */
  proposal: (proposalId: string): string => key('prop', proposalId),
  /** Index of proposals by model, and by model and state (moved when the state changes). */
  proposalByModel: (modelId: string, proposalId: string): string => key('propmodel', modelId, proposalId),
  proposalsByModel: (modelId: string): readonly string[] => ['propmodel', modelId],
  proposalByState: (modelId: string, state: string, proposalId: string): string => key('propstate', modelId, state, proposalId),
  proposalsByState: (modelId: string, state: string): readonly string[] => ['propstate', modelId, state],
  /** One vote; unique per proposal and voter, so concurrent votes never share a key. */
  vote: (proposalId: string, voter: string): string => key('vote', proposalId, voter),
  votesOf: (proposalId: string): readonly string[] => ['vote', proposalId],
  /** A licence's vote on a proposal; its units may not move until `until`. */
  voteLock: (licenseId: string, proposalId: string): string => key('votelock', licenseId, proposalId),
  voteLocksOf: (licenseId: string): readonly string[] => ['votelock', licenseId],
} as const;
