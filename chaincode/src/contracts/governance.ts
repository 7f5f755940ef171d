import { ContractName } from '@model-ledger/contract';
import type { AppliedChange, ExecutedProposal, GovernanceView, ProposalView, Reindexed } from '@model-ledger/contract';
import { Context, Info, Transaction } from 'fabric-contract-api';
import { LedgerContract } from './base';
import { Limits, Role } from '../config';
import { ChaincodeError, ErrorCode, invalidArgument } from '../errors';
import { Events } from '../events';
import {
  PROPOSAL_STATES,
  VOTE_CHOICES,
  decide,
  effectiveGovernance,
  executableUntil,
  parseProposalChange,
  reachesShare,
  requireDescription,
} from '../domain/governance';
import type { ProposalChange, ProposalState, Tally } from '../domain/governance';
import { Keys } from '../domain/keys';
import { parseRoyaltyPolicy } from '../domain/policy';
import type { LicenseRecord, ModelRecord, OfferingRecord, ProposalRecord, VoteRecord } from '../domain/records';
import { termsHash } from '../domain/terms';
import { addSeconds } from '../domain/time';
import { requireBookmark, requireChoice, requireId, requireInteger, requireJson, requirePageSize } from '../domain/validation';
import { ACCOUNT_CHOICES, actingAccount, requireWriter } from '../ledger/authz';
import { heldLicenses, holdingsOf, indexHoldingOfModel, unindexHoldingOfModel, usableUnits } from '../ledger/licenses';
import { checkLineageKept, checkParents } from '../ledger/lineage';
import { requireModel, requireModelVersion, requireOffering, requireTerms } from '../ledger/loads';
import { writeModel } from '../ledger/models';
import { saveTerms, unitsSoldOfModel, writeOffering } from '../ledger/offerings';
import {
  countVotes,
  findProposal,
  findVote,
  moveState,
  pageOfProposals,
  pageOfVotes,
  requireProposal,
  saveNewProposal,
  saveVote,
  votedWith,
} from '../ledger/proposals';
import { Tx } from '../ledger/tx';
import { OFFERING_TRANSITIONS } from './offering';
import { result } from './result';

const OWNER_PROPOSERS: readonly string[] = [Role.admin, Role.engineer];

async function requireModelOffering(tx: Tx, model: ModelRecord, offeringId: string): Promise<OfferingRecord> {
  const offering = await requireOffering(tx, offeringId, 'change.offeringId');
  if (offering.modelId !== model.modelId) {
    throw invalidArgument('change.offeringId', `is an offering of ${offering.modelId}, not of ${model.modelId}`);
  }
  return offering;
}

/**
 * Checks a change against the ledger when it is proposed, and again when it
 * is executed (the ledger may have moved on).
 *
 * @throws ChaincodeError INVALID_ARGUMENT naming the field, or CONFLICT for an impossible status change.
 */
async function checkChange(tx: Tx, model: ModelRecord, change: ProposalChange): Promise<void> {
  switch (change.kind) {
    case 'activateVersion':
      await requireModelVersion(tx, model.modelId, change.version, 'change.version');
      return;
    case 'setPrice': {
      const offering = await requireModelOffering(tx, model, change.offeringId);
      if (offering.status === 'retired') {
        throw new ChaincodeError(ErrorCode.CONFLICT, `offering ${offering.offeringId} is retired and sells nothing`);
      }
      return;
    }
    case 'setOfferingStatus': {
      const offering = await requireModelOffering(tx, model, change.offeringId);
      if (!OFFERING_TRANSITIONS[offering.status].includes(change.status)) {
        throw new ChaincodeError(
          ErrorCode.CONFLICT,
          `offering ${offering.offeringId} is ${offering.status} and cannot become ${change.status}`,
        );
      }
      return;
    }
    case 'setRoyaltyPolicy': {
      const policy = parseRoyaltyPolicy(change.royaltyPolicy, model.modelId);
      await checkParents(tx, model.modelId, policy, 'change.royaltyPolicy');
      // A vote of the child's holders cannot cut a parent out either.
      await checkLineageKept(tx, model, policy);
      return;
    }
    case 'setGovernancePolicy':
      return;
  }
}

