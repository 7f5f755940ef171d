import { canonicalJson, sha256Hex } from '../domain/canonical';
import { Keys } from '../domain/keys';
import { requireId } from '../domain/validation';
import { ChaincodeError, ErrorCode } from '../errors';
import type { Tx } from './tx';
export type { RequestRecord } from '@model-ledger/contract';
import type { RequestRecord } from '@model-ledger/contract';

/**
 * A client request id on a write that moves value: a retry with the same id
 * and the same arguments returns the first transaction's result and changes
 * nothing, whether the client never saw that result (a timeout, a lost
 * connection, an API restart) or did. Ids are scoped to the submitting
 * identity, so two callers never collide; reusing an id for a different call
 * or different arguments fails with CONFLICT. An empty id opts out.
 *
 *   const request = await ClientRequest.begin(tx, callName(ContractName.token, 'Transfer'), [from, to, amount], requestId);
 *   if (request.earlier !== undefined) return result(request.earlier);
 *   ... the write ...
 *   await request.finish(payload);
 */
export class ClientRequest {
  private constructor(
    private readonly tx: Tx,
    private readonly key: string | undefined,
    private readonly call: string,
    private readonly fingerprint: string,
    /** The first result, when this is a retry. */
    readonly earlier: object | undefined,
  ) {}

  static begin(tx: Tx, call: string, args: readonly string[], requestId: string): Promise<ClientRequest> {
    return ClientRequest.beginFor(tx, tx.caller.account, call, args, requestId);
  }

  /**
   * `begin` for a request of `account` that another identity submits: a
   * batched access, which its caller signed and the batch carries. Its id is
   * scoped to that caller, as if the caller had submitted it.
   */
  static async beginFor(tx: Tx, account: string, call: string, args: readonly string[], requestId: string): Promise<ClientRequest> {
    if (requestId === '') {
      // No id, nothing to remember: the hot path pays for no hash.
      return new ClientRequest(tx, undefined, call, '', undefined);
    }
    const fingerprint = sha256Hex(canonicalJson([call, ...args]));
    const id = requireId('requestId', requestId);
    const key = Keys.request(account, id);
    const stored = await tx.get<RequestRecord>(key);
    if (stored !== undefined && (stored.call !== call || stored.fingerprint !== fingerprint)) {
      throw new ChaincodeError(
        ErrorCode.CONFLICT,
        `request id ${id} was already used by transaction ${stored.txId} for a different ${stored.call} request`,
      );
    }
    return new ClientRequest(tx, key, call, fingerprint, stored?.result);
  }

  /** Remembers `outcome` as this request's answer (nothing without a request id). */
  async finish(outcome: object): Promise<void> {
    if (this.key === undefined) return;
    const record: RequestRecord = {
      docType: 'request',
      call: this.call,
      fingerprint: this.fingerprint,
      result: outcome,
      txId: this.tx.txId,
      at: this.tx.now,
    };
    await this.tx.put(this.key, record);
  }
}

/** The caller's own request of this id, if it was answered; nobody reads another caller's. */
export async function answeredRequest(tx: Tx, requestId: string): Promise<RequestRecord | undefined> {
  return tx.get<RequestRecord>(Keys.request(tx.caller.account, requireId('requestId', requestId)));
}
