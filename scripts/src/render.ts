/**
 * What `up` renders from the plan: the orderers' and peers' environment
 * files, the channel's configtx.yaml, and Fabric's core.yaml and orderer.yaml.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import type { OrdererPlan, OrgPlan, PeerPlan, Plan } from './plan';

/** A node's environment: one KEY=value a line in its env file. */
export type NodeEnv = Readonly<Record<string, string>>;

interface Policy {
  readonly Type: 'Signature' | 'ImplicitMeta';
  readonly Rule: string;
}

/** The environment of one orderer: every setting Fabric's orderer.yaml leaves to the node. */
export function ordererEnv(plan: Plan, n: OrdererPlan): NodeEnv {
  // The TLS roots of every org that runs an orderer, its own first: with BFT
  // the consenters are in different orgs, each with its own CA.
  const otherOrgs = [...new Map(plan.orderers.filter((o) => o.org !== n.org).map((o) => [o.org, o.tls.ca])).values()];
  const roots = `[${[n.tls.ca, ...otherOrgs].join(',')}]`;
  const consensusDir = plan.ordering.consensus === 'bft' ? join(n.data, 'smartbft') : join(n.data, 'etcdraft');
  return {
    FABRIC_CFG_PATH: plan.configDir,
    FABRIC_LOGGING_SPEC: 'INFO',
    ORDERER_GENERAL_LISTENADDRESS: n.host.ip,
    ORDERER_GENERAL_LISTENPORT: String(n.port),
    ORDERER_GENERAL_LOCALMSPID: n.mspId,
    ORDERER_GENERAL_LOCALMSPDIR: n.msp,
    ORDERER_GENERAL_BOOTSTRAPMETHOD: 'none',
    ORDERER_GENERAL_TLS_ENABLED: 'true',
    ORDERER_GENERAL_TLS_CERTIFICATE: n.tls.cert,
    ORDERER_GENERAL_TLS_PRIVATEKEY: n.tls.key,
    ORDERER_GENERAL_TLS_ROOTCAS: roots,
    ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE: n.tls.cert,
    ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY: n.tls.key,
    ORDERER_GENERAL_CLUSTER_ROOTCAS: roots,
    ORDERER_FILELEDGER_LOCATION: join(n.data, 'ledger'),
    ORDERER_CONSENSUS_WALDIR: join(consensusDir, 'wal'),
    ORDERER_CONSENSUS_SNAPDIR: join(consensusDir, 'snapshot'),
    ORDERER_CHANNELPARTICIPATION_ENABLED: 'true',
    ORDERER_ADMIN_LISTENADDRESS: `${n.host.ip}:${n.adminPort}`,
    ORDERER_ADMIN_TLS_ENABLED: 'true',
    ORDERER_ADMIN_TLS_CERTIFICATE: n.tls.cert,
    ORDERER_ADMIN_TLS_PRIVATEKEY: n.tls.key,
    ORDERER_ADMIN_TLS_ROOTCAS: `[${n.tls.ca}]`,
    // The channel participation API changes what the orderer serves: only a
    // client holding a certificate from the orderer's own org's CA may call it.
    ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED: 'true',
    ORDERER_ADMIN_TLS_CLIENTROOTCAS: `[${n.tls.ca}]`,
    ORDERER_OPERATIONS_LISTENADDRESS: `${n.host.ip}:${n.opsPort}`,
    ORDERER_OPERATIONS_TLS_ENABLED: 'true',
    ORDERER_OPERATIONS_TLS_CERTIFICATE: n.tls.cert,
    ORDERER_OPERATIONS_TLS_PRIVATEKEY: n.tls.key,
    // /healthz is open; /metrics and /logspec want a client certificate from the org's CA.
    ORDERER_OPERATIONS_TLS_CLIENTAUTHREQUIRED: 'false',
    ORDERER_OPERATIONS_TLS_CLIENTROOTCAS: `[${n.tls.ca}]`,
    ORDERER_METRICS_PROVIDER: 'prometheus',
    ORDERER_GENERAL_CLUSTER_RPCTIMEOUT: plan.raft.rpcTimeout,
  };
}

/**
 * The environment of one peer. `bootstrap` is the peer it first gossips with:
 * itself for an org's first peer, that first peer for the others, so the
 * org's peers learn of each other.
 */
