/**
 * The namespaced run's plan (MLL_HOSTS=1): each org, and each orderer, on a
 * host of its own; nodes bind their host's address and are dialled by its
 * name. The one-machine sandbox's plan keeps every node on 127.0.0.1.
 */
import { resolve } from 'node:path';
import { buildPlan, configtx, ordererEnv, peerEnv, readTopology } from '../src';

const repoRoot = resolve(__dirname, '../..');
const topology = readTopology(repoRoot);

describe('hosts', () => {
  it('in the sandbox, are all 127.0.0.1, and no process has a namespace', () => {
    const plan = buildPlan(topology, '/run', 0, 'bft');
    expect(plan.hosts).toBeNull();
    for (const node of [...plan.orderers, ...plan.orgs.flatMap((o) => o.peers)]) {
      expect(node.host).toEqual({ name: '127.0.0.1', ip: '127.0.0.1', ns: null });
      expect(node.address).toBe(`127.0.0.1:${node.port}`);
    }
  });

  it('in the namespaced run, give each org and each orderer its own name, address and namespace', () => {
    const plan = buildPlan(topology, '/run', 0, 'bft', true);
    const lab = plan.orgs.find((o) => o.name === 'lab');
    expect(lab?.host).toEqual({ name: 'lab.mll.test', ip: '10.77.0.11', ns: 'mll-lab' });
    expect(lab?.peers[0].address).toBe(`lab.mll.test:${lab?.peers[0].port}`);
    expect(lab?.api.url).toBe(`http://lab.mll.test:${lab?.api.port}`);
    expect(plan.orderers[0].host).toEqual({ name: 'orderer0.lab.mll.test', ip: '10.77.0.100', ns: 'mll-lab-orderer0' });
    const list = plan.hosts?.list ?? [];
    expect(list[0]).toEqual({ name: 'operator.mll.test', ip: '10.77.0.2', ns: 'mll-operator' });
    expect(new Set(list.map((h) => h.ip)).size).toBe(list.length);
    expect(new Set(list.map((h) => h.ns)).size).toBe(list.length);
    // Every process scripts/network.sh starts has its host's namespace.
    expect(plan.hosts?.nodes).toMatchObject({
      'ca.lab': 'mll-lab',
      'peer0.lab': 'mll-lab',
      'chaincode.lab': 'mll-lab',
      'api.lab': 'mll-lab',
      'model-server': 'mll-lab',
      'orderer0.lab': 'mll-lab-orderer0',
      'peer0.regulator': 'mll-regulator',
    });
  });

  it('in the namespaced run, bind the host’s address and advertise its name', () => {
    const plan = buildPlan(topology, '/run', 0, 'bft', true);
    const peer = plan.orgs[1].peers[0];
    const env = peerEnv(plan, peer);
    expect(env.CORE_PEER_ADDRESS).toBe(`hospital.mll.test:${peer.port}`);
    expect(env.CORE_PEER_LISTENADDRESS).toBe(`10.77.0.12:${peer.port}`);
    expect(env.CORE_OPERATIONS_LISTENADDRESS).toBe(`10.77.0.12:${peer.opsPort}`);
    const orderer = plan.orderers[1];
    const oenv = ordererEnv(plan, orderer);
    expect(oenv.ORDERER_GENERAL_LISTENADDRESS).toBe('10.77.0.101');
    expect(oenv.ORDERER_ADMIN_LISTENADDRESS).toBe(`10.77.0.101:${orderer.adminPort}`);
    const profile = (configtx(plan) as { Profiles: { LicensingChannel: { Orderer: { ConsenterMapping: { Host: string }[] } } } }).Profiles
      .LicensingChannel;
    expect(profile.Orderer.ConsenterMapping.map((c) => c.Host)).toEqual(plan.orderers.map((n) => n.host.name));
  });
});
