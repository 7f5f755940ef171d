import type { ProposalRecord, PurchaseRecord, VoteRecord } from '../src/domain/records';
import { FakeFabric } from './support/fabric';
import type { FakeIdentity } from './support/fabric';
import { CLINIC, HOSPITAL, access, buy, contracts, digest, meteredOffering, mint, people, publish, registerModel } from './support/world';

const HOUR = 3600;

/** A model with a second registered version, an offering, and units held by the hospital (60) and the clinic (40). */
async function governed(
  fabric: FakeFabric,
): Promise<{ modelId: string; offeringId: string; hospital: PurchaseRecord; clinic: PurchaseRecord }> {
  const modelId = await registerModel(fabric);
  await fabric.submit(
    people.labEngineer,
    contracts.models,
    'AddModelVersion',
    modelId,
    '2.0.0',
    digest('weights-2.0.0'),
    's3://models/derm/2.0.0.onnx',
    'http://127.0.0.1:8080/v2/models/derm-2',
  );
  const offeringId = await publish(fabric, modelId, meteredOffering({ allowedMspIds: ['HospitalMSP', 'ClinicMSP'] }));
  await mint(fabric, HOSPITAL, '100000');
  await mint(fabric, CLINIC, '100000');
  const hospital = await buy(fabric, offeringId, '60');
  const clinic = (await fabric.submit(
    people.clinicAdmin,
    contracts.licenses,
    'PurchaseLicense',
    offeringId,
    '40',
    'org',
    '',
    '',
  )) as PurchaseRecord;
  return { modelId, offeringId, hospital, clinic };
}

async function propose(
  fabric: FakeFabric,
  modelId: string,
  change: object,
  who: FakeIdentity = people.labAdmin,
  proposer = 'org',
): Promise<ProposalRecord> {
  return (await fabric.submit(
    who,
    contracts.governance,
    'CreateProposal',
    modelId,
    JSON.stringify(change),
    'Switch to the retrained weights',
    String(HOUR),
    proposer,
  )) as ProposalRecord;
}

async function vote(fabric: FakeFabric, who: FakeIdentity, proposalId: string, choice: string): Promise<VoteRecord> {
  return (await fabric.submit(who, contracts.governance, 'CastVote', proposalId, choice, 'org')) as VoteRecord;
}

