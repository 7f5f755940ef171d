/**
 * `network/topology.json`: the one description of the consortium, as the
 * operators write it. It is checked against `network/topology.schema.json`
 * before anything is derived from it, so a typo fails `up` with the path of
 * the field at fault instead of a node that does not start.
 */
import Ajv2020 from 'ajv/dist/2020';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A TCP port before `MLL_PORT_OFFSET` is added. */
export type Port = number;

export interface TopologyUser {
  readonly name: string;
  readonly type?: 'admin' | 'client';
  /** Certificate attributes; `role` is one of the chaincode's roles. */
  readonly attrs: Readonly<Record<string, string>>;
}

export interface TopologyCa {
  readonly port: Port;
  readonly opsPort: Port;
}

export interface TopologyOrderer {
  readonly name: string;
  readonly port: Port;
  readonly adminPort: Port;
  readonly opsPort: Port;
}

export interface TopologyPeer {
  readonly name: string;
  readonly port: Port;
  readonly chaincodePort: Port;
  readonly opsPort: Port;
  /** Left alone by `up` until added from a snapshot (`scripts/network.sh add-peer`). */
  readonly spare?: boolean;
}

export interface TopologyOrg {
  readonly name: string;
  readonly mspId: string;
  readonly description: string;
  readonly endorser: boolean;
  /** In the channel's genesis block (the default), or onboarded later. */
  readonly founding?: boolean;
  readonly chaincodeServer: { readonly port: Port };
  readonly gate?: { readonly port: Port };
  readonly ca: TopologyCa;
  readonly peers: readonly TopologyPeer[];
  readonly users: readonly TopologyUser[];
  readonly api: { readonly port: Port; readonly demoUser: string };
  /** The org's own ordering node, run only when the channel orders with BFT (`ordering.consensus`). */
  readonly orderer?: TopologyOrderer;
}

/** The consensus protocols the channel can be created with. */
export const CONSENSUS = ['raft', 'bft'] as const;
export type Consensus = (typeof CONSENSUS)[number];

/**
 * SmartBFT's channel options (Fabric's configtx.yaml `Orderer.SmartBFT`), for
 * a channel ordered by the member orgs' own orderers.
 */
export interface TopologyBft {
  /** How long a batch of requests waits for more before the leader proposes it. */
  readonly requestBatchMaxInterval: string;
  /** After this, a node forwards a request it holds to the leader. */
  readonly requestForwardTimeout: string;
  /** After this (counted from the forward), a node complains that the leader is not ordering; enough complaints change the leader. */
  readonly requestComplainTimeout: string;
  readonly requestAutoRemoveTimeout: string;
  /** A node that hears nothing from the leader for this long complains about it. */
  readonly leaderHeartbeatTimeout: string;
  readonly leaderHeartbeatCount: number;
  readonly viewChangeResendInterval: string;
  readonly viewChangeTimeout: string;
  readonly collectTimeout: string;
  readonly requestPoolSize: number;
  readonly incomingMessageBufferSize: number;
  /**
   * Each peer's own bound (peer.deliveryclient.blockCensorshipTimeoutKey): a
   * peer on a BFT channel takes blocks from one orderer and headers from the
   * others, and moves to another orderer once its source has stayed behind
   * their headers this long.
   */
  readonly peerBlockCensorshipTimeout: string;
}

export interface Topology {
  readonly channel: string;
  readonly chaincode: { readonly name: string; readonly label: string };
  readonly ordererOrg: {
    readonly name: string;
    readonly mspId: string;
    readonly ca: TopologyCa;
    readonly admins: readonly TopologyUser[];
    readonly orderers: readonly TopologyOrderer[];
  };
  readonly orgs: readonly TopologyOrg[];
  readonly raft: {
    readonly batchTimeout: string;
    readonly maxMessageCount: number;
    readonly absoluteMaxBytes: string;
    readonly preferredMaxBytes: string;
    /** Raft's clock: a leader heartbeats every `heartbeatTick` ticks; a follower that hears none for `electionTick` ticks calls an election. */
    readonly tickInterval: string;
    readonly electionTick: number;
    readonly heartbeatTick: number;
    /**
     * Each orderer's own bound on a cluster call (General.Cluster.RPCTimeout):
     * how long a follower waits on forwarding a transaction to a leader that
     * may be gone, before it answers the submitter that it could not.
     */
    readonly rpcTimeout: string;
  };
  readonly modelServer: { readonly operator: string; readonly model: string };
  /** The namespaced run's hosts (MLL_HOSTS=1): `<org>.<domain>` and `<orderer>.<org>.<domain>`, addresses in `<subnet>.0/24`. */
  readonly hosts: { readonly domain: string; readonly subnet: string };
  readonly ordering: {
    /** Raft by the ordering org's orderers (the default), or BFT by the member orgs' own (`orgs[].orderer`); MLL_CONSENSUS overrides it. */
    readonly consensus: Consensus;
    readonly bft: TopologyBft;
  };
}

/** A topology that breaks the schema or a rule across fields; the message lists every problem. */
export class TopologyError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file} is not a valid topology:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TopologyError';
  }
}

/** The folder holding `topology.json` and its schema. */
export function networkDir(repoRoot: string): string {
  return join(repoRoot, 'network');
}

