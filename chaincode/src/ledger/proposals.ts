import { Limits } from '../config';
import { ChaincodeError, ErrorCode } from '../errors';
import { tallyVotes } from '../domain/governance';
import type { ProposalState, Tally } from '../domain/governance';
import { Keys, prefixRange } from '../domain/keys';
import type { ProposalRecord, VoteLockRecord, VoteRecord } from '../domain/records';
import type { Holding } from './licenses';
import { pageOfDocuments, pageOfIndex } from './pages';
import type { Page, Tx } from './tx';

/**
 * Proposals and votes, with the indexes governance reads them by: a model's
 * proposals, and its proposals in each state (a proposal's row moves when its
 * state changes). A vote locks the licences it weighed until voting ends.
 */

/** Reads a proposal, or undefined. */
export function findProposal(tx: Tx, proposalId: string): Promise<ProposalRecord | undefined> {
  return tx.get<ProposalRecord>(Keys.proposal(proposalId));
}

/**
 * Loads a proposal.
 *
 * @throws ChaincodeError PROPOSAL_NOT_FOUND.
 */
export async function requireProposal(tx: Tx, proposalId: string): Promise<ProposalRecord> {
  const proposal = await findProposal(tx, proposalId);
  if (proposal === undefined) {
    throw new ChaincodeError(ErrorCode.PROPOSAL_NOT_FOUND, `proposal ${proposalId} does not exist`);
  }
  return proposal;
}

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

/** Reads an account's vote on a proposal, or undefined. */
export function findVote(tx: Tx, proposalId: string, voter: string): Promise<VoteRecord | undefined> {
  return tx.get<VoteRecord>(Keys.vote(proposalId, voter));
}

/** True if the licence already weighed in a vote on the proposal (by any account that held it). */
export async function votedWith(tx: Tx, licenseId: string, proposalId: string): Promise<boolean> {
  return (await tx.get<VoteLockRecord>(Keys.voteLock(licenseId, proposalId))) !== undefined;
}

/** The tally of a proposal's votes: one range read of its votes, at most `maxVotesPerProposal`. */
export async function countVotes(tx: Tx, proposalId: string): Promise<Tally> {
  const votes = await tx.range<VoteRecord>(prefixRange(Keys.votesOf(proposalId)), Limits.maxVotesPerProposal);
  return tallyVotes(votes.map((vote) => vote.value));
}

/** A model's proposals, all (no state) or in one state, one page. */
export function pageOfProposals(
  tx: Tx,
  modelId: string,
  state: ProposalState | undefined,
  pageSize: number,
  bookmark: string,
): Promise<Page<ProposalRecord>> {
  const prefix = state === undefined ? Keys.proposalsByModel(modelId) : Keys.proposalsByState(modelId, state);
  return pageOfIndex<ProposalRecord>(tx, prefixRange(prefix), pageSize, bookmark);
}

/** The votes on a proposal, one page. */
export function pageOfVotes(tx: Tx, proposalId: string, pageSize: number, bookmark: string): Promise<Page<VoteRecord>> {
  return pageOfDocuments<VoteRecord>(tx, prefixRange(Keys.votesOf(proposalId)), pageSize, bookmark);
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
