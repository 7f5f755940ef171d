/**
 * Runs last (see test/support/sequencer.js): stops and restarts every node, then
 * checks that nothing on the ledger was lost.
 */
import { connectAs, loadPlan, networkScript, Plan } from '../support/network';

const utf8 = new TextDecoder();

async function channelHeight(orgName: string, channel: string): Promise<number> {
  const out = await networkScript('peer', orgName, 'channel', 'getinfo', '-c', channel);
  const match = /"height":(\d+)/.exec(out);
  if (!match) throw new Error(`no height in: ${out}`);
  return Number(match[1]);
}

describe('a restart of the consortium', () => {
  let plan: Plan;

  beforeAll(() => {
    plan = loadPlan();
  });

  it('keeps the ledger height and state across down and up', async () => {
    const issuer = connectAs(plan, 'clearing', 'issuer1');
    const account = `org::restart-${process.pid}-${Date.now()}`;
    try {
      await issuer.contract('TokenContract').submitTransaction('Mint', account, '11');
    } finally {
      issuer.close();
    }
    const before = await channelHeight('lab', plan.channel);

    await networkScript('down');
    await networkScript('up');

    const after = await channelHeight('lab', plan.channel);
    expect(after).toBe(before);
    const reader = connectAs(plan, 'regulator', 'auditor1');
    try {
      const balance = JSON.parse(utf8.decode(await reader.contract('TokenContract').evaluateTransaction('GetBalance', account))) as { amount: string };
      expect(balance.amount).toBe('11');
    } finally {
      reader.close();
    }
  });
});
