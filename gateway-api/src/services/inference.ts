import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import { ApiCode, ApiError } from '../errors';
import type { Session } from '../fabric/ledger';
import type { OipClient } from '../serving/oip';
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
   * 4. submits `RecordAccess` with the request hash and the served artifact, and waits for the commit;
   * 5. returns the outputs with the receipt.
   *
   * Nothing is written when any step before 4 fails; when 4 fails the outputs are dropped.
   *
   * @throws ApiError the chaincode's refusals (FORBIDDEN, PURPOSE_NOT_PERMITTED, LICENSE_EXPIRED,
   *   INSUFFICIENT_UNITS, ARTIFACT_MISMATCH, …), INVALID_ARGUMENT for a batch without rows,
   *   MODEL_INTEGRITY_MISMATCH, MODEL_INPUT_REJECTED, MODEL_UNAVAILABLE, MODEL_FAILED, MODEL_TIMEOUT,
   *   or the ledger's LEDGER_* and COMMIT_FAILED.
   */
  async infer(modelId: string, request: Schemas['InferenceRequest']): Promise<Schemas['InferenceResponse']> {
    const { licenseId, purpose, ...modelParameters } = request.parameters;
    const forwarded = forwardedRequest(request, modelParameters);
    const units = batchRows(request.inputs).toString();
    const requestHash = requestHashOf(forwarded);

    const entitlement = decode<Schemas['Entitlement']>(
      await this.session.evaluate('LicenseContract', 'CheckEntitlement', licenseId, units, purpose),
    );
    if (entitlement.modelId !== modelId) {
      throw new ApiError(ApiCode.FORBIDDEN, `licence ${licenseId} is a licence of model ${entitlement.modelId}, not of ${modelId}`);
    }

    const deadline = this.oip.deadline();
    const served = await this.oip.metadata(entitlement.inferenceEndpoint, deadline);
    if (served.artifactSha256 !== entitlement.artifactSha256) {
      throw new ApiError(
        ApiCode.MODEL_INTEGRITY_MISMATCH,
        `the endpoint of ${modelId} version ${entitlement.version} reports artifact ${served.artifactSha256 ?? '(none)'}, ` +
          `but the ledger's is ${entitlement.artifactSha256}; refusing to serve it`,
      );
    }
    const output = await this.oip.infer(entitlement.inferenceEndpoint, forwarded, deadline);

    const committed = await this.session.submit(
      'LicenseContract',
      'RecordAccess',
      licenseId,
      units,
      purpose,
      requestHash,
      this.hints.take(licenseId),
      entitlement.artifactSha256,
    );
    const record = decode<Schemas['AccessRecord']>(committed.result);
    const license = decode<Schemas['LicenseDetail']>(await this.session.evaluate('LicenseContract', 'GetLicense', licenseId));
    return {
      model_name: output.model_name,
      ...(output.model_version !== undefined ? { model_version: output.model_version } : {}),
      ...(output.id !== undefined ? { id: output.id } : {}),
      ...(output.parameters !== undefined ? { parameters: output.parameters } : {}),
      outputs: output.outputs as Schemas['InferenceResponse']['outputs'],
      receipt: {
        accessId: record.accessId,
        transactionId: committed.transactionId,
        blockNumber: committed.blockNumber.toString(),
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
