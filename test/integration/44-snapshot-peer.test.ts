/**
 * A second peer for an org, from a ledger snapshot, and the org's API
 * instance failing over to it (issue 15, §5). `scripts/network.sh add-peer
 * hospital peer1` has peer0 write a snapshot, starts peer1, joins it from the
 * snapshot (so it holds no block before it) and installs the hospital's
 * chaincode. With peer0 killed, the hospital's running API instance reads and
 * writes through peer1; peer0 catches up after `up --org hospital`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { isRunning, kill } from '../support/faults';
import { caughtUp, rejection, sleep } from '../support/ledger';
import { connectWith, identityOf, issueApiKey, loadPlan, networkScript, signerOf } from '../support/network';
import type { Client, PeerPlan } from '../support/network';

/** The hospital admin's qscc on one peer. */
function qsccOn(peer: PeerPlan): Client {
  const plan = loadPlan();
  const admin = plan.orgs.find((o) => o.name === 'hospital')?.users.find((u) => u.name === 'admin');
  if (admin === undefined) throw new Error('no hospital admin in the plan');
  return connectWith(
    peer,
    identityOf('HospitalMSP', readFileSync(join(admin.msp, 'signcerts', 'cert.pem'))),
    signerOf(readFileSync(join(admin.msp, 'keystore', 'key.pem'))),
    plan.channel,
    plan.chaincode.name,
  );
}

async function heightOn(client: Client, channel: string): Promise<number> {
  const info = common.BlockchainInfo.deserializeBinary(
    await client.network.getContract('qscc').evaluateTransaction('GetChainInfo', channel),
  );
  return info.getHeight();
}

describe("a second peer from a snapshot, and the org's API failing over to it", () => {
  const tag = `${process.pid}-${Date.now()}`;
  const channel = loadPlan().channel;
  const clients: Client[] = [];
  const timings: Record<string, number> = {};

  afterAll(async () => {
    clients.forEach((c) => c.close());
    // Whatever happened above, the hospital's peers run again for the tests after this one.
    await networkScript('up', '--org', 'hospital');
  });

  it('adds peer1 to the hospital from a snapshot of peer0: it holds no block before the snapshot, and catches up', async () => {
    const hospital = () => loadPlan().orgs.find((o) => o.name === 'hospital');
    expect(hospital()?.peers.map((p) => p.id)).toEqual(['peer0.hospital']);
    const started = Date.now();
    await networkScript('add-peer', 'hospital', 'peer1');
    timings.addPeerMs = Date.now() - started;
    const peers = hospital()?.peers ?? [];
    expect(peers.map((p) => p.id)).toEqual(['peer0.hospital', 'peer1.hospital']);
    const [peer0, peer1] = peers.map((p) => qsccOn(p));
    clients.push(peer0, peer1);

    // Joined from the snapshot: block 1 was never delivered to peer1, which peer0 has.
    const qscc = (c: Client) => c.network.getContract('qscc');
    expect((await qscc(peer0).evaluateTransaction('GetBlockByNumber', channel, '1')).length).toBeGreaterThan(0);
    expect(await rejection(() => qscc(peer1).evaluateTransaction('GetBlockByNumber', channel, '1'))).toMatch(
      /not found|no such|out of range|bootstrapped/i,
    );
    const target = await heightOn(peer0, channel);
    for (let i = 0; i < 60 && (await heightOn(peer1, channel)) < target; i++) await sleep(500);
    expect(await heightOn(peer1, channel)).toBeGreaterThanOrEqual(target);
    // Adding it again changes nothing.
    await networkScript('add-peer', 'hospital', 'peer1');
  });

  it("keeps the hospital's running API instance reading and writing through peer1 while peer0 is killed", async () => {
    const plan = loadPlan();
    const url = (org: string) => plan.orgs.find((o) => o.name === org)?.api.url ?? '';
    const issuer = await issueApiKey('clearing', 'issuer1');
    const hospitalAdmin = await issueApiKey('hospital', 'admin');
    const call = (org: string, key: string, path: string, body?: object, idem?: string) =>
      fetch(`${url(org)}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'X-API-Key': key, 'content-type': 'application/json', ...(idem === undefined ? {} : { 'Idempotency-Key': idem }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect(
      (await call('clearing', issuer, '/v1/token/mints', { to: 'org::HospitalMSP', amount: '5' }, `failover-mint-${tag}`)).status,
    ).toBe(201);
    const balance = async (): Promise<bigint> => {
      const response = await call('hospital', hospitalAdmin, '/v1/accounts/org::HospitalMSP/balance');
      expect(response.status).toBe(200);
      return BigInt(((await response.json()) as { amount: string }).amount);
    };
    const before = await balance();

    const pid = kill('peer0.hospital');
    for (let i = 0; i < 100 && isRunning(pid); i++) await sleep(50);
    expect(isRunning(pid)).toBe(false);
    const killedAt = Date.now();
    // A write needs the hospital's own peer (its treasury key is pinned to it): only peer1 can endorse it now.
    // While the gateways still count peer0 among the hospital's endorsers, the API may answer 503; a client
    // retries with the same Idempotency-Key, as the API's contract says, and is charged once.
    const pay = () =>
      call('hospital', hospitalAdmin, '/v1/token/transfers', { from: 'org', to: 'org::LabMSP', amount: '1' }, `failover-pay-${tag}`);
    let response = await pay();
    for (let i = 0; i < 20 && response.status === 503; i++) {
      await sleep(500);
      response = await pay();
    }
    const body = (await response.json()) as { transaction?: { id: string } };
    expect(response.status).toBe(201);
    timings.writeAfterKillMs = Date.now() - killedAt;
    expect(body.transaction?.id).toBeDefined();
    expect(await balance()).toBe(before - 1n);

    await networkScript('up', '--org', 'hospital');
    const { height, target } = await caughtUp('hospital', 'lab', channel);
    expect(height).toBeGreaterThanOrEqual(target);
    console.log(
      `second peer: added from a snapshot in ${(timings.addPeerMs / 1000).toFixed(1)} s; with peer0 killed, a write through the hospital's API committed in ${timings.writeAfterKillMs} ms`,
    );
  });
});
