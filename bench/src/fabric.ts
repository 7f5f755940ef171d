/**
 * Fabric Gateway connections for the benchmark: the plan `scripts/network.sh up`
 * wrote, one shared gRPC channel per peer, one Gateway per identity on it, and
 * the transport the typed contract clients call through. Also the one place
 * that turns a failed call into a failure cause, and that times calls.
 */
import * as grpc from '@grpc/grpc-js';
import { connect, Gateway, GatewayError, hash, Network, signers, StatusCode } from '@hyperledger/fabric-gateway';
import {
  ACCESS_REQUEST_KIND,
  accessRequestBytes,
  Call,
  Committed,
  LedgerClient,
  Transport,
  WriteCall,
  type AccessBatchInput,
  type AccessRequest,
} from '@model-ledger/contract';
import { readPlan } from '@model-ledger/network-tools';
import type { Plan } from '@model-ledger/network-tools';
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type { Plan } from '@model-ledger/network-tools';

/** Reads the plan of the running network; fails with the command to run when there is none. */
export function loadPlan(runtimeDir: string): Plan {
  return readPlan(runtimeDir);
}

/** A Gateway signed by one enrolled identity. */
export interface Client {
  readonly label: string;
  readonly gateway: Gateway;
  /** The identity's calls, failing with `CallFailure`; what `timed` measures. */
  readonly transport: GatewayTransport;
  /** The typed clients for setup and checks: a failure throws, naming the call. */
  readonly ledger: LedgerClient;
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
    const transport = new GatewayTransport(gateway.getNetwork(this.plan.channel), this.plan.chaincode.name);
    return { label: `${org.mspId}/${userName}`, gateway, transport, ledger: new LedgerClient(forSetup(transport)) };
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
  if (err instanceof GatewayError && err.code === (grpc.status.DEADLINE_EXCEEDED as number)) return 'TIMEOUT';
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

/** A call that failed, with the cause it counts under (`reason`) and the message to sample. */
export class CallFailure extends Error {
  constructor(
    readonly reason: Cause,
    message: string,
  ) {
    super(message);
    this.name = 'CallFailure';
  }
}

/**
 * The benchmark's transport over one identity's Gateway. A write is endorsed,
 * submitted to the orderer and waited for; a query is evaluated on the
 * identity's peer. Every failure, and a write the peers invalidated, throws a
 * `CallFailure` classified by the stage it happened at.
 */
export class GatewayTransport implements Transport {
  constructor(
    private readonly network: Network,
    private readonly chaincode: string,
  ) {}

  async evaluate(call: Call): Promise<Uint8Array> {
    try {
      return await this.network.getContract(this.chaincode, call.contract).evaluate(call.transaction, { arguments: [...call.args] });
    } catch (err) {
      throw new CallFailure(classify(err, 'evaluate'), messageOf(err));
    }
  }

