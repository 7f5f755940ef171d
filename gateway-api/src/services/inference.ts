import {
  callName,
  ContractName,
  ErrorCode,
  LedgerClient,
  parseBatchedAccessId,
  type AccessRecord,
  type BatchReceipt,
  type RequestRecord,
} from '@model-ledger/contract';
import { ApiCode, ApiError } from '../errors';
import type { Session } from '../fabric/ledger';
import { ACCESS_ID_HEADER, ACCESS_SIGNATURE_HEADER, requestHashOf, signAccess } from '../serving/access';
import type { EndpointRoutes } from '../serving/endpoints';
import type { InferResponse, OipClient, Route } from '../serving/oip';
import type { Schemas } from './common';
import type { Meter } from './meter';
import type { RequestIds } from './requests';

type Tensor = Schemas['InferenceTensor'];

/** How the gateway reaches model owners' serving gates. */
export interface Serving {
  readonly oip: OipClient;
  readonly endpoints: EndpointRoutes;
}

/** The serving endpoint of one model version, and its owner, whose TLS root the endpoint must chain to. */
interface Endpoint {
  readonly modelId: string;
  readonly version: string;
  readonly artifactSha256: string;
  readonly inferenceEndpoint: string;
  readonly ownerMspId: string;
}

/**
 * The access-gated inference path, on the licensee's side. The licensee's
 * gateway charges; the model owner's serving gate decides whether the model
 * runs, and refunds when it cannot deliver (see `gate/`).
 */
export class InferenceService {
  private readonly chaincode: LedgerClient;

  constructor(
    private readonly session: Session,
    private readonly requests: RequestIds,
    private readonly serving: Serving,
    private readonly meter: Meter,
  ) {
    this.chaincode = new LedgerClient(session);
  }

  /**
   * Runs `request` on the active version of `modelId` under the licence and
   * purpose its parameters name, charging one unit per row of the batch:
   *
   * 1. evaluates `CheckEntitlement` (no write), beside the lookup of
   *    `idempotencyKey`; a refusal keeps its chaincode code;
   * 2. checks the endpoint: https with a certificate from the owner org's TLS
   *    CA on the channel, ready, and serving the active version's artifact;
   * 3. submits `RecordAccess` with the request hash, that artifact and
   *    `idempotencyKey` as request id, and waits for the commit;
   * 4. sends the request to the owner's serving gate with the access id and
   *    the caller's signature over it and the request hash;
   * 5. returns the outputs with the receipt, whose ledger reads (the
   *    licence's remaining units) run while the model does.
   *
   * Nothing is written when a step before 3 fails. When 4 fails after the
   * charge, the gate refunds the access, and the error names the refund's
   * transaction. A key that already paid for this request skips 2 and 3 (see `replay`).
   *
   * @throws ApiError the chaincode's refusals (FORBIDDEN, PURPOSE_NOT_PERMITTED, LICENSE_EXPIRED,
   *   INSUFFICIENT_UNITS, ARTIFACT_MISMATCH, CONFLICT, …), INVALID_ARGUMENT for a batch without rows,
   *   MODEL_ENDPOINT_UNTRUSTED, MODEL_INTEGRITY_MISMATCH, MODEL_INPUT_REJECTED, MODEL_UNAVAILABLE,
   *   MODEL_FAILED, MODEL_TIMEOUT, the gate's ACCESS_* refusals, or the ledger's LEDGER_* and COMMIT_FAILED.
   */
  async infer(
    modelId: string,
    request: Schemas['InferenceRequest'],
    idempotencyKey: string | undefined,
  ): Promise<Schemas['InferenceResponse']> {
    const { licenseId, purpose, ...modelParameters } = request.parameters;
    const forwarded = forwardedRequest(request, modelParameters);
    const call: Call = { modelId, licenseId, purpose, units: batchRows(request.inputs).toString(), requestHash: requestHashOf(forwarded) };

    // The two reads before charging do not depend on each other: ask both at once.
    const [answered, entitled] = await Promise.allSettled([
      idempotencyKey === undefined ? Promise.resolve(undefined) : this.requests.answered(idempotencyKey),
      this.chaincode.license.checkEntitlement(licenseId, call.units, purpose),
    ]);
    if (answered.status === 'rejected') {
      throw answered.reason;
    }
    if (answered.value !== undefined && idempotencyKey !== undefined) {
      // A retry needs no entitlement: the first call may have taken the last unit.
      return this.replay(call, idempotencyKey, answered.value, forwarded);
    }
    if (entitled.status === 'rejected') {
      throw entitled.reason;
    }
    const entitlement = entitled.value;
    if (entitlement.modelId !== modelId) {
      throw new ApiError(ApiCode.FORBIDDEN, `licence ${licenseId} is a licence of model ${entitlement.modelId}, not of ${modelId}`);
    }
    const endpoint: Endpoint = { ...entitlement, ownerMspId: entitlement.ownerMspId };
    const route = await this.checkEndpoint(endpoint);

    // Alone, or batched with other accesses in flight when the licence's terms allow (services/meter.ts).
    const committed = await this.meter.record(
      this.session,
      {
        licenseId,
        units: call.units,
        purpose,
        requestHash: call.requestHash,
        servedArtifactSha256: entitlement.artifactSha256,
        requestId: idempotencyKey,
      },
      entitlement.metering === 'batch',
    );
    const record = committed.data;
    // What the receipt reads from the ledger is read while the model runs, not after.
    const receipt = this.receiptReads(record, record.txId === committed.transactionId ? committed.blockNumber : undefined);
    const output = await this.run(endpoint, route, record.accessId, call.requestHash, forwarded);
    // A concurrent call with the same key committed first: this answer repeats that access.
    const replayed = committed.replayed === true || record.txId !== committed.transactionId;
    return this.respond(output, record, await receipt, replayed, replayed ? undefined : committed.receipt);
  }

