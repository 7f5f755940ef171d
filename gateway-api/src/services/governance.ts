import {
  GovernanceClient,
  type ExecutedProposal,
  type GovernanceView,
  type HistoryEntry,
  type ProposalRecord,
  type ProposalView,
  type Reindexed,
  type VoteRecord,
} from '@model-ledger/contract';
import type { Session } from '../fabric/ledger';
import { Page, PageRequest, pageArgs, Schemas, toPage, WriteResult, written } from './common';

/** Token-holder governance of a model (GovernanceContract). */
export class GovernanceService {
  private readonly governance: GovernanceClient;

  constructor(session: Session) {
    this.governance = new GovernanceClient(session);
  }

  /**
   * Proposes a change to a model.
   *
   * @throws ApiError BELOW_PROPOSAL_THRESHOLD (a holder with too few units), NOT_FOUND,
   *   FORBIDDEN or INVALID_ARGUMENT (for example votingSeconds outside the policy's bounds).
   */
  async propose(input: Schemas['NewProposal']): Promise<WriteResult<ProposalRecord>> {
    return written(await this.governance.createProposal(input));
  }

  /**
   * Votes with the units of the model the voter holds.
   *
   * @throws ApiError PROPOSAL_NOT_FOUND, VOTING_CLOSED, ALREADY_VOTED, INSUFFICIENT_UNITS (holds none) or FORBIDDEN.
   */
  async vote(proposalId: string, input: Schemas['NewVote']): Promise<WriteResult<VoteRecord>> {
    return written(await this.governance.castVote(proposalId, input.choice, input.voter));
  }

  /** Closes voting after the deadline. @throws ApiError PROPOSAL_NOT_FOUND, VOTING_OPEN or VOTING_CLOSED. */
  async close(proposalId: string): Promise<WriteResult<ProposalRecord>> {
    return written(await this.governance.closeProposal(proposalId));
  }

  /**
   * Executes an accepted proposal.
   *
   * @throws ApiError PROPOSAL_NOT_FOUND, VOTING_OPEN, QUORUM_NOT_MET, PROPOSAL_REJECTED or PROPOSAL_NOT_EXECUTABLE.
   */
  async execute(proposalId: string): Promise<WriteResult<ExecutedProposal>> {
    return written(await this.governance.executeProposal(proposalId));
  }

  /**
   * Rebuilds the governance index of the caller's or its treasury's licences, 200 per call.
   *
   * @throws ApiError FORBIDDEN (`org` without role admin) or INVALID_ARGUMENT.
   */
  async reindexHoldings(input: Schemas['NewHoldingsReindex']): Promise<WriteResult<Reindexed>> {
    return written(await this.governance.reindexHoldings(input.holder, input.after));
  }

  /** @throws ApiError PROPOSAL_NOT_FOUND. */
  async get(proposalId: string): Promise<ProposalView> {
    return this.governance.getProposal(proposalId);
  }

  async byModel(modelId: string, state: string | undefined, page: PageRequest): Promise<Page<ProposalRecord>> {
    return toPage(await this.governance.listProposalsByModel(modelId, state, pageArgs(page)));
  }

  async votes(proposalId: string, page: PageRequest): Promise<Page<VoteRecord>> {
    return toPage(await this.governance.listVotes(proposalId, pageArgs(page)));
  }

  async history(proposalId: string, page: PageRequest): Promise<Page<HistoryEntry>> {
    return toPage(await this.governance.getProposalHistory(proposalId, pageArgs(page)));
  }

  async policy(modelId: string): Promise<GovernanceView> {
    return this.governance.getGovernancePolicy(modelId);
  }
}
