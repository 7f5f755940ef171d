/**
 * The plan: the topology resolved into every node with its ports, addresses,
 * folders and health endpoints. `scripts/network.sh up` writes it to
 * `<runtime>/plan.json`; the gateway API, the bench and the tests read that
 * file with these types, so there is one declaration of its shape.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Consensus, Topology, TopologyCa, TopologyOrderer, TopologyOrg, TopologyUser } from './topology';

/**
 * The chaincode definition's endorsement policy: the channel's own
 * `Application/ChaincodeEndorsement`, a MAJORITY of the member orgs'
 * ChaincodeEndorsement policies. An org added to the channel is covered by
 * it at once, with no new definition; a non-endorsing member's policy is
 * never satisfied (see render.ts), so it counts towards the majority's size
 * only.
 */
export const ENDORSEMENT_POLICY = '/Channel/Application/ChaincodeEndorsement';

/** Every node listens on this host in the one-machine sandbox. */
export const HOST = '127.0.0.1';

/**
 * Where a node runs. In the one-machine sandbox every host is 127.0.0.1; in
 * the namespaced run (MLL_HOSTS=1) each org, and each orderer, is a host of
 * its own: a network namespace with its own address, reached by name.
 */
export interface HostPlan {
  /** What other nodes dial and what TLS certificates carry. */
  readonly name: string;
  /** What the host's nodes bind. */
  readonly ip: string;
  /** The network namespace, in the namespaced run. */
  readonly ns: string | null;
}

const LOOPBACK: HostPlan = { name: HOST, ip: HOST, ns: null };

