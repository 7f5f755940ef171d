import type { Session } from '../fabric/ledger';
import { decode, Page, PageRequest, pageArgs, Schemas, toPage, Written, written } from './common';

/** Token-holder governance of a model (GovernanceContract). */
export class GovernanceService {
  constructor(private readonly session: Session) {}

  /**
   * Proposes a change to a model.
   *
   * @throws ApiError BELOW_PROPOSAL_THRESHOLD (a holder with too few units), NOT_FOUND,
   *   FORBIDDEN or INVALID_ARGUMENT (for example votingSeconds outside the policy's bounds).
   */
  async propose(input: Schemas['NewProposal']): Promise<Written<Schemas['Proposal']>> {
    return written(
      await this.session.submit(
        'GovernanceContract',
        'CreateProposal',
        input.modelId,
        JSON.stringify(input.change),
        input.description,
        String(input.votingSeconds),
        input.proposer,
      ),
    );
  }

  /**
   * Votes with the units of the model the voter holds.
   *
   * @throws ApiError PROPOSAL_NOT_FOUND, VOTING_CLOSED, ALREADY_VOTED, INSUFFICIENT_UNITS (holds none) or FORBIDDEN.
   */
  async vote(proposalId: string, input: Schemas['NewVote']): Promise<Written<Schemas['Vote']>> {
    return written(await this.session.submit('GovernanceContract', 'CastVote', proposalId, input.choice, input.voter));
  }

  /** Closes voting after the deadline. @throws ApiError PROPOSAL_NOT_FOUND, VOTING_OPEN or VOTING_CLOSED. */
  async close(proposalId: string): Promise<Written<Schemas['Proposal']>> {
    return written(await this.session.submit('GovernanceContract', 'CloseProposal', proposalId));
  }

  /**
   * Executes an accepted proposal.
   *
   * @throws ApiError PROPOSAL_NOT_FOUND, VOTING_OPEN, QUORUM_NOT_MET, PROPOSAL_REJECTED or PROPOSAL_NOT_EXECUTABLE.
   */
  async execute(proposalId: string): Promise<Written<Schemas['ProposalExecutionWritten']['data']>> {
    return written(await this.session.submit('GovernanceContract', 'ExecuteProposal', proposalId));
  }

  /**
   * Rebuilds the governance index of the caller's or its treasury's licences, 200 per call.
   *
   * @throws ApiError FORBIDDEN (`org` without role admin) or INVALID_ARGUMENT.
   */
  async reindexHoldings(input: Schemas['NewHoldingsReindex']): Promise<Written<Schemas['HoldingsReindexWritten']['data']>> {
    return written(await this.session.submit('GovernanceContract', 'ReindexHoldings', input.holder, input.after ?? ''));
  }

  /** @throws ApiError PROPOSAL_NOT_FOUND. */
  async get(proposalId: string): Promise<Schemas['ProposalWithTally']> {
    return decode(await this.session.evaluate('GovernanceContract', 'GetProposal', proposalId));
  }

  async byModel(modelId: string, state: string | undefined, page: PageRequest): Promise<Page<Schemas['Proposal']>> {
    return toPage(await this.session.evaluate('GovernanceContract', 'ListProposalsByModel', modelId, state ?? '', ...pageArgs(page)));
  }

  async votes(proposalId: string, page: PageRequest): Promise<Page<Schemas['Vote']>> {
    return toPage(await this.session.evaluate('GovernanceContract', 'ListVotes', proposalId, ...pageArgs(page)));
  }

  async history(proposalId: string, page: PageRequest): Promise<Schemas['History']> {
    return toPage(await this.session.evaluate('GovernanceContract', 'GetProposalHistory', proposalId, ...pageArgs(page)));
  }

  async policy(modelId: string): Promise<Schemas['ModelGovernancePolicy']> {
    return decode(await this.session.evaluate('GovernanceContract', 'GetGovernancePolicy', modelId));
  }
}
