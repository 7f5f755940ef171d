/**
 * No two orgs can move a third org's value, on the real network. Colluding
 * orgs are simulated by choosing the endorsers with the Fabric Gateway's
 * `endorsingOrganizations`: the peers endorse honestly, and what commits is
 * decided by the committing peers' validation against the chaincode's majority
 * policy and the key-level policies the chaincode pins owned keys with.
 */
import type { TokenClient } from '@model-ledger/contract';
import { ledgerReads, sha256 } from '../support/ledger';
import { Client, Connections } from '../support/network';
import { labModel, meteredOffering } from '../support/story';
import { settled } from '../support/transport';

describe("collusion: no two orgs can move a third org's value", () => {
  const connections = new Connections();
  let issuer: Client;
  let labAdmin: Client;
  let hospitalAdmin: Client;
  let practitioner: Client;
  let auditor: Client;
  const run = `${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    const as = connections.as;
    issuer = as('clearing', 'issuer1');
    labAdmin = as('lab', 'admin');
    hospitalAdmin = as('hospital', 'admin');
    practitioner = as('hospital', 'practitioner1');
    auditor = as('regulator', 'auditor1');
    // Both keys exist, and carry their owners' policies, from here on.
    await issuer.ledger.token.mint({ to: 'org::HospitalMSP', amount: '10', requestId: `collusion-${run}-seed-h` });
    await issuer.ledger.token.mint({ to: 'org::LabMSP', amount: '500', requestId: `collusion-${run}-seed-l` });
  });

  afterAll(() => {
    connections.closeAll();
  });

  const supply = async (): Promise<bigint> => BigInt((await auditor.ledger.token.getTotalSupply()).amount);
  const { balance, remaining } = ledgerReads(() => auditor);
  /** The token client of CLIENT with exactly these orgs' peers endorsing its writes. */
  const endorsedBy = (client: Client, ...endorsingOrganizations: string[]): TokenClient =>
    client.ledgerWith({ endorsingOrganizations }).token;

  it('invalidates a mint endorsed only by the hospital and the clinic, and changes nothing', async () => {
    const [supplyBefore, hospitalBefore] = [await supply(), await balance('org::HospitalMSP')];
    const outcome = await settled(endorsedBy(issuer, 'HospitalMSP', 'ClinicMSP').mint({ to: 'org::HospitalMSP', amount: '1000000' }));
    expect(outcome.status).toBe('ENDORSEMENT_POLICY_FAILURE');
    expect(await supply()).toBe(supplyBefore);
    expect(await balance('org::HospitalMSP')).toBe(hospitalBefore);
  });

  it('invalidates a mint endorsed by a majority without the issuer (hospital, clinic, lab): the supply key needs the clearing org', async () => {
    const supplyBefore = await supply();
    const outcome = await settled(
      endorsedBy(issuer, 'HospitalMSP', 'ClinicMSP', 'LabMSP').mint({ to: 'org::HospitalMSP', amount: '1000000' }),
    );
    expect(outcome.status).toBe('ENDORSEMENT_POLICY_FAILURE');
    expect(await supply()).toBe(supplyBefore);
  });

  it('commits the same mint endorsed with the clearing org', async () => {
    const [supplyBefore, hospitalBefore] = [await supply(), await balance('org::HospitalMSP')];
    const outcome = await settled(
      endorsedBy(issuer, 'ClearingMSP', 'HospitalMSP', 'ClinicMSP').mint({ to: 'org::HospitalMSP', amount: '7' }),
    );
    expect(outcome.status).toBe('VALID');
    expect(await supply()).toBe(supplyBefore + 7n);
    expect(await balance('org::HospitalMSP')).toBe(hospitalBefore + 7n);
  });

  it('invalidates a transfer out of the lab treasury endorsed by the three other orgs, and commits it with the lab', async () => {
    const [labBefore, hospitalBefore] = [await balance('org::LabMSP'), await balance('org::HospitalMSP')];
    const theft = await settled(
      endorsedBy(labAdmin, 'HospitalMSP', 'ClinicMSP', 'ClearingMSP').transfer({ from: 'org', to: 'org::HospitalMSP', amount: '100' }),
    );
    expect(theft.status).toBe('ENDORSEMENT_POLICY_FAILURE');
    expect(await balance('org::LabMSP')).toBe(labBefore);
    expect(await balance('org::HospitalMSP')).toBe(hospitalBefore);
    const payment = await settled(
      endorsedBy(labAdmin, 'LabMSP', 'HospitalMSP', 'ClinicMSP').transfer({ from: 'org', to: 'org::HospitalMSP', amount: '100' }),
    );
    expect(payment.status).toBe('VALID');
    expect(await balance('org::LabMSP')).toBe(labBefore - 100n);
    // The payment rewrote the treasury's value only; Fabric keeps the key's policy, so the next theft fails too.
    const again = await settled(
      endorsedBy(labAdmin, 'HospitalMSP', 'ClinicMSP', 'ClearingMSP').transfer({ from: 'org', to: 'org::HospitalMSP', amount: '100' }),
    );
    expect(again.status).toBe('ENDORSEMENT_POLICY_FAILURE');
    expect(await balance('org::LabMSP')).toBe(labBefore - 100n);
  });

  it("invalidates an access that takes the hospital's units without the hospital, after accesses rewrote the lot", async () => {
    const engineerAccount = (await connections.as('lab', 'engineer1').ledger.token.whoAmI()).account;
    const { data: model } = await labAdmin.ledger.model.registerModel(
      labModel({ slug: 'collusion-lots', description: 'Lots stay pinned', run, engineerAccount }),
    );
    const { data: published } = await labAdmin.ledger.offering.publishOffering(
      model.modelId,
      meteredOffering({ unitPrice: '1', allowedMspIds: ['HospitalMSP'] }),
    );
    await issuer.ledger.token.mint({ to: 'org::HospitalMSP', amount: '10', requestId: `collusion-${run}-lots` });
    const { data: purchase } = await hospitalAdmin.ledger.license.purchaseLicense({
      offeringId: published.offering.offeringId,
      units: '4',
      payer: 'org',
      requestId: `collusion-${run}-buy`,
    });
    const access = (endorsers: string[], n: number) =>
      settled(
        practitioner.ledgerWith({ endorsingOrganizations: endorsers }).license.recordAccess({
          licenseId: purchase.licenseId,
          units: '1',
          purpose: 'clinical-diagnosis',
          requestHash: sha256(`collusion-${run}-${n}`),
          lotHint: '0',
        }),
      );
    // Two honest accesses rewrite lot 0's value; the key keeps the hospital's policy from the purchase.
    expect((await access(['HospitalMSP', 'LabMSP', 'ClinicMSP'], 1)).status).toBe('VALID');
    expect((await access(['HospitalMSP', 'ClinicMSP', 'ClearingMSP'], 2)).status).toBe('VALID');
    expect(await remaining(purchase.licenseId)).toBe('2');
    const forged = await access(['LabMSP', 'ClinicMSP', 'ClearingMSP'], 3);
    expect(forged.status).toBe('ENDORSEMENT_POLICY_FAILURE');
    expect(await remaining(purchase.licenseId)).toBe('2');
  });

  it('invalidates a transfer endorsed by the owner and one accomplice: two orgs are never enough', async () => {
    const labBefore = await balance('org::LabMSP');
    const pair = await settled(
      endorsedBy(labAdmin, 'LabMSP', 'HospitalMSP').transfer({ from: 'org', to: 'org::HospitalMSP', amount: '1' }),
    );
    expect(pair.status).toBe('ENDORSEMENT_POLICY_FAILURE');
    expect(await balance('org::LabMSP')).toBe(labBefore);
  });
});
