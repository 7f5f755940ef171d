/**
 * How the channel is ordered, as the plan and the rendered configuration say:
 * with Raft, by the ordering org's three orderers; with BFT, by one orderer
 * in each founding org that declares one, so that no single org controls
 * ordering.
 */
import { resolve } from 'node:path';
import { buildPlan, configtx, ordererEnv, peerEnv, readTopology } from '../src';

const repoRoot = resolve(__dirname, '../..');
const topology = readTopology(repoRoot);

interface Profile {
  Orderer: {
    OrdererType: string;
    Organizations: { ID: string; OrdererEndpoints?: string[] }[];
    ConsenterMapping?: { ID: number; MSPID: string; Port: number; Identity: string; ClientTLSCert: string }[];
    EtcdRaft?: { Consenters: { Port: number }[] };
    SmartBFT?: Record<string, unknown>;
  };
  Application: { Organizations: { ID: string; OrdererEndpoints?: string[]; Policies: { Readers: { Rule: string } } }[] };
}

function profile(consensus: 'raft' | 'bft'): Profile {
  const rendered = configtx(buildPlan(topology, '/run', 0, consensus)) as { Profiles: { LicensingChannel: Profile } };
  return rendered.Profiles.LicensingChannel;
}

describe('ordering', () => {
  it('with Raft, is run by the ordering org alone: its three orderers, and no member org runs one', () => {
    const plan = buildPlan(topology, '/run', 0, 'raft');
    expect(plan.ordererOrg?.name).toBe(topology.ordererOrg.name);
    expect(plan.orderers.map((n) => n.org)).toEqual(topology.ordererOrg.orderers.map(() => topology.ordererOrg.name));
    expect(plan.orgs.flatMap((org) => org.orderers)).toEqual([]);
    const p = profile('raft');
    expect(p.Orderer.OrdererType).toBe('etcdraft');
    expect(p.Orderer.Organizations.map((o) => o.ID)).toEqual([topology.ordererOrg.mspId]);
    expect(p.Orderer.EtcdRaft?.Consenters).toHaveLength(3);
  });

  it('with BFT, is run by four member orgs, one orderer each, known by their enrollment certificates', () => {
    const plan = buildPlan(topology, '/run', 0, 'bft');
    expect(plan.ordererOrg).toBeNull();
    const runners = topology.orgs.filter((o) => o.orderer !== undefined && o.founding !== false).map((o) => o.name);
    expect(runners).toEqual(['lab', 'hospital', 'clinic', 'clearing']);
    expect(plan.orderers.map((n) => n.org)).toEqual(runners);
    expect(plan.orderers.map((n) => n.id)).toEqual(runners.map((org) => `orderer0.${org}`));
    // Each orderer is its own org's node: its MSP and key live in that org's folder.
    for (const n of plan.orderers) {
      expect(n.msp).toBe(`/run/crypto/${n.org}/nodes/orderer0/msp`);
      expect(n.mspId).toBe(plan.orgs.find((org) => org.name === n.org)?.mspId);
    }

    const p = profile('bft');
    expect(p.Orderer.OrdererType).toBe('BFT');
    expect(p.Orderer.ConsenterMapping?.map((c) => [c.ID, c.MSPID, c.Port])).toEqual(plan.orderers.map((n, i) => [i + 1, n.mspId, n.port]));
    expect(p.Orderer.ConsenterMapping?.map((c) => c.Identity)).toEqual(plan.orderers.map((n) => `${n.msp}/signcerts/cert.pem`));
    expect(p.Orderer.Organizations.map((o) => o.ID)).toEqual(plan.orderers.map((n) => n.mspId));
    expect(p.Orderer.Organizations.map((o) => o.OrdererEndpoints)).toEqual(plan.orderers.map((n) => [n.address]));
    expect(p.Orderer.SmartBFT?.RequestBatchMaxInterval).toBe(topology.ordering.bft.requestBatchMaxInterval);
    // The regulator orders nothing and its definition names no orderer; an org that runs one lets its orderer read blocks.
    const regulator = p.Application.Organizations.find((o) => o.ID === 'RegulatorMSP');
    expect(regulator?.OrdererEndpoints).toBeUndefined();
    expect(regulator?.Policies.Readers.Rule).not.toContain('.orderer');
    expect(p.Application.Organizations.find((o) => o.ID === 'LabMSP')?.Policies.Readers.Rule).toContain("'LabMSP.orderer'");
  });

  it('with BFT, has every peer leave a block source that lags the other orderers’ headers after the topology’s bound, not Fabric’s 30 s', () => {
    const plan = buildPlan(topology, '/run', 0, 'bft');
    const bound = topology.ordering.bft.peerBlockCensorshipTimeout;
    expect(bound).toBe('5s');
    for (const peer of plan.orgs.flatMap((o) => o.peers)) {
      expect(peerEnv(plan, peer).CORE_PEER_DELIVERYCLIENT_BLOCKCENSORSHIPTIMEOUTKEY).toBe(bound);
    }
  });

  it('with BFT, lets each orderer verify the TLS certificates of the other orgs’ orderers', () => {
    const plan = buildPlan(topology, '/run', 0, 'bft');
    const env = ordererEnv(plan, plan.orderers[0]);
    const roots = plan.orderers.map((n) => n.tls.ca);
    expect(env.ORDERER_GENERAL_CLUSTER_ROOTCAS).toBe(`[${roots.join(',')}]`);
    expect(env.ORDERER_GENERAL_LOCALMSPID).toBe('LabMSP');
    // Its admin endpoint trusts its own org's CA only.
    expect(env.ORDERER_ADMIN_TLS_CLIENTROOTCAS).toBe(`[${plan.orderers[0].tls.ca}]`);
    expect(env.ORDERER_CONSENSUS_WALDIR).toBe(`${plan.orderers[0].data}/smartbft/wal`);
  });
});
