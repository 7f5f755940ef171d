/**
 * docker-compose.yml: the same consortium that `scripts/network.sh` runs
 * natively, from Fabric's official images, generated from the same plan.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { buildPlan, HOST } from './plan';
import type { CaPlan, OrgPlan } from './plan';
import { chaincodeServerEnv, ordererEnv, peerEnv } from './render';
import type { NodeEnv } from './render';
import type { Topology } from './topology';

interface Service {
  readonly image: string;
  readonly network_mode: 'host';
  readonly user: string;
  readonly working_dir?: string;
  readonly environment?: NodeEnv;
  readonly volumes: readonly string[];
  readonly command: readonly string[];
}

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
function pinnedVersions(repoRoot: string): { fabric: string; ca: string } {
  const text = readFileSync(join(repoRoot, 'scripts', 'lib', 'binaries.sh'), 'utf8');
  const read = (name: string): string => {
    const match = text.match(new RegExp(`^${name}="([0-9][0-9.]*)"$`, 'm'));
    if (!match) throw new Error(`scripts/lib/binaries.sh sets no ${name}="x.y.z"`);
    return match[1];
  };
  return { fabric: read('FABRIC_VERSION'), ca: read('FABRIC_CA_VERSION') };
}

// sh -c scripts in the compose file: "$" is doubled so that compose leaves it to the shell.
const shell = (lines: readonly string[]): string[] => ['sh', '-c', lines.join('\n').replaceAll('$', '$$$$')];

function composeCa(ca: CaPlan, versions: { ca: string }): Service {
  // The same flags as start_ca in scripts/lib/network.sh, and the same secret file,
  // created the same way when it does not exist yet.
  return {
    image: `hyperledger/fabric-ca:${versions.ca}`,
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

function composeNode(image: string, command: string[], env: NodeEnv, extraVolumes: string[] = []): Service {
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

function composeChaincode(org: OrgPlan): Service {
  const server = org.chaincodeServer;
  const idFile = join(server.dir, 'running.id');
  return {
    image: 'node:20',
    network_mode: 'host',
    user: '${MLL_DOCKER_USER:-0:0}',
    working_dir: `${COMPOSE_REPO_DIR}/chaincode`,
    environment: chaincodeServerEnv(COMPOSE_REPO_DIR),
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

function composeHeader(offset: number, versions: { fabric: string; ca: string }): string {
  const shifted = offset ? ` with MLL_PORT_OFFSET=${offset}` : '';
  return `# Generated by \`bash scripts/network.sh compose > docker-compose.yml\` from
# network/topology.json${shifted}. Do not edit: change the topology and regenerate
# (scripts/test/compose.test.ts fails when this file and the topology disagree).
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
export function compose(topology: Topology, offset: number, repoRoot: string): string {
  const plan = buildPlan(topology, COMPOSE_RUNTIME_DIR, offset);
  const versions = pinnedVersions(repoRoot);
  const services: Record<string, Service> = {};
  for (const org of [...(plan.ordererOrg === null ? [] : [plan.ordererOrg]), ...plan.orgs])
    services[org.ca.id] = composeCa(org.ca, versions);
  for (const n of plan.orderers) {
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
