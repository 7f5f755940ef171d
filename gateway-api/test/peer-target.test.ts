/**
 * Where an API instance's gRPC connection goes: its org's bound peer first,
 * then the org's other peers (spare ones too), so that it fails over within
 * its own org and never to another org's peer.
 */
import { buildPlan, readTopology } from '@model-ledger/network-tools';
import { resolve } from 'node:path';
import { peerTarget } from '../src/fabric/ledger';
import type { OrgBinding } from '../src/fabric/plan';

const plan = buildPlan(readTopology(resolve(__dirname, '..', '..')), '/run', 0);

function binding(orgName: string): OrgBinding {
  const org = plan.orgs.find((o) => o.name === orgName);
  if (org === undefined) throw new Error(`no org ${orgName}`);
  return { channel: plan.channel, chaincode: plan.chaincode.name, org, peer: org.peers[0] };
}

describe('the peers an API instance connects to', () => {
  it('is the one peer of an org that has one', () => {
    const lab = binding('lab');
    expect(peerTarget(lab)).toEqual({ target: lab.peer.address, options: {} });
  });

  it("lists the hospital's first peer, then its spare one, with one host name to check both certificates against", () => {
    const hospital = binding('hospital');
    const [spare] = hospital.org.sparePeers;
    expect(spare?.id).toBe('peer1.hospital');
    const { target, options } = peerTarget(hospital);
    expect(target).toBe(`ipv4:${hospital.peer.address},${spare.address}`);
    expect(options).toMatchObject({ 'grpc.ssl_target_name_override': '127.0.0.1', 'grpc.lb_policy_name': 'pick_first' });
  });

  it("never names another org's peer", () => {
    const hospital = binding('hospital');
    const others = plan.orgs.filter((o) => o.name !== 'hospital').flatMap((o) => [...o.peers, ...o.sparePeers].map((p) => p.address));
    const listed = peerTarget(hospital)
      .target.replace(/^ipv4:/, '')
      .split(',');
    expect(listed.filter((address) => others.includes(address))).toEqual([]);
  });
});
