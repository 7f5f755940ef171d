/**
 * The API's link to its org's peer: one long-lived gRPC connection, one
 * Gateway per enrolled identity sharing it, one deadline per request that
 * bounds every call made for it, reads retried while the peer is out of
 * reach, and writes carried to their commit through faults and read
 * conflicts (`fabric/writes.ts`). Each
 * session is a `Transport` of the contract package: the typed clients name
 * the transactions and their arguments, and this layer only carries them.
 */
import * as grpc from '@grpc/grpc-js';
import {
  ChaincodeEvent,
  ChaincodeEventsOptions,
  CloseableAsyncIterable,
  Commit,
  connect,
  Contract,
  Gateway,
  hash,
  StatusCode,
} from '@hyperledger/fabric-gateway';
import { backOff } from 'exponential-backoff';
import { common, gateway as gatewayProtos, msp, peer as peerProtos } from '@hyperledger/fabric-protos';
import type { Call, Committed, ContractName, Transport, WriteCall } from '@model-ledger/contract';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Metrics } from '../metrics';
import { ApiCode, ApiError } from '../errors';
import { classifyFailure, isUnknownTransaction, toApiError } from './errors';
import { EnrolledUser, loadUser } from './identity';
import { bindOrg } from './plan';
import type { OrgBinding, OrgPlan } from './plan';
import {
  AsyncWrites,
  backoffBetween,
  VALIDATION_CODE_NAMES,
  Write,
  type AsyncOutcome,
  type CommitStatus,
  type WritePolicy,
} from './writes';

/** A committed transaction as the org's own peer holds it: its validation code and who created it. */
export interface CommittedTransaction {
  readonly transactionId: string;
  readonly valid: boolean;
  readonly validationCode: string;
  /** The creator's MSP id and certificate (PEM), from the transaction's signature header in the block. */
  readonly creator: { readonly mspId: string; readonly certPem: string };
}

/** A transaction's status as the ledger records it. */
export interface TransactionStatus {
  readonly transactionId: string;
  readonly validationCode: string;
  readonly valid: boolean;
  readonly blockNumber: bigint;
}

/**
 * Raised by the submit of an asynchronous session once the orderer has the
 * transaction: not a failure, but the end of what such a caller waits for
 * (the HTTP layer answers 202 with where to poll).
 */
export class Submitted extends Error {
  /** The outcome label of the ledger latency metric. */
  readonly code = 'SUBMITTED';

  constructor(readonly transactionId: string) {
    super(`transaction ${transactionId} was submitted; its commit is not awaited`);
    this.name = 'Submitted';
  }
}

/**
 * Where the API's one gRPC connection goes: the org's bound peer, then its
 * other peers, spare ones included (a spare not yet added refuses the
 * connection and is passed over). gRPC's pick-first policy connects to the
 * first that answers and, when that one goes away, to the next on the
 * following call: the instance fails over to another peer of its own org,
 * never to another org's. Every peer's TLS certificate comes from the org's
 * CA and names the same host, which the connection checks.
 */
export function peerTarget(binding: OrgBinding): { target: string; options: grpc.ChannelOptions } {
  const peers = [binding.peer, ...[...binding.org.peers, ...binding.org.sparePeers].filter((p) => p.id !== binding.peer.id)];
  const host = (address: string): string => address.slice(0, address.lastIndexOf(':'));
  const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/;
  if (peers.length === 1 || !peers.every((p) => ipv4.test(host(p.address)) && host(p.address) === host(binding.peer.address))) {
    return { target: binding.peer.address, options: {} };
  }
  return {
    target: `ipv4:${peers.map((p) => p.address).join(',')}`,
    options: {
      'grpc.ssl_target_name_override': host(binding.peer.address),
      'grpc.default_authority': binding.peer.address,
      'grpc.lb_policy_name': 'pick_first',
    },
  };
}

/** Asynchronous writes whose outcome an instance keeps for their callers to poll. */
const ASYNC_OUTCOMES_KEPT = 10_000;
/** How long a gateway of a renewed certificate stays open for the calls still using it. */
const RETIRED_GATEWAY_GRACE_MS = 120_000;
/** Attempts of one read while the peer is out of reach, whatever the deadline. */
const MAX_READ_ATTEMPTS = 30;