  /**
   * The licence's remaining units, and the access's block when the commit did
   * not name it (a concurrent call with the same key committed first and the
   * chaincode answered with its record). Started before the model runs; a
   * failure shows only if the model succeeds.
   */
  private receiptReads(record: AccessRecord, blockNumber: bigint | undefined): Promise<{ remainingUnits: string; blockNumber: bigint }> {
    const reads = Promise.all([
      this.chaincode.license.getLicense(record.licenseId),
      blockNumber ?? this.requests.blockOf(record.txId),
    ]).then(([license, block]) => ({ remainingUnits: license.remainingUnits, blockNumber: block }));
    // Awaited only after the model answers; until then a rejection must not count as unhandled.
    reads.catch(() => undefined);
    return reads;
  }

  /**
   * A retry of a call that was charged: presents the first access to the
   * gate again, which answers the result it served for that very request
   * (the model runs once per access), or refuses once it no longer holds it.
   * The retry needs no entitlement (the first call may have taken the last
   * unit), but must repeat the licence, purpose and inputs.
   */
  private async replay(
    call: Call,
    key: string,
    earlier: RequestRecord,
    forwarded: Record<string, unknown>,
  ): Promise<Schemas['InferenceResponse']> {
    const record = earlier.result as AccessRecord;
    const same =
      earlier.call === RECORD_ACCESS &&
      record.modelId === call.modelId &&
      record.licenseId === call.licenseId &&
      record.purpose === call.purpose &&
      record.units === call.units &&
      record.requestHash === call.requestHash;
    if (!same) {
      throw new ApiError(
        ErrorCode.CONFLICT,
        `Idempotency-Key ${key} was already used by transaction ${earlier.txId} for a different request`,
      );
    }
    const version = await this.chaincode.model.getModelVersion(record.modelId, record.version);
    const model = await this.chaincode.model.getModel(record.modelId);
    const endpoint: Endpoint = {
      modelId: record.modelId,
      version: record.version,
      artifactSha256: record.artifactSha256,
      inferenceEndpoint: version.inferenceEndpoint,
      ownerMspId: model.model.ownerMspId,
    };
    const route = await this.serving.endpoints.routeTo(this.session, endpoint.ownerMspId, endpoint.inferenceEndpoint);
    const receipt = this.receiptReads(record, undefined);
    const output = await this.run(endpoint, route, record.accessId, call.requestHash, forwarded);
    return this.respond(output, record, await receipt, true);
  }

  /**
   * Before charging: the endpoint is the owner's (TLS), it answers, and it
   * serves the artifact the access will pay for. A dead or wrong gate costs nothing.
   */
  private async checkEndpoint(endpoint: Endpoint): Promise<Route> {
    const route = await this.serving.endpoints.routeTo(this.session, endpoint.ownerMspId, endpoint.inferenceEndpoint);
    const served = await this.serving.oip.metadata(endpoint.inferenceEndpoint, this.serving.oip.deadline(this.session.deadline), route);
    if (served.artifactSha256 !== endpoint.artifactSha256) {
      throw new ApiError(
        ApiCode.MODEL_INTEGRITY_MISMATCH,
        `the endpoint of ${endpoint.modelId} version ${endpoint.version} reports artifact ${served.artifactSha256 ?? '(none)'}, ` +
          `but the ledger's is ${endpoint.artifactSha256}; refusing to serve it`,
      );
    }
    return route;
  }

