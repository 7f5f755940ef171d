/**
 * The Open Inference Protocol v2 inference request: validation and decoding.
 * Pure functions, no I/O: every problem a caller can cause becomes an
 * {@link OipError} with the HTTP status the protocol gives it.
 *
 * Request:  { id?, parameters?, inputs: [{ name, shape, datatype, data, parameters? }], outputs?: [{ name, parameters? }] }
 * Response: { model_name, model_version, id?, outputs: [{ name, shape, datatype, data }] }
 */
import type { ModelInfo, OutputTensor, TensorSpec } from './model';

/** An error a caller caused (4xx) or the server hit (5xx); the body is `{ "error": message }`. */
export class OipError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'OipError';
  }
}

/** A validated inference request. */
export interface InferRequest {
  readonly id?: string;
  /** Input name to its row-major data and shape. */
  readonly feeds: Map<string, { data: Float32Array; shape: number[] }>;
  /** Rows in the batch (the first dimension, shared by every input). */
  readonly batch: number;
  /** The outputs to return, in the order asked (all of the model's when none were asked). */
  readonly outputNames: string[];
}

/** An OIP v2 inference response body. */
export interface InferResponse {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: OutputTensor[];
}

const FP32_MAX = 3.4028234663852886e38;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejectUnknownKeys(value: Record<string, unknown>, allowed: readonly string[], where: string): void {
  const unknown = Object.keys(value).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new OipError(400, `${where} has unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}; allowed: ${allowed.join(', ')}`);
  }
}

function checkParameters(value: unknown, where: string): Record<string, unknown> | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!isObject(value)) {
    throw new OipError(400, `${where}.parameters must be an object`);
  }
  return value;
}

/**
 * Flattens `data` (flat, or nested to match `shape`) into float32 values.
 * A nested array must nest exactly as `shape` says; a flat one must hold
 * product(shape) numbers.
 */
function flattenFp32(data: unknown, shape: readonly number[], where: string): Float32Array {
  const expected = shape.reduce((product, dim) => product * dim, 1);
  if (!Array.isArray(data)) {
    throw new OipError(400, `${where}.data must be an array of ${expected} numbers`);
  }
  const out = new Float32Array(expected);
  let count = 0;
  const put = (value: unknown, path: string): void => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new OipError(
        400,
        `${where}.data${path} must be a finite number for datatype FP32, not ${JSON.stringify(value) ?? String(value)}`,
      );
    }
    if (Math.abs(value) > FP32_MAX) {
      throw new OipError(400, `${where}.data${path} is ${value}, outside the FP32 range`);
    }
    if (count < expected) {
      out[count] = value;
    }
    count += 1;
  };
  const nested = data.some((item) => Array.isArray(item));
  if (!nested) {
    data.forEach((value, i) => put(value, `[${i}]`));
  } else {
    const walk = (value: unknown, depth: number, path: string): void => {
      if (depth === shape.length) {
        put(value, path);
        return;
      }
      if (!Array.isArray(value) || value.length !== shape[depth]) {
        throw new OipError(
          400,
          `${where}.data${path} must be an array of ${shape[depth]} (nested data must match shape [${shape.join(', ')}])`,
        );
      }
      value.forEach((item, i) => walk(item, depth + 1, `${path}[${i}]`));
    };
    walk(data, 0, '');
  }
  if (count !== expected) {
    throw new OipError(400, `${where}.data has ${count} element(s), but shape [${shape.join(', ')}] needs ${expected}`);
  }
  return out;
}

function checkShape(value: unknown, spec: TensorSpec, where: string, maxBatch: number): number[] {
  if (!Array.isArray(value) || !value.every((dim) => Number.isSafeInteger(dim) && (dim as number) >= 0)) {
    throw new OipError(400, `${where}.shape must be an array of non-negative integers`);
  }
  const shape = value as number[];
  const wanted = `[${spec.shape.join(', ')}]`;
  if (shape.length !== spec.shape.length || shape.some((dim, i) => spec.shape[i] !== -1 && spec.shape[i] !== dim)) {
    throw new OipError(400, `${where}.shape is [${shape.join(', ')}], but input "${spec.name}" takes ${wanted} (-1 is any size)`);
  }
  if (shape.length > 0 && (shape[0] < 1 || shape[0] > maxBatch)) {
    throw new OipError(400, `${where}.shape[0] is ${shape[0]}; a batch must have between 1 and ${maxBatch} rows`);
  }
  return shape;
}