/** Calls to the chaincode signed by one enrolled user: the transport of the contract clients. */
export interface Session extends Transport {
  readonly user: EnrolledUser;
  /** When every call made for the request must have ended (epoch ms); undefined outside a request. */
  readonly deadline?: number;
  /**
   * Runs a query on the org's peer; nothing is ordered. A peer out of reach
   * is asked again until the session's deadline.
   *
   * @throws ApiError with the chaincode's code, LEDGER_TIMEOUT or LEDGER_UNAVAILABLE.
   */
  evaluate(call: Call): Promise<Uint8Array>;
  /**
   * Endorses, orders and waits for the commit of a write, retrying what is
   * transient (see `fabric/writes.ts`); a chaincode rejection is never
   * retried. A write that carries a client request id is sent like any
   * other: where the id was first answered is for the services to look up
   * (`services/requests.ts`).
   *
   * @throws ApiError with the chaincode's code, LEDGER_CONFLICT (409) after
   *   the last read conflict, LEDGER_UNAVAILABLE (503), LEDGER_TIMEOUT (504)
   *   or COMMIT_FAILED, with the transaction id when there is one.
   */
  submit(call: WriteCall): Promise<Committed>;
}

/** A user's Gateway and the chaincode's contracts through it, made once and kept. */
interface Entry {
  readonly gateway: Gateway;
  /** The certificate the gateway signs with. */
  readonly credentials: Uint8Array;
  contract(name: ContractName): Contract;
}

export class Ledger {
  private readonly client: grpc.Client;
  private readonly entries = new Map<string, Entry>();
  private readonly asyncWrites: AsyncWrites;
  private readonly policy: WritePolicy;

  constructor(
    readonly binding: OrgBinding,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    const tlsRoot = readFileSync(binding.peer.tls.ca);
    const { target, options } = peerTarget(binding);
    this.client = new grpc.Client(target, grpc.credentials.createSsl(tlsRoot), {
      ...options,
      // Keep the one connection alive across idle periods, so a call never pays for a reconnect.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
    });
    const { deadlines, retry } = config;
    this.policy = {
      conflictAttempts: config.maxSubmitAttempts,
      endorseMs: deadlines.endorseMs,
      submitMs: deadlines.submitMs,
      commitWaitMs: deadlines.commitStatusMs,
      minDelayMs: retry.minDelayMs,
      maxDelayMs: retry.maxDelayMs,
    };
    this.asyncWrites = new AsyncWrites(ASYNC_OUTCOMES_KEPT, (first, outcome, error) => {
      const fields = { transactionId: first, ...outcome, code: error?.code };
      if (error === undefined) {
        this.log.info(fields, 'an asynchronous write committed');
      } else {
        this.log.warn(fields, `an asynchronous write failed: ${error.message}`);
      }
    });
  }

  /**
   * Loads an enrolled user of this org (see `fabric/identity.ts`).
   *
   * @throws Error when the org has no such user.
   */
  user(name: string): EnrolledUser {
    return loadUser(this.orgKnowing(name) ?? this.binding.org, name);
  }

  /** Whether the org has a user of this name. */
  isEnrolled(name: string): boolean {
    return this.orgKnowing(name) !== undefined;
  }

  /**
   * The org's plan, if it names this user. A user enrolled after start-up
   * (`scripts/network.sh enroll`) is in the plan file but not in the binding
   * read at start, so an unknown name rereads the file.
   */
  private orgKnowing(name: string): OrgPlan | undefined {
    const has = (org: OrgPlan): boolean => org.users.some((u) => u.name === name);
    if (has(this.binding.org)) {
      return this.binding.org;
    }
    const current = bindOrg(this.config.planFile, this.binding.org.name, this.binding.peer.id).org;
    return has(current) ? current : undefined;
  }

  /**
   * A session of an enrolled user. Every call it makes ends by `deadline`
   * (epoch ms): an HTTP request passes its own, so nothing done for it
   * outlives it. Without one, each call gets the configured request deadline
   * from when it starts.
   */
  session(user: EnrolledUser, deadline?: number): Session {
    const entry = this.entry(user);
    const deadlineOf = (): number => this.deadlineFrom(deadline);
    return {
      user,
      deadline,
      evaluate: (call) =>
        this.metrics.timeLedger('evaluate', call.contract, call.transaction, () =>
          this.evaluateWithRetry(entry.contract(call.contract), call, deadlineOf()),
        ),
      submit: (call) =>
        this.metrics.timeLedger('submit', call.contract, call.transaction, () => this.newWrite(entry, call, deadlineOf()).untilCommitted()),
    };
  }

