/**
 * Small helpers the integration tests share for talking to the chaincode and
 * the nodes: JSON submit and evaluate, the text of a refusal, health checks and
 * channel heights.
 */
import { Contract, StatusCode } from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { Client, connectAs, loadPlan, networkScript } from './network';

export type Json = Record<string, unknown>;

const utf8 = new TextDecoder();

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Submits a transaction, waits for its commit and then for every member org's
 * peer to hold its block, and parses its JSON result. Peers commit a block
 * independently, tens of milliseconds apart on a busy machine, so without the
 * wait a read through another org's peer (a regulator's, say) or the next
 * endorsement on a lagging peer could see the state before this transaction.
 *
 * @throws Error when the transaction commits invalid (naming its status code).
 */
export async function submit(contract: Contract, name: string, ...args: string[]): Promise<Json> {
  const submitted = await contract.submitAsync(name, { arguments: args });
  const status = await submitted.getStatus();
  if (!status.successful) {
    const code = Object.entries(StatusCode).find(([, value]) => value === status.code)?.[0] ?? String(status.code);
    throw new Error(`transaction ${status.transactionId} (${name}) committed invalid: ${code}`);
  }
  await everyPeerHolds(status.blockNumber);
  return JSON.parse(utf8.decode(submitted.getResult())) as Json;
}

/** One qscc client per member org, opened on first use and closed after the test file. */
let observers: Client[] | undefined;
afterAll(() => {
  observers?.forEach((c) => c.close());
  observers = undefined;
});

/** Waits until every member org's peer has committed block `blockNumber`. */
export async function everyPeerHolds(blockNumber: bigint): Promise<void> {
  const plan = loadPlan();
  observers ??= plan.orgs.map((o) => connectAs(plan, o.name, o.users.find((u) => u.type === 'admin')?.name ?? o.users[0].name));
  const deadline = Date.now() + 30_000;
  for (const observer of observers) {
    for (;;) {
      const info = common.BlockchainInfo.deserializeBinary(
        await observer.network.getContract('qscc').evaluateTransaction('GetChainInfo', plan.channel),
      );
      if (BigInt(info.getHeight()) > blockNumber) break;
      if (Date.now() > deadline) throw new Error(`a peer did not commit block ${blockNumber} within 30 s`);
      await sleep(20);
    }
  }
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