describe('proposals', () => {
  it('lets holders vote to activate a version, and new access records carry its artifact hash once executed', async () => {
    const fabric = new FakeFabric();
    const { modelId, hospital } = await governed(fabric);
    const proposal = await propose(fabric, modelId, { kind: 'activateVersion', version: '2.0.0' });
    expect(proposal).toMatchObject({ state: 'open', eligibleUnits: '100', proposer: 'org::LabMSP' });
    const cast = await vote(fabric, people.hospitalAdmin, proposal.proposalId, 'yes');
    expect(cast).toMatchObject({ voter: HOSPITAL, weight: '60', choice: 'yes' });
    await vote(fabric, people.clinicAdmin, proposal.proposalId, 'no');
    await expect(fabric.submit(people.labAdmin, contracts.governance, 'ExecuteProposal', proposal.proposalId)).rejects.toThrow(
      /^VOTING_OPEN: /,
    );
    fabric.advance(HOUR);
    const executed = (await fabric.submit(people.clinicAdmin, contracts.governance, 'ExecuteProposal', proposal.proposalId)) as {
      proposal: ProposalRecord;
    };
    expect(executed.proposal).toMatchObject({ state: 'executed', tally: { yes: '60', no: '40', abstain: '0', voters: 2 } });
    expect(fabric.ledger.events.at(-1)).toMatchObject({
      name: 'ProposalExecuted',
      payload: { change: { kind: 'activateVersion', version: '2.0.0', previousVersion: '1.0.0' } },
    });
    const record = await access(fabric, hospital.licenseId);
    expect(record).toMatchObject({ version: '2.0.0', artifactSha256: digest('weights-2.0.0') });
    await expect(fabric.submit(people.labAdmin, contracts.governance, 'ExecuteProposal', proposal.proposalId)).rejects.toThrow(
      /^PROPOSAL_NOT_EXECUTABLE: /,
    );
  });

  it('changes the price of future sales only; licences already sold keep their frozen terms', async () => {
    const fabric = new FakeFabric();
    const { modelId, offeringId, hospital } = await governed(fabric);
    const proposal = await propose(fabric, modelId, { kind: 'setPrice', offeringId, unitPrice: '25' });
    await vote(fabric, people.hospitalAdmin, proposal.proposalId, 'yes');
    fabric.advance(HOUR);
    await fabric.submit(people.labAdmin, contracts.governance, 'ExecuteProposal', proposal.proposalId);
    const later = await buy(fabric, offeringId, '2');
    expect(later).toMatchObject({ unitPrice: '25', price: '50' });
    expect(later.termsHash).not.toBe(hospital.termsHash);
    const old = await access(fabric, hospital.licenseId);
    expect(old).toMatchObject({ amount: '10', termsHash: hospital.termsHash });
  });

  it('records a rejected and an expired proposal and changes nothing else', async () => {
    const fabric = new FakeFabric();
    const { modelId } = await governed(fabric);
    const rejected = await propose(fabric, modelId, { kind: 'activateVersion', version: '2.0.0' });
    const expired = await propose(fabric, modelId, { kind: 'activateVersion', version: '2.0.0' });
    await vote(fabric, people.hospitalAdmin, rejected.proposalId, 'no');
    await vote(fabric, people.clinicAdmin, rejected.proposalId, 'yes');
    fabric.advance(HOUR);
    const model = fabric.ledger.state.get(`model/${modelId}`);
    await expect(fabric.submit(people.labAdmin, contracts.governance, 'ExecuteProposal', rejected.proposalId)).rejects.toThrow(
      /^PROPOSAL_REJECTED: /,
    );
    await expect(fabric.submit(people.labAdmin, contracts.governance, 'ExecuteProposal', expired.proposalId)).rejects.toThrow(
      /^QUORUM_NOT_MET: /,
    );
    expect(await fabric.submit(people.clinicAdmin, contracts.governance, 'CloseProposal', rejected.proposalId)).toMatchObject({
      state: 'rejected',
    });
    expect(await fabric.submit(people.clinicAdmin, contracts.governance, 'CloseProposal', expired.proposalId)).toMatchObject({
      state: 'expired',
    });
    expect(fabric.ledger.state.get(`model/${modelId}`)).toBe(model);
    const byState = (await fabric.evaluate(
      people.regulator,
      contracts.governance,
      'ListProposalsByModel',
      modelId,
      'rejected',
      '',
      '',
    )) as { records: ProposalRecord[] };
    expect(byState.records.map((p) => p.proposalId)).toEqual([rejected.proposalId]);
    const open = (await fabric.evaluate(people.regulator, contracts.governance, 'ListProposalsByModel', modelId, 'open', '', '')) as {
      records: ProposalRecord[];
    };
    expect(open.records).toEqual([]);
    const history = (await fabric.evaluate(people.regulator, contracts.governance, 'GetProposalHistory', rejected.proposalId, '', '')) as {
      records: unknown[];
    };
    expect(history.records).toHaveLength(2);
  });

  it('lets a holder above the threshold propose and refuses one below it', async () => {
    const fabric = new FakeFabric();
    const { modelId } = await governed(fabric);
    const byHolder = await propose(fabric, modelId, { kind: 'activateVersion', version: '2.0.0' }, people.clinicAdmin);
    expect(byHolder.proposer).toBe(CLINIC);
    const before = fabric.ledger.snapshot();
    await expect(propose(fabric, modelId, { kind: 'activateVersion', version: '2.0.0' }, people.practitioner, 'self')).rejects.toThrow(
      /^BELOW_PROPOSAL_THRESHOLD: /,
    );
    await expect(propose(fabric, modelId, { kind: 'activateVersion', version: '9.9.9' })).rejects.toThrow(
      /^INVALID_ARGUMENT: change.version/,
    );
    await expect(
      fabric.submit(
        people.labAdmin,
        contracts.governance,
        'CreateProposal',
        modelId,
        JSON.stringify({ kind: 'activateVersion', version: '2.0.0' }),
        'x',
        '5',
        'org',
      ),
    ).rejects.toThrow(/^INVALID_ARGUMENT: votingSeconds/);
    expect(fabric.ledger.snapshot()).toEqual(before);
  });
});

