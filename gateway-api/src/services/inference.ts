import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import { ApiCode, ApiError } from '../errors';
import type { Ledger, Session } from '../fabric/ledger';
import type { InferResponse, OipClient } from '../serving/oip';
import { decode, Schemas } from './common';
import type { LotHints } from './lot-hints';

type Tensor = Schemas['InferenceTensor'];

/**
 * The access-gated inference path: the model is run only for an entitled
 * caller, and its result is released only once the access that pays for it
 * has committed.
 */
export class InferenceService {
  constructor(
    private readonly session: Session,
    private readonly ledger: Ledger,
    private readonly oip: OipClient,
    private readonly hints: LotHints,
  ) {}

  /**
   * Runs `request` on the active version of `modelId` under the licence and
   * purpose its parameters name, charging one unit per row of the batch:
   *
   * 1. evaluates `CheckEntitlement` (no write); a refusal keeps its chaincode code;
   * 2. reads the endpoint's metadata and requires the active version's artifact sha256;
   * 3. runs the model, within one deadline for steps 2 and 3;
   * 4. submits `RecordAccess` with the request hash, the served artifact and
   *    `idempotencyKey` as request id, and waits for the commit;
   * 5. returns the outputs with the receipt.
   *
   * Nothing is written when any step before 4 fails; when 4 fails the outputs are dropped.
   * A key that already paid for this request skips 1 and 4 (see `replay`).
   *
   * @throws ApiError the chaincode's refusals (FORBIDDEN, PURPOSE_NOT_PERMITTED, LICENSE_EXPIRED,
   *   INSUFFICIENT_UNITS, ARTIFACT_MISMATCH, CONFLICT, …), INVALID_ARGUMENT for a batch without rows,
   *   MODEL_INTEGRITY_MISMATCH, MODEL_INPUT_REJECTED, MODEL_UNAVAILABLE, MODEL_FAILED, MODEL_TIMEOUT,
   *   or the ledger's LEDGER_* and COMMIT_FAILED.
   */
  async infer(modelId: string, request: Schemas['InferenceRequest'], idempotencyKey: string | undefined): Promise<Schemas['InferenceResponse']> {
    const { licenseId, purpose, ...modelParameters } = request.parameters;
    const forwarded = forwardedRequest(request, modelParameters);
    const call: Call = { modelId, licenseId, purpose, units: batchRows(request.inputs).toString(), requestHash: requestHashOf(forwarded) };

    if (idempotencyKey !== undefined) {
      const earlier = await this.answered(idempotencyKey);
      if (earlier !== undefined) {
        return this.replay(call, idempotencyKey, earlier, forwarded);
      }
    }

    const entitlement = decode<Schemas['Entitlement']>(
      await this.session.evaluate('LicenseContract', 'CheckEntitlement', licenseId, call.units, purpose),
    );
    if (entitlement.modelId !== modelId) {
      throw new ApiError(ApiCode.FORBIDDEN, `licence ${licenseId} is a licence of model ${entitlement.modelId}, not of ${modelId}`);
    }
    const output = await this.run(entitlement, forwarded);

    const committed = await this.session.submit(
      'LicenseContract',
      'RecordAccess',
      licenseId,
      call.units,
      purpose,
      call.requestHash,
      this.hints.take(licenseId),
      entitlement.artifactSha256,
      idempotencyKey ?? '',
    );
    const record = decode<Schemas['AccessRecord']>(committed.result);
    // A concurrent call with the same key may have committed first: the chaincode then answered with its record.
    const blockNumber = record.txId === committed.transactionId ? committed.blockNumber : await this.blockOf(record.txId);
    return this.respond(output, record, blockNumber);
  }

  /**
   * A retry of a call that was charged: runs the model again on the same
   * request and answers with the first access's receipt, writing nothing. The
   * retry needs no entitlement (the first call may have taken the last unit),
   * but must repeat the licence, purpose and inputs, and the endpoint must
   * still serve the artifact that call paid for.
   */
  private async replay(call: Call, key: string, earlier: AnsweredRequest, forwarded: Record<string, unknown>): Promise<Schemas['InferenceResponse']> {
    const record = earlier.result as Schemas['AccessRecord'];
    const same =
      earlier.call === 'LicenseContract.RecordAccess' &&
      record.modelId === call.modelId &&
      record.licenseId === call.licenseId &&
      record.purpose === call.purpose &&
      record.units === call.units &&
      record.requestHash === call.requestHash;
    if (!same) {
      throw new ApiError('CONFLICT', `Idempotency-Key ${key} was already used by transaction ${earlier.txId} for a different request`);
    }
    const version = decode<Schemas['ModelVersion']>(await this.session.evaluate('ModelContract', 'GetModelVersion', record.modelId, record.version));
    const output = await this.run({ modelId: record.modelId, version: record.version, artifactSha256: record.artifactSha256, inferenceEndpoint: version.inferenceEndpoint }, forwarded);
    return this.respond(output, record, await this.blockOf(record.txId));
  }

  /** Checks that the endpoint serves `artifactSha256`, then runs the model, within one deadline. */
  private async run(
    serving: { modelId: string; version: string; artifactSha256: string; inferenceEndpoint: string },
    forwarded: Record<string, unknown>,
  ): Promise<InferResponse> {
    const deadline = this.oip.deadline();
    const served = await this.oip.metadata(serving.inferenceEndpoint, deadline);
    if (served.artifactSha256 !== serving.artifactSha256) {
      throw new ApiError(
        ApiCode.MODEL_INTEGRITY_MISMATCH,
        `the endpoint of ${serving.modelId} version ${serving.version} reports artifact ${served.artifactSha256 ?? '(none)'}, ` +
          `but the ledger's is ${serving.artifactSha256}; refusing to serve it`,
      );
    }
    return this.oip.infer(serving.inferenceEndpoint, forwarded, deadline);
  }

  /** The outputs with the receipt of the access that paid for them. */
  private async respond(output: InferResponse, record: Schemas['AccessRecord'], blockNumber: bigint): Promise<Schemas['InferenceResponse']> {
    const license = decode<Schemas['LicenseDetail']>(await this.session.evaluate('LicenseContract', 'GetLicense', record.licenseId));
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
        remainingUnits: license.remainingUnits,
        requestHash: record.requestHash,
        recordedAt: record.timestamp,
      },
    };
  }

  /** The caller's earlier answer to this request id, or undefined if it has none. */
  private async answered(key: string): Promise<AnsweredRequest | undefined> {
    try {
      return decode<AnsweredRequest>(await this.session.evaluate('AuditContract', 'GetRequest', key));
    } catch (err) {
      if (err instanceof ApiError && err.code === ApiCode.NOT_FOUND) {
        return undefined;
      }
      throw err;
    }
  }

  private async blockOf(transactionId: string): Promise<bigint> {
    return (await this.ledger.transactionStatus(this.session, transactionId)).blockNumber;
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

/** AuditContract.GetRequest's answer. */
interface AnsweredRequest {
  readonly call: string;
  readonly txId: string;
  readonly result: unknown;
}

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
 * sha256 (hex) of the RFC 8785 canonical JSON of the forwarded request: what
 * the access record holds instead of the inputs, so that the caller can prove
 * which request a record paid for without the ledger ever seeing it.
 */
export function requestHashOf(forwarded: Record<string, unknown>): string {
  const text = canonicalize(forwarded);
  if (text === undefined) {
    throw new ApiError(ApiCode.INVALID_ARGUMENT, 'the request cannot be put in canonical JSON');
  }
  return createHash('sha256').update(text, 'utf8').digest('hex');
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
