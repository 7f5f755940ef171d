import type { RoyaltyPolicy } from './policy';
import type { LicenseTerms } from './terms';

/**
 * The documents stored on the ledger. Amounts and unit counts are decimal
 * strings; instants are ISO 8601 UTC strings taken from transaction timestamps.
 */

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
  readonly createdAt: string;
  readonly updatedAt: string;
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
  readonly purchasedAt: string;
  readonly expiresAt?: string;
  readonly txId: string;
}

/** The remaining units of one lot, written once the lot is first used. */
export interface LotRecord {
  readonly remaining: string;
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

/** A royalty row: an unclaimed accrual (deleted on claim) or an immutable payment (statement). */
export interface RoyaltyRow {
  readonly docType: 'royalty';
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
