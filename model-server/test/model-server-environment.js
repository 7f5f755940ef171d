/**
 * Jest's node environment, but with the host realm's typed arrays.
 *
 * Jest runs each test file in its own vm context, whose Float32Array and
 * BigInt64Array are not the host's. onnxruntime-node's native binding makes
 * output tensors with the host's typed arrays, and onnxruntime-common then
 * checks them with `instanceof` against the context's, so every inference
 * fails with "A int64 tensor's data must be type of ... BigInt64Array" under
 * jest (and only under jest). Sharing the host's constructors fixes that.
 * Used by the model-server tests through a `@jest-environment` docblock.
 */
const { TestEnvironment } = require('jest-environment-node');

const TYPED = [
  'ArrayBuffer',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class HostTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED) {
      this.global[name] = globalThis[name];
    }
  }
}

module.exports = HostTypedArraysEnvironment;
