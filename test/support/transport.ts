/**
 * The tests' transport for the typed contract clients: one Fabric Gateway
 * identity's calls, with the submit options an adversarial test needs, and
 * the validation outcome of a write as data.
 */
import { Network, Status, StatusCode } from '@hyperledger/fabric-gateway';
import type { Call, Committed, Transport, WriteCall } from '@model-ledger/contract';

/** How the tests' writes are sent. */
export interface SubmitOptions {
  /**
   * Exactly these orgs' peers endorse, instead of the ones the gateway picks
   * for the chaincode's policy: how a test plays colluding orgs.
   */
  readonly endorsingOrganizations?: readonly string[];
}

/** The name of a Fabric transaction validation code, for example 10 → ENDORSEMENT_POLICY_FAILURE. */
export function statusName(code: number): string {
  return Object.entries(StatusCode).find(([, value]) => value === code)?.[0] ?? String(code);
}

/** A write that was ordered and committed, but that the peers' validation marked invalid: it changed nothing. */
export class InvalidTransaction extends Error {
  constructor(
    readonly call: Call,
    readonly status: Status,
  ) {
    super(`transaction ${status.transactionId} (${call.contract}.${call.transaction}) committed invalid: ${statusName(status.code)}`);
    this.name = 'InvalidTransaction';
  }
}

/**
 * Calls through one identity's Gateway. A query is evaluated on the
 * identity's peer. A write is endorsed, ordered and waited for; then
 * `afterCommit` runs with its block, whether the peers found it valid or
 * not, and only then does an invalid write throw `InvalidTransaction`.
 * Every other failure (an endorsement refusal carrying the chaincode's
 * error code, a deadline) is the Gateway client's own error, unchanged.
 */
export class GatewayTransport implements Transport {
  constructor(
    private readonly network: Network,
    private readonly chaincode: string,
    private readonly options: SubmitOptions = {},
    private readonly afterCommit?: (blockNumber: bigint) => Promise<void>,
  ) {}

  evaluate(call: Call): Promise<Uint8Array> {
    return this.network.getContract(this.chaincode, call.contract).evaluateTransaction(call.transaction, ...call.args);
  }

  async submit(call: WriteCall): Promise<Committed> {
    const endorsers = this.options.endorsingOrganizations;
    const proposal = this.network.getContract(this.chaincode, call.contract).newProposal(call.transaction, {
      arguments: [...call.args],
      ...(endorsers === undefined ? {} : { endorsingOrganizations: [...endorsers] }),
    });
    const transaction = await proposal.endorse();
    const submitted = await transaction.submit();
    const status = await submitted.getStatus();
    await this.afterCommit?.(status.blockNumber);
    if (!status.successful) throw new InvalidTransaction(call, status);
    return { result: submitted.getResult(), transactionId: status.transactionId, blockNumber: status.blockNumber };
  }
}

/** How the peers' validation settled a write. */
export interface Settled {
  /** The validation code's name: VALID, or why the write changed nothing (ENDORSEMENT_POLICY_FAILURE, say). */
  readonly status: string;
  readonly code: number;
  readonly blockNumber: bigint;
}

/**
 * Waits for a write of a typed client and says how validation settled it,
 * valid or not, instead of throwing for an invalid one.
 *
 * @throws whatever else the write threw: a write refused at endorsement was never ordered, so it has no validation outcome.
 */
export async function settled(write: Promise<Committed>): Promise<Settled> {
  try {
    const committed = await write;
    // The transport returns only writes whose status was successful, which Fabric defines as VALID.
    return { status: statusName(StatusCode.VALID), code: StatusCode.VALID, blockNumber: committed.blockNumber };
  } catch (err) {
    if (!(err instanceof InvalidTransaction)) throw err;
    return { status: statusName(err.status.code), code: err.status.code, blockNumber: err.status.blockNumber };
  }
}
