/**
 * What the chaincode's transactions return when the answer is not a stored
 * record as it is: a record with what the ledger derives from it (remaining
 * units, escrow, a tally), or a small summary. The chaincode builds these
 * with the same types, so both sides change together.
 */
import type { BatchReceipt } from './batch';
import type {
  AccessRecord,
  GovernancePolicy,
  LicenseRecord,
  LicenseTerms,
  ModelRecord,
  ModelVersionRecord,
  OfferingRecord,
  ProposalChange,
  ProposalRecord,
  Tally,
} from './records';

/** `GetModel`: a model and every version it has. */
export interface ModelView {
  readonly model: ModelRecord;
  readonly versions: readonly ModelVersionRecord[];
}

/** `PublishOffering`: the offering and the terms snapshot it was published with. */
export interface PublishedOffering {
  readonly offering: OfferingRecord;
  readonly terms: LicenseTerms;
}

/** `GetOffering`: an offering, its current terms and the units sold so far. */
export interface OfferingView {
  readonly offering: OfferingRecord;
  readonly terms: LicenseTerms;
  readonly termsHash: string;
  readonly sold: string;
}

/** `GetLicense`: a licence with what its lots, listings and accesses leave of it. */
export interface LicenseView {
  readonly license: LicenseRecord;
  readonly terms: LicenseTerms;
  readonly remainingUnits: string;
  /** Units sold, transferred or listed away. */
  readonly movedUnits: string;
  readonly consumedUnits: string;
  /** Remaining units times the frozen unit price. */
  readonly escrow: string;
}

/** `CheckEntitlement`: what an access of these units would be served by, if it may happen now. */
export interface Entitlement {
  readonly entitled: true;
  readonly licenseId: string;
  readonly modelId: string;
  readonly ownerMspId: string;
  readonly version: string;
  readonly artifactSha256: string;
  readonly inferenceEndpoint: string;
  readonly remainingUnits: string;
  readonly expiresAt?: string;
  /** The licence's frozen metering: whether its accesses may be batched (absent in terms from before batching: `single`). */
  readonly metering?: 'single' | 'batch';
}

/** `GetBatchedAccess`: a batched access with its receipt, and what attributes it to its caller. */
export interface BatchedAccessView {
  readonly access: AccessRecord;
  readonly receipt: BatchReceipt;
  /** The caller's certificate (PEM), which the chaincode checked against the org's registered CA roots. */
  readonly certificate: string;
  /** The caller's signature (base64 DER) over its AccessRequest, and the request's signing time and id. */
  readonly signature: string;
  readonly signedAt: string;
  readonly requestId?: string;
}

/** `GetBalance`. */
export interface Balance {
  readonly account: string;
  readonly amount: string;
}

/** `GetTotalSupply`. */
export interface TotalSupply {
  readonly amount: string;
}

/** `Mint`. */
export interface Minted {
  readonly to: string;
  readonly amount: string;
  readonly totalSupply: string;
  readonly txId: string;
}

/** `Burn`: always from the settlement org's treasury. */
export interface Burned {
  readonly from: string;
  readonly amount: string;
  readonly totalSupply: string;
  readonly txId: string;
}

/** `Transfer`. */
export interface Transferred {
  readonly from: string;
  readonly to: string;
  readonly amount: string;
  readonly txId: string;
}

/** `WhoAmI`: the caller as the chaincode sees it. */
export interface CallerView {
  readonly account: string;
  readonly orgAccount: string;
  readonly mspId: string;
  readonly role: string | null;
  readonly regulator: boolean;
}

/** `GetAccruedRoyalties`. */
export interface Accrued {
  readonly account: string;
  readonly unclaimed: string;
  readonly rows: number;
}

/** `GetProposal`: a proposal with the current tally of its votes. */
export interface ProposalView {
  readonly proposal: ProposalRecord;
  readonly tally: Tally;
}

/** A proposal's change as executed: the change, with what it replaced (`previousVersion`, `previousStatus`, ...). */
export type AppliedChange = ProposalChange & Readonly<Record<string, unknown>>;

/** `ExecuteProposal`: the executed proposal and the change as applied. */
export interface ExecutedProposal {
  readonly proposal: ProposalRecord;
  readonly change: AppliedChange;
}

/** `ReindexHoldings`: one bounded pass over a holder's licences. */
export interface Reindexed {
  readonly holder: string;
  readonly scanned: number;
  readonly indexed: number;
  readonly dropped: number;
  /** The licence id to pass as `after` for the next pass; empty when done. */
  readonly next: string;
}

/** `GetGovernancePolicy`: the policy in force, the default one when the model set none. */
export interface GovernanceView {
  readonly modelId: string;
  readonly governancePolicy: GovernancePolicy;
}

/** `BaselineContract.Put` (benchmark chaincode only). */
export interface BaselineWrite {
  readonly key: string;
  readonly txId: string;
}
