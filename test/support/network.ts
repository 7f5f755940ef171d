/**
 * What integration tests need to reach the running consortium: the resolved plan
 * written by `scripts/network.sh up`, the operator script itself, and Fabric
 * Gateway connections signed by the enrolled identities, which call the
 * chaincode through the typed contract clients.
 */
import * as grpc from '@grpc/grpc-js';
import { connect, Gateway, hash, Identity, Network, Signer, signers } from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import { LedgerClient } from '@model-ledger/contract';
import { readPlan } from '@model-ledger/network-tools';
import type { OrgPlan, PeerPlan, Plan } from '@model-ledger/network-tools';
import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { GatewayTransport, SubmitOptions } from './transport';

const run = promisify(execFile);

export const repoRoot = resolve(__dirname, '../..');
export const runtimeDir = resolve(process.env.MLL_RUNTIME_DIR ?? join(repoRoot, '.runtime'));

export type { NodePlan, OrgPlan, PeerPlan, Plan, TlsPlan as TlsFiles, UserPlan } from '@model-ledger/network-tools';

/** Reads the plan of the running network; fails with the command to run when there is none. */
export function loadPlan(): Plan {
  return readPlan(runtimeDir);
}

export function org(plan: Plan, name: string): OrgPlan {
  const found = plan.orgs.find((o) => o.name === name);
  if (!found) throw new Error(`unknown org ${name}`);
  return found;
}

/** A new API key of USER at ORG's running API instance, from the gateway's keys CLI (the instance rereads its key file). */
export async function issueApiKey(org: string, user: string): Promise<string> {
  const { stdout } = await run('node', [join(repoRoot, 'gateway-api/dist/cli/keys.js'), 'issue', '--user', user], {
    cwd: repoRoot,
    env: { ...process.env, MLL_API_ORG: org, MLL_RUNTIME_DIR: runtimeDir },
  });
  return stdout.trim();
}

/** Runs scripts/network.sh with the given verb; rejects with its output when it fails. */
export async function networkScript(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('bash', [join(repoRoot, 'scripts/network.sh'), ...args], {
      cwd: repoRoot,
      maxBuffer: 32 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`scripts/network.sh ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

export interface Client {
  gateway: Gateway;
  network: Network;
  /**
   * Every chaincode contract through its typed client, signed by this
   * identity. A write resolves once every member org's peer holds its block
   * (see `everyPeerHolds`), and throws `InvalidTransaction` when it committed invalid.
   */
  ledger: LedgerClient;
  /** The same clients, with writes sent with these options (chosen endorsers, say). */
  ledgerWith(options: SubmitOptions): LedgerClient;
  close(): void;
}

export function identityOf(mspId: string, certPem: Buffer): Identity {
  return { mspId, credentials: certPem };
}

export function signerOf(keyPem: Buffer): Signer {
  return signers.newPrivateKeySigner(createPrivateKey(keyPem));
}

/** Opens a Fabric Gateway connection to PEER as the given identity and signer. */
export function connectWith(peer: PeerPlan, identity: Identity, signer: Signer, channel: string, chaincode: string): Client {
  const tlsRoot = readFileSync(peer.tls.ca);
  const client = new grpc.Client(peer.address, grpc.credentials.createSsl(tlsRoot));
  const gateway = connect({
    client,
    identity,
    signer,
    hash: hash.sha256,
    evaluateOptions: () => ({ deadline: Date.now() + 10_000 }),
    endorseOptions: () => ({ deadline: Date.now() + 30_000 }),
    submitOptions: () => ({ deadline: Date.now() + 10_000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + 60_000 }),
  });
  const network = gateway.getNetwork(channel);
  const ledgerWith = (options: SubmitOptions): LedgerClient =>
    new LedgerClient(new GatewayTransport(network, chaincode, options, everyPeerHolds));
  return {
    gateway,
    network,
    ledger: ledgerWith({}),
    ledgerWith,
    close: () => {
      gateway.close();
      client.close();
    },
  };
}

/** Connects as USER of ORG through that org's first peer. */
export function connectAs(plan: Plan, orgName: string, userName: string): Client {
  const o = org(plan, orgName);
  const user = o.users.find((u) => u.name === userName);
  if (!user) throw new Error(`unknown user ${userName} in org ${orgName}`);
  const cert = readFileSync(join(user.msp, 'signcerts', 'cert.pem'));
  const key = readFileSync(join(user.msp, 'keystore', 'key.pem'));
  return connectWith(o.peers[0], identityOf(o.mspId, cert), signerOf(key), plan.channel, plan.chaincode.name);
}

/** One qscc client per org, opened on first use and closed after the test file. */
const observers = new Map<string, Client>();
afterAll(() => {
  observers.forEach((c) => c.close());
  observers.clear();
});

/**
 * Waits until the peer of every org now in the channel has committed block `blockNumber`.
 * Peers commit a block independently, tens of milliseconds apart on a busy
 * machine, so without this wait a read through another org's peer (a
 * regulator's, say) or the next endorsement on a lagging peer could see the
 * state before a write.
 *
 * @throws Error when a peer has not committed the block within 30 s.
 */
export async function everyPeerHolds(blockNumber: bigint): Promise<void> {
  // The channel's members as of now: an org may have joined or left since the last write.
  const plan = loadPlan();
  const members = plan.orgs.map((o) => {
    let observer = observers.get(o.name);
    if (observer === undefined) {
      observer = connectAs(plan, o.name, o.users.find((u) => u.type === 'admin')?.name ?? o.users[0].name);
      observers.set(o.name, observer);
    }
    return observer;
  });
  const deadline = Date.now() + 30_000;
  for (const observer of members) {
    for (;;) {
      const info = common.BlockchainInfo.deserializeBinary(
        await observer.network.getContract('qscc').evaluateTransaction('GetChainInfo', plan.channel),
      );
      if (BigInt(info.getHeight()) > blockNumber) break;
      if (Date.now() > deadline) throw new Error(`a peer did not commit block ${blockNumber} within 30 s`);
      await delay(20);
    }
  }
}

/** The connections one test file opens, as enrolled users of the running network, and closes together in its afterAll. */
export class Connections {
  private plan: Plan | undefined;
  private readonly open: Client[] = [];

  /** Connects as USER of ORG (reading the plan on first use). */
  readonly as = (orgName: string, userName: string): Client => {
    this.plan ??= loadPlan();
    const client = connectAs(this.plan, orgName, userName);
    this.open.push(client);
    return client;
  };

  closeAll(): void {
    for (const client of this.open.splice(0)) client.close();
  }
}
