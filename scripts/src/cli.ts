/**
 * The typed half of `scripts/network.sh`: bash starts, stops and waits on
 * processes; this decides what they are and writes their configuration.
 *
 *   node scripts/dist/cli.js check     validates network/topology.json
 *   node scripts/dist/cli.js render    writes the plan and node configs under the runtime folder
 *   node scripts/dist/cli.js plan      prints the resolved plan as JSON
 *   node scripts/dist/cli.js compose   prints docker-compose.yml
 *   node scripts/dist/cli.js deploy    deploys the built chaincode; prints `org<TAB>package id` lines
 *   node scripts/dist/cli.js join-chaincode ORG
 *                                      installs the chaincode for ORG, a member that joined after it was
 *                                      committed, and approves the committed definition; prints `ORG<TAB>package id`
 *   node scripts/dist/cli.js define-chaincode ORG        prints the next definition (JSON) from ORG's view and build
 *   node scripts/dist/cli.js approve-chaincode ORG FILE  checks and approves that definition for ORG; prints `ORG<TAB>package id`
 *   node scripts/dist/cli.js commit-chaincode ORG FILE   commits it once a majority approved; prints the approving orgs
 *   node scripts/dist/cli.js committed-package ORG       the package ORG approved for the committed definition
 *   node scripts/dist/cli.js new-user ORG NAME ROLE [ATTR=VALUE...]
 *                                      checks an enrollment; prints `type<TAB>tls|-<TAB>CA attrs`
 *   node scripts/dist/cli.js record-user ORG NAME ROLE [ATTR=VALUE...]
 *                                      keeps an enrolled user in every later plan
 *   node scripts/dist/cli.js certs     every certificate of the runtime folder, soonest expiry first:
 *                                      `org<TAB>holder<TAB>use<TAB>days left<TAB>expires<TAB>subject<TAB>path`
 *   node scripts/dist/cli.js new-users ORG PREFIX COUNT ROLE [ATTR=VALUE...]
 *                                      checks a bulk enrollment; prints, for each of
 *                                      PREFIX-1..COUNT not yet enrolled, `name<TAB>type<TAB>tls|-<TAB>CA attrs`
 *   node scripts/dist/cli.js record-users ORG PREFIX COUNT ROLE [ATTR=VALUE...]
 *                                      keeps those users in every later plan
 *   node scripts/dist/cli.js monitoring [ORG [FILE]]
 *                                      writes the Prometheus configuration that scrapes every peer, orderer
 *                                      and API instance (ORG's only, unless ORG is empty) to FILE, by default
 *                                      <runtime>/monitoring/prometheus.yml; prints the file's path
 *
 * Inputs from the environment: MLL_RUNTIME_DIR (default <repo>/.runtime),
 * MLL_PORT_OFFSET (added to every port, default 0), MLL_CONSENSUS (raft or
 * bft; the topology's ordering.consensus by default), MLL_HOSTS=1 (the
 * namespaced run: a host of its own for each org and orderer), FABRIC_SAMPLECONFIG
 * (Fabric's default core.yaml and orderer.yaml, for `render`), FABRIC_BIN and
 * MLL_LOGS_DIR (for `deploy`), MLL_CHAINCODE_BENCH=1 (deploy the benchmark build).
 */
import { join, resolve } from 'node:path';
import { certificates } from './certs';
import { compose } from './compose';
import { writePrometheusConfig } from './monitoring';
import { readFileSync } from 'node:fs';
import {
  approveDefinition,
  ChaincodeDefinition,
  commitDefinition,
  committedPackage,
  defineChaincode,
  deployChaincode,
  joinChaincode,
  LifecycleEnv,
  LifecycleError,
} from './lifecycle';
import { buildPlan, readPlan } from './plan';
import { render } from './render';
import { CONSENSUS, readTopology, TopologyError } from './topology';
import type { Consensus, Topology } from './topology';
import { caAttrs, newUser, newUsers, recordUser, recordUsers, UserRequestError } from './users';