/** Applies an accepted change. Sold licences are never touched: they point at their frozen terms snapshot. */
async function applyChange(tx: Tx, model: ModelRecord, change: ProposalChange): Promise<AppliedChange> {
  const now = tx.now;
  switch (change.kind) {
    case 'activateVersion':
      await writeModel(tx, { ...model, activeVersion: change.version, updatedAt: now, txId: tx.txId });
      return { ...change, previousVersion: model.activeVersion };
    case 'setRoyaltyPolicy': {
      const policy = parseRoyaltyPolicy(change.royaltyPolicy, model.modelId);
      await writeModel(tx, { ...model, royaltyPolicy: policy, updatedAt: now, txId: tx.txId });
      return { kind: change.kind, royaltyPolicy: policy };
    }
    case 'setGovernancePolicy':
      await writeModel(tx, { ...model, governancePolicy: change.governancePolicy, updatedAt: now, txId: tx.txId });
      return change;
    case 'setPrice': {
      const offering = await requireOffering(tx, change.offeringId);
      const current = await requireTerms(tx, Keys.terms(offering.offeringId, offering.termsVersion));
      const terms = { ...current.terms, version: offering.termsVersion + 1, unitPrice: change.unitPrice };
      const hash = termsHash(terms);
      await saveTerms(tx, terms, hash);
      await writeOffering(tx, { ...offering, termsVersion: terms.version, termsHash: hash, updatedAt: now, txId: tx.txId });
      return { ...change, termsVersion: terms.version, termsHash: hash, previousUnitPrice: current.terms.unitPrice };
    }
    case 'setOfferingStatus': {
      const offering = await requireOffering(tx, change.offeringId);
      await writeOffering(tx, { ...offering, status: change.status, updatedAt: now, txId: tx.txId });
      return { ...change, previousStatus: offering.status };
    }
  }
}

/**
 * Closes an open proposal whose voting has ended.
 *
 * @throws ChaincodeError VOTING_OPEN before the deadline.
 */
async function closeVoting(tx: Tx, proposal: ProposalRecord): Promise<ProposalRecord> {
  if (tx.now < proposal.votingEndsAt) {
    throw new ChaincodeError(ErrorCode.VOTING_OPEN, `proposal ${proposal.proposalId} is open for voting until ${proposal.votingEndsAt}`);
  }
  const tally = await countVotes(tx, proposal.proposalId);
  // Weights are units held at each vote, so the quorum's base is units sold by now, not when the proposal opened.
  const eligible = await unitsSoldOfModel(tx, proposal.modelId);
  const state = decide(tally, eligible, proposal.policy);
  return { ...proposal, state, tally, eligibleUnits: eligible.toString(), closedAt: tx.now, txId: tx.txId };
}

/**
 * Token-holder governance of a model. Holders vote with the units of the
 * model's licences they hold; each vote is its own key, and the licences it
 * counted are locked until voting ends, so the same units never vote twice.
 * An accepted proposal's change applies in the transaction that executes it.
 */
@Info({ title: ContractName.governance, description: 'Proposals, weighted votes and execution of changes to a model' })
export class GovernanceContract extends LedgerContract {
  constructor() {
    super(ContractName.governance);
  }

