/**
 * Chaincode II on the real network: the hospital resells unused units to a
 * second licensee (the clinic) with the resale royalty enforced, and holders
 * vote a new model version into use. Rejected and expired proposals change
 * nothing.
 */
import { Client, connectAs, loadPlan, Plan } from '../support/network';
import { evaluate, Json, rejection, sha256, sleep, submit } from '../support/ledger';

describe('the secondary market and governance on the consortium', () => {
  let plan: Plan;
  const clients: Client[] = [];
  const as = (org: string, user: string): Client => {
    const client = connectAs(plan, org, user);
    clients.push(client);
    return client;
  };
  let lab: Client;
  let engineer: Client;
  let issuer: Client;
  let hospital: Client;
  let practitioner: Client;
  let clinic: Client;
  let clinicPractitioner: Client;
  let auditor: Client;

  const run = `${process.pid}-${Date.now()}`;
  let modelId: string;
  let offeringId: string;
  let hospitalLicense: string;
  let clinicLicense: string;
  const v2Hash = sha256(`artifact-v2-${run}`);

  beforeAll(async () => {
    plan = loadPlan();
    lab = as('lab', 'admin');
    engineer = as('lab', 'engineer1');
    issuer = as('clearing', 'issuer1');
    hospital = as('hospital', 'admin');
    practitioner = as('hospital', 'practitioner1');
    clinic = as('clinic', 'admin');
    clinicPractitioner = as('clinic', 'practitioner1');
    auditor = as('regulator', 'auditor1');

    const model = await submit(
      lab.contract('ModelContract'),
      'RegisterModel',
      `resale-model-${run}`,
      'A model whose licences are resold',
      'tabular-classification',
      'Research',
      '1.0.0',
      sha256(`artifact-v1-${run}`),
      'https://models.lab.example/resale/1.onnx',
      'https://serving.lab.example/v2/models/resale',
      JSON.stringify({ beneficiaries: [{ account: 'org::LabMSP', shareBps: 10000 }], resaleRoyaltyBps: 1000 }),
    );
    modelId = model.modelId as string;
    const published = await submit(
      lab.contract('OfferingContract'),
      'PublishOffering',
      modelId,
      JSON.stringify({
        kind: 'metered',
        unitPrice: '10',
        supplyCap: '1000',
        transferable: true,
        requiredAttributes: { role: 'practitioner' },
        allowedMspIds: ['HospitalMSP', 'ClinicMSP'],
        purposes: ['clinical-diagnosis'],
      }),
    );
    offeringId = (published.offering as Json).offeringId as string;
    await submit(issuer.contract('TokenContract'), 'Mint', 'org::HospitalMSP', '10000', '');
    await submit(issuer.contract('TokenContract'), 'Mint', 'org::ClinicMSP', '10000', '');
    hospitalLicense = (await submit(hospital.contract('LicenseContract'), 'PurchaseLicense', offeringId, '100', 'org', '')).licenseId as string;
  });

  afterAll(() => {
    for (const client of clients) client.close();
  });

  const accrued = async (account: string): Promise<bigint> =>
    BigInt((await evaluate(auditor.contract('RoyaltyContract'), 'GetAccruedRoyalties', account)).unclaimed as string);
  const balance = async (account: string): Promise<bigint> =>
    BigInt((await evaluate(auditor.contract('TokenContract'), 'GetBalance', account)).amount as string);
  const license = async (id: string): Promise<Json> => evaluate(auditor.contract('LicenseContract'), 'GetLicense', id);

  describe('reselling units', () => {
    let listingId: string;

    it('locks the listed units so that they cannot also be used', async () => {
      const listing = await submit(hospital.contract('MarketContract'), 'ListUnits', hospitalLicense, '40', '12', '');
      listingId = listing.listingId as string;
      expect(listing.status).toBe('open');
      const after = await license(hospitalLicense);
      expect(after.remainingUnits).toBe('60');
      expect(after.movedUnits).toBe('40');
      expect(await rejection(() => practitioner.contract('LicenseContract').submitTransaction(
        'RecordAccess', hospitalLicense, '61', 'clinical-diagnosis', sha256(`locked-${run}`), '',
        '',
        '',
      ))).toMatch(/INSUFFICIENT_UNITS/);
    });

    it('sells 25 units to the clinic, paying the lab exactly the resale royalty and the hospital the rest', async () => {
      const labBefore = await accrued('org::LabMSP');
      const hospitalBefore = await accrued('org::HospitalMSP');
      const clinicBefore = await balance('org::ClinicMSP');

      const trade = await submit(clinic.contract('MarketContract'), 'BuyListing', listingId, '25', 'org', '');

      expect(trade.price).toBe('300');
      expect(trade.royalty).toBe('30');
      expect(trade.proceeds).toBe('270');
      expect((await accrued('org::LabMSP')) - labBefore).toBe(30n);
      expect((await accrued('org::HospitalMSP')) - hospitalBefore).toBe(270n);
      expect(clinicBefore - (await balance('org::ClinicMSP'))).toBe(300n);
      clinicLicense = (trade.items as Json[])[0].toLicenseId as string;
      const bought = await license(clinicLicense);
      expect(bought.remainingUnits).toBe('25');
      expect((bought.license as Json).holder).toBe('org::ClinicMSP');
      expect((bought.license as Json).termsHash).toBe(((await license(hospitalLicense)).license as Json).termsHash);
      expect((await evaluate(auditor.contract('MarketContract'), 'GetListing', listingId)).items).toEqual([
        expect.objectContaining({ licenseId: hospitalLicense, remaining: '15' }),
      ]);
    });

    it('lets the clinic\u2019s practitioners use the units they bought', async () => {
      const receipt = await submit(
        clinicPractitioner.contract('LicenseContract'), 'RecordAccess', clinicLicense, '1', 'clinical-diagnosis', sha256(`clinic-use-${run}`), '',
        '',
        '',
      );
      expect(receipt.callerMspId).toBe('ClinicMSP');
      expect((await license(clinicLicense)).remainingUnits).toBe('24');
    });

    it('refuses a cross-org transfer that would dodge the resale royalty, and changes nothing', async () => {
      const before = await license(hospitalLicense);
      expect(await rejection(() => hospital.contract('MarketContract').submitTransaction('TransferUnits', hospitalLicense, '5', 'org::ClinicMSP', ''))).toMatch(
        /TRANSFER_RESTRICTED|FORBIDDEN/,
      );
      expect(await license(hospitalLicense)).toEqual(before);
    });

    it('refuses every market write from the regulator', async () => {
      const before = await evaluate(auditor.contract('MarketContract'), 'GetListing', listingId);
      // The chaincode's own words, so the refusal is the ledger's and not the client's.
      expect(await rejection(() => auditor.contract('MarketContract').submitTransaction('BuyListing', listingId, '1', 'org', ''))).toMatch(
        /FORBIDDEN: regulators may not/,
      );
      expect(await evaluate(auditor.contract('MarketContract'), 'GetListing', listingId)).toEqual(before);
    });

    it('returns the unsold units when the listing is cancelled', async () => {
      await submit(hospital.contract('MarketContract'), 'CancelListing', listingId);
      expect((await license(hospitalLicense)).remainingUnits).toBe('75');
      const trades = await evaluate(auditor.contract('MarketContract'), 'ListTradesByModel', modelId, '', '', '10', '');
      expect((trades.records as Json[]).map((t) => t.listingId)).toEqual([listingId]);
    });
  });

  describe('voting on the model', () => {
    it('activates a new version by vote, so new access records carry its artifact hash, while rejected and expired proposals change nothing', async () => {
      await submit(engineer.contract('ModelContract'), 'AddModelVersion', modelId, '2.0.0', v2Hash, 'https://models.lab.example/resale/2.onnx', 'https://serving.lab.example/v2/models/resale');
      const governance = lab.contract('GovernanceContract');
      const activate = (await submit(governance, 'CreateProposal', modelId, JSON.stringify({ kind: 'activateVersion', version: '2.0.0' }), 'Activate 2.0.0', '60', 'org')).proposalId as string;
      const pause = (await submit(governance, 'CreateProposal', modelId, JSON.stringify({ kind: 'setOfferingStatus', offeringId, status: 'paused' }), 'Pause sales', '60', 'org')).proposalId as string;
      const retire = (await submit(governance, 'CreateProposal', modelId, JSON.stringify({ kind: 'setOfferingStatus', offeringId, status: 'retired' }), 'Retire the offering', '60', 'org')).proposalId as string;

      await Promise.all([
        submit(hospital.contract('GovernanceContract'), 'CastVote', activate, 'yes', 'org'),
        submit(clinic.contract('GovernanceContract'), 'CastVote', activate, 'yes', 'org'),
      ]);
      await submit(hospital.contract('GovernanceContract'), 'CastVote', pause, 'no', 'org');
      expect(await rejection(() => hospital.contract('GovernanceContract').submitTransaction('CastVote', activate, 'no', 'org'))).toMatch(/ALREADY_VOTED/);
      expect(await rejection(() => lab.contract('GovernanceContract').submitTransaction('ExecuteProposal', activate))).toMatch(/VOTING_OPEN/);
      expect(await rejection(() => auditor.contract('GovernanceContract').submitTransaction('CastVote', retire, 'yes', 'self'))).toMatch(/FORBIDDEN/);

      await sleep(63_000); // the shortest voting period the governance policy allows is 60 s

      await submit(issuer.contract('GovernanceContract'), 'ExecuteProposal', activate);
      const model = await evaluate(auditor.contract('ModelContract'), 'GetModel', modelId);
      expect((model.model as Json).activeVersion).toBe('2.0.0');
      const receipt = await submit(practitioner.contract('LicenseContract'), 'RecordAccess', hospitalLicense, '1', 'clinical-diagnosis', sha256(`after-vote-${run}`), '', '', '');
      expect(receipt.version).toBe('2.0.0');
      expect(receipt.artifactSha256).toBe(v2Hash);

      expect(await rejection(() => lab.contract('GovernanceContract').submitTransaction('ExecuteProposal', pause))).toMatch(/PROPOSAL_REJECTED/);
      expect(await rejection(() => lab.contract('GovernanceContract').submitTransaction('ExecuteProposal', retire))).toMatch(/QUORUM_NOT_MET/);
      await submit(lab.contract('GovernanceContract'), 'CloseProposal', pause);
      await submit(lab.contract('GovernanceContract'), 'CloseProposal', retire);
      expect(((await evaluate(auditor.contract('GovernanceContract'), 'GetProposal', pause)).proposal as Json).state).toBe('rejected');
      expect(((await evaluate(auditor.contract('GovernanceContract'), 'GetProposal', retire)).proposal as Json).state).toBe('expired');
      const offering = await evaluate(auditor.contract('OfferingContract'), 'GetOffering', offeringId);
      expect((offering.offering as Json).status).toBe('active');
    });
  });
});