const repoRoot = resolve(__dirname, '..', '..');

class UsageError extends Error {}

function portOffset(): number {
  const raw = process.env.MLL_PORT_OFFSET ?? '0';
  if (!/^\d+$/.test(raw) || Number(raw) > 50000) {
    throw new UsageError(`MLL_PORT_OFFSET must be a whole number from 0 to 50000, got "${raw}"`);
  }
  return Number(raw);
}

/** The consensus of a new network: MLL_CONSENSUS, or the topology's own. */
function consensus(topology: Topology): Consensus {
  const raw = process.env.MLL_CONSENSUS;
  if (raw === undefined || raw === '') return topology.ordering.consensus;
  if (!(CONSENSUS as readonly string[]).includes(raw)) {
    throw new UsageError(`MLL_CONSENSUS must be one of ${CONSENSUS.join(', ')}, got "${raw}"`);
  }
  return raw as Consensus;
}

/** Whether the plan is the namespaced run's (MLL_HOSTS=1): a host of its own for each org and each orderer. */
function namespaced(): boolean {
  const raw = process.env.MLL_HOSTS ?? '';
  if (!['', '0', '1'].includes(raw)) throw new UsageError(`MLL_HOSTS must be 0 or 1, got "${raw}"`);
  return raw === '1';
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new UsageError(`${name} is not set: run through scripts/network.sh`);
  }
  return value;
}

/** A progress line, in the format of scripts/lib/common.sh's log. */
function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** The lifecycle's environment, from the variables scripts/network.sh sets. */
function lifecycleEnv(): LifecycleEnv {
  return {
    repoRoot,
    fabricBin: required('FABRIC_BIN'),
    logsDir: required('MLL_LOGS_DIR'),
    bench: process.env.MLL_CHAINCODE_BENCH === '1',
    log,
  };
}

/** The command line's argument at INDEX, or a usage error naming the command. */
function arg(index: number, usage: string): string {
  const value = process.argv[index];
  if (value === undefined || value === '') {
    throw new UsageError(`usage: node scripts/dist/cli.js ${usage}`);
  }
  return value;
}

/**
 * A definition file as another operator handed it over.
 *
 * @throws UsageError when it is not one.
 */