  /**
   * A session of the same user whose submit throws Submitted once the
   * orderer has the transaction, instead of waiting for the commit; the
   * write is carried to its commit in the background, read conflicts retried
   * as new transactions, and `asyncOutcome` tells where it ended.
   */
  asyncSession(user: EnrolledUser, deadline?: number): Session {
    const entry = this.entry(user);
    const session = this.session(user, deadline);
    return {
      ...session,
      submit: (call) =>
        this.metrics.timeLedger('submit', call.contract, call.transaction, async () => {
          const write = this.newWrite(entry, call, this.deadlineFrom(deadline));
          throw new Submitted(await this.asyncWrites.start(write));
        }),
    };
  }

  /** A request's deadline, or for a call made outside a request, the configured span from now. */
  private deadlineFrom(deadline: number | undefined): number {
    return deadline ?? Date.now() + this.config.requestDeadlineMs;
  }

  /** Where an asynchronous write that began as this transaction ended, if this instance ran it. */
  asyncOutcome(transactionId: string): AsyncOutcome | undefined {
    return this.asyncWrites.outcome(transactionId);
  }

  private newWrite(entry: Entry, call: WriteCall, deadline: number): Write {
    return new Write(
      entry.contract(call.contract),
      call,
      this.policy,
      deadline,
      (transaction, reason, transactionId) => {
        this.metrics.retries.inc({ transaction, validation_code: reason });
        this.log.warn({ transaction, transactionId, reason }, 'transient ledger failure; retrying');
      },
      (committed) => this.metrics.countCommitted(call, committed),
      (transactionId) => this.commitOf(entry, transactionId),
    );
  }

  /**
   * Where a transaction the user created committed, asked of the org's peer
   * as after a submission; waits for the commit if it has not happened yet.
   *
   * @throws whatever fabric-gateway's getStatus throws (CommitStatusError).
   */
  async commitStatus(user: EnrolledUser, transactionId: string, timeoutMs = 10_000): Promise<CommitStatus> {
    return this.commitOf(this.entry(user), transactionId).getStatus({ deadline: Date.now() + timeoutMs });
  }

  /**
   * A commit status request for a transaction this user created, signed by the
   * user when asked: what fabric-gateway builds after a successful submission,
   * built here for one the ordering service took though the submission failed.
   */
  private commitOf(entry: Entry, transactionId: string): Commit {
    const creator = new msp.SerializedIdentity();
    creator.setMspid(this.binding.org.mspId);
    creator.setIdBytes(entry.credentials);
    const request = new gatewayProtos.CommitStatusRequest();
    request.setChannelId(this.binding.channel);
    request.setTransactionId(transactionId);
    request.setIdentity(creator.serializeBinary());
    const signed = new gatewayProtos.SignedCommitStatusRequest();
    signed.setRequest(request.serializeBinary());
    return entry.gateway.newCommit(signed.serializeBinary());
  }

  private async evaluateWithRetry(contract: Contract, call: Call, deadline: number): Promise<Uint8Array> {
    const { evaluateMs } = this.config.deadlines;
    try {
      return await backOff(
        () => {
          const proposal = contract.newProposal(call.transaction, { arguments: [...call.args] });
          return proposal.evaluate({ deadline: Math.min(Date.now() + evaluateMs, deadline) });
        },
        {
          numOfAttempts: MAX_READ_ATTEMPTS,
          ...backoffBetween(this.policy),
          // A read changes nothing, so only the deadline bounds asking again while the peer is out of reach.
          retry: (err: unknown) => classifyFailure(err).kind === 'unavailable' && deadline - Date.now() > this.policy.maxDelayMs,
        },
      );
    } catch (err) {
      throw toApiError(err);
    }
  }

