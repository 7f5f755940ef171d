/**
 * The one serialisation of a value the chaincode writes: every peer must write
 * identical bytes, and anyone holding a record can recompute the bytes a
 * transaction wrote for it (the gateway API's proofs compare the two).
 */
/**
 * Serialises a value as JSON with object keys sorted at every depth and
 * `undefined` members dropped, so that every peer writes identical bytes.
 * Amounts must already be decimal strings.
 *
 * @throws TypeError if the value holds a non-finite number, a bigint, a
 * function or a symbol, none of which has one canonical JSON form.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new TypeError('canonicalJson cannot encode a non-finite number');
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  }
  if (typeof value !== 'object') {
    throw new TypeError(`canonicalJson cannot encode a ${typeof value}`);
  }
  const record = value as Readonly<Record<string, unknown>>;
  const members = Object.keys(record)
    .sort()
    .filter((key) => record[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${members.join(',')}}`;
}
