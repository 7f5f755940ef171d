/**
 * Small helpers the integration tests share for talking to the chaincode and
 * the nodes: the text of a refusal, what the regulator reads of accounts and
 * licences, health checks and channel heights. The calls themselves go
 * through each client's typed `ledger`.
 */
import type { LicenseView } from '@model-ledger/contract';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { networkScript, type Client } from './network';

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The text of a rejected call: the gateway's message and every peer's, which carry the chaincode's code. */
export async function rejection(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
  } catch (err) {
    const e = err as { message: string; details?: { message: string }[] };
    return [e.message, ...(e.details ?? []).map((d) => d.message)].join(' | ');
  }
  throw new Error('expected the call to be rejected, but it succeeded');
}

/**
 * What a test reads of the ledger to check what a write moved. Plain
 * functions, so a test can take them apart: `const { balance } = ledgerReads(...)`.
 */
export interface LedgerReads {
  /** The account's token balance. */
  readonly balance: (account: string) => Promise<bigint>;
  /** The account's unclaimed royalties. */
  readonly accrued: (account: string) => Promise<bigint>;
  readonly license: (id: string) => Promise<LicenseView>;
  /** The licence's units left to use. */
  readonly remaining: (id: string) => Promise<string>;
}

/**
 * Reads through the client `reader` returns, called at each read, so that it
 * may name a client the test file opens later, in its `beforeAll`.
 */
export function ledgerReads(reader: () => Client): LedgerReads {
  return {
    balance: async (account) => BigInt((await reader().ledger.token.getBalance(account)).amount),
    accrued: async (account) => BigInt((await reader().ledger.royalty.getAccruedRoyalties(account)).unclaimed),
    license: (id) => reader().ledger.license.getLicense(id),
    remaining: async (id) => (await reader().ledger.license.getLicense(id)).remainingUnits,
  };
}

/** GETs an HTTPS health endpoint, trusting the given CA file; resolves with the status. */
export function healthStatus(url: string, caFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: readFileSync(caFile), timeout: 5000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

/** The channel height an org's first peer reports. */
export async function channelHeight(orgName: string, channel: string): Promise<number> {
  const out = await networkScript('peer', orgName, 'channel', 'getinfo', '-c', channel);
  const match = /"height":(\d+)/.exec(out);
  if (!match) throw new Error(`no height in: ${out}`);
  return Number(match[1]);
}

/**
 * Waits up to 30 s for ORG's peer to reach the height REFERENCE's peer has
 * now (a restarted peer catching up); returns both heights as last seen.
 */
export async function caughtUp(orgName: string, referenceOrg: string, channel: string): Promise<{ height: number; target: number }> {
  const target = await channelHeight(referenceOrg, channel);
  let height = 0;
  for (let i = 0; i < 60 && height < target; i++) {
    height = await channelHeight(orgName, channel);
    if (height < target) await sleep(500);
  }
  return { height, target };
}
