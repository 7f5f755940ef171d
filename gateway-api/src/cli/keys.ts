/**
 * Issues, lists and revokes the API keys of this instance's org.
 *
 *   MLL_API_ORG=hospital npm run -w gateway-api keys -- issue --user practitioner1
 *   MLL_API_ORG=hospital npm run -w gateway-api keys -- list
 *   MLL_API_ORG=hospital npm run -w gateway-api keys -- revoke --id <id>
 *
 * A key can only be issued for a user enrolled at the org's CA (a user in the
 * network plan, with its MSP folder): the users of network/topology.json, which
 * `scripts/network.sh up` enrols, and those added since with
 * `scripts/network.sh enroll ORG NAME ROLE`.
 */
import { ConfigError, loadConfig } from '../config';
import { loadUser } from '../fabric/identity';
import { bindOrg } from '../fabric/plan';
import { KeyStore } from '../auth/keys';

const USAGE = `usage: keys issue --user NAME | keys list | keys revoke --id ID
  (the org, runtime dir and key file come from MLL_API_ORG, MLL_RUNTIME_DIR, MLL_API_KEYS_FILE)`;

function option(args: readonly string[], name: string): string {
  const index = args.indexOf(`--${name}`);
  const value = index >= 0 ? args[index + 1] : undefined;
  if (value === undefined || value.startsWith('--')) {
    throw new Error(`--${name} is required\n${USAGE}`);
  }
  return value;
}

function main(args: readonly string[]): void {
  const config = loadConfig();
  const store = new KeyStore(config.keysFile, config.org);
  switch (args[0]) {
    case 'issue': {
      const binding = bindOrg(config.planFile, config.org, config.peer);
      const user = loadUser(binding.org, option(args, 'user'));
      const { key, id } = store.issue(user.name);
      process.stderr.write(`issued key ${id} for ${user.name}@${config.org} (role ${user.role ?? 'none'}); it is shown once:\n`);
      process.stdout.write(`${key}\n`);
      return;
    }
    case 'list':
      for (const k of store.list()) {
        process.stdout.write(`${k.id}\t${k.user}\t${k.createdAt}\n`);
      }
      return;
    case 'revoke':
      if (!store.revoke(option(args, 'id'))) {
        throw new Error('no such key');
      }
      return;
    default:
      process.stdout.write(`${USAGE}\n`);
      if (args[0] !== 'help') {
        process.exitCode = 2;
      }
  }
}

try {
  main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
