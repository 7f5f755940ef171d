#!/usr/bin/env node
// Turns network/topology.json into everything a node needs at run time: a resolved
// plan (ports, paths, health endpoints), one environment file per orderer and peer,
// the channel's configtx.yaml, and the peer and orderer config files.
//
//   node scripts/lib/topology.mjs render   writes them under the runtime folder
//   node scripts/lib/topology.mjs plan     prints the resolved plan as JSON
//   node scripts/lib/topology.mjs compose  prints docker-compose.yml: the same nodes
//                                          from Fabric's official images
//
// Inputs from the environment: MLL_RUNTIME_DIR (default <repo>/.runtime),
// MLL_PORT_OFFSET (added to every port, default 0), FABRIC_SAMPLECONFIG (folder
// holding Fabric's default core.yaml and orderer.yaml, needed by `render`).
// `compose` ignores MLL_RUNTIME_DIR: its plan always uses COMPOSE_RUNTIME_DIR.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HOST = '127.0.0.1';

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

function portOffset() {
  const raw = process.env.MLL_PORT_OFFSET ?? '0';
  if (!/^\d+$/.test(raw) || Number(raw) > 50000) {
    fail(`MLL_PORT_OFFSET must be a whole number from 0 to 50000, got "${raw}"`);
  }
  return Number(raw);
}

/**
 * Users enrolled on a running network with `scripts/network.sh enroll`, which
 * records them in the org's crypto folder so that every later plan keeps them.
 */