  /**
   * Proposes a change to a model. `change` is JSON, one of:
   * `{kind:"activateVersion",version}`, `{kind:"setPrice",offeringId,unitPrice}`,
   * `{kind:"setOfferingStatus",offeringId,status:"active"|"paused"|"retired"}`,
   * `{kind:"setRoyaltyPolicy",royaltyPolicy}`, `{kind:"setGovernancePolicy",governancePolicy}`.
   * `votingSeconds` must lie within the model's governance policy bounds.
   * The owner org's admin or engineer may always propose; anyone else
   * proposes as a holder (`proposer` = `self`, or `org` for an admin of a
   * holding treasury) holding at least the policy's threshold of the units sold.
   * Returns the ProposalRecord.
   */
  @Transaction()
  async CreateProposal(
    ctx: Context,
    modelId: string,
    change: string,
    description: string,
    votingSeconds: string,
    proposer: string,
  ): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'create a proposal');
    const model = await requireModel(tx, requireId('modelId', modelId), 'modelId');
    const parsed = parseProposalChange(requireJson('change', change));
    const text = requireDescription(description);
    const policy = effectiveGovernance(model.governancePolicy);
    const seconds = requireInteger(
      'votingSeconds',
      Number(votingSeconds === '' ? NaN : votingSeconds),
      policy.minVotingSeconds,
      policy.maxVotingSeconds,
    );
    const choice = requireChoice('proposer', proposer, ACCOUNT_CHOICES);
    await checkChange(tx, model, parsed);
    const eligible = await unitsSoldOfModel(tx, model.modelId);
    const now = tx.now;
    const proposerAccount = actingAccount(caller, choice, 'propose');
    const isOwner = caller.mspId === model.ownerMspId && caller.role !== undefined && OWNER_PROPOSERS.includes(caller.role);
    if (!isOwner) {
      const held = (await holdingsOf(tx, proposerAccount, model.modelId, now)).reduce((sum, holding) => sum + holding.remaining, 0n);
      if (held === 0n || !reachesShare(held, eligible, policy.proposalThresholdBps)) {
        throw new ChaincodeError(
          ErrorCode.BELOW_PROPOSAL_THRESHOLD,
          `${proposerAccount} holds ${held} of the ${eligible} units sold of ${model.modelId}; proposing needs ${policy.proposalThresholdBps} basis points`,
        );
      }
    }
    const proposalId = `P-${tx.txId.slice(0, 16)}`;
    if ((await findProposal(tx, proposalId)) !== undefined) {
      throw new ChaincodeError(ErrorCode.CONFLICT, `proposal ${proposalId} already exists; submit again`);
    }
    const proposal: ProposalRecord = {
      docType: 'proposal',
      proposalId,
      modelId: model.modelId,
      proposer: proposerAccount,
      change: parsed,
      description: text,
      state: 'open',
      policy,
      eligibleUnits: eligible.toString(),
      votingEndsAt: addSeconds(now, seconds),
      createdAt: now,
      txId: tx.txId,
    };
    await saveNewProposal(tx, proposal);
    tx.emit(Events.ProposalCreated, proposal);
    return result(proposal);
  }

  /**
   * Votes `yes`, `no` or `abstain` for the caller's account (`voter` = `self`)
   * or its org treasury (`org`, role admin), weighted by the units left in
   * the unexpired licences of the model that account holds. Writes only keys
   * of its own (the vote and one lock per licence), so concurrent votes do
   * not conflict. The licences counted cannot be listed or transferred until
   * voting ends. Returns the VoteRecord.
   */
  @Transaction()
  async CastVote(ctx: Context, proposalId: string, choice: string, voter: string): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'vote');
    const proposal = await requireProposal(tx, requireId('proposalId', proposalId));
    const vote = requireChoice('choice', choice, VOTE_CHOICES);
    const account = actingAccount(caller, requireChoice('voter', voter, ACCOUNT_CHOICES), 'vote');
    const now = tx.now;
    if (proposal.state !== 'open' || now >= proposal.votingEndsAt) {
      throw new ChaincodeError(ErrorCode.VOTING_CLOSED, `voting on proposal ${proposal.proposalId} ended at ${proposal.votingEndsAt}`);
    }
    if ((await findVote(tx, proposal.proposalId, account)) !== undefined) {
      throw new ChaincodeError(ErrorCode.ALREADY_VOTED, `${account} already voted on proposal ${proposal.proposalId}`);
    }
    const holdings = await holdingsOf(tx, account, proposal.modelId, now);
    for (const holding of holdings) {
      if (await votedWith(tx, holding.license.licenseId, proposal.proposalId)) {
        throw new ChaincodeError(
          ErrorCode.ALREADY_VOTED,
          `licence ${holding.license.licenseId} already voted on proposal ${proposal.proposalId}`,
        );
      }
    }
    const weight = holdings.reduce((sum, holding) => sum + holding.remaining, 0n);
    if (weight === 0n) {
      throw new ChaincodeError(ErrorCode.INSUFFICIENT_UNITS, `${account} holds no unused units of model ${proposal.modelId}`);
    }
    const record: VoteRecord = {
      docType: 'vote',
      proposalId: proposal.proposalId,
      modelId: proposal.modelId,
      voter: account,
      choice: vote,
      weight: weight.toString(),
      licenses: holdings.map((holding) => ({ licenseId: holding.license.licenseId, units: holding.remaining.toString() })),
      castBy: caller.account,
      at: now,
      txId: tx.txId,
    };
    await saveVote(tx, proposal, record, holdings);
    tx.emit(Events.VoteCast, record);
    return result(record);
  }

  /**
   * Closes a proposal after its voting deadline: `accepted`, `rejected`
   * (approval threshold not reached) or `expired` (quorum not met); or, once
   * its execution window has passed unexecuted, `lapsed`. Rejected, expired
   * and lapsed proposals change nothing else. Any member. Returns the ProposalRecord.
   */
  @Transaction()
  async CloseProposal(ctx: Context, proposalId: string): Promise<string> {
    const tx = new Tx(ctx);
    requireWriter(tx.caller, 'close a proposal');
    const proposal = await requireProposal(tx, requireId('proposalId', proposalId));
    if (proposal.state !== 'open' && proposal.state !== 'accepted') {
      throw new ChaincodeError(ErrorCode.VOTING_CLOSED, `proposal ${proposal.proposalId} is already ${proposal.state}`);
    }
    let closed = proposal.state === 'open' ? await closeVoting(tx, proposal) : proposal;
    const until = executableUntil(proposal.votingEndsAt, proposal.policy);
    if (closed.state === 'accepted' && tx.now >= until) {
      closed = { ...closed, state: 'lapsed', closedAt: closed.closedAt ?? tx.now, lapsedAt: tx.now, txId: tx.txId };
    } else if (proposal.state === 'accepted') {
      throw new ChaincodeError(ErrorCode.VOTING_CLOSED, `proposal ${proposal.proposalId} is accepted and may be executed until ${until}`);
    }
    await moveState(tx, proposal, closed);
    tx.emit(Events.ProposalClosed, {
      proposalId: closed.proposalId,
      modelId: closed.modelId,
      state: closed.state,
      tally: closed.tally,
      txId: tx.txId,
    });
    return result(closed);
  }

  /**
   * Executes an accepted proposal: closes it first if voting has ended, and
   * applies its change in this same transaction. Any member may execute.
   * Returns `{ proposal, change }`.
   *
   * Throws VOTING_OPEN before the deadline, QUORUM_NOT_MET or PROPOSAL_REJECTED
   * if the votes do not carry it (use CloseProposal to record that), and
   * PROPOSAL_NOT_EXECUTABLE once executed or closed unaccepted.
   */
  @Transaction()
  async ExecuteProposal(ctx: Context, proposalId: string): Promise<string> {
    const tx = new Tx(ctx);
    requireWriter(tx.caller, 'execute a proposal');
    const proposal = await requireProposal(tx, requireId('proposalId', proposalId));
    let decided = proposal;
    if (proposal.state === 'open') {
      decided = await closeVoting(tx, proposal);
      if (decided.state === 'expired') {
        throw new ChaincodeError(
          ErrorCode.QUORUM_NOT_MET,
          `proposal ${proposal.proposalId} drew ${turnout(decided.tally)} of the ${decided.eligibleUnits} units; quorum is ${proposal.policy.quorumBps} basis points`,
        );
      }
      if (decided.state === 'rejected') {
        throw new ChaincodeError(
          ErrorCode.PROPOSAL_REJECTED,
          `proposal ${proposal.proposalId} did not reach ${proposal.policy.approvalBps} basis points of yes`,
        );
      }
    } else if (proposal.state !== 'accepted') {
      throw new ChaincodeError(ErrorCode.PROPOSAL_NOT_EXECUTABLE, `proposal ${proposal.proposalId} is ${proposal.state}`);
    }
    const until = executableUntil(proposal.votingEndsAt, proposal.policy);
    if (tx.now >= until) {
      throw new ChaincodeError(
        ErrorCode.PROPOSAL_NOT_EXECUTABLE,
        `proposal ${proposal.proposalId} could be executed until ${until}; CloseProposal records it as lapsed`,
      );
    }
    const model = await requireModel(tx, proposal.modelId);
    await checkChange(tx, model, proposal.change);
    const applied = await applyChange(tx, model, proposal.change);
    const executed: ProposalRecord = { ...decided, state: 'executed', executedAt: tx.now, txId: tx.txId };
    await moveState(tx, proposal, executed);
    tx.emit(Events.ProposalExecuted, { proposal: executed, tally: executed.tally, change: applied, txId: tx.txId });
    return result<ExecutedProposal>({ proposal: executed, change: applied });
  }

  /**
   * Rebuilds an account's governance index (`holdermodel/`) from its
   * licences, at most `Limits.maxReindexPerCall` of them per call: a licence
   * that is unexpired and has units left is indexed under its model; any
   * other is dropped from the index. Voting weighs at most
   * `maxLicensesPerHolder` licences of one model per account, so an account
   * with many used-up licences calls this to drop them; it also indexes
   * licences bought before the index existed. `after` (empty to start) is
   * the previous answer's `next`; `next` is empty once every licence was
   * walked. The holder, or an admin for the org treasury (`holder` = `self`
   * or `org`). Returns `{ holder, scanned, indexed, dropped, next }`.
   */
  @Transaction()
  async ReindexHoldings(ctx: Context, holder: string, after: string): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'reindex holdings');
    const account = actingAccount(caller, requireChoice('holder', holder, ACCOUNT_CHOICES), 'reindex holdings');
    const rows = await heldLicenses(tx, account, after === '' ? undefined : requireId('after', after), Limits.maxReindexPerCall + 1);
    const walked = rows.slice(0, Limits.maxReindexPerCall);
    const now = tx.now;
    let indexed = 0;
    let dropped = 0;
    for (const row of walked) {
      const license = await tx.get<LicenseRecord>(row.ref);
      if (license === undefined) {
        continue;
      }
      if ((await usableUnits(tx, license, now)) > 0n) {
        await indexHoldingOfModel(tx, license);
        indexed += 1;
      } else {
        await unindexHoldingOfModel(tx, license);
        dropped += 1;
      }
    }
    const last = walked.at(-1);
    const next = rows.length > walked.length && last !== undefined ? last.licenseId : '';
    const answer: Reindexed = { holder: account, scanned: walked.length, indexed, dropped, next };
    tx.emit(Events.HoldingsReindexed, { ...answer, txId: tx.txId });
    return result(answer);
  }

  /** Reads a proposal with the current tally of its votes. Any member or a regulator. */
  @Transaction(false)
  async GetProposal(ctx: Context, proposalId: string): Promise<string> {
    const tx = new Tx(ctx);
    const proposal = await requireProposal(tx, requireId('proposalId', proposalId));
    return result<ProposalView>({ proposal, tally: await countVotes(tx, proposal.proposalId) });
  }

  /** A model's proposals, all (`state` empty) or in one state, one page at a time. Any member or a regulator. */
  @Transaction(false)
  async ListProposalsByModel(ctx: Context, modelId: string, state: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const model = await requireModel(tx, requireId('modelId', modelId));
    const only = state === '' ? undefined : requireChoice<ProposalState>('state', state, PROPOSAL_STATES);
    return result(
      await pageOfProposals(tx, model.modelId, only, requirePageSize('pageSize', pageSize), requireBookmark('bookmark', bookmark)),
    );
  }

  /** The votes on a proposal, one page at a time. Any member or a regulator. */
  @Transaction(false)
  async ListVotes(ctx: Context, proposalId: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const proposal = await requireProposal(tx, requireId('proposalId', proposalId));
    return result(await pageOfVotes(tx, proposal.proposalId, requirePageSize('pageSize', pageSize), requireBookmark('bookmark', bookmark)));
  }

  /** The committed changes of a proposal (created, closed, executed) with transaction ids, oldest first, one page at a time. Any member or a regulator. */
  @Transaction(false)
  async GetProposalHistory(ctx: Context, proposalId: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const proposal = await requireProposal(tx, requireId('proposalId', proposalId));
    return result(
      await tx.history(Keys.proposal(proposal.proposalId), requirePageSize('pageSize', pageSize), requireBookmark('bookmark', bookmark)),
    );
  }

  /** A model's governance policy (the default until a proposal changes it). Any member or a regulator. */
  @Transaction(false)
  async GetGovernancePolicy(ctx: Context, modelId: string): Promise<string> {
    const tx = new Tx(ctx);
    const model = await requireModel(tx, requireId('modelId', modelId));
    return result<GovernanceView>({ modelId: model.modelId, governancePolicy: effectiveGovernance(model.governancePolicy) });
  }
}

function turnout(tally: Tally | undefined): bigint {
  return tally === undefined ? 0n : BigInt(tally.yes) + BigInt(tally.no) + BigInt(tally.abstain);
}
