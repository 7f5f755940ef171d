/**
 * Registers this org's CA root on the ledger (MemberContract.RegisterOrgRoot),
 * as the org's admin, so that the chaincode can check the certificates of
 * the accesses this org's gateway batches (issue 17). The root registered is
 * the CA that issued the admin's own certificate (the admin MSP's cacerts),
 * which the chaincode requires: an admin registers only a root its channel
 * MSP already trusts. Run by `scripts/network.sh up` for every member org
 * that writes, and by `up --org ORG` when an org joins; safe to run again.
 *
 *   MLL_API_ORG=hospital node gateway-api/dist/cli/roots.js register [--user admin]
 *   MLL_API_ORG=hospital node gateway-api/dist/cli/roots.js list [--msp HospitalMSP]
 */
import { MemberClient, TokenClient } from '@model-ledger/contract';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../config';
import { Ledger } from '../fabric/ledger';
import { bindOrg } from '../fabric/plan';
import { Metrics } from '../metrics';

const USAGE = `usage: roots register [--user NAME] | roots list [--msp MSPID]
  (the org and runtime dir come from MLL_API_ORG and MLL_RUNTIME_DIR)`;

function option(args: readonly string[], name: string, fallback: string): string {
  const index = args.indexOf(`--${name}`);
  return index >= 0 && args[index + 1] !== undefined ? args[index + 1] : fallback;
}

/** The CA root(s) of an enrolled user's MSP folder: what issued its certificate. */
function cacertsOf(mspDir: string): string[] {
  const dir = join(mspDir, 'cacerts');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.pem'))
    .sort()
    .map((file) => readFileSync(join(dir, file), 'utf8'));
}

async function main(args: readonly string[]): Promise<void> {
  const config = loadConfig();
  const binding = bindOrg(config.planFile, config.org, config.peer);
  const logger = pino({ level: 'warn' });
  const ledger = new Ledger(binding, config, logger, new Metrics({ org: config.org }));
  try {
    switch (args[0]) {
      case 'register': {
        const name = option(args, 'user', 'admin');
        const planned = binding.org.users.find((u) => u.name === name);
        if (planned === undefined) {
          throw new Error(`${config.org} has no enrolled user ${name}`);
        }
        const session = ledger.session(ledger.user(name));
        if ((await new TokenClient(session).whoAmI()).regulator) {
          process.stderr.write(
            `${binding.org.mspId} is the regulator: it writes nothing, so it records no accesses and registers no root\n`,
          );
          return;
        }
        const members = new MemberClient(session);
        const known = new Set((await members.listOrgRoots(binding.org.mspId)).map((root) => root.certificate.trim()));
        for (const pem of cacertsOf(planned.msp)) {
          if (known.has(pem.trim())) {
            process.stderr.write(`${binding.org.mspId}: its CA root is registered on the ledger already\n`);
            continue;
          }
          const written = await members.registerOrgRoot(pem);
          process.stderr.write(
            `${binding.org.mspId}: registered its CA root ${written.data.subject} (sha256 ${written.data.fingerprint.slice(0, 16)}…) in block ${written.blockNumber}\n`,
          );
        }
        return;
      }
      case 'list': {
        const members = new MemberClient(ledger.session(ledger.user(option(args, 'user', 'admin'))));
        for (const root of await members.listOrgRoots(option(args, 'msp', binding.org.mspId))) {
          process.stdout.write(`${root.mspId}\t${root.fingerprint}\t${root.subject.replace(/\n/g, ', ')}\t${root.validTo}\n`);
        }
        return;
      }
      default:
        process.stdout.write(`${USAGE}\n`);
        if (args[0] !== 'help') {
          process.exitCode = 2;
        }
    }
  } finally {
    ledger.close();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`roots: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
