/**
 * Chaincode event names. Fabric keeps one event per transaction; every
 * state-changing transaction sets exactly one, with a canonical JSON payload
 * documented beside each name (and in README.md).
 */
export const Events = {
  /** Payload: the ModelRecord. */
  ModelRegistered: 'ModelRegistered',
  /** Payload: the ModelVersionRecord. */
  ModelVersionAdded: 'ModelVersionAdded',
  /** Payload: `{ modelId, activeVersion, previousVersion, txId }`. */
  ActiveVersionSet: 'ActiveVersionSet',
  /** Payload: `{ modelId, royaltyPolicy, txId }`. */
  RoyaltyPolicySet: 'RoyaltyPolicySet',
  /** Payload: the LineageConsentRecord. */
  LineageChangeConsented: 'LineageChangeConsented',
  /** Payload: `{ offering, terms }` (OfferingRecord and LicenseTerms). */
  OfferingPublished: 'OfferingPublished',
  /** Payload: `{ offeringId, modelId, status, previousStatus, txId }`. */
  OfferingStatusChanged: 'OfferingStatusChanged',
  /** Payload: `{ to, amount, totalSupply, txId }`. */
  TokensMinted: 'TokensMinted',
  /** Payload: `{ from, amount, totalSupply, txId }`. */
  TokensBurned: 'TokensBurned',
  /** Payload: `{ from, to, amount, txId }`. */
  TokensTransferred: 'TokensTransferred',
  /** Payload: the PurchaseRecord. */
  LicensePurchased: 'LicensePurchased',
  /** Payload: the AccessRecord (with its royalty shares). */
  AccessRecorded: 'AccessRecorded',
  /**
   * Payload: `{ batchId, mspId, merkleRoot, recorded, refused, replayed,
   * accessIds, licenseIds, modelIds, ownerMspIds, txId }`; each recorded
   * access is read by its id. Set only when the batch recorded something.
   */
  AccessBatchRecorded: 'AccessBatchRecorded',
  /** Payload: the OrgRootRecord. */
  OrgRootRegistered: 'OrgRootRegistered',
  /** Payload: the ExpirySettlementRecord (units settled and the holder's refund). */
  LicenseExpirySettled: 'LicenseExpirySettled',
  /** Payload: the RefundRecord. */
  AccessRefunded: 'AccessRefunded',
  /** Payload: the ClaimRecord. */
  RoyaltiesClaimed: 'RoyaltiesClaimed',
  /** Payload: the ListingRecord as listed. */
  ListingCreated: 'ListingCreated',
  /** Payload: the TradeRecord (price, royalty shares, proceeds, new licences). */
  ListingPurchased: 'ListingPurchased',
  /** Payload: `{ listingId, seller, returned: [{ licenseId, units }], txId }`. */
  ListingCancelled: 'ListingCancelled',
  /** Payload: the TransferRecord. */
  UnitsTransferred: 'UnitsTransferred',
  /** Payload: the ProposalRecord. */
  ProposalCreated: 'ProposalCreated',
  /** Payload: the VoteRecord. */
  VoteCast: 'VoteCast',
  /** Payload: `{ proposalId, modelId, state, tally, txId }` for a proposal closed rejected or expired. */
  ProposalClosed: 'ProposalClosed',
  /** Payload: `{ holder, scanned, indexed, dropped, next, txId }`. */
  HoldingsReindexed: 'HoldingsReindexed',
  /** Payload: `{ proposal, tally, change, txId }`; the change applied in the same transaction. */
  ProposalExecuted: 'ProposalExecuted',
} as const;
