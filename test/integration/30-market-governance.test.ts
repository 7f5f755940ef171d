/**
 * Chaincode II on the real network: the hospital resells unused units to a
 * second licensee (the clinic) with the resale royalty enforced, and holders
 * vote a new model version into use. Rejected and expired proposals change
 * nothing.
 */
import { Client, Connections } from '../support/network';
import { ledgerReads, rejection, sha256, sleep } from '../support/ledger';

describe('the secondary market and governance on the consortium', () => {
  const connections = new Connections();
  const as = connections.as;
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
    lab = as('lab', 'admin');
    engineer = as('lab', 'engineer1');
    issuer = as('clearing', 'issuer1');
    hospital = as('hospital', 'admin');
    practitioner = as('hospital', 'practitioner1');
    clinic = as('clinic', 'admin');
    clinicPractitioner = as('clinic', 'practitioner1');
    auditor = as('regulator', 'auditor1');

    const model = await lab.ledger.model.registerModel({
      name: `resale-model-${run}`,
      description: 'A model whose licences are resold',
      task: 'tabular-classification',
      intendedUse: 'Research',
      version: '1.0.0',
      artifactSha256: sha256(`artifact-v1-${run}`),
      artifactUri: 'https://models.lab.example/resale/1.onnx',
      inferenceEndpoint: 'https://serving.lab.example/v2/models/resale',
      royaltyPolicy: { beneficiaries: [{ account: 'org::LabMSP', shareBps: 10000 }], resaleRoyaltyBps: 1000 },
    });
    modelId = model.data.modelId;
    const published = await lab.ledger.offering.publishOffering(modelId, {
      kind: 'metered',
      unitPrice: '10',
      supplyCap: '1000',
      transferable: true,
      requiredAttributes: { role: 'practitioner' },
      allowedMspIds: ['HospitalMSP', 'ClinicMSP'],
      purposes: ['clinical-diagnosis'],
    });
    offeringId = published.data.offering.offeringId;
    await issuer.ledger.token.mint({ to: 'org::HospitalMSP', amount: '10000' });
    await issuer.ledger.token.mint({ to: 'org::ClinicMSP', amount: '10000' });
    hospitalLicense = (await hospital.ledger.license.purchaseLicense({ offeringId, units: '100', payer: 'org' })).data.licenseId;
  });

  afterAll(() => {
    connections.closeAll();
  });

  const { accrued, balance, license } = ledgerReads(() => auditor);

  describe('reselling units', () => {
    let listingId: string;

    it('locks the listed units so that they cannot also be used', async () => {
      const { data: listing } = await hospital.ledger.market.listUnits({ licenseId: hospitalLicense, units: '40', askUnitPrice: '12' });
      listingId = listing.listingId;
      expect(listing.status).toBe('open');
      const after = await license(hospitalLicense);
      expect(after.remainingUnits).toBe('60');
      expect(after.movedUnits).toBe('40');
      expect(
        await rejection(() =>
          practitioner.ledger.license.recordAccess({
            licenseId: hospitalLicense,
            units: '61',
            purpose: 'clinical-diagnosis',
            requestHash: sha256(`locked-${run}`),
          }),
        ),
      ).toMatch(/INSUFFICIENT_UNITS/);
    });

    it('sells 25 units to the clinic, paying the lab exactly the resale royalty and the hospital the rest', async () => {
      const labBefore = await accrued('org::LabMSP');
      const hospitalBefore = await accrued('org::HospitalMSP');
      const clinicBefore = await balance('org::ClinicMSP');

      const { data: trade } = await clinic.ledger.market.buyListing({ listingId, units: '25', payer: 'org' });

      expect(trade.price).toBe('300');
      expect(trade.royalty).toBe('30');
      expect(trade.proceeds).toBe('270');
      expect((await accrued('org::LabMSP')) - labBefore).toBe(30n);
      expect((await accrued('org::HospitalMSP')) - hospitalBefore).toBe(270n);
      expect(clinicBefore - (await balance('org::ClinicMSP'))).toBe(300n);
      clinicLicense = trade.items[0].toLicenseId;
      const bought = await license(clinicLicense);
      expect(bought.remainingUnits).toBe('25');
      expect(bought.license.holder).toBe('org::ClinicMSP');
      expect(bought.license.termsHash).toBe((await license(hospitalLicense)).license.termsHash);
      expect((await auditor.ledger.market.getListing(listingId)).items).toEqual([
        expect.objectContaining({ licenseId: hospitalLicense, remaining: '15' }),
      ]);
    });

    it('lets the clinic\u2019s practitioners use the units they bought', async () => {
      const { data: receipt } = await clinicPractitioner.ledger.license.recordAccess({
        licenseId: clinicLicense,
        units: '1',
        purpose: 'clinical-diagnosis',
        requestHash: sha256(`clinic-use-${run}`),
      });
      expect(receipt.callerMspId).toBe('ClinicMSP');
      expect((await license(clinicLicense)).remainingUnits).toBe('24');
    });

    it('refuses a cross-org transfer that would dodge the resale royalty, and changes nothing', async () => {
      const before = await license(hospitalLicense);
      expect(
        await rejection(() => hospital.ledger.market.transferUnits({ licenseId: hospitalLicense, units: '5', to: 'org::ClinicMSP' })),
      ).toMatch(/TRANSFER_RESTRICTED|FORBIDDEN/);
      expect(await license(hospitalLicense)).toEqual(before);
    });

    it('refuses every market write from the regulator', async () => {
      const before = await auditor.ledger.market.getListing(listingId);
      // The chaincode's own words, so the refusal is the ledger's and not the client's.
      expect(await rejection(() => auditor.ledger.market.buyListing({ listingId, units: '1', payer: 'org' }))).toMatch(
        /FORBIDDEN: regulators may not/,
      );
      expect(await auditor.ledger.market.getListing(listingId)).toEqual(before);
    });

    it('returns the unsold units when the listing is cancelled', async () => {
      await hospital.ledger.market.cancelListing(listingId);
      expect((await license(hospitalLicense)).remainingUnits).toBe('75');
      const trades = await auditor.ledger.market.listTradesByModel(modelId, {}, { pageSize: 10 });
      expect(trades.records.map((t) => t.listingId)).toEqual([listingId]);
    });
  });

  describe('voting on the model', () => {
    it('activates a new version by vote, so new access records carry its artifact hash, while rejected and expired proposals change nothing', async () => {
      await engineer.ledger.model.addModelVersion({
        modelId,
        version: '2.0.0',
        artifactSha256: v2Hash,
        artifactUri: 'https://models.lab.example/resale/2.onnx',
        inferenceEndpoint: 'https://serving.lab.example/v2/models/resale',
      });
      const governance = lab.ledger.governance;
      const propose = async (change: object, description: string): Promise<string> =>
        (await governance.createProposal({ modelId, change, description, votingSeconds: '60', proposer: 'org' })).data.proposalId;
      const activate = await propose({ kind: 'activateVersion', version: '2.0.0' }, 'Activate 2.0.0');
      const pause = await propose({ kind: 'setOfferingStatus', offeringId, status: 'paused' }, 'Pause sales');
      const retire = await propose({ kind: 'setOfferingStatus', offeringId, status: 'retired' }, 'Retire the offering');

      await Promise.all([
        hospital.ledger.governance.castVote(activate, 'yes', 'org'),
        clinic.ledger.governance.castVote(activate, 'yes', 'org'),
      ]);
      await hospital.ledger.governance.castVote(pause, 'no', 'org');
      expect(await rejection(() => hospital.ledger.governance.castVote(activate, 'no', 'org'))).toMatch(/ALREADY_VOTED/);
      expect(await rejection(() => lab.ledger.governance.executeProposal(activate))).toMatch(/VOTING_OPEN/);
      expect(await rejection(() => auditor.ledger.governance.castVote(retire, 'yes', 'self'))).toMatch(/FORBIDDEN/);

      await sleep(63_000); // the shortest voting period the governance policy allows is 60 s

      await issuer.ledger.governance.executeProposal(activate);
      const model = await auditor.ledger.model.getModel(modelId);
      expect(model.model.activeVersion).toBe('2.0.0');
      const { data: receipt } = await practitioner.ledger.license.recordAccess({
        licenseId: hospitalLicense,
        units: '1',
        purpose: 'clinical-diagnosis',
        requestHash: sha256(`after-vote-${run}`),
      });
      expect(receipt.version).toBe('2.0.0');
      expect(receipt.artifactSha256).toBe(v2Hash);

      expect(await rejection(() => lab.ledger.governance.executeProposal(pause))).toMatch(/PROPOSAL_REJECTED/);
      expect(await rejection(() => lab.ledger.governance.executeProposal(retire))).toMatch(/QUORUM_NOT_MET/);
      await lab.ledger.governance.closeProposal(pause);
      await lab.ledger.governance.closeProposal(retire);
      expect((await auditor.ledger.governance.getProposal(pause)).proposal.state).toBe('rejected');
      expect((await auditor.ledger.governance.getProposal(retire)).proposal.state).toBe('expired');
      const offering = await auditor.ledger.offering.getOffering(offeringId);
      expect(offering.offering.status).toBe('active');
    });
  });
});
