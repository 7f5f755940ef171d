import { DefaultGovernance, Limits } from '../config';
import { invalidArgument } from '../errors';
import { BASIS_POINTS } from './policy';
import { addSeconds } from './time';
import { requireChoice, requireId, requireInteger, requireObject, requirePositiveAmount, requireText } from './validation';
export type { GovernancePolicy, ProposalChange, ProposalState, VoteChoice, Tally } from '@model-ledger/contract';
import type { GovernancePolicy, ProposalChange, ProposalState, VoteChoice, Tally } from '@model-ledger/contract';

/**
 * Token-holder governance rules: the governance policy, what a proposal may
 * change, and the tally. Pure functions; the contract does the ledger work.
 */

/** The kinds of change. */
export const CHANGE_KINDS = ['activateVersion', 'setPrice', 'setOfferingStatus', 'setRoyaltyPolicy', 'setGovernancePolicy'] as const;

/** The proposal states. */
export const PROPOSAL_STATES: readonly ProposalState[] = ['open', 'accepted', 'executed', 'rejected', 'expired', 'lapsed'];

/** The vote choices. */
export const VOTE_CHOICES: readonly VoteChoice[] = ['yes', 'no', 'abstain'];

/** The policy a model has, or the default one; members a stored policy predates take the defaults. */
export function effectiveGovernance(policy: GovernancePolicy | undefined): GovernancePolicy {
  return { ...DefaultGovernance, ...policy };
}

/** Until when an accepted proposal whose voting ended at `votingEndsAt` may be executed (exclusive). */
export function executableUntil(votingEndsAt: string, policy: GovernancePolicy): string {
  return addSeconds(votingEndsAt, effectiveGovernance(policy).executionWindowSeconds);
}

/**
 * Validates a governance policy (field `governancePolicy`); missing members take the defaults.
 *
 * @throws ChaincodeError INVALID_ARGUMENT naming the field at fault.
 */
export function parseGovernancePolicy(raw: unknown): GovernancePolicy {
  const field = 'change.governancePolicy';
  const input = requireObject(field, raw);
  const pick = (name: keyof GovernancePolicy, min: number, max: number): number =>
    input[name] === undefined ? DefaultGovernance[name] : requireInteger(`${field}.${name}`, input[name], min, max);
  const policy: GovernancePolicy = {
    quorumBps: pick('quorumBps', 1, 10_000),
    approvalBps: pick('approvalBps', 0, 9_999),
    proposalThresholdBps: pick('proposalThresholdBps', 0, 10_000),
    minVotingSeconds: pick('minVotingSeconds', 60, 366 * 24 * 3600),
    maxVotingSeconds: pick('maxVotingSeconds', 60, 366 * 24 * 3600),
    executionWindowSeconds: pick('executionWindowSeconds', 60, 366 * 24 * 3600),
  };
  if (policy.minVotingSeconds > policy.maxVotingSeconds) {
    throw invalidArgument(`${field}.minVotingSeconds`, 'must not exceed maxVotingSeconds');
  }
  return policy;
}

/**
 * Validates the shape of a proposal's change (field `change`). Checks that
 * need the ledger (the version exists, the offering is the model's) are the
 * contract's.
 *
 * @throws ChaincodeError INVALID_ARGUMENT naming the field at fault.
 */
export function parseProposalChange(raw: unknown): ProposalChange {
  const input = requireObject('change', raw);
  const kind = requireChoice('change.kind', input.kind, CHANGE_KINDS);
  switch (kind) {
    case 'activateVersion':
      return { kind, version: requireId('change.version', input.version) };
    case 'setPrice':
      return {
        kind,
        offeringId: requireId('change.offeringId', input.offeringId),
        unitPrice: requirePositiveAmount('change.unitPrice', input.unitPrice).toString(),
      };
    case 'setOfferingStatus':
      return {
        kind,
        offeringId: requireId('change.offeringId', input.offeringId),
        status: requireChoice('change.status', input.status, ['active', 'paused', 'retired'] as const),
      };
    case 'setRoyaltyPolicy':
      return { kind, royaltyPolicy: requireObject('change.royaltyPolicy', input.royaltyPolicy) };
    case 'setGovernancePolicy':
      return { kind, governancePolicy: parseGovernancePolicy(input.governancePolicy) };
  }
}

/** Requires a proposal description. */
export function requireDescription(value: unknown): string {
  return requireText('description', value, Limits.maxTextLength);
}

/** True if `units` is at least `bps` of `eligible`. */
export function reachesShare(units: bigint, eligible: bigint, bps: number): boolean {
  return units * BASIS_POINTS >= eligible * BigInt(bps);
}

/** Adds votes up. */
export function tallyVotes(votes: readonly { readonly choice: VoteChoice; readonly weight: string }[]): Tally {
  const sums: Record<VoteChoice, bigint> = { yes: 0n, no: 0n, abstain: 0n };
  for (const vote of votes) {
    sums[vote.choice] += BigInt(vote.weight);
  }
  return { yes: sums.yes.toString(), no: sums.no.toString(), abstain: sums.abstain.toString(), voters: votes.length };
}

/**
 * Decides a closed proposal. Quorum: yes + no + abstain ≥ quorumBps of the
 * eligible units (and at least one unit voted). Approval: yes × 10000 >
 * approvalBps × (yes + no).
 */
export function decide(tally: Tally, eligibleUnits: bigint, policy: GovernancePolicy): 'accepted' | 'rejected' | 'expired' {
  const yes = BigInt(tally.yes);
  const no = BigInt(tally.no);
  const turnout = yes + no + BigInt(tally.abstain);
  if (turnout === 0n || !reachesShare(turnout, eligibleUnits, policy.quorumBps)) {
    return 'expired';
  }
  return yes * BASIS_POINTS > BigInt(policy.approvalBps) * (yes + no) ? 'accepted' : 'rejected';
}
