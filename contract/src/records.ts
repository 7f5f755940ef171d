/**
 * The documents the chaincode stores and returns. Amounts and unit counts are
 * decimal strings; instants are ISO 8601 UTC strings taken from transaction
 * timestamps. The chaincode writes these shapes and every client reads them
 * through the typed clients (`client.ts`), so a change here is a change to
 * both sides at once.
 */

/** A beneficiary of a model's royalties. */
export interface Beneficiary {
  readonly account: string;
  /** Share of the model's own part, in basis points. */
  readonly shareBps: number;
}

/** A base model that this model was fine-tuned from. */
export interface ParentShare {
  readonly modelId: string;
  /** Share of every royalty passed up to the parent's own policy, in basis points. */
  readonly shareBps: number;
}

/**
 * A model's royalty policy. Beneficiary shares sum to 10 000; parent shares
 * are taken off the top first and sum to at most 10 000. The resale royalty
 * is charged on secondary sales (Chaincode II).
 */
export interface RoyaltyPolicy {
  readonly beneficiaries: readonly Beneficiary[];
  readonly parents: readonly ParentShare[];
  readonly resaleRoyaltyBps: number;
}

/** Metered: each unit is one access. Term: accesses until an expiry set at purchase. */
export type OfferingKind = 'metered' | 'term';

/**
 * The terms a licence is sold under. A snapshot is immutable once written;
 * licences point at it by key and hash, so later changes to the offering only
 * apply to new purchases.
 */
export interface LicenseTerms {
  readonly offeringId: string;
  readonly modelId: string;
  /** 1 for the terms the offering was published with, then +1 per change. */
  readonly version: number;
  readonly kind: OfferingKind;
  /** Price of one unit, decimal string in the payment token's smallest unit. */
  readonly unitPrice: string;
  /** For term offerings, seconds from purchase to expiry; 0 for metered. */
  readonly termSeconds: number;
  readonly transferable: boolean;
  /** Certificate attributes a caller from the holder org must carry, e.g. `{ "role": "practitioner" }`. */
  readonly requiredAttributes: Readonly<Record<string, string>>;
  /** MSP ids allowed to hold the licence; empty means any member. */
  readonly allowedMspIds: readonly string[];
  /** Purposes the licence may be used for, e.g. `clinical-diagnosis`. */
  readonly purposes: readonly string[];
  /**
   * How accesses are metered: `batch` lets an org's gateway record many in
   * one transaction (each still signed by its caller and provable on its
   * own), `single` insists on one transaction per access. Terms frozen
   * before batching existed have no value, which means `single`.
   */
  readonly metering?: Metering;
}

/** How an offering's accesses may be recorded (LicenseTerms.metering). */
export type Metering = 'single' | 'batch';

/** A model's governance policy. Shares are basis points of the units sold when a proposal is made. */
export interface GovernancePolicy {
  readonly quorumBps: number;
  /** Yes must exceed this share of yes + no (abstain counts toward quorum only). */
  readonly approvalBps: number;
  readonly proposalThresholdBps: number;
  readonly minVotingSeconds: number;
  readonly maxVotingSeconds: number;
  /** How long after voting ends an accepted proposal may be executed; then it lapses. */
  readonly executionWindowSeconds: number;
}

/** What a proposal changes when executed. */
export type ProposalChange =
  | { readonly kind: 'activateVersion'; readonly version: string }
  | { readonly kind: 'setPrice'; readonly offeringId: string; readonly unitPrice: string }
  | { readonly kind: 'setOfferingStatus'; readonly offeringId: string; readonly status: 'active' | 'paused' | 'retired' }
  | { readonly kind: 'setRoyaltyPolicy'; readonly royaltyPolicy: unknown }
  | { readonly kind: 'setGovernancePolicy'; readonly governancePolicy: GovernancePolicy };

/**
 * Open while voting; then accepted (awaiting execution), executed, rejected,
 * expired (quorum not met) or lapsed (accepted, but not executed within the
 * policy's execution window).
 */
export type ProposalState = 'open' | 'accepted' | 'executed' | 'rejected' | 'expired' | 'lapsed';

/** A vote. */
export type VoteChoice = 'yes' | 'no' | 'abstain';

/** Units voting each way, decimal strings. */
export interface Tally {
  readonly yes: string;
  readonly no: string;
  readonly abstain: string;
  readonly voters: number;
}

/** What a client request id answered the first time, stored under the caller's account. */
export interface RequestRecord {
  readonly docType: 'request';
  /** The transaction function, for example `TokenContract.Transfer`. */
  readonly call: string;
  /** sha256 of the canonical JSON of the call and its arguments. */
  readonly fingerprint: string;
  readonly result: object;
  readonly txId: string;
  readonly at: string;
}

