import { Limits } from '../config';
import { ChaincodeError, ErrorCode } from '../errors';
import { Keys, prefixRange } from '../domain/keys';
import type { ProposalRecord, VoteLockRecord, VoteRecord } from '../domain/records';
import type { Holding } from './licenses';
import type { Tx } from './tx';

/**
 * Proposals and votes, with the indexes governance reads them by: a model's
 * proposals, and its proposals in each state (a proposal's row moves when its
 * state changes). A vote locks the licences it weighed until voting ends.
 */

/** Saves a new, open proposal under its model and its state. */
export async function saveNewProposal(tx: Tx, proposal: ProposalRecord): Promise<void> {
  const ref = { ref: Keys.proposal(proposal.proposalId) };
  await tx.put(Keys.proposal(proposal.proposalId), proposal);
  await tx.put(Keys.proposalByModel(proposal.modelId, proposal.proposalId), ref);
  await tx.put(Keys.proposalByState(proposal.modelId, proposal.state, proposal.proposalId), ref);
}

/** Writes a proposal's new state and moves its state index row. */
export async function moveState(tx: Tx, proposal: ProposalRecord, updated: ProposalRecord): Promise<void> {
  await tx.put(Keys.proposal(proposal.proposalId), updated);
  await tx.delete(Keys.proposalByState(proposal.modelId, proposal.state, proposal.proposalId));
  await tx.put(Keys.proposalByState(proposal.modelId, updated.state, proposal.proposalId), { ref: Keys.proposal(proposal.proposalId) });
}

/** Saves a vote and locks each licence it weighed until the proposal's voting ends. */
export async function saveVote(tx: Tx, proposal: ProposalRecord, vote: VoteRecord, holdings: readonly Holding[]): Promise<void> {
  await tx.put(Keys.vote(proposal.proposalId, vote.voter), vote);
  for (const holding of holdings) {
    await tx.put(Keys.voteLock(holding.license.licenseId, proposal.proposalId), {
      proposalId: proposal.proposalId,
      until: proposal.votingEndsAt,
    } satisfies VoteLockRecord);
  }
}

/**
 * Fails if the licence voted on a proposal whose voting has not ended: its
 * units may not move to another holder, who could vote with them again.
 *
 * @throws ChaincodeError UNITS_LOCKED.
 */
export async function requireUnlocked(tx: Tx, licenseId: string, now: string): Promise<void> {
  const locks = await tx.range<VoteLockRecord>(prefixRange(Keys.voteLocksOf(licenseId)), Limits.maxVotesPerProposal);
  const open = locks.find((lock) => lock.value.until > now);
  if (open !== undefined) {
    throw new ChaincodeError(
      ErrorCode.UNITS_LOCKED,
      `licence ${licenseId} voted on proposal ${open.value.proposalId}; its units cannot move before ${open.value.until}`,
    );
  }
}