describe('every kind of change applies on execution', () => {
  /** Proposes `change`, lets the hospital (60 of 100 units) carry it, and executes it; returns the executed change. */
  async function carry(fabric: FakeFabric, modelId: string, change: object): Promise<Record<string, unknown>> {
    const proposal = await propose(fabric, modelId, change);
    await vote(fabric, people.hospitalAdmin, proposal.proposalId, 'yes');
    fabric.advance(HOUR);
    const executed = (await fabric.submit(people.clinicAdmin, contracts.governance, 'ExecuteProposal', proposal.proposalId)) as {
      change: Record<string, unknown>;
    };
    return executed.change;
  }

  it('pauses and then retires an offering: purchases stop, licences already sold still work', async () => {
    const fabric = new FakeFabric();
    const { modelId, offeringId, hospital } = await governed(fabric);
    await carry(fabric, modelId, { kind: 'setOfferingStatus', offeringId, status: 'paused' });
    await expect(buy(fabric, offeringId, '1')).rejects.toThrow(/^OFFERING_PAUSED: /);
    await carry(fabric, modelId, { kind: 'setOfferingStatus', offeringId, status: 'retired' });
    await expect(buy(fabric, offeringId, '1')).rejects.toThrow(/^OFFERING_RETIRED: /);
    expect(await access(fabric, hospital.licenseId)).toMatchObject({ amount: '10' });
  });

  it('changes the royalty policy for future accruals only', async () => {
    const fabric = new FakeFabric();
    const { modelId, hospital } = await governed(fabric);
    const before = await access(fabric, hospital.licenseId);
    expect(before.royalties.map((r) => r.account)).not.toContain(CLINIC);
    await carry(fabric, modelId, { kind: 'setRoyaltyPolicy', royaltyPolicy: { beneficiaries: [{ account: CLINIC, shareBps: 10000 }] } });
    const after = await access(fabric, hospital.licenseId);
    expect(after.royalties).toEqual([{ account: CLINIC, amount: '10', modelId, depth: 0 }]);
    const first = (await fabric.evaluate(people.regulator, contracts.licenses, 'GetAccessRecord', before.accessId)) as {
      royalties: unknown;
    };
    expect(first.royalties).toEqual(before.royalties);
  });

  it('changes the governance policy that later proposals are decided by', async () => {
    const fabric = new FakeFabric();
    const { modelId } = await governed(fabric);
    const policy = {
      quorumBps: 9000,
      approvalBps: 5000,
      proposalThresholdBps: 100,
      minVotingSeconds: 60,
      maxVotingSeconds: 86400,
      executionWindowSeconds: 3600,
    };
    await carry(fabric, modelId, { kind: 'setGovernancePolicy', governancePolicy: policy });
    expect(await fabric.evaluate(people.regulator, contracts.governance, 'GetGovernancePolicy', modelId)).toEqual({
      modelId,
      governancePolicy: policy,
    });
    // 60 of 100 units no longer make the 90 % quorum.
    const later = await propose(fabric, modelId, { kind: 'activateVersion', version: '2.0.0' });
    await vote(fabric, people.hospitalAdmin, later.proposalId, 'yes');
    fabric.advance(HOUR);
    await expect(fabric.submit(people.labAdmin, contracts.governance, 'ExecuteProposal', later.proposalId)).rejects.toThrow(
      /^QUORUM_NOT_MET: /,
    );
  });
});

