/**
 * The chaincode server's environment: the shim's log level and the preload
 * that makes the levels it turns off cost nothing. The preload is run in a
 * child process, as the server runs it, through NODE_OPTIONS.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { chaincodeServerEnv } from '../src';

const repoRoot = resolve(__dirname, '../..');

/** Runs a small script with the server's environment and returns what it printed. */
function runWithServerEnv(level: string | undefined, script: string): string {
  const child = spawnSync(process.execPath, ['-e', script], {
    cwd: resolve(repoRoot, 'chaincode'),
    env: { PATH: process.env.PATH ?? '', ...chaincodeServerEnv(repoRoot, level) },
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`the script failed: ${child.stderr}`);
  return child.stdout + child.stderr;
}

const logEveryLevel = `
  const shim = require('fabric-shim/lib/logger');
  const logger = shim.getLogger('probe');
  // Without the preload, winston would format every message before dropping it.
  console.log('preloaded=' + String(logger.debug.quiet === true));
  logger.debug('said-debug'); logger.info('said-info'); logger.warn('said-warn'); logger.error('said-error');
  shim.setLevel('DEBUG');
  logger.debug('said-debug-after-setLevel');
`;

describe('the chaincode server environment', () => {
  it('defaults the shim to WARNING and preloads the quiet logger', () => {
    const env = chaincodeServerEnv('/opt/x');
    expect(env.CORE_CHAINCODE_LOGGING_LEVEL).toBe('WARNING');
    expect(env.NODE_OPTIONS).toBe('--require "/opt/x/chaincode/server/quiet-shim-logs.cjs"');
  });

  it('takes any of the shim levels in any case, and refuses anything else', () => {
    expect(chaincodeServerEnv('/opt/x', 'debug').CORE_CHAINCODE_LOGGING_LEVEL).toBe('DEBUG');
    expect(() => chaincodeServerEnv('/opt/x', 'verbose')).toThrow(
      /MLL_CHAINCODE_LOG_LEVEL must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG/,
    );
  });

  it('prints warnings and errors but not what the level turns off, and follows a later setLevel', () => {
    const out = runWithServerEnv(undefined, logEveryLevel);
    expect(out).toMatch(/preloaded=true/);
    expect(out).not.toMatch(/said-debug(?!-after)/);
    expect(out).not.toMatch(/said-info/);
    expect(out).toMatch(/said-warn/);
    expect(out).toMatch(/said-error/);
    expect(out).toMatch(/said-debug-after-setLevel/);
  });

  it('prints everything at DEBUG', () => {
    const out = runWithServerEnv('DEBUG', logEveryLevel);
    for (const word of ['said-debug', 'said-info', 'said-warn', 'said-error']) expect(out).toMatch(new RegExp(word));
  });
});
