/**
 * The model owner's serving gate: the model runs only for a committed,
 * fresh, unserved access on the owner's own peer whose request hash and
 * creator signature match the request presented; when the model then fails,
 * the gate refunds the access on the ledger. The owner runs it, since the
 * owner is the party "no result without a committed access" protects.
 */
import type { Logger } from 'pino';
import { parseBatchedAccessId } from '@model-ledger/contract';
import { ApiCode, ApiError } from '../errors';
import type { CommittedTransaction } from '../fabric/ledger';
import { requestHashOf, verifyAccessSignature } from '../serving/access';
import type { InferResponse, OipClient, Route, ServedModel } from '../serving/oip';
import type { ServedLog } from './served';

/** What the gate reads from, and writes to, its own org's ledger. */
export interface GateLedger {
  /** A transaction as the org's own peer holds it; ApiError NOT_FOUND if it has none. */
  transaction(transactionId: string): Promise<CommittedTransaction>;
  /**
   * The caller a batched access is attributed to: its MSP and the
   * certificate the chaincode checked against the org's registered CA roots
   * before recording it (GetBatchedAccess).
   */
  batchedCaller(accessId: string): Promise<{ readonly mspId: string; readonly certPem: string }>;
  /** The access record written by that transaction, or undefined if it wrote none. */
  access(accessId: string): Promise<GateAccess | undefined>;
  /** The registered endpoint of a model version and the model's owner. */
  version(modelId: string, version: string): Promise<{ readonly inferenceEndpoint: string; readonly ownerMspId: string }>;
  /** Submits RefundAccess; resolves with the refund's transaction id. */
  refund(accessId: string, reason: string): Promise<string>;
}

/** The fields of an access record the gate checks. */
export interface GateAccess {
  readonly accessId: string;
  readonly modelId: string;
  readonly version: string;
  readonly artifactSha256: string;
  readonly callerMspId: string;
  readonly requestHash: string;
  readonly timestamp: string;
}

/** The transaction that recorded an access: its own id, or a batched access's batch. */
function transactionOf(accessId: string): string {
  return parseBatchedAccessId(accessId)?.batchId ?? accessId;
}

/** A model served behind the gate, by its OIP name. */
export interface Backend {
  /** Base URL of the OIP server (`http://localhost` for a Unix socket). */
  readonly base: string;
  readonly route: Route;
}

