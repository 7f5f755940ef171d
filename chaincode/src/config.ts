/**
 * Consortium constants and limits. This is the only place that names MSP ids,
 * roles and bounds; every other module imports them from here.
 */

/** MSP ids of the consortium's organisations. */
export const Msp = {
  /** The settlement agent: its `role=issuer` identities mint and burn the payment token. */
  settlement: 'ClearingMSP',
  /** The auditor: read-only on every query, forbidden on every write. */
  regulator: 'RegulatorMSP',
  /** The model-owner lab of the default story. Any member org may own models. */
  modelOwner: 'LabMSP',
  /** The licensee hospital of the default story. Any member org may buy licences. */
  licensee: 'HospitalMSP',
} as const;

/**
 * Who endorses. The chaincode definition's policy is the channel's own
 * `/Channel/Application/ChaincodeEndorsement`: a MAJORITY of the member orgs, where a
 * member that runs no endorsing peer (the regulator) counts towards the size
 * of the majority and never towards its votes. `orgs` are the founding
 * endorsers of `network/topology.json` (a unit test compares them), and
 * `quorum` is that majority at the channel's start. Key-level policies (see
 * `ledger/endorsement.ts`) are built from them: an owned key needs its owner's
 * peer and `quorum - 1` founding endorsers besides, so that no two orgs can
 * move a third's value. An org onboarded later endorses under the channel's
 * majority at once; if it is one of `laterMembers`, its own keys are pinned to
 * its peer the same way. It co-signs other orgs' keys only once a chaincode
 * upgrade lists it in `orgs`.
 */
export const Endorsement = {
  /** The MSP ids of the founding endorsers, in topology order. */
  orgs: ['LabMSP', 'HospitalMSP', 'ClinicMSP', 'ClearingMSP'],
  /**
   * A majority of the founding member orgs (the regulator among them), so
   * that any two members together still need an honest third.
   */
  quorum: 3,
  /** Member orgs that run no endorsing peer: their keys stay under the channel's majority (see ownerPolicy). */
  nonEndorsing: ['RegulatorMSP'],
  /**
   * Endorsing orgs of the topology that join the channel later (`founding:
   * false`): their keys are pinned to their own peer like a founder's. An
   * account of any other MSP (one the consortium does not name) gets no
   * key-level policy, which would otherwise lock it to a peer that may never
   * exist; an org the topology did not name when this chaincode was built is
   * added here by a chaincode upgrade.
   */
  laterMembers: ['PharmaMSP'],
} as const;

export { ROLE_ATTRIBUTE, Role } from '@model-ledger/contract';

/** Bounds on input and on work done per transaction. */
export const Limits = {
  /** Lineage recursion stops at this depth; deeper parent shares stay with the child. */
  maxLineageDepth: 4,
  /** A licence's units are spread over at most this many lots (see README). */
  maxLotsPerLicense: 256,
  /** An offering's supply cap is spread over at most this many shards (see README). */
  supplyShards: 256,
  /** Largest page a paginated query returns. */
  maxPageSize: 100,
  /** Default page size when the caller passes an empty page size. */
  defaultPageSize: 20,
  /** Accrual rows consolidated by one ClaimRoyalties; the rest wait for the next claim. */
  maxClaimRows: 500,
  /**
   * ClaimRoyalties only consolidates accruals older than this many seconds, so
   * its range read does not cover accruals still in flight (see README).
   */
  claimSettlementLagSeconds: 5,
  /** Largest amount of the payment token in any single field (10^30 smallest units). */
  maxAmount: 10n ** 30n,
  /** Largest number of licence units in any single field. */
  maxUnits: 10n ** 12n,
  /** Most beneficiaries in one royalty policy. */
  maxBeneficiaries: 32,
  /** Most parent models in one royalty policy. */
  maxParents: 8,
  /** Longest free-text field (description, intended use). */
  maxTextLength: 2000,
  /** Longest short name (model name, task, purpose). */
  maxNameLength: 128,
  /** Longest URI or endpoint. */
  maxUriLength: 512,
  /** Most entries in a list-valued term (purposes, MSP allowlist, attributes). */
  maxListEntries: 32,
  /** Most models (the accessed one included) whose policies one royalty split loads; a policy write that would exceed it is refused. */
  maxLineagePolicies: 64,
  /** Most licences one listing (a bundle) may sell together. */
  maxBundleItems: 16,
  /** Most licences of one model a holder's vote or proposal weight is read from; past it, voting and proposing fail with CONFLICT rather than undercount. */
  maxLicensesPerHolder: 200,
  /** Licences one ReindexHoldings call walks; a holder with more calls it again from where it stopped. */
  maxReindexPerCall: 200,
  /** Most votes a proposal's tally reads. */
  maxVotesPerProposal: 10_000,
  /** Most accesses one RecordAccessBatch records (see contracts/batch.ts). */
  maxBatchAccesses: 512,
  /** Longest RecordAccessBatch argument, in characters: 512 signed accesses and their callers' certificates fit with room. */
  maxBatchLength: 1024 * 1024,
} as const;

/**
 * The governance policy a model has until a proposal changes it. Shares are
 * basis points of the model's units sold when a proposal is created.
 */
export const DefaultGovernance = {
  /** Units voting (yes, no or abstain) must reach 20% of the units sold. */
  quorumBps: 2000,
  /** Yes must be more than 50% of yes + no. */
  approvalBps: 5000,
  /** A holder needs 1% of the units sold to propose; the owner org always may. */
  proposalThresholdBps: 100,
  /**
   * Voting lasts at least one minute (so an integration test can run a vote;
   * the owner can already act directly, so a short vote mostly limits holders)...
   */
  minVotingSeconds: 60,
  /** ...and at most 30 days. */
  maxVotingSeconds: 30 * 24 * 3600,
  /**
   * An accepted proposal may be executed for 7 days after voting ends; after
   * that it lapses, so a change decided long ago never lands on a model that
   * has moved on.
   */
  executionWindowSeconds: 7 * 24 * 3600,
} as const;