function readDefinition(file: string): ChaincodeDefinition {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file} is not a chaincode definition: ${(err as Error).message}`);
  }
  const d = raw as Partial<Record<keyof ChaincodeDefinition, unknown>>;
  if (
    typeof d.channel !== 'string' ||
    typeof d.name !== 'string' ||
    typeof d.version !== 'string' ||
    typeof d.endorsementPolicy !== 'string' ||
    typeof d.sequence !== 'number' ||
    !Number.isInteger(d.sequence) ||
    d.sequence < 1
  ) {
    throw new UsageError(`${file} is not a chaincode definition (channel, name, version, sequence, endorsementPolicy)`);
  }
  return raw as ChaincodeDefinition;
}

function main(verb: string | undefined): void {
  const runtimeDir = resolve(process.env.MLL_RUNTIME_DIR ?? join(repoRoot, '.runtime'));
  const topology = readTopology(repoRoot);
  switch (verb) {
    case 'check':
      return;
    case 'render': {
      const sample = process.env.FABRIC_SAMPLECONFIG;
      if (sample === undefined || sample === '') {
        throw new UsageError('FABRIC_SAMPLECONFIG is not set: run through scripts/network.sh');
      }
      render(buildPlan(topology, runtimeDir, portOffset(), consensus(topology), namespaced()), sample, repoRoot);
      return;
    }
    case 'plan':
      process.stdout.write(
        JSON.stringify(buildPlan(topology, runtimeDir, portOffset(), consensus(topology), namespaced()), null, 2) + '\n',
      );
      return;
    case 'compose':
      process.stdout.write(compose(topology, portOffset(), repoRoot));
      return;
    case 'deploy': {
      const deployed = deployChaincode(readPlan(runtimeDir), lifecycleEnv());
      for (const [org, id] of deployed) process.stdout.write(`${org}\t${id}\n`);
      return;
    }
    case 'join-chaincode': {
      const org = process.argv[3];
      if (org === undefined) {
        throw new UsageError('usage: node scripts/dist/cli.js join-chaincode ORG');
      }
      const id = joinChaincode(readPlan(runtimeDir), lifecycleEnv(), org);
      process.stdout.write(`${org}\t${id}\n`);
      return;
    }
    case 'define-chaincode': {
      const definition = defineChaincode(readPlan(runtimeDir), lifecycleEnv(), arg(3, 'define-chaincode ORG'));
      process.stdout.write(JSON.stringify(definition, null, 2) + '\n');
      return;
    }
    case 'approve-chaincode': {
      const org = arg(3, 'approve-chaincode ORG FILE');
      const id = approveDefinition(readPlan(runtimeDir), lifecycleEnv(), org, readDefinition(arg(4, 'approve-chaincode ORG FILE')));
      process.stdout.write(`${org}\t${id}\n`);
      return;
    }
    case 'commit-chaincode': {
      const approving = commitDefinition(
        readPlan(runtimeDir),
        lifecycleEnv(),
        arg(3, 'commit-chaincode ORG FILE'),
        readDefinition(arg(4, 'commit-chaincode ORG FILE')),
      );
      process.stdout.write(approving.join(' ') + '\n');
      return;
    }
    case 'committed-package': {
      process.stdout.write(`${committedPackage(readPlan(runtimeDir), lifecycleEnv(), arg(3, 'committed-package ORG')) ?? ''}\n`);
      return;
    }
    case 'new-user': {
      const user = newUser(readPlan(runtimeDir), process.argv.slice(3));
      process.stdout.write(`${user.type}\t${user.tls ? 'tls' : '-'}\t${caAttrs(user.attrs)}\n`);
      return;
    }
    case 'record-user':
      recordUser(runtimeDir, newUser(readPlan(runtimeDir), process.argv.slice(3)));
      return;
    case 'certs':
      process.stdout.write(
        certificates(runtimeDir)
          .map((c) => [c.org, c.holder, c.use, String(c.daysLeft), c.notAfter, c.subject, c.path].join('\t') + '\n')
          .join(''),
      );
      return;
    case 'new-users':
      for (const user of newUsers(readPlan(runtimeDir), process.argv.slice(3))) {
        process.stdout.write(`${user.name}\t${user.type}\t${user.tls ? 'tls' : '-'}\t${caAttrs(user.attrs)}\n`);
      }
      return;
    case 'record-users':
      recordUsers(runtimeDir, newUsers(readPlan(runtimeDir), process.argv.slice(3)));
      return;
    case 'monitoring': {
      const [scope, file] = [process.argv[3], process.argv[4]].map((a) => (a === undefined || a === '' ? undefined : a));
      process.stdout.write(`${writePrometheusConfig(readPlan(runtimeDir), scope, file === undefined ? undefined : resolve(file))}\n`);
      return;
    }
    default:
      throw new UsageError(
        'usage: node scripts/dist/cli.js check|render|plan|compose|deploy|join-chaincode|define-chaincode|approve-chaincode|commit-chaincode|committed-package|certs|new-user|record-user|new-users|record-users|monitoring',
      );
  }
}

try {
  main(process.argv[2]);
} catch (err) {
  const message =
    err instanceof TopologyError ||
    err instanceof UsageError ||
    err instanceof LifecycleError ||
    err instanceof UserRequestError ||
    err instanceof Error
      ? err.message
      : String(err);
  process.stderr.write(`error: ${message}\n`);
  process.exitCode = 1;
}