export interface GateSettings {
  /** The MSP id of the org that runs the gate (the model owner). */
  readonly mspId: string;
  /** How old an access may be when presented. */
  readonly freshnessMs: number;
  /**
   * How long to wait for the gate's own peer to commit an access it does not
   * hold yet: the licensee saw the commit on its own peer, and peers commit a
   * block tens of milliseconds apart.
   */
  readonly commitWaitMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The gate's answer to a request it served. */
export interface Served {
  readonly body: InferResponse;
  /** True when the result was served before for the same request and is answered again unchanged. */
  readonly repeated: boolean;
}

/** The OIP model name of a registered endpoint (`…/v2/models/<name>`), or undefined. */
export function modelNameOf(endpoint: string): string | undefined {
  try {
    const match = /\/v2\/models\/([^/]+)\/?$/.exec(new URL(endpoint).pathname);
    return match === null ? undefined : decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

export class ServingGate {
  constructor(
    private readonly settings: GateSettings,
    private readonly backends: ReadonlyMap<string, Backend>,
    private readonly ledger: GateLedger,
    private readonly served: ServedLog,
    private readonly oip: OipClient,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The backend's metadata, for anyone: readiness and the artifact it serves
   * are no result, and the licensee's gateway checks them before it charges.
   *
   * @throws ApiError NOT_FOUND for a model the gate does not serve, or the backend's MODEL_* failure.
   */
  async metadata(name: string): Promise<ServedModel & { readonly raw: Record<string, unknown> }> {
    const backend = this.backend(name);
    const served = await this.oip.metadata(`${backend.base}/v2/models/${encodeURIComponent(name)}`, this.oip.deadline(), backend.route);
    return {
      ...served,
      raw: {
        name: served.name,
        versions: served.versions,
        platform: 'serving-gate',
        parameters: { artifact_sha256: served.artifactSha256 },
      },
    };
  }

  /**
   * Serves one inference under an access, checked in this order: the access
   * is named and signed (else ACCESS_REQUIRED); not served here before
   * (ACCESS_ALREADY_SERVED; the same request again gets the held result);
   * committed valid on the gate's own peer (ACCESS_NOT_COMMITTED); for a
   * version of this org's model registered at this gate under this name, and
   * for this very request (ACCESS_MISMATCH); signed by the identity that
   * created the access transaction (ACCESS_SIGNATURE_INVALID); and
   * fresh (ACCESS_STALE, not refunded: past the window the gate
   * no longer knows whether it served it). Only then is the access claimed.
   * A backend serving another artifact (MODEL_INTEGRITY_MISMATCH) or a
   * failing model (MODEL_*) is refunded on the ledger, and the error names
   * the refund's transaction.
   */
  async infer(name: string, request: unknown, accessId: string | undefined, signature: string | undefined): Promise<Served> {
    const backend = this.backend(name);
    if (accessId === undefined || accessId === '' || signature === undefined || signature === '') {
      throw new ApiError(
        ApiCode.ACCESS_REQUIRED,
        'this model is served only under a committed access: send mll-access-id (the access transaction id) and mll-access-signature',
      );
    }
    if (!/^[0-9a-f]{64}$/.test(accessId) && parseBatchedAccessId(accessId) === undefined) {
      throw new ApiError(
        ApiCode.ACCESS_NOT_COMMITTED,
        'mll-access-id is not an access id (a transaction id, or <batch transaction id>-<position>)',
      );
    }
    const requestHash = requestHashOf(request);
    const earlier = this.served.get(accessId);
    if (earlier !== undefined && earlier !== 'refund-failed') {
      return this.again(accessId, requestHash, signature, earlier);
    }
    const deadline = this.oip.deadline();
    const endpoint = `${backend.base}/v2/models/${encodeURIComponent(name)}`;
    // Which artifact the model serves is asked while the ledger checks run; it is awaited, and counts, only once they pass.
    const metadata = this.oip.metadata(endpoint, deadline, backend.route);
    metadata.catch(() => undefined);
    const access = await this.verified(name, accessId, requestHash, signature);
    const age = this.now() - Date.parse(access.timestamp);
    if (age > this.settings.freshnessMs) {
      // Not refunded: the gate forgets what it served after twice the window, so it cannot tell a
      // stale access from one served long ago. The owner's admins refund a genuine case by hand.
      throw new ApiError(
        ApiCode.ACCESS_STALE,
        `access ${accessId} was recorded ${Math.round(age / 1000)} s ago, more than the gate's ${this.settings.freshnessMs / 1000} s; present an access within the window`,
      );
    }
    if (earlier === 'refund-failed') {
      throw await this.refund(access, requestHash, new ApiError(ApiCode.MODEL_FAILED, `access ${accessId} failed at this gate before`));
    }
    if (!this.served.claim(accessId, requestHash)) {
      throw new ApiError(ApiCode.ACCESS_ALREADY_SERVED, `access ${accessId} is being served by another request`);
    }
    let body: InferResponse;
    try {
      const served = await metadata;
      if (served.artifactSha256 !== access.artifactSha256) {
        throw new ApiError(
          ApiCode.MODEL_INTEGRITY_MISMATCH,
          `the model behind the gate serves artifact ${served.artifactSha256 ?? '(none)'}, not ${access.artifactSha256}, which access ${accessId} paid for`,
        );
      }
      body = await this.oip.infer(endpoint, request as object, deadline, backend.route);
    } catch (err) {
      const failure = err instanceof ApiError ? err : new ApiError(ApiCode.MODEL_FAILED, `the model failed: ${String(err)}`);
      throw await this.refund(access, requestHash, failure);
    }
    this.served.served(accessId, requestHash, body);
    return { body, repeated: false };
  }

  private backend(name: string): Backend {
    const backend = this.backends.get(name);
    if (backend === undefined) {
      throw new ApiError(ApiCode.NOT_FOUND, `this gate serves no model named ${name}`);
    }
    return backend;
  }

  /** A presentation of an access this gate already took: the same request gets the held result, anything else is refused. */
  private async again(accessId: string, requestHash: string, signature: string, state: string): Promise<Served> {
    const held = this.served.heldResult(accessId);
    if (state === 'served' && held !== undefined && held.requestHash === requestHash) {
      // Only the creator may have it again: check the signature as for a first presentation.
      const caller = await this.callerOf(accessId, await this.ledger.transaction(transactionOf(accessId)));
      if (verifyAccessSignature(caller.certPem, accessId, requestHash, signature)) {
        return { body: held.body as InferResponse, repeated: true };
      }
      throw new ApiError(ApiCode.ACCESS_SIGNATURE_INVALID, `the signature is not the creator's of access ${accessId}`);
    }
    throw new ApiError(
      ApiCode.ACCESS_ALREADY_SERVED,
      `access ${accessId} was ${state === 'refunded' ? 'refunded' : 'served'} at this gate already; a result is served once per access`,
    );
  }

  /**
   * The access transaction and record as the gate's own peer holds them,
   * waiting up to `commitWaitMs` for a block the peer has not committed yet.
   */
  private async committed(accessId: string): Promise<{ tx: CommittedTransaction; access: GateAccess | undefined }> {
    const deadline = this.now() + this.settings.commitWaitMs;
    // The owner's peer commits the same block within milliseconds of the licensee's: ask again soon, then back off.
    for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
      try {
        // Both reads at once: an invalid transaction wrote no access record, so that read then finds none.
        const [tx, found] = await Promise.all([this.ledger.transaction(transactionOf(accessId)), this.ledger.access(accessId)]);
        const access = tx.valid ? found : undefined;
        if (!tx.valid || access !== undefined || this.now() >= deadline) {
          return { tx, access };
        }
      } catch (err) {
        if (!(err instanceof ApiError && err.code === ApiCode.NOT_FOUND) || this.now() >= deadline) {
          throw err;
        }
      }
      await sleep(pause);
    }
  }

  /** The checks that need the ledger; nothing is claimed or refunded when one fails. */
  private async verified(name: string, accessId: string, requestHash: string, signature: string): Promise<GateAccess> {
    let tx: CommittedTransaction;
    let access: GateAccess | undefined;
    try {
      ({ tx, access } = await this.committed(accessId));
    } catch (err) {
      if (err instanceof ApiError && err.code === ApiCode.NOT_FOUND) {
        throw new ApiError(ApiCode.ACCESS_NOT_COMMITTED, `no transaction ${accessId} is committed on the model owner's peer`);
      }
      throw err;
    }
    if (!tx.valid) {
      throw new ApiError(
        ApiCode.ACCESS_NOT_COMMITTED,
        `transaction ${accessId} committed invalid (${tx.validationCode}); it paid for nothing`,
      );
    }
    if (access === undefined) {
      throw new ApiError(ApiCode.ACCESS_NOT_COMMITTED, `transaction ${accessId} recorded no access`);
    }
    const version = await this.ledger.version(access.modelId, access.version);
    if (version.ownerMspId !== this.settings.mspId || modelNameOf(version.inferenceEndpoint) !== name) {
      throw new ApiError(
        ApiCode.ACCESS_MISMATCH,
        `access ${accessId} pays for model ${access.modelId} version ${access.version}, which is not served here as ${name}`,
      );
    }
    if (access.requestHash !== requestHash) {
      throw new ApiError(
        ApiCode.ACCESS_MISMATCH,
        `access ${accessId} pays for request ${access.requestHash}, not for this one (${requestHash})`,
      );
    }
    const caller = await this.callerOf(accessId, tx);
    if (caller.mspId !== access.callerMspId || !verifyAccessSignature(caller.certPem, accessId, requestHash, signature)) {
      throw new ApiError(ApiCode.ACCESS_SIGNATURE_INVALID, `the signature is not that of the identity that recorded access ${accessId}`);
    }
    return access;
  }

  /**
   * Who recorded an access, whose signature the gate requires: the creator
   * of its transaction, or for a batched access (whose transaction the
   * licensee's gateway submitted) the caller whose signed request the
   * chaincode checked and recorded.
   */
  private async callerOf(accessId: string, tx: CommittedTransaction): Promise<{ readonly mspId: string; readonly certPem: string }> {
    return parseBatchedAccessId(accessId) === undefined ? tx.creator : this.ledger.batchedCaller(accessId);
  }

  /** Refunds an access the gate could not serve; answers the failure, naming the refund. */
  private async refund(access: GateAccess, requestHash: string, failure: ApiError): Promise<ApiError> {
    const reason = `${failure.code}: ${failure.message}`.slice(0, 200);
    try {
      const refundTx = await this.ledger.refund(access.accessId, reason);
      this.served.settle(access.accessId, requestHash, 'refunded');
      this.log.warn({ accessId: access.accessId, refundTx, code: failure.code }, 'refunded an access the gate could not serve');
      return new ApiError(failure.code, `${failure.message}; access ${access.accessId} was refunded in transaction ${refundTx}`, refundTx);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'CONFLICT') {
        // Refunded before (by an earlier presentation, or the owner's admin).
        this.served.settle(access.accessId, requestHash, 'refunded');
        return new ApiError(failure.code, `${failure.message}; access ${access.accessId} was already refunded`);
      }
      this.served.settle(access.accessId, requestHash, 'refund-failed');
      this.log.error({ err, accessId: access.accessId, code: failure.code }, 'could not refund an access the gate could not serve');
      return new ApiError(
        failure.code,
        `${failure.message}; the refund of access ${access.accessId} failed and is made when the access is presented again`,
        access.accessId,
      );
    }
  }
}