/**
 * Checks a parsed topology against the schema and the rules a schema cannot
 * say (unique names and ports, a quorum the endorsers can meet, an operator
 * with a gate).
 *
 * @throws TopologyError listing every problem found.
 */
export function validateTopology(raw: unknown, schema: object, file: string): Topology {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowMatchingProperties: true });
  const validate = ajv.compile<Topology>(schema);
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => {
      const where = e.instancePath === '' ? '(top level)' : e.instancePath.slice(1).replaceAll('/', '.');
      if (e.keyword === 'enum') {
        return `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
      }
      if (e.keyword === 'additionalProperties') {
        return `${where} has an unknown field ${(e.params as { additionalProperty: string }).additionalProperty}`;
      }
      return `${where} ${e.message ?? 'is invalid'}`;
    });
    throw new TopologyError(file, problems);
  }
  const problems = crossFieldProblems(raw);
  if (problems.length > 0) {
    throw new TopologyError(file, problems);
  }
  return raw;
}

function duplicates(values: readonly (string | number)[]): (string | number)[] {
  return [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
}

function crossFieldProblems(t: Topology): string[] {
  const problems: string[] = [];
  const orgNames = [t.ordererOrg.name, ...t.orgs.map((o) => o.name)];
  for (const name of duplicates(orgNames)) problems.push(`org name ${name} is used twice`);
  for (const msp of duplicates([t.ordererOrg.mspId, ...t.orgs.map((o) => o.mspId)])) problems.push(`mspId ${msp} is used twice`);
  const ports = [
    t.ordererOrg.ca.port,
    t.ordererOrg.ca.opsPort,
    ...t.ordererOrg.orderers.flatMap((n) => [n.port, n.adminPort, n.opsPort]),
    ...t.orgs.flatMap((o) => [
      o.ca.port,
      o.ca.opsPort,
      o.chaincodeServer.port,
      o.api.port,
      ...(o.gate === undefined ? [] : [o.gate.port]),
      ...o.peers.flatMap((n) => [n.port, n.chaincodePort, n.opsPort]),
      ...(o.orderer === undefined ? [] : [o.orderer.port, o.orderer.adminPort, o.orderer.opsPort]),
    ]),
  ];
  for (const port of duplicates(ports)) problems.push(`port ${port} is used by two listeners`);
  if (t.raft.heartbeatTick >= t.raft.electionTick) {
    problems.push(`raft.heartbeatTick (${t.raft.heartbeatTick}) must be below raft.electionTick (${t.raft.electionTick})`);
  }
  for (const org of t.orgs) {
    for (const name of duplicates(org.users.map((u) => u.name))) problems.push(`orgs.${org.name}: user ${name} is listed twice`);
    for (const name of duplicates(org.peers.map((p) => p.name))) problems.push(`orgs.${org.name}: peer ${name} is listed twice`);
    if (org.peers[0]?.spare === true) problems.push(`orgs.${org.name}: its first peer cannot be spare (the others join from its snapshot)`);
    if (!org.users.some((u) => u.name === org.api.demoUser))
      problems.push(`orgs.${org.name}.api.demoUser names no user of the org (${org.api.demoUser})`);
  }
  const founders = t.orgs.filter((o) => o.founding !== false);
  // A majority of the founding orgs must be endorsers that are not all one
  // pair, or the channel's MAJORITY Endorsement could never be met, or met by two.
  const majority = Math.floor(founders.length / 2) + 1;
  if (majority < 3 || founders.filter((o) => o.endorser).length < majority) {
    problems.push(
      `the founding orgs need at least ${Math.max(3, majority)} endorsers, a majority of at least 3 (no two orgs write alone); they have ${founders.filter((o) => o.endorser).length} of ${founders.length}`,
    );
  }
  // BFT tolerates f faulty orderers out of 3f+1: four founding orgs with an
  // orderer tolerate one. An org admitted later joins the channel, not the
  // consenter set (that is a separate config update this tooling leaves alone).
  const bftOrderers = founders.filter((o) => o.orderer !== undefined).length;
  if ((t.ordering.consensus === 'bft' || bftOrderers > 0) && bftOrderers < 4) {
    problems.push(`BFT ordering needs an orderer in at least 4 founding orgs (3f+1 with f = 1); ${bftOrderers} have one (orgs[].orderer)`);
  }
  for (const org of t.orgs.filter((o) => o.founding === false && o.orderer !== undefined)) {
    problems.push(`orgs.${org.name}: an org that joins later cannot run an orderer of the channel's genesis consenter set`);
  }
  const operator = t.orgs.find((o) => o.name === t.modelServer.operator);
  if (operator?.gate === undefined) {
    problems.push(`modelServer.operator must name an org with a gate; ${t.modelServer.operator} has none`);
  }
  return problems;
}

/**
 * Reads and validates `network/topology.json`.
 *
 * @throws TopologyError when the file is not valid JSON or not a valid topology.
 */
export function readTopology(repoRoot: string): Topology {
  const dir = networkDir(repoRoot);
  const file = join(dir, 'topology.json');
  const schema = JSON.parse(readFileSync(join(dir, 'topology.schema.json'), 'utf8')) as object;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TopologyError(file, [`is not JSON: ${(err as Error).message}`]);
  }
  return validateTopology(raw, schema, file);
}
