/**
 * Operating one org: `scripts/network.sh down --org clinic` stops the clinic's
 * CA, peer, chaincode server and API instance and nothing else; the other
 * orgs keep committing without it; `up --org clinic` starts only what the
 * clinic runs, and its peer catches up with the blocks it missed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning } from '../support/faults';
import { caughtUp } from '../support/ledger';
import { loadPlan, networkScript, runtimeDir } from '../support/network';

describe('one org operated on its own (--org)', () => {
  const plan = loadPlan();
  const run = `${process.pid}-${Date.now()}`;
  const clinicNodes = ['ca.clinic', 'peer0.clinic', 'chaincode.clinic', 'api.clinic'];
  const others = ['ca.hospital', 'peer0.hospital', 'chaincode.hospital', 'api.hospital', 'peer0.lab', 'orderer0', 'orderer1', 'orderer2'];

  /** A mint through the clearing org's own API instance, with the sandbox's demo key of its issuer. */
  const mint = async (n: number): Promise<Response> => {
    const row = readFileSync(join(runtimeDir, 'api', 'demo-keys.tsv'), 'utf8')
      .split('\n')
      .map((line) => line.split('\t'))
      .find(([org]) => org === 'clearing');
    const url = plan.orgs.find((o) => o.name === 'clearing')?.api.url;
    if (row === undefined || url === undefined) throw new Error('no demo key or API of the clearing org');
    return fetch(`${url}/v1/token/mints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-API-Key': row[2], 'Idempotency-Key': `scope-${run}-${n}` },
      body: JSON.stringify({ to: 'org::HospitalMSP', amount: '1' }),
    });
  };

  afterAll(async () => {
    // Whatever happened above, the clinic runs again for the tests after this one.
    await networkScript('up', '--org', 'clinic');
  });

  it('stops only the clinic with down --org clinic, and the other orgs keep committing', async () => {
    await networkScript('down', '--org', 'clinic');
    expect(clinicNodes.filter(isRunning)).toEqual([]);
    expect(others.filter((n) => !isRunning(n))).toEqual([]);
    // Three of the four endorsing orgs are still up: mints commit without the clinic.
    for (let i = 0; i < 3; i++) {
      expect((await mint(i)).status).toBe(201);
    }
  });

  it('starts only the clinic with up --org clinic, whose peer catches up with the blocks it missed', async () => {
    await networkScript('up', '--org', 'clinic');
    expect(clinicNodes.filter((n) => !isRunning(n))).toEqual([]);
    const { height, target } = await caughtUp('clinic', 'hospital', plan.channel);
    expect(height).toBeGreaterThanOrEqual(target);
  });

  it('refuses an org the network does not have, and changes nothing', async () => {
    await expect(networkScript('up', '--org', 'nosuchorg')).rejects.toThrow(/unknown org 'nosuchorg' for --org/);
    await expect(networkScript('down', '--org=nosuchorg')).rejects.toThrow(/unknown org 'nosuchorg' for --org/);
    expect([...clinicNodes, ...others].filter((n) => !isRunning(n))).toEqual([]);
  });
});