/** One page of a paginated query. An empty bookmark means there are no more pages. */
export interface Page<T> {
  readonly records: readonly T[];
  readonly fetchedCount: number;
  readonly bookmark: string;
}

/** One modification of a key, from `getHistoryForKey`. */
export interface HistoryEntry {
  readonly txId: string;
  readonly timestamp: string;
  readonly isDelete: boolean;
  readonly value: unknown;
}

/** A registered model. */
export interface ModelRecord {
  readonly docType: 'model';
  readonly modelId: string;
  readonly ownerMspId: string;
  /** The account of the identity that registered the model. */
  readonly registeredBy: string;
  readonly name: string;
  readonly description: string;
  readonly task: string;
  readonly intendedUse: string;
  readonly activeVersion: string;
  readonly royaltyPolicy: RoyaltyPolicy;
  /** Set by an executed governance proposal; absent means `DefaultGovernance`. */
  readonly governancePolicy?: GovernancePolicy;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly txId: string;
}

/**
 * A parent model owner's consent that a child model may pay the parent as
 * little as `shareBps` of the child's royalties (0: the child may drop it).
 * It stands until the parent's owner writes another.
 */
export interface LineageConsentRecord {
  readonly docType: 'lineageConsent';
  /** The child model. */
  readonly modelId: string;
  readonly parentModelId: string;
  readonly shareBps: number;
  readonly consentedBy: string;
  readonly consentedAt: string;
  readonly txId: string;
}

/** One immutable version of a model. */
export interface ModelVersionRecord {
  readonly docType: 'modelVersion';
  readonly modelId: string;
  readonly version: string;
  readonly artifactSha256: string;
  readonly artifactUri: string;
  /** The Open Inference Protocol v2 endpoint that serves this version. */
  readonly inferenceEndpoint: string;
  readonly addedBy: string;
  readonly addedAt: string;
  readonly txId: string;
}

/** Lifecycle of an offering. Paused may resume; retired is final. */
export type OfferingStatus = 'active' | 'paused' | 'retired';

/** A licence offering; its terms live in immutable snapshots. */
export interface OfferingRecord {
  readonly docType: 'offering';
  readonly offeringId: string;
  readonly modelId: string;
  readonly ownerMspId: string;
  readonly status: OfferingStatus;
  readonly supplyCap: string;
  readonly termsVersion: number;
  readonly termsHash: string;
  readonly publishedAt: string;
  readonly updatedAt: string;
  readonly txId: string;
}

/** An immutable terms snapshot and its hash. */
export interface TermsSnapshot {
  readonly docType: 'terms';
  readonly terms: LicenseTerms;
  readonly hash: string;
}

/** A licence: units bought in one purchase, under one frozen terms snapshot. */
export interface LicenseRecord {
  readonly docType: 'license';
  readonly licenseId: string;
  readonly holder: string;
  readonly offeringId: string;
  readonly modelId: string;
  readonly termsKey: string;
  readonly termsHash: string;
  readonly units: string;
  /** Frozen unit price; the escrow of a licence is its remaining units times this. */
  readonly unitPrice: string;
  readonly lotCount: number;
  /** When the units were first bought from the offering; a resale or transfer keeps it, as it keeps the expiry. */
  readonly purchasedAt: string;
  readonly expiresAt?: string;
  /**
   * The resale royalty a sale of these units pays, in basis points: the
   * model's rate when the units were first bought, frozen like the terms and
   * carried by resales and transfers. Absent on licences bought before it was
   * recorded, which pay the model's current rate.
   */
  readonly resaleRoyaltyBps?: number;
  /** How a licence made by the market came to be; absent for a purchase from the offering. */
  readonly origin?: LicenseOrigin;
  readonly txId: string;
}

/** Where the units of a secondary licence came from. */
export interface LicenseOrigin {
  readonly kind: 'resale' | 'transfer';
  readonly fromLicenseId: string;
  readonly fromHolder: string;
  readonly listingId?: string;
  readonly acquiredAt: string;
}

/** The remaining units of one lot, written once the lot is first used. */
export interface LotRecord {
  readonly remaining: string;
}

/**
 * Unused units of an expired term licence, settled: they can no longer be
 * used or sold, so their escrowed price went back to the holder.
 */
export interface ExpirySettlementRecord {
  readonly docType: 'expirySettlement';
  readonly licenseId: string;
  readonly offeringId: string;
  readonly modelId: string;
  readonly holder: string;
  readonly units: string;
  readonly unitPrice: string;
  /** units × unitPrice, moved from escrow to the holder's balance. */
  readonly refund: string;
  readonly expiresAt: string;
  readonly settledAt: string;
  readonly txId: string;
}