  async submit(call: WriteCall): Promise<Committed> {
    let stage: 'endorse' | 'submit' | 'commit' = 'endorse';
    try {
      const transaction = await this.network
        .getContract(this.chaincode, call.contract)
        .newProposal(call.transaction, { arguments: [...call.args] })
        .endorse();
      stage = 'submit';
      const commit = await transaction.submit();
      stage = 'commit';
      const status = await commit.getStatus();
      if (!status.successful) {
        const cause = validationCodeName(status.code);
        throw new CallFailure(cause, `${status.transactionId} invalidated: ${cause}`);
      }
      return { result: transaction.getResult(), transactionId: status.transactionId, blockNumber: status.blockNumber };
    } catch (err) {
      if (err instanceof CallFailure) throw err;
      throw new CallFailure(classify(err, stage), messageOf(err));
    }
  }
}

/** The transport of the setup calls: a failure names the call it stopped. */
function forSetup(transport: Transport): Transport {
  const named = (call: Call, err: unknown): Error => new Error(`setup ${call.contract}.${call.transaction} failed: ${messageOf(err)}`);
  return {
    evaluate: (call) => transport.evaluate(call).catch((err: unknown) => Promise.reject(named(call, err))),
    submit: (call) => transport.submit(call).catch((err: unknown) => Promise.reject(named(call, err))),
  };
}

/**
 * Times one call of a typed client over CLIENT's transport; never throws.
 * The latency runs from the transport's start (proposal or query) to its
 * answer (the commit status, or the query's bytes), as the network serves
 * it: decoding the answer and `check` are not timed. A failure counts under
 * the transport's cause; a failed `check` under its classification as a query.
 */
export async function timed<T>(client: Client, call: (ledger: LedgerClient) => Promise<T>, check?: (answer: T) => void): Promise<Outcome> {
  let latencyMs = Number.NaN;
  const stopwatch = (start: number): void => {
    latencyMs = performance.now() - start;
  };
  const transport: Transport = {
    evaluate: (c) => {
      const start = performance.now();
      return client.transport.evaluate(c).finally(() => stopwatch(start));
    },
    submit: (c) => {
      const start = performance.now();
      return client.transport.submit(c).finally(() => stopwatch(start));
    },
  };
  try {
    const answer = await call(new LedgerClient(transport));
    check?.(answer);
    return { ok: true, latencyMs };
  } catch (err) {
    if (err instanceof CallFailure) return { ok: false, latencyMs, cause: err.reason, message: err.message };
    return { ok: false, latencyMs, cause: classify(err, 'evaluate'), message: messageOf(err) };
  }
}

/**
 * The offering every benchmark model is sold under, as publishOffering takes
 * it: metered at 1 token a unit, a supply no run exhausts, for the hospital's
 * practitioners, one purpose.
 */
export const BENCH_OFFERING = JSON.stringify({
  kind: 'metered',
  unitPrice: '1',
  supplyCap: '1000000000',
  transferable: true,
  requiredAttributes: { role: 'practitioner' },
  allowedMspIds: ['HospitalMSP'],
  purposes: ['clinical-diagnosis'],
});

/** An enrolled user's certificate (PEM) and signing key, read from its MSP folder, for requests it signs itself. */
export function userKeys(plan: Plan, orgName: string, userName: string): { mspId: string; certificate: string; key: KeyObject } {
  const org = plan.orgs.find((o) => o.name === orgName);
  const user = org?.users.find((u) => u.name === userName);
  if (org === undefined || user === undefined) throw new Error(`unknown user ${userName} in org ${orgName}`);
  return {
    mspId: org.mspId,
    certificate: readFileSync(join(user.msp, 'signcerts', 'cert.pem'), 'utf8'),
    key: createPrivateKey(readFileSync(join(user.msp, 'keystore', 'key.pem'))),
  };
}

/**
 * A `RecordAccessBatch` argument: one access per entry, each signed by its
 * own caller as the gateway's meter signs it (ECDSA over the SHA-256 of the
 * request's canonical JSON).
 */
export function signedBatch(
  callers: readonly ReturnType<typeof userKeys>[],
  accesses: readonly { caller: number; licenseId: string; requestHash: string; requestId?: string; lotHint?: number }[],
): AccessBatchInput {
  const signedAt = new Date().toISOString();
  return {
    certificates: callers.map((c) => c.certificate),
    accesses: accesses.map((a) => {
      const caller = callers[a.caller];
      const request: AccessRequest = {
        kind: ACCESS_REQUEST_KIND,
        mspId: caller.mspId,
        licenseId: a.licenseId,
        units: '1',
        purpose: 'clinical-diagnosis',
        requestHash: a.requestHash,
        ...(a.requestId === undefined ? {} : { requestId: a.requestId }),
        signedAt,
      };
      return {
        certificate: a.caller,
        request,
        signature: sign('sha256', accessRequestBytes(request), caller.key).toString('base64'),
        lotHint: a.lotHint,
      };
    }),
  };
}