/**
 * Validates an OIP v2 inference request body against the model.
 *
 * @throws OipError (400) naming the first field that is missing, unknown, of the wrong
 *   datatype or shape, or whose data length does not match its shape.
 */
export function parseInferRequest(body: unknown, model: ModelInfo, maxBatch: number): InferRequest {
  if (!isObject(body)) {
    throw new OipError(400, 'the request body must be a JSON object');
  }
  rejectUnknownKeys(body, ['id', 'parameters', 'inputs', 'outputs'], 'request');
  if (body.id !== undefined && typeof body.id !== 'string') {
    throw new OipError(400, 'request.id must be a string');
  }
  checkParameters(body.parameters, 'request');
  if (!Array.isArray(body.inputs) || body.inputs.length === 0) {
    throw new OipError(400, 'request.inputs must be a non-empty array');
  }

  const feeds = new Map<string, { data: Float32Array; shape: number[] }>();
  body.inputs.forEach((input: unknown, i: number) => {
    const where = `inputs[${i}]`;
    if (!isObject(input)) {
      throw new OipError(400, `${where} must be an object`);
    }
    rejectUnknownKeys(input, ['name', 'shape', 'datatype', 'data', 'parameters'], where);
    if (typeof input.name !== 'string') {
      throw new OipError(400, `${where}.name must be a string`);
    }
    const spec = model.inputs.find((candidate) => candidate.name === input.name);
    if (spec === undefined) {
      throw new OipError(
        400,
        `${where}.name "${input.name}" is not an input of model "${model.name}"; its inputs are ${model.inputs.map((t) => `"${t.name}"`).join(', ')}`,
      );
    }
    if (feeds.has(spec.name)) {
      throw new OipError(400, `${where}: input "${spec.name}" is given twice`);
    }
    const parameters = checkParameters(input.parameters, where);
    if (parameters && 'binary_data_size' in parameters) {
      throw new OipError(400, `${where} uses the binary tensor data extension, which this server does not support; send the data as JSON`);
    }
    if (input.datatype !== spec.datatype) {
      throw new OipError(400, `${where}.datatype is ${JSON.stringify(input.datatype)}, but input "${spec.name}" takes ${spec.datatype}`);
    }
    const shape = checkShape(input.shape, spec, where, maxBatch);
    feeds.set(spec.name, { data: flattenFp32(input.data, shape, where), shape });
  });
  const missing = model.inputs.filter((spec) => !feeds.has(spec.name));
  if (missing.length > 0) {
    throw new OipError(400, `request.inputs lacks ${missing.map((t) => `"${t.name}"`).join(', ')}`);
  }
  const batches = new Set([...feeds.values()].map((feed) => feed.shape[0]));
  if (batches.size > 1) {
    throw new OipError(400, 'every input must have the same batch size (first dimension)');
  }

  let outputNames = model.outputs.map((spec) => spec.name);
  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs) || body.outputs.length === 0) {
      throw new OipError(400, 'request.outputs must be a non-empty array when given');
    }
    outputNames = body.outputs.map((output: unknown, i: number) => {
      const where = `outputs[${i}]`;
      if (!isObject(output) || typeof output.name !== 'string') {
        throw new OipError(400, `${where} must be an object with a string name`);
      }
      rejectUnknownKeys(output, ['name', 'parameters'], where);
      // A `binary_data` parameter asks for Triton's binary extension; the answer is JSON
      // all the same, which every OIP v2 client reads.
      checkParameters(output.parameters, where);
      const name = output.name;
      if (!model.outputs.some((spec) => spec.name === name)) {
        throw new OipError(
          400,
          `${where}.name "${name}" is not an output of model "${model.name}"; its outputs are ${model.outputs.map((t) => `"${t.name}"`).join(', ')}`,
        );
      }
      return name;
    });
    if (new Set(outputNames).size !== outputNames.length) {
      throw new OipError(400, 'request.outputs names an output twice');
    }
  }

  return {
    ...(body.id !== undefined ? { id: body.id } : {}),
    feeds,
    batch: [...batches][0] ?? 1,
    outputNames,
  };
}
