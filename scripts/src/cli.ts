/**
 * The typed half of `scripts/network.sh`: bash starts, stops and waits on
 * processes; this decides what they are and writes their configuration.
 *
 *   node scripts/dist/cli.js check     validates network/topology.json
 *   node scripts/dist/cli.js render    writes the plan and node configs under the runtime folder
 *   node scripts/dist/cli.js plan      prints the resolved plan as JSON
 *   node scripts/dist/cli.js compose   prints docker-compose.yml
 *
 * Inputs from the environment: MLL_RUNTIME_DIR (default <repo>/.runtime),
 * MLL_PORT_OFFSET (added to every port, default 0), FABRIC_SAMPLECONFIG
 * (Fabric's default core.yaml and orderer.yaml, for `render`).
 */
import { join, resolve } from 'node:path';
import { compose } from './compose';
import { buildPlan } from './plan';
import { render } from './render';
import { readTopology, TopologyError } from './topology';

const repoRoot = resolve(__dirname, '..', '..');

class UsageError extends Error {}

function portOffset(): number {
  const raw = process.env.MLL_PORT_OFFSET ?? '0';
  if (!/^\d+$/.test(raw) || Number(raw) > 50000) {
    throw new UsageError(`MLL_PORT_OFFSET must be a whole number from 0 to 50000, got "${raw}"`);
  }
  return Number(raw);
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
      render(buildPlan(topology, runtimeDir, portOffset()), sample, repoRoot);
      return;
    }
    case 'plan':
      process.stdout.write(JSON.stringify(buildPlan(topology, runtimeDir, portOffset()), null, 2) + '\n');
      return;
    case 'compose':
      process.stdout.write(compose(topology, portOffset(), repoRoot));
      return;
    default:
      throw new UsageError('usage: node scripts/dist/cli.js check|render|plan|compose');
  }
}

try {
  main(process.argv[2]);
} catch (err) {
  const message = err instanceof TopologyError || err instanceof UsageError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${message}\n`);
  process.exitCode = 1;
}
