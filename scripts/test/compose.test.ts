/**
 * docker-compose.yml is generated from network/topology.json by
 * `bash scripts/network.sh compose` (the network tools' `compose`). These
 * tests keep the committed file equal to that output, and check it against
 * the resolved plan the native network uses: the same nodes, images pinned to
 * the native Fabric version, the same MSP IDs, ports and MSP folders, and host
 * paths that exist. `compose` takes no runtime folder, so the file is the
 * same on every machine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import YAML from 'yaml';
import { buildPlan, compose, readTopology } from '../src';

const repoRoot = resolve(__dirname, '../..');
/** Where docker-compose.yml mounts the runtime folder in every container. */
const containerRuntimeDir = '/var/hyperledger/model-ledger';
const runtimeMountSource = '${MLL_DOCKER_RUNTIME:-./.runtime-docker}';

interface Service {
  image: string;
  network_mode?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  command?: string[];
  working_dir?: string;
}

const topology = readTopology(repoRoot);

function pinnedVersion(name: string): string {
  const binaries = readFileSync(join(repoRoot, 'scripts', 'lib', 'binaries.sh'), 'utf8');
  const match = new RegExp(`^${name}="([^"]+)"$`, 'm').exec(binaries);
  if (!match) throw new Error(`scripts/lib/binaries.sh sets no ${name}`);
  return match[1];
}

const committed = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
const services = (YAML.parse(committed) as { services: Record<string, Service> }).services;
const plan = buildPlan(topology, containerRuntimeDir, 0);
const orderers = plan.orderers;
const peers = plan.orgs.flatMap((org) => org.peers);
const cas = [...(plan.ordererOrg === null ? [] : [plan.ordererOrg.ca]), ...plan.orgs.map((org) => org.ca)];

function service(id: string): Service {
  const found = services[id];
  if (!found) throw new Error(`docker-compose.yml has no service ${id}`);
  return found;
}

function script(s: Service): string {
  // sh -c scripts: compose turns "$$" into "$".
  return (s.command ?? []).join(' ').replaceAll('$$', '$');
}

/** [host path, container path] of each bind mount. */
function mounts(s: Service): [string, string][] {
  return (s.volumes ?? []).map((v) => {
    const [source, target] = v.startsWith(runtimeMountSource)
      ? [runtimeMountSource, v.slice(runtimeMountSource.length + 1).split(':')[0]]
      : v.split(':');
    return [source, target];
  });
}