function addedUsers(orgDir) {
  const file = join(orgDir, 'users.added.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
}

/** Resolves the topology into a plan: every node with its ports and paths. */
export function buildPlan(topology, runtimeDir, offset) {
  const p = (port) => port + offset;
  const crypto = join(runtimeDir, 'crypto');
  const orgDir = (org) => join(crypto, org);
  const ca = (org, spec) => ({
    id: `ca.${org.name}`,
    kind: 'ca',
    org: org.name,
    mspId: org.mspId,
    port: p(spec.port),
    opsPort: p(spec.opsPort),
    address: `${HOST}:${p(spec.port)}`,
    home: join(runtimeDir, 'ca', org.name),
    certFile: join(runtimeDir, 'ca', org.name, 'ca-cert.pem'),
    health: `https://${HOST}:${p(spec.port)}/cainfo`,
  });
  const tlsOf = (dir) => ({
    cert: join(dir, 'tls', 'cert.pem'),
    key: join(dir, 'tls', 'key.pem'),
    ca: join(dir, 'tls', 'ca.pem'),
  });
  const users = (org, list) =>
    list.map((u) => {
      const dir = join(orgDir(org.name), 'users', u.name);
      return { ...u, type: u.type ?? 'client', id: `${u.name}@${org.name}`, msp: join(dir, 'msp'), dir, tls: tlsOf(dir) };
    });

  const o = topology.ordererOrg;
  const ordererOrg = {
    name: o.name,
    mspId: o.mspId,
    msp: join(orgDir(o.name), 'msp'),
    ca: ca(o, o.ca),
    users: users(o, o.admins.map((a) => ({ ...a, type: 'admin' }))),
    orderers: o.orderers.map((n) => {
      const dir = join(orgDir(o.name), 'nodes', n.name);
      return {
        id: n.name,
        kind: 'orderer',
        org: o.name,
        mspId: o.mspId,
        port: p(n.port),
        adminPort: p(n.adminPort),
        opsPort: p(n.opsPort),
        address: `${HOST}:${p(n.port)}`,
        adminAddress: `${HOST}:${p(n.adminPort)}`,
        dir,
        msp: join(dir, 'msp'),
        tls: tlsOf(dir),
        data: join(runtimeDir, 'data', n.name),
        health: `https://${HOST}:${p(n.opsPort)}/healthz`,
      };
    }),
  };

  const orgs = topology.orgs.map((org) => ({
    name: org.name,
    mspId: org.mspId,
    description: org.description,
    endorser: org.endorser,
    msp: join(orgDir(org.name), 'msp'),
    ca: ca(org, org.ca),
    users: users(org, [...org.users, ...addedUsers(orgDir(org.name))]),
    // The org's own chaincode server, which only its peers dial, with a TLS pair from its own CA.
    chaincodeServer: {
      id: `chaincode.${org.name}`,
      port: p(org.chaincodeServer.port),
      address: `${HOST}:${p(org.chaincodeServer.port)}`,
      dir: join(runtimeDir, 'chaincode', org.name),
      tls: tlsOf(join(orgDir(org.name), 'nodes', 'chaincode')),
      tlsDir: join(orgDir(org.name), 'nodes', 'chaincode'),
    },
    // The org's serving gate, run by its API instance in front of its model servers (see gateway-api/src/gate).
    ...(org.gate === undefined
      ? {}
      : {
          gate: {
            id: `gate.${org.name}`,
            port: p(org.gate.port),
            url: `https://${HOST}:${p(org.gate.port)}`,
            health: `https://${HOST}:${p(org.gate.port)}/v2/health/ready`,
            tls: tlsOf(join(orgDir(org.name), 'nodes', 'gate')),
            tlsDir: join(orgDir(org.name), 'nodes', 'gate'),
          },
        }),
    api: {
      id: `api.${org.name}`,
      port: p(org.api.port),
      url: `http://${HOST}:${p(org.api.port)}`,
      health: `http://${HOST}:${p(org.api.port)}/healthz`,
      demoUser: org.api.demoUser,
    },
    peers: org.peers.map((n) => {
      const id = `${n.name}.${org.name}`;
      const dir = join(orgDir(org.name), 'nodes', n.name);
      return {
        id,
        kind: 'peer',
        org: org.name,
        mspId: org.mspId,
        port: p(n.port),
        chaincodePort: p(n.chaincodePort),
        opsPort: p(n.opsPort),
        address: `${HOST}:${p(n.port)}`,
        dir,
        msp: join(dir, 'msp'),
        tls: tlsOf(dir),
        data: join(runtimeDir, 'data', id),
        health: `https://${HOST}:${p(n.opsPort)}/healthz`,
      };
    }),
  }));

  const cc = topology.chaincode;
  const endorsers = orgs.filter((org) => org.endorser).map((org) => `'${org.mspId}.peer'`);
  if (!(cc.endorsementQuorum >= 2 && cc.endorsementQuorum <= endorsers.length)) {
    fail(`chaincode.endorsementQuorum must be from 2 (no org writes alone) to ${endorsers.length} (the endorsing orgs)`);
  }
  return {
    runtimeDir,
    portOffset: offset,
    channel: topology.channel,
    host: HOST,
    configDir: join(runtimeDir, 'config'),
    chaincode: {
      ...cc,
      endorsementPolicy: `OutOf(${cc.endorsementQuorum}, ${endorsers.join(', ')})`,
      dir: join(runtimeDir, 'chaincode'),
    },
    raft: topology.raft,
    modelServer: modelServerPlan(topology.modelServer, orgs, orgDir),
    ordererOrg,
    orgs,
  };
}

/**
 * The model server: it listens only on a Unix socket in its operator org's
 * folder, and the operator's serving gate is the one way to it. Other orgs
 * call the endpoint registered on the ledger, which is the gate's.
 */
function modelServerPlan(server, orgs, orgDir) {
  const operator = orgs.find((org) => org.name === server.operator);
  if (operator === undefined || operator.gate === undefined) {
    fail(`modelServer.operator must name an org with a gate; ${server.operator} has none`);
  }
  return {
    id: 'model-server',
    operator: server.operator,
    model: server.model,
    socket: join(orgDir(server.operator), 'model-server', 'oip.sock'),
    endpoint: `${operator.gate.url}/v2/models/${server.model}`,
  };
}

function ordererEnv(plan, n) {
  return {
    FABRIC_CFG_PATH: plan.configDir,
    FABRIC_LOGGING_SPEC: 'INFO',
    ORDERER_GENERAL_LISTENADDRESS: HOST,
    ORDERER_GENERAL_LISTENPORT: String(n.port),
    ORDERER_GENERAL_LOCALMSPID: n.mspId,
    ORDERER_GENERAL_LOCALMSPDIR: n.msp,
    ORDERER_GENERAL_BOOTSTRAPMETHOD: 'none',
    ORDERER_GENERAL_TLS_ENABLED: 'true',
    ORDERER_GENERAL_TLS_CERTIFICATE: n.tls.cert,
    ORDERER_GENERAL_TLS_PRIVATEKEY: n.tls.key,
    ORDERER_GENERAL_TLS_ROOTCAS: `[${n.tls.ca}]`,
    ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE: n.tls.cert,
    ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY: n.tls.key,
    ORDERER_GENERAL_CLUSTER_ROOTCAS: `[${n.tls.ca}]`,
    ORDERER_FILELEDGER_LOCATION: join(n.data, 'ledger'),
    ORDERER_CONSENSUS_WALDIR: join(n.data, 'etcdraft', 'wal'),
    ORDERER_CONSENSUS_SNAPDIR: join(n.data, 'etcdraft', 'snapshot'),
    ORDERER_CHANNELPARTICIPATION_ENABLED: 'true',
    ORDERER_ADMIN_LISTENADDRESS: n.adminAddress,
    ORDERER_ADMIN_TLS_ENABLED: 'true',
    ORDERER_ADMIN_TLS_CERTIFICATE: n.tls.cert,
    ORDERER_ADMIN_TLS_PRIVATEKEY: n.tls.key,
    ORDERER_ADMIN_TLS_ROOTCAS: `[${n.tls.ca}]`,
    // The channel participation API changes what the orderer serves: only a
    // client holding a certificate from the orderer org's CA may call it.
    ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED: 'true',
    ORDERER_ADMIN_TLS_CLIENTROOTCAS: `[${n.tls.ca}]`,
    ORDERER_OPERATIONS_LISTENADDRESS: `${HOST}:${n.opsPort}`,
    ORDERER_OPERATIONS_TLS_ENABLED: 'true',
    ORDERER_OPERATIONS_TLS_CERTIFICATE: n.tls.cert,
    ORDERER_OPERATIONS_TLS_PRIVATEKEY: n.tls.key,
    // /healthz is open; /metrics and /logspec want a client certificate from the org's CA.
    ORDERER_OPERATIONS_TLS_CLIENTAUTHREQUIRED: 'false',
    ORDERER_OPERATIONS_TLS_CLIENTROOTCAS: `[${n.tls.ca}]`,
    ORDERER_METRICS_PROVIDER: 'prometheus',
  };
}

function peerEnv(plan, n) {
  return {
    FABRIC_CFG_PATH: plan.configDir,
    FABRIC_LOGGING_SPEC: 'INFO',
    CORE_PEER_ID: n.id,
    CORE_PEER_ADDRESS: n.address,
    CORE_PEER_LISTENADDRESS: n.address,
    CORE_PEER_CHAINCODEADDRESS: `${HOST}:${n.chaincodePort}`,
    CORE_PEER_CHAINCODELISTENADDRESS: `${HOST}:${n.chaincodePort}`,
    CORE_PEER_GOSSIP_BOOTSTRAP: n.address,
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
    CORE_OPERATIONS_LISTENADDRESS: `${HOST}:${n.opsPort}`,
    CORE_OPERATIONS_TLS_ENABLED: 'true',
    CORE_OPERATIONS_TLS_CERT_FILE: n.tls.cert,
    CORE_OPERATIONS_TLS_KEY_FILE: n.tls.key,
    CORE_OPERATIONS_TLS_CLIENTAUTHREQUIRED: 'false',
    CORE_OPERATIONS_TLS_CLIENTROOTCAS_FILES: n.tls.ca,
    CORE_METRICS_PROVIDER: 'prometheus',
    // No Docker: chaincode runs as a service, reached through the ccaas builder.
    CORE_VM_ENDPOINT: '',
  };
}

const signature = (rule) => ({ Type: 'Signature', Rule: rule });
const implicit = (rule) => ({ Type: 'ImplicitMeta', Rule: rule });

function configtx(plan) {
  const oo = plan.ordererOrg;
  const ordererOrg = {
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
  const memberOrgs = plan.orgs.map((org) => ({
    Name: org.mspId,
    ID: org.mspId,
    MSPDir: org.msp,
    Policies: {
      Readers: signature(`OR('${org.mspId}.admin', '${org.mspId}.peer', '${org.mspId}.client')`),
      // Writers also gates every proposal, queries included (the peer/Propose ACL),
      // so the regulator's clients must be Writers to audit. What keeps them from
      // changing state is the endorsement policy and the chaincode (network/README.md).
      Writers: signature(`OR('${org.mspId}.admin', '${org.mspId}.client')`),
      Admins: signature(`OR('${org.mspId}.admin')`),
      Endorsement: signature(`OR('${org.mspId}.peer')`),
    },
    AnchorPeers: org.peers.slice(0, 1).map((n) => ({ Host: plan.host, Port: n.port })),
  }));
  const channelPolicies = {
    Readers: implicit('ANY Readers'),
    Writers: implicit('ANY Writers'),
    Admins: implicit('MAJORITY Admins'),
  };
  return {
    Profiles: {
      LicensingChannel: {
        Policies: channelPolicies,
        Capabilities: { V3_0: true },
        Orderer: {
          OrdererType: 'etcdraft',
          BatchTimeout: plan.raft.batchTimeout,
          BatchSize: {
            MaxMessageCount: plan.raft.maxMessageCount,
            AbsoluteMaxBytes: plan.raft.absoluteMaxBytes,
            PreferredMaxBytes: plan.raft.preferredMaxBytes,
          },
          EtcdRaft: {
            Consenters: oo.orderers.map((n) => ({
              Host: plan.host,
              Port: n.port,
              ClientTLSCert: n.tls.cert,
              ServerTLSCert: n.tls.cert,
            })),
          },
          Organizations: [ordererOrg],
          Policies: {
            Readers: implicit('ANY Readers'),
            Writers: implicit('ANY Writers'),
            Admins: implicit('MAJORITY Admins'),
            BlockValidation: implicit('ANY Writers'),
          },
          Capabilities: { V2_0: true },
        },
        Application: {
          Organizations: memberOrgs,
          Policies: {
            Readers: implicit('ANY Readers'),
            Writers: implicit('ANY Writers'),
            Admins: implicit('MAJORITY Admins'),
            LifecycleEndorsement: implicit('MAJORITY Endorsement'),
            Endorsement: implicit('MAJORITY Endorsement'),
          },
          Capabilities: { V2_5: true },
        },
      },
    },
  };
}

function envFile(env) {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n') + '\n';
}

function render(plan) {
  const sample = process.env.FABRIC_SAMPLECONFIG;
  if (!sample) fail('FABRIC_SAMPLECONFIG is not set: run through scripts/network.sh');
  mkdirSync(plan.configDir, { recursive: true });
  const builders = join(repoRoot, 'network', 'builders', 'ccaas');
  const core = readFileSync(join(sample, 'core.yaml'), 'utf8');
  if (!core.includes('/opt/hyperledger/ccaas_builder')) {
    fail(`${sample}/core.yaml has no ccaas_builder entry to point at ${builders}`);
  }
  writeFileSync(join(plan.configDir, 'core.yaml'), core.replace('/opt/hyperledger/ccaas_builder', builders));
  writeFileSync(join(plan.configDir, 'orderer.yaml'), readFileSync(join(sample, 'orderer.yaml'), 'utf8'));
  writeFileSync(join(plan.configDir, 'configtx.yaml'), YAML.stringify(configtx(plan)));

  const nodesDir = join(plan.runtimeDir, 'nodes');
  mkdirSync(nodesDir, { recursive: true });
  for (const n of plan.ordererOrg.orderers) writeFileSync(join(nodesDir, `${n.id}.env`), envFile(ordererEnv(plan, n)));
  for (const org of plan.orgs) {
    for (const n of org.peers) writeFileSync(join(nodesDir, `${n.id}.env`), envFile(peerEnv(plan, n)));
  }
  writeFileSync(join(plan.runtimeDir, 'plan.json'), JSON.stringify(plan, null, 2) + '\n');
}

// ---------------------------------------------------------------- docker-compose

// Where the runtime folder is mounted in every container. Fixed, so that the
// generated file is the same on every machine; the host side is chosen at
// `docker compose` time through MLL_DOCKER_RUNTIME.
const COMPOSE_RUNTIME_DIR = '/var/hyperledger/model-ledger';
const COMPOSE_RUNTIME_MOUNT = '${MLL_DOCKER_RUNTIME:-./.runtime-docker}';
// Fabric's sampleconfig core.yaml (the one `render` copies, and the one the peer
// image ships in its FABRIC_CFG_PATH) names this folder as the ccaas builder.
const COMPOSE_BUILDER_DIR = '/opt/hyperledger/ccaas_builder';
// The images' own config folder, holding sampleconfig's core.yaml and orderer.yaml.
const IMAGE_CFG_PATH = '/etc/hyperledger/fabric';
const COMPOSE_REPO_DIR = '/opt/model-ledger';

/** The Fabric and Fabric CA versions the native build pins, from scripts/lib/binaries.sh. */
function pinnedVersions() {
  const text = readFileSync(join(repoRoot, 'scripts', 'lib', 'binaries.sh'), 'utf8');
  const read = (name) => {
    const match = text.match(new RegExp(`^${name}="([0-9][0-9.]*)"$`, 'm'));
    if (!match) fail(`scripts/lib/binaries.sh sets no ${name}="x.y.z"`);
    return match[1];
  };
  return { fabric: read('FABRIC_VERSION'), ca: read('FABRIC_CA_VERSION') };
}

// sh -c scripts in the compose file: "$" is doubled so that compose leaves it to the shell.
const shell = (lines) => ['sh', '-c', lines.join('\n').replaceAll('$', '$$$$')];

function composeCa(ca) {
  // The same flags as start_ca in scripts/lib/network.sh, and the same secret file,
  // created the same way when it does not exist yet.
  return {
    image: `hyperledger/fabric-ca:${pinnedVersions().ca}`,
    network_mode: 'host',
    user: '${MLL_DOCKER_USER:-0:0}',
    volumes: [`${COMPOSE_RUNTIME_MOUNT}:${COMPOSE_RUNTIME_DIR}`],
    command: shell([
      'set -e',
      `home=${ca.home}`,
      'mkdir -p "$home" && chmod 700 "$home"',
      `[ -s "$home/bootstrap.secret" ] || (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \\n' >"$home/bootstrap.secret")`,
      'exec fabric-ca-server start --home "$home" -b "registrar:$(cat "$home/bootstrap.secret")" \\',
      `  --port ${ca.port} --address ${HOST} --ca.name ca-${ca.org} --csr.cn ca.${ca.org} \\`,
      `  --csr.hosts 127.0.0.1,localhost,ca.${ca.org} --tls.enabled \\`,
      `  --operations.listenaddress ${HOST}:${ca.opsPort} --registry.maxenrollments -1`,
    ]),
  };
}

function composeNode(image, command, env, extraVolumes = []) {
  return {
    image,
    network_mode: 'host',
    user: '${MLL_DOCKER_USER:-0:0}',
    // Everything from ordererEnv/peerEnv except the config folder: the rendered
    // core.yaml names this checkout's builder folder, which does not exist in a
    // container, so the nodes read the images' own copy of the same sampleconfig.
    environment: { ...env, FABRIC_CFG_PATH: IMAGE_CFG_PATH },
    volumes: [`${COMPOSE_RUNTIME_MOUNT}:${COMPOSE_RUNTIME_DIR}`, ...extraVolumes],
    command,
  };
}

function composeChaincode(org) {
  const server = org.chaincodeServer;
  const idFile = join(server.dir, 'running.id');
  return {
    image: 'node:20',
    network_mode: 'host',
    user: '${MLL_DOCKER_USER:-0:0}',
    working_dir: `${COMPOSE_REPO_DIR}/chaincode`,
    volumes: [
      `${COMPOSE_RUNTIME_MOUNT}:${COMPOSE_RUNTIME_DIR}`,
      `./chaincode:${COMPOSE_REPO_DIR}/chaincode:ro`,
      `./node_modules:${COMPOSE_REPO_DIR}/node_modules:ro`,
    ],
    // The package id is the one the org's peers installed, recorded by `scripts/network.sh deploy`.
    command: shell([
      `id_file=${idFile}`,
      '[ -s "$id_file" ] || { echo "$id_file is missing: deploy the chaincode first (see docker-compose.yml)" >&2; exit 1; }',
      `exec ${COMPOSE_REPO_DIR}/node_modules/.bin/fabric-chaincode-node server \\`,
      `  --chaincode-address ${server.address} --chaincode-id "$(cat "$id_file")" \\`,
      `  --chaincode-tls-cert-file ${server.tls.cert} \\`,
      `  --chaincode-tls-key-file ${server.tls.key}`,
    ]),
  };
}

function composeHeader(offset, versions) {
  const shifted = offset ? ` with MLL_PORT_OFFSET=${offset}` : '';
  return `# Generated by \`node scripts/lib/topology.mjs compose > docker-compose.yml\` from
# network/topology.json${shifted}. Do not edit: change the topology and regenerate
# (test/unit/compose.test.ts fails when this file and the topology disagree).
#
# The same consortium that scripts/network.sh runs natively, from the official
# images: every environment variable, port and MSP folder comes from the same
# plan. Linux Docker hosts only: network_mode host keeps the plan's 127.0.0.1
# addresses unchanged. The runtime folder (crypto, ledgers) is
# \${MLL_DOCKER_RUNTIME:-./.runtime-docker} on the host and ${COMPOSE_RUNTIME_DIR}
# in every container.
#
# The issue asked for Fabric 3.1.5; these images are pinned to ${versions.fabric} (CA ${versions.ca})
# because that is what the native build runs: the Go module proxy refuses 3.1.5
# (see scripts/lib/binaries.sh), and both ways should run the same Fabric.
#
# Bringing it up. The nodes run here, but enrolling identities, creating the
# channel and deploying the chaincode are done by scripts/network.sh, which
# needs Go and the native Fabric tools and has no verb that works against nodes
# it did not start. So bootstrap once natively into the folder compose mounts,
# stop the native processes, and let Docker run the same nodes on the same data:
#
#   npm ci
#   export MLL_RUNTIME_DIR="$PWD/.runtime-docker" MLL_DOCKER_USER="$(id -u):$(id -g)"
#   scripts/network.sh up && scripts/network.sh down
#   docker compose up -d
#   scripts/network.sh peer lab channel getinfo -c licensing   # the CLI reaches the containers
#
# After changing an image tag, run \`docker compose up -d -V\` so that the old
# image's /etc/hyperledger/fabric is not kept in an anonymous volume.
# network/README.md ("Docker hosts") says what of this has and has not been tested.
`;
}

/** docker-compose.yml for the plan rendered at COMPOSE_RUNTIME_DIR. */
function compose(topology, offset) {
  const plan = buildPlan(topology, COMPOSE_RUNTIME_DIR, offset);
  const versions = pinnedVersions();
  const services = {};
  for (const org of [plan.ordererOrg, ...plan.orgs]) services[org.ca.id] = composeCa(org.ca);
  for (const n of plan.ordererOrg.orderers) {
    services[n.id] = composeNode(`hyperledger/fabric-orderer:${versions.fabric}`, ['orderer', 'start'], ordererEnv(plan, n));
  }
  for (const org of plan.orgs) {
    for (const n of org.peers) {
      services[n.id] = composeNode(`hyperledger/fabric-peer:${versions.fabric}`, ['peer', 'node', 'start'], peerEnv(plan, n), [
        // Our ccaas builder, in place of the image's, at the path its core.yaml names.
        `./network/builders/ccaas:${COMPOSE_BUILDER_DIR}:ro`,
      ]);
    }
  }
  for (const org of plan.orgs) services[org.chaincodeServer.id] = composeChaincode(org);
  return `${composeHeader(offset, versions)}\n${YAML.stringify({ name: 'model-ledger', services }, { lineWidth: 0 })}`;
}

function main() {
  const runtimeDir = resolve(process.env.MLL_RUNTIME_DIR ?? join(repoRoot, '.runtime'));
  const topology = JSON.parse(readFileSync(join(repoRoot, 'network', 'topology.json'), 'utf8'));
  const plan = buildPlan(topology, runtimeDir, portOffset());
  switch (process.argv[2]) {
    case 'render':
      render(plan);
      break;
    case 'plan':
      process.stdout.write(JSON.stringify(plan, null, 2) + '\n');
      break;
    case 'compose':
      process.stdout.write(compose(topology, portOffset()));
      break;
    default:
      fail('usage: topology.mjs render|plan|compose');
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
