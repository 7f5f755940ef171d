import { canonicalJson } from '../domain/canonical';

/**
 * Serialises a transaction's return value as canonical JSON. Name the answer's
 * type from `@model-ledger/contract` (`result<LicenseView>(...)`), so that the
 * clients' decoding and the chaincode's answer are one declaration.
 */
export function result<T extends object>(value: T): string {
  return canonicalJson(value);
}

/** `result` for a transaction that reads nothing asynchronously: the contract API still wants a promise. */
export function resolved<T extends object>(value: T): Promise<string> {
  return Promise.resolve(result(value));
}
