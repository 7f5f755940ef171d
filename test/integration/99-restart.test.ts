/**
 * Runs last (see test/support/sequencer.js): stops and restarts every node, then
 * checks that nothing on the ledger was lost.
 */
import { connectAs, loadPlan, networkScript, Plan } from '../support/network';
import { channelHeight, healthStatus, sleep } from '../support/ledger';

describe('a restart of the consortium', () => {
  let plan: Plan;

  beforeAll(() => {
    plan = loadPlan();
  });

  it('keeps the ledger height and state across down and up', async () => {
    const issuer = connectAs(plan, 'clearing', 'issuer1');
    const account = `org::restart-${process.pid}-${Date.now()}`;
    try {
      await issuer.ledger.token.mint({ to: account, amount: 11 });
    } finally {
      issuer.close();
    }
    // The write resolved once every member org's peer held its block; the lab peer reports the clearing peer's height.
    const committed = await channelHeight('clearing', plan.channel);
    for (let i = 0; i < 50 && (await channelHeight('lab', plan.channel)) < committed; i++) await sleep(200);
    const before = await channelHeight('lab', plan.channel);
    expect(before).toBe(committed);

    await networkScript('down');
    const peer = plan.orgs[0].peers[0];
    await expect(healthStatus(peer.health, peer.tls.ca)).rejects.toThrow(/ECONNREFUSED/);

    await networkScript('up');

    expect(await healthStatus(peer.health, peer.tls.ca)).toBe(200);
    const after = await channelHeight('lab', plan.channel);
    expect(after).toBe(before);
    const reader = connectAs(plan, 'regulator', 'auditor1');
    try {
      expect((await reader.ledger.token.getBalance(account)).amount).toBe('11');
    } finally {
      reader.close();
    }
  });
});