/** A purchase, as listed by offering. Also the purchase receipt. */
export interface PurchaseRecord {
  readonly docType: 'purchase';
  readonly licenseId: string;
  readonly offeringId: string;
  readonly modelId: string;
  readonly buyer: string;
  readonly units: string;
  readonly unitPrice: string;
  /** units × unitPrice, moved from the buyer's balance into escrow. */
  readonly price: string;
  readonly termsHash: string;
  readonly expiresAt?: string;
  readonly requestId?: string;
  readonly purchasedAt: string;
  readonly txId: string;
}

/**
 * A CA root of a member org, registered on the ledger by an admin of that
 * org whose own certificate it issued (so it is a root the channel's MSP of
 * that org already trusts), with the channel's majority endorsing. The
 * chaincode checks the certificates of batched accesses against these; it
 * cannot read the channel's configuration itself.
 */
export interface OrgRootRecord {
  readonly docType: 'orgRoot';
  readonly mspId: string;
  /** SHA-256 (hex) of the certificate's DER bytes. */
  readonly fingerprint: string;
  /** PEM. */
  readonly certificate: string;
  readonly subject: string;
  readonly validTo: string;
  /** The admin account that registered it. */
  readonly registeredBy: string;
  readonly registeredAt: string;
  readonly txId: string;
}

/** One royalty paid out of an access. */
export interface RoyaltyShare {
  readonly account: string;
  readonly amount: string;
  /** The model whose policy named the beneficiary (the accessed model or an ancestor). */
  readonly modelId: string;
  readonly depth: number;
}

/** The immutable record of one access; also the access receipt. */
export interface AccessRecord {
  readonly docType: 'access';
  readonly accessId: string;
  readonly licenseId: string;
  readonly offeringId: string;
  readonly modelId: string;
  readonly version: string;
  readonly artifactSha256: string;
  readonly callerAccount: string;
  readonly callerMspId: string;
  readonly holder: string;
  readonly units: string;
  readonly purpose: string;
  /** The gateway's sha256 of the inference request; inputs never go on the ledger. */
  readonly requestHash: string;
  /** Escrow released: units × the licence's frozen unit price. */
  readonly amount: string;
  readonly royalties: readonly RoyaltyShare[];
  readonly lots: readonly { readonly index: number; readonly units: string }[];
  readonly termsHash: string;
  readonly timestamp: string;
  readonly txId: string;
}

/**
 * An access refunded by the model owner because the model did not deliver
 * (it failed, timed out or served another artifact after the access
 * committed). Its units went back to the lots they were taken from, and each
 * beneficiary's share was reversed with a negative royalty row; the access
 * record stays, so the audit shows both.
 */
export interface RefundRecord {
  readonly docType: 'refund';
  readonly accessId: string;
  readonly licenseId: string;
  readonly modelId: string;
  readonly holder: string;
  readonly units: string;
  readonly amount: string;
  readonly reason: string;
  /** The reversed shares, one per share of the access, with negative amounts. */
  readonly royalties: readonly RoyaltyShare[];
  readonly refundedBy: string;
  readonly refundedAt: string;
  readonly txId: string;
}

/** A royalty row: an unclaimed accrual (deleted on claim) or an immutable payment (statement). */
export interface RoyaltyRow {
  readonly docType: 'royalty';
  /**
   * Absent for an access royalty; `resaleRoyalty` or `saleProceeds` for a
   * secondary sale (then accessId is the trade's tx id); `refund` for the
   * reversal of an access's share, with a negative amount; `batch` for the
   * shares of a batch's accesses of one licence, summed (then accessId is
   * the batch's transaction id).
   */
  readonly kind?: 'resaleRoyalty' | 'saleProceeds' | 'refund' | 'batch';
  readonly account: string;
  readonly amount: string;
  readonly modelId: string;
  readonly accessedModelId: string;
  readonly depth: number;
  readonly licenseId: string;
  readonly accessId: string;
  readonly at: string;
  readonly txId: string;
}

/** A consolidation of accrual rows into a balance. */
export interface ClaimRecord {
  readonly docType: 'claim';
  readonly account: string;
  readonly amount: string;
  readonly rows: number;
  /** Accruals strictly before this instant were considered. */
  readonly upTo: string;
  readonly claimedBy: string;
  readonly claimedAt: string;
  readonly txId: string;
}

/** A payment-token balance. */
export interface BalanceRecord {
  readonly account: string;
  readonly amount: string;
}

