/**
 * The API's link to its org's peer: one long-lived gRPC connection, one
 * Gateway per enrolled identity sharing it, per-call deadlines, and writes
 * that wait for the commit and retry MVCC and phantom read conflicts. Each
 * session is a `Transport` of the contract package: the typed clients name
 * the transactions and their arguments, and this layer only carries them.
 */
import * as grpc from '@grpc/grpc-js';
import {
  ChaincodeEvent,
  ChaincodeEventsOptions,
  CloseableAsyncIterable,
  connect,
  Contract,
  Gateway,
  hash,
  StatusCode,
} from '@hyperledger/fabric-gateway';
import { common, msp, peer as peerProtos } from '@hyperledger/fabric-protos';
import type { Call, Committed, ContractName, Transport, WriteCall } from '@model-ledger/contract';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Metrics } from '../metrics';
import { ApiCode, ApiError } from '../errors';
import { isUnknownTransaction, toApiError } from './errors';
import { EnrolledUser, loadUser } from './identity';
import { bindOrg } from './plan';
import type { OrgBinding, OrgPlan } from './plan';

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

/** Names of Fabric's transaction validation codes, by number. */
const VALIDATION_CODE_NAMES = new Map<number, string>(Object.entries(peerProtos.TxValidationCode).map(([name, code]) => [code, name]));

/**
 * Conflicts that a fresh transaction (new read set, new endorsement plan)
 * may not meet again. ENDORSEMENT_POLICY_FAILURE is one of them here: the
 * gateway plans endorsements from the key-level policies the state held at
 * endorsement, so an honest plan fails only when an earlier transaction
 * changed a key's policy meanwhile (two first writes of a new owned key).
 */
const RETRYABLE = new Set<number>([StatusCode.MVCC_READ_CONFLICT, StatusCode.PHANTOM_READ_CONFLICT, StatusCode.ENDORSEMENT_POLICY_FAILURE]);

/** Calls to the chaincode signed by one enrolled user: the transport of the contract clients. */
export interface Session extends Transport {
  readonly user: EnrolledUser;
  /**
   * Runs a query on the org's peer; nothing is ordered.
   *
   * @throws ApiError with the chaincode's code, LEDGER_TIMEOUT or LEDGER_UNAVAILABLE.
   */
  evaluate(call: Call): Promise<Uint8Array>;
  /**
   * Endorses, orders and waits for the commit of a write. A write that
   * commits as an MVCC or phantom read conflict is run again as a new
   * transaction, up to the configured number of attempts; a chaincode
   * rejection is never retried. A write that carries a client request id is
   * sent like any other: where the id was first answered is for the
   * services to look up (`services/requests.ts`).
   *
   * @throws ApiError with the chaincode's code, LEDGER_CONFLICT after the
   *   last attempt, COMMIT_FAILED, LEDGER_TIMEOUT (with the transaction id)
   *   or LEDGER_UNAVAILABLE.
   */
  submit(call: WriteCall): Promise<Committed>;
}

export class Ledger {
  private readonly client: grpc.Client;
  private readonly sessions = new Map<string, { gateway: Gateway; session: Session; async: Session }>();

  constructor(
    readonly binding: OrgBinding,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    const tlsRoot = readFileSync(binding.peer.tls.ca);
    this.client = new grpc.Client(binding.peer.address, grpc.credentials.createSsl(tlsRoot), {
      // Keep the one connection alive across idle periods, so a call never pays for a reconnect.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
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

  /** The session of an enrolled user, made once and kept: Gateways are cheap, the connection is shared. */
  session(user: EnrolledUser): Session {
    return this.entry(user).session;
  }

  /**
   * A session of the same user whose submit endorses and hands the
   * transaction to the orderer, then throws Submitted instead of waiting for
   * the commit. Nothing is retried: a read conflict shows up later as the
   * transaction's validation code.
   */
  asyncSession(user: EnrolledUser): Session {
    return this.entry(user).async;
  }

  private entry(user: EnrolledUser): { gateway: Gateway; session: Session; async: Session } {
    const existing = this.sessions.get(user.name);
    if (existing !== undefined) {
      return existing;
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
    const contract = (name: ContractName): Contract => {
      let found = contracts.get(name);
      if (found === undefined) {
        found = network.getContract(this.binding.chaincode, name);
        contracts.set(name, found);
      }
      return found;
    };
    const session: Session = {
      user,
      evaluate: (call) =>
        this.metrics.timeLedger('evaluate', call.contract, call.transaction, async () => {
          try {
            return await contract(call.contract).evaluateTransaction(call.transaction, ...call.args);
          } catch (err) {
            throw toApiError(err);
          }
        }),
      submit: (call) =>
        this.metrics.timeLedger('submit', call.contract, call.transaction, () => this.submitWithRetry(contract(call.contract), call)),
    };
    const async: Session = {
      ...session,
      submit: (call) =>
        this.metrics.timeLedger('submit', call.contract, call.transaction, async () => {
          const proposal = contract(call.contract).newProposal(call.transaction, { arguments: [...call.args] });
          const transactionId = proposal.getTransactionId();
          try {
            await (await proposal.endorse()).submit();
          } catch (err) {
            throw toApiError(err, transactionId);
          }
          throw new Submitted(transactionId);
        }),
    };
    const created = { gateway, session, async };
    this.sessions.set(user.name, created);
    return created;
  }

  private async submitWithRetry(contract: Contract, { transaction, args }: WriteCall): Promise<Committed> {
    const attempts = this.config.maxSubmitAttempts;
    for (let attempt = 1; ; attempt++) {
      const proposal = contract.newProposal(transaction, { arguments: [...args] });
      const transactionId = proposal.getTransactionId();
      let status;
      let result: Uint8Array;
      try {
        const endorsed = await proposal.endorse();
        result = endorsed.getResult();
        status = await (await endorsed.submit()).getStatus();
      } catch (err) {
        throw toApiError(err, transactionId);
      }
      if (status.successful) {
        return { result, transactionId, blockNumber: status.blockNumber };
      }
      const codeName = VALIDATION_CODE_NAMES.get(status.code) ?? String(status.code);
      if (!RETRYABLE.has(status.code)) {
        throw new ApiError(ApiCode.COMMIT_FAILED, `transaction ${transactionId} was invalidated with ${codeName}`, transactionId);
      }
      if (attempt >= attempts) {
        throw new ApiError(
          ApiCode.LEDGER_CONFLICT,
          `${transaction} met ${codeName} on each of ${attempts} attempts; retry later`,
          transactionId,
        );
      }
      this.metrics.retries.inc({ transaction, validation_code: codeName });
      this.log.warn(
        { transaction, transactionId, validationCode: codeName, attempt },
        'read conflict at commit; retrying with a new transaction',
      );
    }
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
    const entry = this.sessions.get(session.user.name);
    if (entry === undefined) {
      throw new Error(`no gateway for ${session.user.name}`);
    }
    return entry.gateway.getNetwork(this.binding.channel).getContract(name);
  }

  /** Closes every Gateway, then the gRPC connection. */
  close(): void {
    for (const { gateway } of this.sessions.values()) {
      gateway.close();
    }
    this.sessions.clear();
    this.client.close();
  }
}