describe('the execution window', () => {
  const WEEK = 7 * 24 * HOUR;

  it('lets an accepted proposal be executed until the window closes, then refuses it and records it as lapsed', async () => {
    const fabric = new FakeFabric();
    const { modelId } = await governed(fabric);
    const proposal = await propose(fabric, modelId, { kind: 'activateVersion', version: '2.0.0' });
    await vote(fabric, people.hospitalAdmin, proposal.proposalId, 'yes');
    fabric.advance(HOUR);
    const accepted = (await fabric.submit(
      people.clinicAdmin,
      contracts.governance,
      'CloseProposal',
      proposal.proposalId,
    )) as ProposalRecord;
    expect(accepted.state).toBe('accepted');
    await expect(fabric.submit(people.clinicAdmin, contracts.governance, 'CloseProposal', proposal.proposalId)).rejects.toThrow(
      /^VOTING_CLOSED: proposal .* is accepted and may be executed until /,
    );
    fabric.advance(WEEK);
    const before = fabric.ledger.snapshot();
    await expect(fabric.submit(people.labAdmin, contracts.governance, 'ExecuteProposal', proposal.proposalId)).rejects.toThrow(
      /^PROPOSAL_NOT_EXECUTABLE: proposal .* could be executed until .*; CloseProposal records it as lapsed/,
    );
    expect(fabric.ledger.snapshot()).toEqual(before);
    const model = fabric.ledger.state.get(`model/${modelId}`);
    const lapsed = (await fabric.submit(people.clinicAdmin, contracts.governance, 'CloseProposal', proposal.proposalId)) as ProposalRecord;
    expect(lapsed).toMatchObject({ state: 'lapsed', tally: accepted.tally });
    expect(fabric.ledger.events.at(-1)).toMatchObject({ name: 'ProposalClosed', payload: { state: 'lapsed' } });
    expect(fabric.ledger.state.get(`model/${modelId}`)).toBe(model);
    const listed = (await fabric.evaluate(people.regulator, contracts.governance, 'ListProposalsByModel', modelId, 'lapsed', '', '')) as {
      records: ProposalRecord[];
    };
    expect(listed.records.map((p) => p.proposalId)).toEqual([proposal.proposalId]);
    await expect(fabric.submit(people.labAdmin, contracts.governance, 'ExecuteProposal', proposal.proposalId)).rejects.toThrow(
      /^PROPOSAL_NOT_EXECUTABLE: proposal .* is lapsed/,
    );
  });

  it('refuses an execution window shorter than a minute, naming the field', async () => {
    const fabric = new FakeFabric();
    const { modelId } = await governed(fabric);
    await expect(
      propose(fabric, modelId, { kind: 'setGovernancePolicy', governancePolicy: { executionWindowSeconds: 59 } }),
    ).rejects.toThrow(/^INVALID_ARGUMENT: change.governancePolicy.executionWindowSeconds /);
  });

  it('lapses a proposal that nobody closed or executed in time, on its first close', async () => {
    const fabric = new FakeFabric();
    const { modelId } = await governed(fabric);
    const proposal = await propose(fabric, modelId, { kind: 'activateVersion', version: '2.0.0' });
    await vote(fabric, people.hospitalAdmin, proposal.proposalId, 'yes');
    fabric.advance(HOUR + WEEK);
    await expect(fabric.submit(people.labAdmin, contracts.governance, 'ExecuteProposal', proposal.proposalId)).rejects.toThrow(
      /^PROPOSAL_NOT_EXECUTABLE: /,
    );
    expect(await fabric.submit(people.clinicAdmin, contracts.governance, 'CloseProposal', proposal.proposalId)).toMatchObject({
      state: 'lapsed',
    });
  });
});