/** Units of one licence locked in a listing. */
export interface ListingItem {
  readonly licenseId: string;
  readonly offeringId: string;
  readonly modelId: string;
  readonly termsKey: string;
  readonly termsHash: string;
  /** The licence's frozen unit price: each listed unit carries this much escrow. */
  readonly unitPrice: string;
  readonly purchasedAt: string;
  readonly expiresAt?: string;
  /** The licence's frozen resale royalty rate, which a buyer of these units pays (absent on listings from before it was recorded). */
  readonly resaleRoyaltyBps?: number;
  /** Units listed at first, and still unsold. Escrow held by the listing is remaining × unitPrice. */
  readonly units: string;
  readonly remaining: string;
  /** Units taken from each lot of the licence, so that a cancel returns them where they came from. */
  readonly lots: readonly { readonly index: number; readonly units: string }[];
}

/** Lifecycle of a listing. */
export type ListingStatus = 'open' | 'sold' | 'cancelled';

/**
 * A listing: units locked out of one licence (sold per unit, in whole or in
 * part) or of several (a bundle, sold all or nothing).
 */
export interface ListingRecord {
  readonly docType: 'listing';
  readonly listingId: string;
  readonly seller: string;
  readonly status: ListingStatus;
  readonly bundle: boolean;
  /** Asking price per unit (single-licence listings). */
  readonly askUnitPrice?: string;
  /** Asking price of the whole bundle (bundles). */
  readonly askPrice?: string;
  /** Only this MSP may buy (a private sale), or absent for anyone eligible. */
  readonly reservedForMspId?: string;
  readonly modelIds: readonly string[];
  readonly items: readonly ListingItem[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly txId: string;
}

/** One licence's part of a trade. */
export interface TradeItem {
  readonly fromLicenseId: string;
  readonly toLicenseId: string;
  readonly modelId: string;
  readonly offeringId: string;
  readonly units: string;
  /** The part of the price paid for these units. */
  readonly price: string;
  /** The escrow that moved with the units: units × frozen unit price. */
  readonly escrow: string;
  /** max(price, escrow): the value the resale royalty is charged on. */
  readonly royaltyBase: string;
  readonly resaleRoyaltyBps: number;
  readonly royalty: string;
}

/** A secondary sale; also the BuyListing receipt. */
export interface TradeRecord {
  readonly docType: 'trade';
  readonly tradeId: string;
  readonly listingId: string;
  readonly seller: string;
  readonly buyer: string;
  readonly price: string;
  readonly royalty: string;
  /** price − royalty, accrued to the seller. */
  readonly proceeds: string;
  readonly items: readonly TradeItem[];
  readonly royalties: readonly RoyaltyShare[];
  readonly at: string;
  readonly txId: string;
}

/** A free transfer of units between two accounts of one organisation. */
export interface TransferRecord {
  readonly docType: 'transfer';
  readonly fromLicenseId: string;
  readonly toLicenseId: string;
  readonly from: string;
  readonly to: string;
  readonly modelId: string;
  readonly units: string;
  readonly escrow: string;
  readonly at: string;
  readonly txId: string;
}

/** A governance proposal on a model. */
export interface ProposalRecord {
  readonly docType: 'proposal';
  readonly proposalId: string;
  readonly modelId: string;
  readonly proposer: string;
  readonly change: ProposalChange;
  readonly description: string;
  readonly state: ProposalState;
  /** The model's governance policy when the proposal was made; it decides the outcome. */
  readonly policy: GovernancePolicy;
  /** Units of the model sold when the proposal was made: the base of quorum and threshold. */
  /**
   * Units sold of the model: while open, those sold when it opened (the
   * proposal threshold's base); once closed, those sold at closing (the
   * quorum's base, which bounds the turnout).
   */
  readonly eligibleUnits: string;
  readonly votingEndsAt: string;
  readonly tally?: Tally;
  readonly createdAt: string;
  readonly closedAt?: string;
  readonly executedAt?: string;
  /** When an accepted proposal was recorded as lapsed, its execution window having passed. */
  readonly lapsedAt?: string;
  readonly txId: string;
}

/** One holder's vote, weighted by the units of the model's licences it held when voting. */
export interface VoteRecord {
  readonly docType: 'vote';
  readonly proposalId: string;
  readonly modelId: string;
  readonly voter: string;
  readonly choice: VoteChoice;
  readonly weight: string;
  readonly licenses: readonly { readonly licenseId: string; readonly units: string }[];
  readonly castBy: string;
  readonly at: string;
  readonly txId: string;
}

/** A licence's units are locked until voting on a proposal ends. */
export interface VoteLockRecord {
  readonly proposalId: string;
  readonly until: string;
}