  /** Presents the access to the owner's gate, signed by the caller's own key, and runs the model there. */
  private async run(
    endpoint: Endpoint,
    route: Route,
    accessId: string,
    requestHash: string,
    forwarded: Record<string, unknown>,
  ): Promise<InferResponse> {
    const signature = await signAccess(this.session.user.signer, accessId, requestHash);
    try {
      return await this.serving.oip.infer(endpoint.inferenceEndpoint, forwarded, this.serving.oip.deadline(this.session.deadline), {
        ...route,
        headers: { [ACCESS_ID_HEADER]: accessId, [ACCESS_SIGNATURE_HEADER]: signature },
      });
    } catch (err) {
      if (err instanceof ApiError && err.transactionId === undefined) {
        // Charged and not served: name the access, so the caller can look up its refund.
        throw new ApiError(
          err.code,
          `${err.message} (access ${accessId})`,
          parseBatchedAccessId(accessId)?.batchId ?? accessId,
          err.retryAfterSeconds,
        );
      }
      throw err;
    }
  }

  /** The outputs with the receipt of the access that paid for them. */
  private respond(
    output: InferResponse,
    record: AccessRecord,
    { remainingUnits, blockNumber }: { remainingUnits: string; blockNumber: bigint },
    replayed: boolean,
    batch?: BatchReceipt,
  ): Schemas['InferenceResponse'] {
    return {
      model_name: output.model_name,
      ...(output.model_version !== undefined ? { model_version: output.model_version } : {}),
      ...(output.id !== undefined ? { id: output.id } : {}),
      ...(output.parameters !== undefined ? { parameters: output.parameters } : {}),
      outputs: output.outputs as Schemas['InferenceResponse']['outputs'],
      receipt: {
        accessId: record.accessId,
        transactionId: record.txId,
        blockNumber: blockNumber.toString(),
        licenseId: record.licenseId,
        modelId: record.modelId,
        version: record.version,
        artifactSha256: record.artifactSha256,
        units: record.units,
        amount: record.amount,
        remainingUnits,
        requestHash: record.requestHash,
        recordedAt: record.timestamp,
        ...(replayed ? { replayed: true } : {}),
        ...(batch === undefined ? {} : { batch: { ...batch, path: [...batch.path] } }),
      },
    };
  }
}

/** What identifies one inference call for billing: a retry must repeat all of it. */
interface Call {
  readonly modelId: string;
  readonly licenseId: string;
  readonly purpose: string;
  readonly units: string;
  readonly requestHash: string;
}

/** How a stored request names the transaction that answered it first (`RequestRecord.call`). */
const RECORD_ACCESS = callName(ContractName.license, 'RecordAccess');

/** The OIP v2 request the model receives: the caller's, without the gateway's two parameters. */
function forwardedRequest(request: Schemas['InferenceRequest'], modelParameters: Record<string, unknown>): Record<string, unknown> {
  return {
    ...(request.id !== undefined ? { id: request.id } : {}),
    ...(Object.keys(modelParameters).length > 0 ? { parameters: modelParameters } : {}),
    inputs: request.inputs,
    ...(request.outputs !== undefined ? { outputs: request.outputs } : {}),
  };
}

/**
 * Rows in the batch: the first dimension that every input shares (1 for
 * inputs without dimensions).
 *
 * @throws ApiError INVALID_ARGUMENT when the inputs disagree or the batch is empty.
 */
export function batchRows(inputs: readonly Tensor[]): bigint {
  const rows = new Set(inputs.map((input) => (input.shape.length === 0 ? 1 : input.shape[0])));
  if (rows.size !== 1) {
    throw new ApiError(ApiCode.INVALID_ARGUMENT, `inputs disagree on the batch size (first dimension): ${[...rows].join(', ')}`);
  }
  const [count] = [...rows];
  if (count < 1) {
    throw new ApiError(ApiCode.INVALID_ARGUMENT, 'inputs has an empty batch: the first dimension of each shape must be at least 1');
  }
  return BigInt(count);
}
