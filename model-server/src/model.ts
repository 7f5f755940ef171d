/**
 * Loads the ONNX artifact, proves it is the one the model card names, and runs it.
 *
 * The bytes that are hashed are the bytes given to onnxruntime, so a file swapped
 * after the check cannot be the one served.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';

/** OIP v2 tensor datatypes this server can carry. */
export type Datatype = 'FP32' | 'FP64' | 'INT32' | 'INT64' | 'BOOL';

/** One input or output as OIP v2 metadata describes it; -1 is a variable dimension. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
}

/** What the server says about the model it serves. */
export interface ModelInfo {
  readonly name: string;
  readonly version: string;
  /** Lowercase hex sha256 of the served .onnx file. */
  readonly sha256: string;
  readonly artifact: string;
  readonly classes: readonly string[];
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/** A decoded output tensor, ready to be written as OIP v2 JSON. */
export interface OutputTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: number[];
  readonly data: number[] | boolean[];
}

/** Thrown when the artifact or its model card is unusable; the server must not start. */
export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

const ORT_TO_OIP: Readonly<Record<string, Datatype>> = {
  float32: 'FP32',
  float64: 'FP64',
  int32: 'INT32',
  int64: 'INT64',
  bool: 'BOOL',
};

interface ModelCard {
  name: string;
  version: string;
  sha256: string;
  artifact?: string;
  classes?: string[];
  inputs?: TensorSpec[];
  outputs?: TensorSpec[];
}

function readCard(path: string): ModelCard {
  let card: unknown;
  try {
    card = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ModelLoadError(`cannot read the model card ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const problems: string[] = [];
  const record = (typeof card === 'object' && card !== null ? card : {}) as Record<string, unknown>;
  for (const key of ['name', 'version', 'sha256']) {
    if (typeof record[key] !== 'string' || record[key] === '') {
      problems.push(`"${key}" must be a non-empty string`);
    }
  }
  if (typeof record.sha256 === 'string' && !/^[0-9a-f]{64}$/.test(record.sha256)) {
    problems.push('"sha256" must be 64 lowercase hex digits');
  }
  if (typeof record.name === 'string' && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(record.name)) {
    problems.push('"name" must be a URL-safe model name');
  }
  if (problems.length > 0) {
    throw new ModelLoadError(`bad model card ${path}: ${problems.join('; ')}`);
  }
  return record as unknown as ModelCard;
}

function describe(values: readonly ort.InferenceSession.ValueMetadata[], what: string): TensorSpec[] {
  return values.map((value) => {
    if (!value.isTensor) {
      throw new ModelLoadError(`${what} "${value.name}" is not a tensor (export without ZipMap)`);
    }
    const datatype = ORT_TO_OIP[value.type];
    if (datatype === undefined) {
      throw new ModelLoadError(`${what} "${value.name}" has type ${value.type}, which this server cannot carry`);
    }
    // Symbolic dimensions (such as the batch) are variable: -1 in OIP v2 metadata.
    const shape = value.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : -1));
    return { name: value.name, datatype, shape };
  });
}

function sameSpecs(a: readonly TensorSpec[], b: readonly TensorSpec[]): boolean {
  return JSON.stringify(a.map((t) => [t.name, t.datatype, t.shape])) === JSON.stringify(b.map((t) => [t.name, t.datatype, t.shape]));
}

/** A loaded, verified model. */
export class Model {
  private constructor(
    readonly info: ModelInfo,
    private readonly session: ort.InferenceSession,
  ) {}

  /**
   * Loads the artifact at `modelPath` and checks it against the card at `metadataPath`.
   *
   * @throws ModelLoadError when a file cannot be read, the artifact's sha256 differs from the
   *   card's, onnxruntime cannot load it, or its inputs and outputs differ from the card's.
   */
  static async load(modelPath: string, metadataPath: string, intraOpThreads = 1): Promise<Model> {
    const card = readCard(metadataPath);
    let bytes: Buffer;
    try {
      bytes = readFileSync(modelPath);
    } catch (err) {
      throw new ModelLoadError(`cannot read the model ${modelPath}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== card.sha256) {
      throw new ModelLoadError(`refusing to serve ${modelPath}: its sha256 is ${sha256}, but ${metadataPath} says ${card.sha256}`);
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'],
        intraOpNumThreads: intraOpThreads,
        interOpNumThreads: 1,
        logSeverityLevel: 3,
      });
    } catch (err) {
      throw new ModelLoadError(`onnxruntime cannot load ${modelPath}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const inputs = describe(session.inputMetadata, 'input');
    const outputs = describe(session.outputMetadata, 'output');
    const notFloat = inputs.find((input) => input.datatype !== 'FP32');
    if (notFloat) {
      await session.release();
      throw new ModelLoadError(`input "${notFloat.name}" is ${notFloat.datatype}; this server feeds FP32 inputs only`);
    }
    if ((card.inputs && !sameSpecs(card.inputs, inputs)) || (card.outputs && !sameSpecs(card.outputs, outputs))) {
      await session.release();
      throw new ModelLoadError(
        `the inputs and outputs of ${modelPath} (${JSON.stringify({ inputs, outputs })}) differ from those of ${metadataPath}`,
      );
    }
    const info: ModelInfo = {
      name: card.name,
      version: card.version,
      sha256,
      artifact: card.artifact ?? modelPath.split(/[\\/]/).pop() ?? modelPath,
      classes: card.classes ?? [],
      inputs,
      outputs,
    };
    return new Model(info, session);
  }

  /**
   * Runs the model on validated FP32 inputs and returns the requested outputs.
   *
   * @param feeds Input name to its row-major float32 data and shape, already validated.
   * @param outputNames The outputs to fetch, a subset of the model's.
   * @throws Error from onnxruntime when the run fails (the caller answers 500).
   */
  async run(feeds: ReadonlyMap<string, { data: Float32Array; shape: number[] }>, outputNames: readonly string[]): Promise<OutputTensor[]> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, { data, shape }] of feeds) {
      ortFeeds[name] = new ort.Tensor('float32', data, shape);
    }
    const results = await this.session.run(ortFeeds, [...outputNames]);
    return outputNames.map((name) => {
      const tensor = results[name];
      const datatype = ORT_TO_OIP[tensor.type];
      if (datatype === undefined) {
        throw new Error(`output "${name}" came back as ${tensor.type}`);
      }
      const raw = tensor.data;
      let data: number[] | boolean[];
      if (raw instanceof BigInt64Array) {
        // Labels and counts: far inside the exactly representable range of a JSON number.
        data = Array.from(raw, (value) => Number(value));
      } else if (datatype === 'BOOL') {
        data = Array.from(raw as Uint8Array, (value) => value !== 0);
      } else {
        data = Array.from(raw as Float32Array | Float64Array | Int32Array);
      }
      return { name, datatype, shape: tensor.dims.map(Number), data };
    });
  }

  /** Frees onnxruntime's session. */
  async close(): Promise<void> {
    await this.session.release();
  }
}