describe('voting weight', () => {
  it('weighs a holder\u2019s units of the proposal\u2019s model whatever else it holds', async () => {
    const fabric = new FakeFabric();
    const { modelId } = await governed(fabric);
    // Many licences of another model must not crowd out the one that counts.
    const other = await registerModel(fabric);
    const otherOffering = await publish(fabric, other, meteredOffering({ supplyCap: '1000' }));
    for (let i = 0; i < 120; i += 1) {
      await buy(fabric, otherOffering, '1');
    }
    const proposal = await propose(fabric, modelId, { kind: 'activateVersion', version: '2.0.0' });
    expect(await vote(fabric, people.hospitalAdmin, proposal.proposalId, 'yes')).toMatchObject({ weight: '60' });
  });

  it('refuses to weigh a holder of more licences of the model than one transaction reads, rather than undercount', async () => {
    const fabric = new FakeFabric();
    const { modelId, offeringId } = await governed(fabric);
    // The hospital holds 1 licence of 60 units; 200 more of 1 unit each makes 201 (Limits.maxLicensesPerHolder is 200).
    for (let i = 0; i < 200; i += 1) {
      await buy(fabric, offeringId, '1');
    }
    const proposal = await propose(fabric, modelId, { kind: 'activateVersion', version: '2.0.0' });
    const before = fabric.ledger.snapshot();
    await expect(vote(fabric, people.hospitalAdmin, proposal.proposalId, 'yes')).rejects.toThrow(
      /^CONFLICT: org::HospitalMSP holds more than 200 licences of model /,
    );
    expect(fabric.ledger.snapshot()).toEqual(before);
    expect(await vote(fabric, people.clinicAdmin, proposal.proposalId, 'yes')).toMatchObject({ weight: '40' });
  });

  it('lets a holder drop its used-up licences from the count with ReindexHoldings, walking them over several calls', async () => {
    const fabric = new FakeFabric();
    const { modelId, offeringId, hospital } = await governed(fabric);
    const small: string[] = [];
    for (let i = 0; i < 200; i += 1) {
      small.push((await buy(fabric, offeringId, '1')).licenseId);
    }
    // Every one-unit licence gets used up; the 60-unit licence keeps 59.
    for (const licenseId of small) {
      await access(fabric, licenseId);
    }
    await access(fabric, hospital.licenseId);
    const reindex = (after: string): Promise<{ scanned: number; indexed: number; dropped: number; next: string }> =>
      fabric.submit(people.hospitalAdmin, contracts.governance, 'ReindexHoldings', 'org', after) as Promise<{
        scanned: number;
        indexed: number;
        dropped: number;
        next: string;
      }>;
    const first = await reindex('');
    expect(first).toMatchObject({ scanned: 200 });
    expect(first.next).not.toBe('');
    const second = await reindex(first.next);
    expect(second).toMatchObject({ scanned: 1, next: '' });
    expect(first.indexed + second.indexed).toBe(1);
    expect(first.dropped + second.dropped).toBe(200);
    expect(fabric.ledger.events.at(-1)).toMatchObject({ name: 'HoldingsReindexed', payload: { holder: HOSPITAL, scanned: 1 } });
    const proposal = await propose(fabric, modelId, { kind: 'activateVersion', version: '2.0.0' });
    expect(await vote(fabric, people.hospitalAdmin, proposal.proposalId, 'yes')).toMatchObject({ weight: '59' });
  });

  it('indexes with ReindexHoldings a licence the governance index lacks, as after an upgrade from before the index', async () => {
    const fabric = new FakeFabric();
    const { modelId, hospital } = await governed(fabric);
    const indexKey = [...fabric.ledger.state.keys()].find((key) => key.startsWith('holdermodel/') && key.endsWith(hospital.licenseId));
    expect(indexKey).toBeDefined();
    fabric.ledger.state.delete(indexKey as string);
    const proposal = await propose(fabric, modelId, { kind: 'activateVersion', version: '2.0.0' });
    await expect(vote(fabric, people.hospitalAdmin, proposal.proposalId, 'yes')).rejects.toThrow(
      /^INSUFFICIENT_UNITS: org::HospitalMSP holds no unused units/,
    );
    expect(await fabric.submit(people.hospitalAdmin, contracts.governance, 'ReindexHoldings', 'org', '')).toMatchObject({
      scanned: 1,
      indexed: 1,
      dropped: 0,
      next: '',
    });
    expect(await vote(fabric, people.hospitalAdmin, proposal.proposalId, 'yes')).toMatchObject({ weight: '60' });
  });

  it('refuses ReindexHoldings for a treasury by a non-admin, a malformed position and a regulator, changing nothing', async () => {
    const fabric = new FakeFabric();
    await governed(fabric);
    const before = fabric.ledger.snapshot();
    await expect(fabric.submit(people.practitioner, contracts.governance, 'ReindexHoldings', 'org', '')).rejects.toThrow(/^FORBIDDEN: /);
    await expect(fabric.submit(people.hospitalAdmin, contracts.governance, 'ReindexHoldings', 'org', 'bad/id')).rejects.toThrow(
      /^INVALID_ARGUMENT: after /,
    );
    await expect(fabric.submit(people.hospitalAdmin, contracts.governance, 'ReindexHoldings', 'everyone', '')).rejects.toThrow(
      /^INVALID_ARGUMENT: holder /,
    );
    await expect(fabric.submit(people.regulator, contracts.governance, 'ReindexHoldings', 'self', '')).rejects.toThrow(/^FORBIDDEN: /);
    expect(fabric.ledger.snapshot()).toEqual(before);
  });
});