export function peerEnv(plan: Plan, n: PeerPlan, bootstrap = n.address): NodeEnv {
  return {
    FABRIC_CFG_PATH: plan.configDir,
    FABRIC_LOGGING_SPEC: 'INFO',
    CORE_PEER_ID: n.id,
    CORE_PEER_ADDRESS: n.address,
    CORE_PEER_LISTENADDRESS: `${n.host.ip}:${n.port}`,
    CORE_PEER_CHAINCODEADDRESS: `${n.host.name}:${n.chaincodePort}`,
    CORE_PEER_CHAINCODELISTENADDRESS: `${n.host.ip}:${n.chaincodePort}`,
    CORE_PEER_GOSSIP_BOOTSTRAP: bootstrap,
    CORE_PEER_GOSSIP_EXTERNALENDPOINT: n.address,
    CORE_PEER_LOCALMSPID: n.mspId,
    CORE_PEER_MSPCONFIGPATH: n.msp,
    CORE_PEER_TLS_ENABLED: 'true',
    CORE_PEER_TLS_CERT_FILE: n.tls.cert,
    CORE_PEER_TLS_KEY_FILE: n.tls.key,
    CORE_PEER_TLS_ROOTCERT_FILE: n.tls.ca,
    CORE_PEER_FILESYSTEMPATH: n.data,
    CORE_LEDGER_SNAPSHOTS_ROOTDIR: join(n.data, 'snapshots'),
    CORE_PEER_GATEWAY_ENABLED: 'true',
    CORE_OPERATIONS_LISTENADDRESS: `${n.host.ip}:${n.opsPort}`,
    CORE_OPERATIONS_TLS_ENABLED: 'true',
    CORE_OPERATIONS_TLS_CERT_FILE: n.tls.cert,
    CORE_OPERATIONS_TLS_KEY_FILE: n.tls.key,
    CORE_OPERATIONS_TLS_CLIENTAUTHREQUIRED: 'false',
    CORE_OPERATIONS_TLS_CLIENTROOTCAS_FILES: n.tls.ca,
    CORE_METRICS_PROVIDER: 'prometheus',
    // On a BFT channel: how long an orderer sending this peer blocks may lag the others' headers before the peer leaves it.
    CORE_PEER_DELIVERYCLIENT_BLOCKCENSORSHIPTIMEOUTKEY: plan.ordering.bft.peerBlockCensorshipTimeout,
    // No Docker: chaincode runs as a service, reached through the ccaas builder.
    CORE_VM_ENDPOINT: '',
  };
}

const signature = (rule: string): Policy => ({ Type: 'Signature', Rule: rule });

/**
 * OR over the org's ROLES, and its orderers' role when it runs one (BFT): a
 * consenter's messages must satisfy /Channel/Writers and its block fetches
 * /Channel/Readers. An orderer's certificate carries no chaincode role, so it
 * can do nothing in the chaincode that a client could not.
 */
function anyOf(org: OrgPlan, roles: readonly string[]): string {
  const all = org.orderers.length > 0 ? [...roles, 'orderer'] : roles;
  return `OR(${all.map((role) => `'${org.mspId}.${role}'`).join(', ')})`;
}
const implicit = (rule: string): Policy => ({ Type: 'ImplicitMeta', Rule: rule });

