/**
 * Small helpers the integration tests share for talking to the chaincode and
 * the nodes: JSON submit and evaluate, the text of a refusal, health checks and
 * channel heights.
 */
import { Contract } from '@hyperledger/fabric-gateway';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { networkScript } from './network';

export type Json = Record<string, unknown>;

const utf8 = new TextDecoder();

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Submits a transaction and parses its JSON result. */
export async function submit(contract: Contract, name: string, ...args: string[]): Promise<Json> {
  return JSON.parse(utf8.decode(await contract.submitTransaction(name, ...args))) as Json;
}

/** Evaluates a query and parses its JSON result. */
export async function evaluate(contract: Contract, name: string, ...args: string[]): Promise<Json> {
  return JSON.parse(utf8.decode(await contract.evaluateTransaction(name, ...args))) as Json;
}

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