describe('docker-compose.yml', () => {
  it('is exactly what `scripts/network.sh compose` generates from network/topology.json', () => {
    expect(committed).toBe(compose(topology, 0, repoRoot));
  });

  it('has one service for every orderer, peer and CA in the plan, plus each member org\u2019s chaincode server, and nothing else', () => {
    const servers = plan.orgs.map((o) => o.chaincodeServer.id);
    const expected = [...cas.map((c) => c.id), ...orderers.map((n) => n.id), ...peers.map((n) => n.id), ...servers];
    expect(Object.keys(services).sort()).toEqual(expected.sort());
  });

  it('pins the Fabric images to the versions the native build uses', () => {
    const fabric = pinnedVersion('FABRIC_VERSION');
    const ca = pinnedVersion('FABRIC_CA_VERSION');
    for (const n of orderers) expect(service(n.id).image).toBe(`hyperledger/fabric-orderer:${fabric}`);
    for (const n of peers) expect(service(n.id).image).toBe(`hyperledger/fabric-peer:${fabric}`);
    for (const c of cas) expect(service(c.id).image).toBe(`hyperledger/fabric-ca:${ca}`);
    for (const o of plan.orgs) expect(service(o.chaincodeServer.id).image).toBe('node:20');
  });

  it('says once why the images are not the 3.1.5 the issue asked for', () => {
    expect(committed).toMatch(/issue asked for Fabric 3\.1\.5/);
  });

  it('runs every service on the host network, so the plan’s 127.0.0.1 addresses hold', () => {
    for (const s of Object.values(services)) expect(s.network_mode).toBe('host');
  });

  it('gives each orderer the plan’s MSP ID, MSP folder and listen ports', () => {
    for (const n of orderers) {
      const env = service(n.id).environment ?? {};
      expect(env.ORDERER_GENERAL_LOCALMSPID).toBe(n.mspId);
      expect(env.ORDERER_GENERAL_LOCALMSPDIR).toBe(n.msp);
      expect(env.ORDERER_GENERAL_LISTENADDRESS).toBe('127.0.0.1');
      expect(env.ORDERER_GENERAL_LISTENPORT).toBe(String(n.port));
      expect(env.ORDERER_ADMIN_LISTENADDRESS).toBe(`127.0.0.1:${n.adminPort}`);
      expect(env.ORDERER_OPERATIONS_LISTENADDRESS).toBe(`127.0.0.1:${n.opsPort}`);
      expect(env.ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED).toBe('true');
    }
  });

  it('gives each peer the plan’s MSP ID, MSP folder and listen ports', () => {
    for (const org of plan.orgs) {
      for (const n of org.peers) {
        const env = service(n.id).environment ?? {};
        expect(env.CORE_PEER_LOCALMSPID).toBe(org.mspId);
        expect(env.CORE_PEER_MSPCONFIGPATH).toBe(n.msp);
        expect(env.CORE_PEER_LISTENADDRESS).toBe(`127.0.0.1:${n.port}`);
        expect(env.CORE_PEER_CHAINCODELISTENADDRESS).toBe(`127.0.0.1:${n.chaincodePort}`);
        expect(env.CORE_OPERATIONS_LISTENADDRESS).toBe(`127.0.0.1:${n.opsPort}`);
        expect(env.CORE_PEER_TLS_ENABLED).toBe('true');
      }
    }
  });

  it('starts each CA with the plan’s home folder, ports and TLS, like start_ca does', () => {
    for (const c of cas) {
      const sh = script(service(c.id));
      expect(sh).toContain(`home=${c.home}`);
      expect(sh).toContain('--home "$home" -b "registrar:$(cat "$home/bootstrap.secret")"');
      expect(sh).toContain(`--port ${c.port} --address 127.0.0.1`);
      expect(sh).toContain(`--operations.listenaddress 127.0.0.1:${c.opsPort}`);
      expect(sh).toContain('--tls.enabled');
    }
  });

  it('serves the chaincode from each member org\u2019s own server, at the plan\u2019s address with that org\u2019s TLS pair', () => {
    expect(new Set(plan.orgs.map((o) => o.chaincodeServer.address)).size).toBe(plan.orgs.length);
    for (const o of plan.orgs) {
      const server = o.chaincodeServer;
      const sh = script(service(server.id));
      expect(sh).toContain('fabric-chaincode-node server');
      expect(sh).toContain(`--chaincode-address ${server.address}`);
      expect(sh).toContain(`--chaincode-tls-cert-file ${server.tls.cert}`);
      expect(sh).toContain(`--chaincode-tls-key-file ${server.tls.key}`);
      expect(server.tls.cert).toContain(`/crypto/${o.name}/`);
      expect(sh).toContain(`chaincode/${o.name}/running.id`);
    }
  });

  it('bind-mounts only the runtime folder and folders that exist in the repo', () => {
    for (const [id, s] of Object.entries(services)) {
      for (const [source, target] of mounts(s)) {
        if (source === runtimeMountSource) {
          expect([id, target]).toEqual([id, plan.runtimeDir]);
        } else {
          expect([id, source, isAbsolute(source)]).toEqual([id, source, false]);
          expect([id, source, existsSync(join(repoRoot, source))]).toEqual([id, source, true]);
        }
      }
    }
  });

  it('hands every node only absolute paths that lie inside one of its mounts or its image’s config folder', () => {
    for (const [id, s] of Object.entries(services)) {
      const roots = [...mounts(s).map(([, target]) => target), '/etc/hyperledger/fabric'];
      const paths = [...Object.values(s.environment ?? {}), script(s)].join(' ').match(/(?<![\w.])\/[\w./-]+/g) ?? [];
      const outside = paths.filter((p) => p !== '/dev/urandom' && !roots.some((r) => p === r || p.startsWith(`${r}/`)));
      expect([id, outside]).toEqual([id, []]);
    }
  });

  it('points the peers at the ccaas builder from this repo, at the path Fabric’s core.yaml names', () => {
    for (const n of peers) {
      const s = service(n.id);
      expect(s.environment?.FABRIC_CFG_PATH).toBe('/etc/hyperledger/fabric');
      expect(mounts(s)).toContainEqual(['./network/builders/ccaas', '/opt/hyperledger/ccaas_builder']);
    }
    for (const step of ['detect', 'build', 'release']) {
      expect(existsSync(join(repoRoot, 'network', 'builders', 'ccaas', 'bin', step))).toBe(true);
    }
  });
});