/** The Orderer section of the channel's profile: Raft by the ordering org, or BFT by the member orgs' own orderers. */
function ordererSection(plan: Plan, organizations: readonly object[]): object {
  const common = {
    BatchTimeout: plan.raft.batchTimeout,
    BatchSize: {
      MaxMessageCount: plan.raft.maxMessageCount,
      AbsoluteMaxBytes: plan.raft.absoluteMaxBytes,
      PreferredMaxBytes: plan.raft.preferredMaxBytes,
    },
    Organizations: organizations,
    Policies: {
      Readers: implicit('ANY Readers'),
      Writers: implicit('ANY Writers'),
      Admins: implicit('MAJORITY Admins'),
      // With BFT, configtxgen replaces it with a policy computed from the
      // consenters: a quorum of them must sign each block.
      BlockValidation: implicit('ANY Writers'),
    },
    Capabilities: { V2_0: true },
  };
  if (plan.ordering.consensus === 'bft') {
    const b = plan.ordering.bft;
    return {
      OrdererType: 'BFT',
      ...common,
      SmartBFT: {
        RequestBatchMaxInterval: b.requestBatchMaxInterval,
        RequestForwardTimeout: b.requestForwardTimeout,
        RequestComplainTimeout: b.requestComplainTimeout,
        RequestAutoRemoveTimeout: b.requestAutoRemoveTimeout,
        ViewChangeResendInterval: b.viewChangeResendInterval,
        ViewChangeTimeout: b.viewChangeTimeout,
        LeaderHeartbeatTimeout: b.leaderHeartbeatTimeout,
        LeaderHeartbeatCount: b.leaderHeartbeatCount,
        CollectTimeout: b.collectTimeout,
        RequestPoolSize: b.requestPoolSize,
        IncomingMessageBufferSize: b.incomingMessageBufferSize,
      },
      // BFT nodes know each other by their enrollment certificates (Identity), not TLS pinning.
      ConsenterMapping: plan.orderers.map((n, i) => ({
        ID: i + 1,
        Host: n.host.name,
        Port: n.port,
        MSPID: n.mspId,
        Identity: join(n.msp, 'signcerts', 'cert.pem'),
        ClientTLSCert: n.tls.cert,
        ServerTLSCert: n.tls.cert,
      })),
    };
  }
  return {
    OrdererType: 'etcdraft',
    ...common,
    EtcdRaft: {
      Options: {
        TickInterval: plan.raft.tickInterval,
        ElectionTick: plan.raft.electionTick,
        HeartbeatTick: plan.raft.heartbeatTick,
        // Fabric's defaults, written out because configtxgen takes the options as a whole.
        MaxInflightBlocks: 5,
        SnapshotIntervalSize: '16 MB',
      },
      Consenters: plan.orderers.map((n) => ({
        Host: n.host.name,
        Port: n.port,
        ClientTLSCert: n.tls.cert,
        ServerTLSCert: n.tls.cert,
      })),
    },
  };
}

/**
 * The channel's configtx.yaml, as an object: one profile, every member org,
 * ordered by the ordering org (Raft) or by the member orgs (BFT).
 */
export function configtx(plan: Plan): object {
  const oo = plan.ordererOrg;
  const ordererOrg =
    oo === null
      ? null
      : {
          Name: oo.mspId,
          ID: oo.mspId,
          MSPDir: oo.msp,
          Policies: {
            Readers: signature(`OR('${oo.mspId}.member')`),
            Writers: signature(`OR('${oo.mspId}.member')`),
            Admins: signature(`OR('${oo.mspId}.admin')`),
          },
          OrdererEndpoints: oo.orderers.map((n) => n.address),
        };
  const orgDefinition = (org: OrgPlan): object => ({
    Name: org.mspId,
    ID: org.mspId,
    MSPDir: org.msp,
    Policies: {
      Readers: signature(anyOf(org, ['admin', 'peer', 'client'])),
      // Writers also gates every proposal, queries included (the peer/Propose ACL),
      // so the regulator's clients must be Writers to audit. What keeps them from
      // changing state is the endorsement policy and the chaincode (network/README.md).
      Writers: signature(anyOf(org, ['admin', 'client'])),
      Admins: signature(`OR('${org.mspId}.admin')`),
      // What the org's peer signs for the chaincode lifecycle: its own approvals.
      Endorsement: signature(`OR('${org.mspId}.peer')`),
      // The chaincode's policy is a MAJORITY of these (ENDORSEMENT_POLICY). A
      // member that does not endorse gets one that no signature set meets (two
      // signatures from a list of one), so it counts towards the majority's
      // size, never its votes.
      ChaincodeEndorsement: signature(org.endorser ? `OR('${org.mspId}.peer')` : `OutOf(2, '${org.mspId}.peer')`),
    },
    AnchorPeers: org.peers.slice(0, 1).map((n) => ({ Host: n.host.name, Port: n.port })),
    // With BFT, where the org's own orderer serves the channel (configtxgen
    // writes them into the org's group in Orderer only).
    ...(org.orderers.length > 0 ? { OrdererEndpoints: org.orderers.map((n) => n.address) } : {}),
  });
  const everyOrg = [...plan.orgs, ...plan.candidates];
  const channelPolicies = {
    Readers: implicit('ANY Readers'),
    Writers: implicit('ANY Writers'),
    Admins: implicit('MAJORITY Admins'),
  };
  return {
    // Every org of the topology, founding or not: configtxgen -printOrg
    // exports an org's definition from here (scripts/network.sh org export).
    Organizations: [...(ordererOrg === null ? [] : [ordererOrg]), ...everyOrg.map(orgDefinition)],
    Profiles: {
      LicensingChannel: {
        Policies: channelPolicies,
        Capabilities: { V3_0: true },
        Orderer: ordererSection(
          plan,
          ordererOrg === null ? plan.orgs.filter((org) => org.orderers.length > 0).map(orgDefinition) : [ordererOrg],
        ),
        Application: {
          Organizations: everyOrg.filter((org) => org.founding).map(orgDefinition),
          Policies: {
            Readers: implicit('ANY Readers'),
            Writers: implicit('ANY Writers'),
            Admins: implicit('MAJORITY Admins'),
            LifecycleEndorsement: implicit('MAJORITY Endorsement'),
            Endorsement: implicit('MAJORITY Endorsement'),
            ChaincodeEndorsement: implicit('MAJORITY ChaincodeEndorsement'),
          },
          Capabilities: { V2_5: true },
        },
      },
    },
  };
}