  private entry(user: EnrolledUser): Entry {
    const existing = this.entries.get(user.name);
    if (existing !== undefined && Buffer.compare(Buffer.from(existing.credentials), Buffer.from(user.identity.credentials)) === 0) {
      return existing;
    }
    if (existing !== undefined) {
      // A renewed certificate: new calls sign with it; calls in flight finish on the old one, closed after them.
      setTimeout(() => existing.gateway.close(), RETIRED_GATEWAY_GRACE_MS).unref();
    }
    const { deadlines } = this.config;
    const gateway = connect({
      client: this.client,
      identity: user.identity,
      signer: user.signer,
      hash: hash.sha256,
      evaluateOptions: () => ({ deadline: Date.now() + deadlines.evaluateMs }),
      endorseOptions: () => ({ deadline: Date.now() + deadlines.endorseMs }),
      submitOptions: () => ({ deadline: Date.now() + deadlines.submitMs }),
      commitStatusOptions: () => ({ deadline: Date.now() + deadlines.commitStatusMs }),
    });
    const network = gateway.getNetwork(this.binding.channel);
    const contracts = new Map<ContractName, Contract>();
    const created: Entry = {
      gateway,
      credentials: user.identity.credentials,
      contract: (name) => {
        let found = contracts.get(name);
        if (found === undefined) {
          found = network.getContract(this.binding.chaincode, name);
          contracts.set(name, found);
        }
        return found;
      },
    };
    this.entries.set(user.name, created);
    return created;
  }

  /**
   * Reads a transaction's validation code and block from the peer's ledger
   * through the system chaincode qscc.
   *
   * @throws ApiError NOT_FOUND when the peer has no such transaction.
   */
  async transactionStatus(session: Session, transactionId: string): Promise<TransactionStatus> {
    const channel = this.binding.channel;
    const qscc = this.systemContract(session, 'qscc');
    try {
      const processed = peerProtos.ProcessedTransaction.deserializeBinary(
        await qscc.evaluateTransaction('GetTransactionByID', channel, transactionId),
      );
      const block = common.Block.deserializeBinary(await qscc.evaluateTransaction('GetBlockByTxID', channel, transactionId));
      const code = processed.getValidationcode();
      return {
        transactionId,
        validationCode: VALIDATION_CODE_NAMES.get(code) ?? String(code),
        valid: code === StatusCode.VALID,
        blockNumber: BigInt(block.getHeader()?.getNumber() ?? 0),
      };
    } catch (err) {
      if (isUnknownTransaction(err)) {
        throw new ApiError(ApiCode.NOT_FOUND, `transaction ${transactionId} is not on the ledger of ${this.binding.peer.id}`);
      }
      throw toApiError(err);
    }
  }

  /**
   * The block that holds a transaction, and the block after it when the
   * peer has one yet, as this org's own peer holds them (qscc): the bytes a
   * proof is checked against.
   *
   * @throws ApiError NOT_FOUND when the peer has no such transaction.
   */
  async blocksOf(session: Session, transactionId: string): Promise<{ block: Uint8Array; next?: Uint8Array }> {
    const qscc = this.systemContract(session, 'qscc');
    const channel = this.binding.channel;
    let block: Uint8Array;
    try {
      block = await qscc.evaluateTransaction('GetBlockByTxID', channel, transactionId);
    } catch (err) {
      if (isUnknownTransaction(err)) {
        throw new ApiError(ApiCode.NOT_FOUND, `transaction ${transactionId} is not on the ledger of ${this.binding.peer.id}`);
      }
      throw toApiError(err);
    }
    const number = BigInt(common.Block.deserializeBinary(block).getHeader()?.getNumber() ?? 0);
    try {
      const info = common.BlockchainInfo.deserializeBinary(await qscc.evaluateTransaction('GetChainInfo', channel));
      if (BigInt(info.getHeight()) <= number + 1n) return { block };
      return { block, next: await qscc.evaluateTransaction('GetBlockByNumber', channel, (number + 1n).toString()) };
    } catch (err) {
      throw toApiError(err);
    }
  }

