/**
 * Fabric Gateway connections for the benchmark: the plan `scripts/network.sh up`
 * wrote, one shared gRPC channel per peer, and one Gateway per identity on it.
 * Also the one place that turns a failed call into a failure cause.
 */
import * as grpc from '@grpc/grpc-js';
import { connect, Contract, Gateway, GatewayError, hash, signers, StatusCode } from '@hyperledger/fabric-gateway';
import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface PeerPlan {
  id: string;
  address: string;
  tls: { ca: string };
}

interface UserPlan {
  name: string;
  msp: string;
}

interface OrgPlan {
  name: string;
  mspId: string;
  users: UserPlan[];
  peers: PeerPlan[];
}

/** The part of the runtime plan (`<runtime>/plan.json`) the benchmark reads. */
export interface Plan {
  channel: string;
  chaincode: { name: string; endorsementPolicy: string };
  orgs: OrgPlan[];
  /**
   * The lab's Open Inference Protocol v2 server of the shipped model: its Unix
   * socket (the lab's own way in) and the endpoint registered on the ledger,
   * which is the lab's serving gate.
   */
  modelServer: { socket: string; endpoint: string; model: string };
}

/** Reads the plan of the running network; fails with the command to run when there is none. */
export function loadPlan(runtimeDir: string): Plan {
  const file = join(runtimeDir, 'plan.json');
  if (!existsSync(file)) {
    throw new Error(`No network plan at ${file}. Start the consortium first: bash scripts/network.sh up`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as Plan;
}

/** A Gateway signed by one enrolled identity. */
export interface Client {
  readonly label: string;
  readonly gateway: Gateway;
  contract(name: string): Contract;
}

/** Deadlines of the benchmark's calls; a call past its deadline counts as a timeout. */
export const Deadlines = { evaluateMs: 30_000, endorseMs: 30_000, submitMs: 30_000, commitStatusMs: 60_000 } as const;

/**
 * Opens Gateways for identities of the plan. Every identity of one org shares
 * that org's single gRPC channel to its first peer: gRPC multiplexes all
 * in-flight calls over one HTTP/2 connection, which is how the Fabric Gateway
 * client is meant to be used (a channel per call would pay a TLS handshake each).
 */
export class Connections {
  private readonly channels = new Map<string, grpc.Client>();
  private readonly gateways: Gateway[] = [];

  constructor(private readonly plan: Plan) {}

  /** Connects as USER of ORG through that org's first peer. */
  as(orgName: string, userName: string): Client {
    const org = this.plan.orgs.find((o) => o.name === orgName);
    if (org === undefined) throw new Error(`unknown org ${orgName}`);
    const user = org.users.find((u) => u.name === userName);
    if (user === undefined) throw new Error(`unknown user ${userName} in org ${orgName}`);
    const peer = org.peers[0];
    let channel = this.channels.get(peer.id);
    if (channel === undefined) {
      channel = new grpc.Client(peer.address, grpc.credentials.createSsl(readFileSync(peer.tls.ca)), {
        // Many concurrent streams on one connection; keep it alive between levels.
        'grpc.keepalive_time_ms': 120_000,
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
      });
      this.channels.set(peer.id, channel);
    }
    const gateway = connect({
      client: channel,
      identity: { mspId: org.mspId, credentials: readFileSync(join(user.msp, 'signcerts', 'cert.pem')) },
      signer: signers.newPrivateKeySigner(createPrivateKey(readFileSync(join(user.msp, 'keystore', 'key.pem')))),
      hash: hash.sha256,
      evaluateOptions: () => ({ deadline: Date.now() + Deadlines.evaluateMs }),
      endorseOptions: () => ({ deadline: Date.now() + Deadlines.endorseMs }),
      submitOptions: () => ({ deadline: Date.now() + Deadlines.submitMs }),
      commitStatusOptions: () => ({ deadline: Date.now() + Deadlines.commitStatusMs }),
    });
    this.gateways.push(gateway);
    const network = gateway.getNetwork(this.plan.channel);
    const chaincode = this.plan.chaincode.name;
    return { label: `${org.mspId}/${userName}`, gateway, contract: (name) => network.getContract(chaincode, name) };
  }

  close(): void {
    for (const gateway of this.gateways) gateway.close();
    for (const channel of this.channels.values()) channel.close();
  }
}

/** Why a call did not count: a validation code from the commit status, or the stage that failed. */
export type Cause = string;

/** The outcome of one call. */
export interface Outcome {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly cause?: Cause;
  readonly message?: string;
}

const utf8 = new TextDecoder();

/** gRPC status names that also look like `CODE: text` and must not be taken for chaincode codes. */
const GRPC_NAMES = new Set(Object.keys(grpc.status));

/** The chaincode's stable error code (`CODE: sentence`) in a gateway error's details, if any. */
function chaincodeCode(err: unknown): string | undefined {
  const texts: string[] = [];
  if (err instanceof GatewayError) {
    texts.push(...err.details.map((d) => d.message));
  }
  texts.push(err instanceof Error ? err.message : String(err));
  for (const text of texts) {
    for (const match of text.matchAll(/\b([A-Z][A-Z_]{3,}[A-Z]): /g)) {
      if (!GRPC_NAMES.has(match[1])) return match[1];
    }
  }
  return undefined;
}

function messageOf(err: unknown): string {
  const base = err instanceof Error ? err.message : String(err);
  const details = err instanceof GatewayError ? err.details.map((d) => `${d.mspId}: ${d.message}`).join(' | ') : '';
  return (details === '' ? base : `${base} | ${details}`).slice(0, 400);
}

/**
 * Classifies a thrown error. Timeouts (gRPC DEADLINE_EXCEEDED at any stage)
 * come first; then a chaincode error code (a business refusal); then the
 * stage: endorse, submit (to the orderer) or commit status.
 */
export function classify(err: unknown, stage: 'evaluate' | 'endorse' | 'submit' | 'commit'): Cause {
  if (err instanceof GatewayError && err.code === grpc.status.DEADLINE_EXCEEDED) return 'TIMEOUT';
  const code = chaincodeCode(err);
  if (code !== undefined) return `BUSINESS:${code}`;
  // The endorsing peers simulated against different ledger heights (a block
  // committed on one and not yet on the other): contention caught before ordering.
  if (messageOf(err).includes('ProposalResponsePayloads do not match')) return 'ENDORSEMENT_MISMATCH';
  return `${stage.toUpperCase()}_ERROR`;
}

/** The name of a Fabric transaction validation code, e.g. 11 → MVCC_READ_CONFLICT. */
function validationCodeName(code: number): string {
  const found = Object.entries(StatusCode).find(([, value]) => value === code);
  return found === undefined ? `VALIDATION_CODE_${code}` : found[0];
}

/** Endorses, submits and waits for the commit status of one transaction; never throws. */
export async function submitTimed(contract: Contract, name: string, args: readonly string[]): Promise<Outcome> {
  const start = performance.now();
  let stage: 'endorse' | 'submit' | 'commit' = 'endorse';
  try {
    const transaction = await contract.newProposal(name, { arguments: [...args] }).endorse();
    stage = 'submit';
    const commit = await transaction.submit();
    stage = 'commit';
    const status = await commit.getStatus();
    const latencyMs = performance.now() - start;
    if (status.successful) return { ok: true, latencyMs };
    const cause = validationCodeName(status.code);
    return { ok: false, latencyMs, cause, message: `${status.transactionId} invalidated: ${cause}` };
  } catch (err) {
    return { ok: false, latencyMs: performance.now() - start, cause: classify(err, stage), message: messageOf(err) };
  }
}

/** Evaluates one query (no commit); never throws. */
export async function evaluateTimed(contract: Contract, name: string, args: readonly string[], check?: (result: unknown) => void): Promise<Outcome> {
  const start = performance.now();
  try {
    const bytes = await contract.evaluate(name, { arguments: [...args] });
    const latencyMs = performance.now() - start;
    check?.(JSON.parse(utf8.decode(bytes)) as unknown);
    return { ok: true, latencyMs };
  } catch (err) {
    return { ok: false, latencyMs: performance.now() - start, cause: classify(err, 'evaluate'), message: messageOf(err) };
  }
}

/** Submits a setup transaction and parses its JSON result; throws with the peers' messages on failure. */
export async function submitJson(contract: Contract, name: string, ...args: string[]): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(utf8.decode(await contract.submitTransaction(name, ...args))) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`setup ${name} failed: ${messageOf(err)}`);
  }
}

/** Evaluates a setup query and parses its JSON result. */
export async function evaluateJson(contract: Contract, name: string, ...args: string[]): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(utf8.decode(await contract.evaluateTransaction(name, ...args))) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`setup query ${name} failed: ${messageOf(err)}`);
  }
}