/** A TLS pair and the root that verifies its peers. */
export interface TlsPlan {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export interface CaPlan {
  readonly id: string;
  readonly kind: 'ca';
  readonly host: HostPlan;
  readonly org: string;
  readonly mspId: string;
  readonly port: number;
  readonly opsPort: number;
  readonly address: string;
  readonly home: string;
  readonly certFile: string;
  readonly health: string;
}

export interface UserPlan {
  readonly name: string;
  readonly type: 'admin' | 'client';
  readonly attrs: Readonly<Record<string, string>>;
  /** `name@org`. */
  readonly id: string;
  /** The user's MSP folder: `signcerts/cert.pem` and `keystore/key.pem`. */
  readonly msp: string;
  readonly dir: string;
  readonly tls: TlsPlan;
}

export interface OrdererPlan {
  readonly id: string;
  readonly kind: 'orderer';
  /** Its own host, apart from its org's. */
  readonly host: HostPlan;
  readonly org: string;
  readonly mspId: string;
  readonly port: number;
  readonly adminPort: number;
  readonly opsPort: number;
  readonly address: string;
  readonly adminAddress: string;
  readonly dir: string;
  readonly msp: string;
  readonly tls: TlsPlan;
  readonly data: string;
  readonly health: string;
}

export interface PeerPlan {
  readonly id: string;
  readonly kind: 'peer';
  readonly host: HostPlan;
  readonly org: string;
  readonly mspId: string;
  readonly port: number;
  readonly chaincodePort: number;
  readonly opsPort: number;
  readonly address: string;
  readonly dir: string;
  readonly msp: string;
  readonly tls: TlsPlan;
  readonly data: string;
  readonly health: string;
}

/** Any node with a health endpoint, told apart by `kind`. */
export type NodePlan = CaPlan | OrdererPlan | PeerPlan;

/** An org's own chaincode server (ccaas), which only its peers dial, with a TLS pair from its own CA. */
export interface ChaincodeServerPlan {
  readonly id: string;
  readonly port: number;
  readonly address: string;
  readonly dir: string;
  readonly tls: TlsPlan;
  readonly tlsDir: string;
}

/** An org's serving gate, run by its API instance in front of its model servers (see gateway-api/src/gate). */
export interface GatePlan {
  readonly id: string;
  readonly port: number;
  readonly url: string;
  readonly health: string;
  readonly tls: TlsPlan;
  readonly tlsDir: string;
}

export interface ApiPlan {
  readonly id: string;
  readonly port: number;
  readonly url: string;
  readonly health: string;
  readonly demoUser: string;
}

export interface OrgPlan {
  readonly name: string;
  readonly mspId: string;
  /** The org's host: its CA, peers, chaincode server, API instance (and model server). */
  readonly host: HostPlan;
  readonly description: string;
  readonly endorser: boolean;
  /** Whether the org is in the channel's genesis block (topology `founding`, true by default). */
  readonly founding: boolean;
  readonly msp: string;
  readonly ca: CaPlan;
  readonly users: readonly UserPlan[];
  readonly chaincodeServer: ChaincodeServerPlan;
  readonly gate?: GatePlan;
  readonly api: ApiPlan;
  /** The org's peers in service: every peer but a spare one not yet added. The first is the org's main peer. */
  readonly peers: readonly PeerPlan[];
  /** Spare peers not yet added (`scripts/network.sh add-peer`): `up` leaves them alone. */
  readonly sparePeers: readonly PeerPlan[];
  /** The org's own orderer when the channel is ordered with BFT; none with Raft. */
  readonly orderers: readonly OrdererPlan[];
}

/** The stamp `scripts/network.sh add-peer` leaves once a spare peer has joined from a snapshot. */
export function addedStamp(runtimeDir: string, peerId: string): string {
  return join(runtimeDir, 'channel', 'added', peerId);
}

export interface OrdererOrgPlan {
  readonly name: string;
  readonly mspId: string;
  readonly host: HostPlan;
  readonly msp: string;
  readonly ca: CaPlan;
  readonly users: readonly UserPlan[];
  readonly orderers: readonly OrdererPlan[];
}

/**
 * The model server: it listens only on a Unix socket in its operator org's
 * folder, and the operator's serving gate is the one way to it. Other orgs
 * call the endpoint registered on the ledger, which is the gate's.
 */
export interface ModelServerPlan {
  readonly id: string;
  readonly operator: string;
  readonly model: string;
  readonly socket: string;
  readonly endpoint: string;
}

export interface Plan {
  readonly runtimeDir: string;
  readonly portOffset: number;
  readonly channel: string;
  readonly host: string;
  /**
   * The namespaced run's hosts (MLL_HOSTS=1), the operator's own first, and
   * the namespace of every process `scripts/network.sh` starts; null in the
   * one-machine sandbox.
   */
  readonly hosts: { readonly list: readonly HostPlan[]; readonly nodes: Readonly<Record<string, string>> } | null;
  readonly configDir: string;
  readonly chaincode: Topology['chaincode'] & {
    /** The channel policy the chaincode definition refers to (ENDORSEMENT_POLICY). */
    readonly endorsementPolicy: string;
    readonly dir: string;
  };
  readonly raft: Topology['raft'];
  /** How the channel is ordered: `raft` by the ordering org, or `bft` by the member orgs' own orderers. */
  readonly ordering: { readonly consensus: Consensus; readonly bft: Topology['ordering']['bft'] };
  /** Every orderer of the channel, in consenter order: the ordering org's (Raft) or one per member org that runs one (BFT). */
  readonly orderers: readonly OrdererPlan[];
  readonly modelServer: ModelServerPlan;
  /** The ordering org, with Raft; null with BFT, where the member orgs order. */
  readonly ordererOrg: OrdererOrgPlan | null;
  /** The channel's member orgs: the founding ones, then as `members.json` records joins and removals. */
  readonly orgs: readonly OrgPlan[];
  /** The topology's other orgs: not (or no longer) in the channel; each can be onboarded (scripts/network.sh org). */
  readonly candidates: readonly OrgPlan[];
}

/** The file that records the channel's member orgs, by name, once a config update has changed them. */
export function membersFile(runtimeDir: string): string {
  return join(runtimeDir, 'channel', 'members.json');
}

/**
 * The channel's member orgs by name: what `members.json` records, or the
 * founding orgs of a channel whose membership never changed.
 */
export function memberNames(topology: Topology, runtimeDir: string): readonly string[] {
  const file = membersFile(runtimeDir);
  if (existsSync(file)) {
    return JSON.parse(readFileSync(file, 'utf8')) as string[];
  }
  return topology.orgs.filter((org) => org.founding !== false).map((org) => org.name);
}

/**
 * Users enrolled on a running network with `scripts/network.sh enroll`, which
 * records them in the org's crypto folder so that every later plan keeps them.
 */
function addedUsers(orgDir: string): TopologyUser[] {
  const file = join(orgDir, 'users.added.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as TopologyUser[]) : [];
}

/**
 * Resolves a (validated) topology into a plan for one runtime folder, port
 * offset and consensus (the topology's own by default).
 */
export function buildPlan(
  topology: Topology,
  runtimeDir: string,
  offset: number,
  consensus: Consensus = topology.ordering.consensus,
  namespaced = false,
): Plan {
  const p = (port: number): number => port + offset;
  const h = topology.hosts;
  const orgNames = [topology.ordererOrg.name, ...topology.orgs.map((org) => org.name)];
  const orgHost = (org: string): HostPlan =>
    namespaced ? { name: `${org}.${h.domain}`, ip: `${h.subnet}.${10 + orgNames.indexOf(org)}`, ns: `mll-${org}` } : LOOPBACK;
  let orderersSeen = 0;
  /** Each orderer's host, numbered in the order the plan lists them. */
  const ordererHost = (org: string, name: string): HostPlan =>
    namespaced ? { name: `${name}.${org}.${h.domain}`, ip: `${h.subnet}.${100 + orderersSeen++}`, ns: `mll-${org}-${name}` } : LOOPBACK;
  const orgDir = (org: string): string => join(runtimeDir, 'crypto', org);
  const ca = (org: { name: string; mspId: string }, spec: TopologyCa): CaPlan => ({
    id: `ca.${org.name}`,
    kind: 'ca',
    host: orgHost(org.name),
    org: org.name,
    mspId: org.mspId,
    port: p(spec.port),
    opsPort: p(spec.opsPort),
    address: `${orgHost(org.name).name}:${p(spec.port)}`,
    home: join(runtimeDir, 'ca', org.name),
    certFile: join(runtimeDir, 'ca', org.name, 'ca-cert.pem'),
    health: `https://${orgHost(org.name).name}:${p(spec.port)}/cainfo`,
  });
  const tlsOf = (dir: string): TlsPlan => ({
    cert: join(dir, 'tls', 'cert.pem'),
    key: join(dir, 'tls', 'key.pem'),
    ca: join(dir, 'tls', 'ca.pem'),
  });
  const users = (org: string, list: readonly TopologyUser[]): UserPlan[] =>
    list.map((u) => {
      const dir = join(orgDir(org), 'users', u.name);
      return { ...u, type: u.type ?? 'client', id: `${u.name}@${org}`, msp: join(dir, 'msp'), dir, tls: tlsOf(dir) };
    });

  const ordererPlan = (org: { name: string; mspId: string }, n: TopologyOrderer, id: string): OrdererPlan => {
    const dir = join(orgDir(org.name), 'nodes', n.name);
    const host = ordererHost(org.name, n.name);
    return {
      id,
      kind: 'orderer' as const,
      host,
      org: org.name,
      mspId: org.mspId,
      port: p(n.port),
      adminPort: p(n.adminPort),
      opsPort: p(n.opsPort),
      address: `${host.name}:${p(n.port)}`,
      adminAddress: `${host.name}:${p(n.adminPort)}`,
      dir,
      msp: join(dir, 'msp'),
      tls: tlsOf(dir),
      data: join(runtimeDir, 'data', id),
      health: `https://${host.name}:${p(n.opsPort)}/healthz`,
    };
  };
  const bft = consensus === 'bft';
  if (bft && topology.orgs.filter((org) => org.founding !== false && org.orderer !== undefined).length < 4) {
    // validateTopology refuses fewer than four when any org has an orderer; this is the case of none.
    throw new Error('BFT ordering needs an orderer in at least 4 founding orgs (orgs[].orderer in network/topology.json)');
  }

  const o = topology.ordererOrg;
  const ordererOrg: OrdererOrgPlan | null = bft
    ? null
    : {
        name: o.name,
        mspId: o.mspId,
        host: orgHost(o.name),
        msp: join(orgDir(o.name), 'msp'),
        ca: ca(o, o.ca),
        users: users(
          o.name,
          o.admins.map((a) => ({ ...a, type: 'admin' as const })),
        ),
        orderers: o.orderers.map((n) => ordererPlan(o, n, n.name)),
      };

  const orgPlan = (org: TopologyOrg): OrgPlan => {
    const nodes = join(orgDir(org.name), 'nodes');
    const host = orgHost(org.name);
    const peerPlan = (n: TopologyOrg['peers'][number]): PeerPlan => {
      const id = `${n.name}.${org.name}`;
      const dir = join(nodes, n.name);
      return {
        id,
        kind: 'peer' as const,
        host,
        org: org.name,
        mspId: org.mspId,
        port: p(n.port),
        chaincodePort: p(n.chaincodePort),
        opsPort: p(n.opsPort),
        address: `${host.name}:${p(n.port)}`,
        dir,
        msp: join(dir, 'msp'),
        tls: tlsOf(dir),
        data: join(runtimeDir, 'data', id),
        health: `https://${host.name}:${p(n.opsPort)}/healthz`,
      };
    };
    return {
      name: org.name,
      mspId: org.mspId,
      host,
      description: org.description,
      endorser: org.endorser,
      founding: org.founding !== false,
      msp: join(orgDir(org.name), 'msp'),
      ca: ca(org, org.ca),
      users: users(org.name, [...org.users, ...addedUsers(orgDir(org.name))]),
      chaincodeServer: {
        id: `chaincode.${org.name}`,
        port: p(org.chaincodeServer.port),
        address: `${host.name}:${p(org.chaincodeServer.port)}`,
        dir: join(runtimeDir, 'chaincode', org.name),
        tls: tlsOf(join(nodes, 'chaincode')),
        tlsDir: join(nodes, 'chaincode'),
      },
      ...(org.gate === undefined
        ? {}
        : {
            gate: {
              id: `gate.${org.name}`,
              port: p(org.gate.port),
              url: `https://${host.name}:${p(org.gate.port)}`,
              health: `https://${host.name}:${p(org.gate.port)}/v2/health/ready`,
              tls: tlsOf(join(nodes, 'gate')),
              tlsDir: join(nodes, 'gate'),
            },
          }),
      api: {
        id: `api.${org.name}`,
        port: p(org.api.port),
        url: `http://${host.name}:${p(org.api.port)}`,
        health: `http://${host.name}:${p(org.api.port)}/healthz`,
        demoUser: org.api.demoUser,
      },
      peers: org.peers.filter((n) => n.spare !== true || existsSync(addedStamp(runtimeDir, `${n.name}.${org.name}`))).map(peerPlan),
      sparePeers: org.peers.filter((n) => n.spare === true && !existsSync(addedStamp(runtimeDir, `${n.name}.${org.name}`))).map(peerPlan),
      orderers: bft && org.orderer !== undefined ? [ordererPlan(org, org.orderer, `${org.orderer.name}.${org.name}`)] : [],
    };
  };
  const members = new Set(memberNames(topology, runtimeDir));
  const all = topology.orgs.map(orgPlan);
  const orgs = all.filter((org) => members.has(org.name));

  const orderers = ordererOrg?.orderers ?? orgs.flatMap((org) => org.orderers);
  const cc = topology.chaincode;
  const operator = orgs.find((org) => org.name === topology.modelServer.operator);
  if (operator?.gate === undefined) {
    // validateTopology refuses this first; a plan is never built without the gate.
    throw new Error(`modelServer.operator must name an org with a gate; ${topology.modelServer.operator} has none`);
  }
  return {
    runtimeDir,
    portOffset: offset,
    channel: topology.channel,
    host: HOST,
    hosts: namespaced ? namespacedHosts(topology, ordererOrg, all, orderers) : null,
    configDir: join(runtimeDir, 'config'),
    chaincode: {
      ...cc,
      endorsementPolicy: ENDORSEMENT_POLICY,
      dir: join(runtimeDir, 'chaincode'),
    },
    raft: topology.raft,
    ordering: { consensus, bft: topology.ordering.bft },
    orderers,
    modelServer: {
      id: 'model-server',
      operator: topology.modelServer.operator,
      model: topology.modelServer.model,
      socket: join(orgDir(topology.modelServer.operator), 'model-server', 'oip.sock'),
      endpoint: `${operator.gate.url}/v2/models/${topology.modelServer.model}`,
    },
    ordererOrg,
    orgs,
    candidates: all.filter((org) => !members.has(org.name)),
  };
}

/**
 * The namespaced run's hosts: the operator's (where scripts/network.sh and the
 * tests run), each org's, each orderer's; and which namespace each process
 * `scripts/network.sh` starts runs in.
 */
function namespacedHosts(
  topology: Topology,
  ordererOrg: OrdererOrgPlan | null,
  orgs: readonly OrgPlan[],
  orderers: readonly OrdererPlan[],
): { list: HostPlan[]; nodes: Record<string, string> } {
  const operator: HostPlan = { name: `operator.${topology.hosts.domain}`, ip: `${topology.hosts.subnet}.2`, ns: 'mll-operator' };
  const list = [
    operator,
    ...(ordererOrg === null ? [] : [ordererOrg.host]),
    ...orgs.map((org) => org.host),
    ...orderers.map((n) => n.host),
  ];
  const nodes: Record<string, string> = {};
  const ns = (host: HostPlan): string => host.ns ?? '';
  if (ordererOrg !== null) nodes[ordererOrg.ca.id] = ns(ordererOrg.host);
  for (const org of orgs) {
    for (const id of [org.ca.id, org.chaincodeServer.id, org.api.id, ...[...org.peers, ...org.sparePeers].map((n) => n.id)])
      nodes[id] = ns(org.host);
    if (org.name === topology.modelServer.operator) nodes['model-server'] = ns(org.host);
  }
  for (const n of orderers) nodes[n.id] = ns(n.host);
  return { list, nodes };
}

/**
 * Reads the plan a running network was brought up with.
 *
 * @throws Error naming the command to run when there is none.
 */
export function readPlan(runtimeDir: string): Plan {
  const file = join(runtimeDir, 'plan.json');
  if (!existsSync(file)) {
    throw new Error(`No network plan at ${file}. Start the consortium first: bash scripts/network.sh up`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as Plan;
}