  /**
   * Reads a transaction from this org's own peer (qscc), with the identity
   * that created it, taken from the transaction's signature header as the
   * block holds it. The peers validated that signature against the creator's
   * MSP when they committed the block, so the ledger itself vouches for the
   * certificate: no other PKI is needed to know who created an access.
   *
   * @throws ApiError NOT_FOUND when the peer has no such transaction.
   */
  async committedTransaction(session: Session, transactionId: string): Promise<CommittedTransaction> {
    const qscc = this.systemContract(session, 'qscc');
    let processed: peerProtos.ProcessedTransaction;
    try {
      processed = peerProtos.ProcessedTransaction.deserializeBinary(
        await qscc.evaluateTransaction('GetTransactionByID', this.binding.channel, transactionId),
      );
    } catch (err) {
      if (isUnknownTransaction(err)) {
        throw new ApiError(ApiCode.NOT_FOUND, `transaction ${transactionId} is not on the ledger of ${this.binding.peer.id}`);
      }
      throw toApiError(err);
    }
    const envelope = processed.getTransactionenvelope();
    const payload = common.Payload.deserializeBinary(envelope?.getPayload_asU8() ?? new Uint8Array());
    const signatureHeader = common.SignatureHeader.deserializeBinary(payload.getHeader()?.getSignatureHeader_asU8() ?? new Uint8Array());
    const creator = msp.SerializedIdentity.deserializeBinary(signatureHeader.getCreator_asU8());
    const code = processed.getValidationcode();
    return {
      transactionId,
      valid: code === StatusCode.VALID,
      validationCode: VALIDATION_CODE_NAMES.get(code) ?? String(code),
      creator: { mspId: creator.getMspid(), certPem: Buffer.from(creator.getIdBytes_asU8()).toString('utf8') },
    };
  }

  /**
   * The TLS root certificates (PEM) of a member org as the channel's
   * configuration holds them (cscc), read from this org's own peer: what a
   * server of that org must present a certificate chaining to.
   *
   * @throws ApiError NOT_FOUND when the channel has no such org.
   */
  async channelTlsRoots(session: Session, mspId: string): Promise<string[]> {
    let config: common.Config;
    try {
      config = common.Config.deserializeBinary(
        await this.systemContract(session, 'cscc').evaluateTransaction('GetChannelConfig', this.binding.channel),
      );
    } catch (err) {
      throw toApiError(err);
    }
    const value = config.getChannelGroup()?.getGroupsMap().get('Application')?.getGroupsMap().get(mspId)?.getValuesMap().get('MSP');
    if (value === undefined) {
      throw new ApiError(ApiCode.NOT_FOUND, `the channel ${this.binding.channel} has no member org ${mspId}`);
    }
    const fabricMsp = msp.FabricMSPConfig.deserializeBinary(msp.MSPConfig.deserializeBinary(value.getValue_asU8()).getConfig_asU8());
    return fabricMsp.getTlsRootCertsList_asU8().map((pem) => Buffer.from(pem).toString('utf8'));
  }

  /**
   * Checks the peer: asks qscc for the channel's height as the org's first
   * enrolled user.
   *
   * @throws ApiError LEDGER_UNAVAILABLE or LEDGER_TIMEOUT.
   */
  async height(): Promise<bigint> {
    const first = this.binding.org.users[0];
    const session = this.session(this.user(first.name));
    try {
      const info = common.BlockchainInfo.deserializeBinary(
        await this.systemContract(session, 'qscc').evaluateTransaction('GetChainInfo', this.binding.channel),
      );
      return BigInt(info.getHeight());
    } catch (err) {
      throw toApiError(err);
    }
  }

  /**
   * Opens a stream of this chaincode's events from the org's peer, read as
   * the org's first enrolled user. It ends with an error when the peer goes
   * away; the caller reconnects (see `fabric/events.ts`).
   */
  async chaincodeEvents(options: ChaincodeEventsOptions): Promise<CloseableAsyncIterable<ChaincodeEvent>> {
    const first = this.binding.org.users[0];
    const { gateway } = this.entry(this.user(first.name));
    return gateway.getNetwork(this.binding.channel).getChaincodeEvents(this.binding.chaincode, options);
  }

  private systemContract(session: Session, name: string): Contract {
    return this.entry(session.user).gateway.getNetwork(this.binding.channel).getContract(name);
  }

  /** Resolves when every asynchronous write has settled (shutdown waits for it, within its grace). */
  async writesSettled(): Promise<void> {
    await this.asyncWrites.settled();
  }

  /** Closes every Gateway, then the gRPC connection. */
  close(): void {
    for (const { gateway } of this.entries.values()) {
      gateway.close();
    }
    this.entries.clear();
    this.client.close();
  }
}