describe('votes', () => {
  it('refuses a second vote, a vote after the deadline and a vote without units, changing nothing', async () => {
    const fabric = new FakeFabric();
    const { modelId } = await governed(fabric);
    const proposal = await propose(fabric, modelId, { kind: 'activateVersion', version: '2.0.0' });
    await vote(fabric, people.hospitalAdmin, proposal.proposalId, 'yes');
    let before = fabric.ledger.snapshot();
    await expect(vote(fabric, people.hospitalAdmin, proposal.proposalId, 'no')).rejects.toThrow(/^ALREADY_VOTED: /);
    await expect(vote(fabric, people.labAdmin, proposal.proposalId, 'no')).rejects.toThrow(/^INSUFFICIENT_UNITS: /);
    expect(fabric.ledger.snapshot()).toEqual(before);
    fabric.advance(HOUR);
    before = fabric.ledger.snapshot();
    await expect(vote(fabric, people.clinicAdmin, proposal.proposalId, 'yes')).rejects.toThrow(/^VOTING_CLOSED: /);
    expect(fabric.ledger.snapshot()).toEqual(before);
  });

  it('locks the units that voted until voting ends, so they cannot vote again under another holder', async () => {
    const fabric = new FakeFabric();
    const { modelId, hospital } = await governed(fabric);
    const proposal = await propose(fabric, modelId, { kind: 'activateVersion', version: '2.0.0' });
    await vote(fabric, people.hospitalAdmin, proposal.proposalId, 'yes');
    const before = fabric.ledger.snapshot();
    await expect(fabric.submit(people.hospitalAdmin, contracts.market, 'ListUnits', hospital.licenseId, '10', '12', '')).rejects.toThrow(
      /^UNITS_LOCKED: /,
    );
    await expect(
      fabric.submit(
        people.hospitalAdmin,
        contracts.market,
        'TransferUnits',
        hospital.licenseId,
        '10',
        `x509::HospitalMSP::${'0'.repeat(64)}`,
        '',
      ),
    ).rejects.toThrow(/^UNITS_LOCKED: /);
    expect(fabric.ledger.snapshot()).toEqual(before);
    fabric.advance(HOUR);
    await expect(
      fabric.submit(people.hospitalAdmin, contracts.market, 'ListUnits', hospital.licenseId, '10', '12', ''),
    ).resolves.toMatchObject({ status: 'open' });
  });

  it('commits concurrent votes on one proposal without a conflict', async () => {
    const fabric = new FakeFabric();
    const { modelId } = await governed(fabric);
    const proposal = await propose(fabric, modelId, { kind: 'activateVersion', version: '2.0.0' });
    const endorsements = [
      await fabric.endorse(people.hospitalAdmin, contracts.governance, 'CastVote', [proposal.proposalId, 'yes', 'org']),
      await fabric.endorse(people.clinicAdmin, contracts.governance, 'CastVote', [proposal.proposalId, 'abstain', 'org']),
    ];
    expect(endorsements.map((endorsement) => endorsement.commit())).toEqual(['VALID', 'VALID']);
    const votes = (await fabric.evaluate(people.regulator, contracts.governance, 'ListVotes', proposal.proposalId, '', '')) as {
      records: VoteRecord[];
    };
    expect(votes.records.map((v) => v.weight).sort()).toEqual(['40', '60']);
    expect(await fabric.evaluate(people.regulator, contracts.governance, 'GetProposal', proposal.proposalId)).toMatchObject({
      tally: { yes: '60', abstain: '40', no: '0' },
    });
  });
});
