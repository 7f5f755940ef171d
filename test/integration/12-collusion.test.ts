/**
 * No two orgs can move a third org's value, on the real network. Colluding
 * orgs are simulated by choosing the endorsers with the Fabric Gateway's
 * `endorsingOrganizations`: the peers endorse honestly, and what commits is
 * decided by the committing peers' validation against the chaincode's majority
 * policy and the key-level policies the chaincode pins owned keys with.
 */
import { Contract, StatusCode } from '@hyperledger/fabric-gateway';
import { Client, connectAs, loadPlan } from '../support/network';
import { evaluate, everyPeerHolds, Json, submit } from '../support/ledger';

const utf8 = new TextDecoder();

/** Submits with exactly these orgs' peers endorsing, and returns the commit status's name and the block. */
async function submitEndorsedBy(
  contract: Contract,
  name: string,
  endorsingOrganizations: string[],
  ...args: string[]
): Promise<{ status: string; result: Json; blockNumber: bigint }> {
  const submitted = await contract.submitAsync(name, { arguments: args, endorsingOrganizations });
  const status = await submitted.getStatus();
  await everyPeerHolds(status.blockNumber);
  const code = Object.entries(StatusCode).find(([, value]) => value === status.code)?.[0] ?? String(status.code);
  return { status: code, result: JSON.parse(utf8.decode(submitted.getResult())) as Json, blockNumber: status.blockNumber };
}

describe('collusion: no two orgs can move a third org\'s value', () => {
  const clients: Client[] = [];
  let issuer: Client;
  let labAdmin: Client;
  let auditor: Client;
  const run = `${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    const plan = loadPlan();
    const as = (org: string, user: string): Client => {
      const client = connectAs(plan, org, user);
      clients.push(client);
      return client;
    };
    issuer = as('clearing', 'issuer1');
    labAdmin = as('lab', 'admin');
    auditor = as('regulator', 'auditor1');
    // Both keys exist, and carry their owners' policies, from here on.
    await submit(issuer.contract('TokenContract'), 'Mint', 'org::HospitalMSP', '10', `collusion-${run}-seed-h`);
    await submit(issuer.contract('TokenContract'), 'Mint', 'org::LabMSP', '500', `collusion-${run}-seed-l`);
  });

  afterAll(() => {
    for (const client of clients) client.close();
  });

  const supply = async (): Promise<bigint> => BigInt((await evaluate(auditor.contract('TokenContract'), 'GetTotalSupply')).amount as string);
  const balance = async (account: string): Promise<bigint> =>
    BigInt((await evaluate(auditor.contract('TokenContract'), 'GetBalance', account)).amount as string);

  it('invalidates a mint endorsed only by the hospital and the clinic, and changes nothing', async () => {
    const [supplyBefore, hospitalBefore] = [await supply(), await balance('org::HospitalMSP')];
    const outcome = await submitEndorsedBy(issuer.contract('TokenContract'), 'Mint', ['HospitalMSP', 'ClinicMSP'], 'org::HospitalMSP', '1000000', '');
    expect(outcome.status).toBe('ENDORSEMENT_POLICY_FAILURE');
    expect(await supply()).toBe(supplyBefore);
    expect(await balance('org::HospitalMSP')).toBe(hospitalBefore);
  });

  it('invalidates a mint endorsed by a majority without the issuer (hospital, clinic, lab): the supply key needs the clearing org', async () => {
    const supplyBefore = await supply();
    const outcome = await submitEndorsedBy(
      issuer.contract('TokenContract'),
      'Mint',
      ['HospitalMSP', 'ClinicMSP', 'LabMSP'],
      'org::HospitalMSP',
      '1000000',
      '',
    );
    expect(outcome.status).toBe('ENDORSEMENT_POLICY_FAILURE');
    expect(await supply()).toBe(supplyBefore);
  });

  it('commits the same mint endorsed with the clearing org', async () => {
    const [supplyBefore, hospitalBefore] = [await supply(), await balance('org::HospitalMSP')];
    const outcome = await submitEndorsedBy(issuer.contract('TokenContract'), 'Mint', ['ClearingMSP', 'HospitalMSP', 'ClinicMSP'], 'org::HospitalMSP', '7', '');
    expect(outcome.status).toBe('VALID');
    expect(await supply()).toBe(supplyBefore + 7n);
    expect(await balance('org::HospitalMSP')).toBe(hospitalBefore + 7n);
  });

  it('invalidates a transfer out of the lab treasury endorsed by the three other orgs, and commits it with the lab', async () => {
    const [labBefore, hospitalBefore] = [await balance('org::LabMSP'), await balance('org::HospitalMSP')];
    const theft = await submitEndorsedBy(
      labAdmin.contract('TokenContract'),
      'Transfer',
      ['HospitalMSP', 'ClinicMSP', 'ClearingMSP'],
      'org',
      'org::HospitalMSP',
      '100',
      '',
    );
    expect(theft.status).toBe('ENDORSEMENT_POLICY_FAILURE');
    expect(await balance('org::LabMSP')).toBe(labBefore);
    expect(await balance('org::HospitalMSP')).toBe(hospitalBefore);
    const payment = await submitEndorsedBy(labAdmin.contract('TokenContract'), 'Transfer', ['LabMSP', 'HospitalMSP', 'ClinicMSP'], 'org', 'org::HospitalMSP', '100', '');
    expect(payment.status).toBe('VALID');
    expect(await balance('org::LabMSP')).toBe(labBefore - 100n);
  });

  it('invalidates a transfer endorsed by the owner and one accomplice: two orgs are never enough', async () => {
    const labBefore = await balance('org::LabMSP');
    const pair = await submitEndorsedBy(labAdmin.contract('TokenContract'), 'Transfer', ['LabMSP', 'HospitalMSP'], 'org', 'org::HospitalMSP', '1', '');
    expect(pair.status).toBe('ENDORSEMENT_POLICY_FAILURE');
    expect(await balance('org::LabMSP')).toBe(labBefore);
  });
});
