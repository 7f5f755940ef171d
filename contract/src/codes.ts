/**
 * Stable error codes. Only the message string of a chaincode error reaches the
 * client, so every message starts with one of these codes, then `: `, then a
 * sentence a person can act on. The gateway parses the code in one place.
 */
export const ErrorCode = {
  /** Input is malformed; the message names the field. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** The caller's identity, role or org may not perform this action. */
  FORBIDDEN: 'FORBIDDEN',
  /** A referenced model, version, offering, licence or record does not exist. */
  NOT_FOUND: 'NOT_FOUND',
  /** The request clashes with existing state (duplicate id, reused request id). */
  CONFLICT: 'CONFLICT',
  /** A term licence was used at or after its expiry. */
  LICENSE_EXPIRED: 'LICENSE_EXPIRED',
  /** A licence has fewer units left than the access needs. */
  INSUFFICIENT_UNITS: 'INSUFFICIENT_UNITS',
  /** The paying account's balance is below the amount. */
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
  /** A purchase would exceed the offering's supply cap. */
  SUPPLY_EXHAUSTED: 'SUPPLY_EXHAUSTED',
  /** The offering is paused and sells nothing until resumed. */
  OFFERING_PAUSED: 'OFFERING_PAUSED',
  /** The offering is retired and sells nothing, ever again. */
  OFFERING_RETIRED: 'OFFERING_RETIRED',
  /** The access purpose is not among the licence's permitted purposes. */
  PURPOSE_NOT_PERMITTED: 'PURPOSE_NOT_PERMITTED',
  /** The artifact that served an inference is not the model's active version's artifact on the ledger. */
  ARTIFACT_MISMATCH: 'ARTIFACT_MISMATCH',
  /** A listing id names no listing. */
  LISTING_NOT_FOUND: 'LISTING_NOT_FOUND',
  /** The listing is sold out or cancelled and takes no more orders. */
  LISTING_CLOSED: 'LISTING_CLOSED',
  /** The licence's frozen terms forbid listing or transferring its units. */
  NOT_TRANSFERABLE: 'NOT_TRANSFERABLE',
  /** A free transfer would move units across organisations; that needs a listing, which pays the resale royalty. */
  TRANSFER_RESTRICTED: 'TRANSFER_RESTRICTED',
  /** The licence voted on a proposal that is still open; its units cannot move until voting ends. */
  UNITS_LOCKED: 'UNITS_LOCKED',
  /** The asking price does not cover the resale royalty the sale must pay. */
  ASK_BELOW_ROYALTY: 'ASK_BELOW_ROYALTY',
  /** A proposal id names no proposal. */
  PROPOSAL_NOT_FOUND: 'PROPOSAL_NOT_FOUND',
  /** The proposer holds fewer units than the model's governance policy requires. */
  BELOW_PROPOSAL_THRESHOLD: 'BELOW_PROPOSAL_THRESHOLD',
  /** The account (or one of its licences) already voted on this proposal. */
  ALREADY_VOTED: 'ALREADY_VOTED',
  /** The proposal's voting period has ended, or the proposal is closed. */
  VOTING_CLOSED: 'VOTING_CLOSED',
  /** The proposal's voting period has not ended yet, so it cannot be closed or executed. */
  VOTING_OPEN: 'VOTING_OPEN',
  /** Too few units voted for the proposal to pass. */
  QUORUM_NOT_MET: 'QUORUM_NOT_MET',
  /** The votes did not reach the approval threshold. */
  PROPOSAL_REJECTED: 'PROPOSAL_REJECTED',
  /** The proposal was already executed, or closed without being accepted. */
  PROPOSAL_NOT_EXECUTABLE: 'PROPOSAL_NOT_EXECUTABLE',
  /** A royalty policy would drop a parent model or lower its share without that parent owner's consent on the ledger. */
  LINEAGE_CONSENT_REQUIRED: 'LINEAGE_CONSENT_REQUIRED',
  /** A batched access's signature is not its caller's over its request, or was made too long before or after the batch. */
  SIGNATURE_INVALID: 'SIGNATURE_INVALID',
  /** A certificate does not chain to a CA root registered on the ledger for its org, is outside its validity, or is of another org. */
  CERTIFICATE_UNTRUSTED: 'CERTIFICATE_UNTRUSTED',
  /** The licence's frozen terms record one transaction per access: its accesses may not be batched. */
  BATCH_NOT_PERMITTED: 'BATCH_NOT_PERMITTED',
} as const;

/** One of the stable error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Every error code, in declaration order. */
export const ERROR_CODES: readonly ErrorCode[] = Object.values(ErrorCode);
