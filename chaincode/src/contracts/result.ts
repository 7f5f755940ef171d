import { canonicalJson } from '../domain/canonical';

/** Serialises a transaction's return value as canonical JSON. */
export function result(value: object): string {
  return canonicalJson(value);
}