/** The shim's log levels, as CORE_CHAINCODE_LOGGING_LEVEL takes them. */
export const CHAINCODE_LOG_LEVELS = ['CRITICAL', 'ERROR', 'WARNING', 'INFO', 'DEBUG'] as const;

/**
 * The environment of one org's chaincode server, run from `repoDir`: the
 * shim's log level (MLL_CHAINCODE_LOG_LEVEL, WARNING by default: at INFO the
 * shim prints a line per transaction), and the preload that makes the levels
 * turned off cost no CPU (chaincode/server/quiet-shim-logs.cjs).
 *
 * @throws Error when `level` is not one of CHAINCODE_LOG_LEVELS.
 */
export function chaincodeServerEnv(repoDir: string, level = 'WARNING'): NodeEnv {
  const upper = level.toUpperCase();
  if (!(CHAINCODE_LOG_LEVELS as readonly string[]).includes(upper)) {
    throw new Error(`MLL_CHAINCODE_LOG_LEVEL must be one of ${CHAINCODE_LOG_LEVELS.join(', ')}, not ${JSON.stringify(level)}`);
  }
  return {
    CORE_CHAINCODE_LOGGING_LEVEL: upper,
    NODE_OPTIONS: `--require ${JSON.stringify(join(repoDir, 'chaincode', 'server', 'quiet-shim-logs.cjs'))}`,
  };
}

function envFile(env: NodeEnv): string {
  return (
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n'
  );
}

/**
 * Writes what every node needs under the runtime folder: Fabric's core.yaml
 * (pointing at our ccaas builder) and orderer.yaml copied from `sampleConfig`,
 * the channel's configtx.yaml, one environment file per orderer, peer and
 * chaincode server, and `plan.json`.
 *
 * @throws Error when `sampleConfig` has no core.yaml with a ccaas builder entry.
 */
export function render(plan: Plan, sample: string, repoRoot: string): void {
  mkdirSync(plan.configDir, { recursive: true });
  const builders = join(repoRoot, 'network', 'builders', 'ccaas');
  const core = readFileSync(join(sample, 'core.yaml'), 'utf8');
  if (!core.includes('/opt/hyperledger/ccaas_builder')) {
    throw new Error(`${sample}/core.yaml has no ccaas_builder entry to point at ${builders}`);
  }
  writeFileSync(join(plan.configDir, 'core.yaml'), core.replace('/opt/hyperledger/ccaas_builder', builders));
  writeFileSync(join(plan.configDir, 'orderer.yaml'), readFileSync(join(sample, 'orderer.yaml'), 'utf8'));
  writeFileSync(join(plan.configDir, 'configtx.yaml'), YAML.stringify(configtx(plan)));

  const nodesDir = join(plan.runtimeDir, 'nodes');
  mkdirSync(nodesDir, { recursive: true });
  for (const n of plan.orderers) writeFileSync(join(nodesDir, `${n.id}.env`), envFile(ordererEnv(plan, n)));
  const serverEnv = envFile(chaincodeServerEnv(repoRoot, process.env.MLL_CHAINCODE_LOG_LEVEL || undefined));
  for (const org of [...plan.orgs, ...plan.candidates]) {
    const [first, ...others] = [...org.peers, ...org.sparePeers];
    writeFileSync(join(nodesDir, `${first.id}.env`), envFile(peerEnv(plan, first)));
    for (const n of others) writeFileSync(join(nodesDir, `${n.id}.env`), envFile(peerEnv(plan, n, first.address)));
    writeFileSync(join(nodesDir, `${org.chaincodeServer.id}.env`), serverEnv);
  }
  writeFileSync(join(plan.runtimeDir, 'plan.json'), JSON.stringify(plan, null, 2) + '\n');
}
