import { Limits } from '../config';
import { invalidArgument } from '../errors';
import { ACCOUNT_ID_PATTERN, MSP_ID_PATTERN } from './identity';

/**
 * Input validation for transaction arguments. Every function either returns
 * the parsed value or throws INVALID_ARGUMENT naming the field, before the
 * transaction writes anything.
 */

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const DECIMAL_PATTERN = /^(0|[1-9][0-9]*)$/;
const URI_PATTERN = /^[a-z][a-z0-9+.-]*:\/\/[^\s]+$/;
const HTTP_URL_PATTERN = /^https?:\/\/[^\s/]+(\/[^\s]*)?$/;
const ISO_INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
// Matching control characters is the point: text fields refuse them.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Requires a non-empty string without control characters, at most `maxLength` long. */
export function requireText(field: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw invalidArgument(field, 'is required');
  }
  if (value.length > maxLength) {
    throw invalidArgument(field, `must be at most ${maxLength} characters`);
  }
  if (CONTROL_CHARS.test(value)) {
    throw invalidArgument(field, 'must not contain control characters');
  }
  return value;
}

/** Requires an id: 1–64 of letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export function requireId(field: string, value: unknown): string {
  const text = requireText(field, value, 64);
  if (!ID_PATTERN.test(text)) {
    throw invalidArgument(field, 'must be 1-64 letters, digits, ".", "_" or "-"');
  }
  return text;
}

/** Requires a lower-case hex sha256 digest. */
export function requireSha256(field: string, value: unknown): string {
  const text = requireText(field, value, 64);
  if (!SHA256_PATTERN.test(text)) {
    throw invalidArgument(field, 'must be a sha256 digest of 64 lower-case hex characters');
  }
  return text;
}

/** Requires an absolute URI such as `s3://bucket/model.onnx` or `https://host/x`. */
export function requireUri(field: string, value: unknown): string {
  const text = requireText(field, value, Limits.maxUriLength);
  if (!URI_PATTERN.test(text)) {
    throw invalidArgument(field, 'must be an absolute URI');
  }
  return text;
}

/** Requires an http(s) URL, the Open Inference Protocol endpoint of a version. */
export function requireHttpUrl(field: string, value: unknown): string {
  const text = requireText(field, value, Limits.maxUriLength);
  if (!HTTP_URL_PATTERN.test(text)) {
    throw invalidArgument(field, 'must be an http or https URL');
  }
  return text;
}

/** Requires an account id (see `identity.ts`). */
export function requireAccountId(field: string, value: unknown): string {
  const text = requireText(field, value, 160);
  if (!ACCOUNT_ID_PATTERN.test(text)) {
    throw invalidArgument(field, 'must be an account id such as org::<mspId> or x509::<mspId>::<sha256>');
  }
  return text;
}

/** Requires an MSP id. */
export function requireMspId(field: string, value: unknown): string {
  const text = requireText(field, value, 64);
  if (!MSP_ID_PATTERN.test(text)) {
    throw invalidArgument(field, 'must be an MSP id');
  }
  return text;
}

/**
 * Parses a non-negative integer amount written as a decimal string. Rejects
 * signs, fractions, exponents, leading zeros and values above `max`.
 */
export function requireAmount(field: string, value: unknown, options: { readonly positive: boolean; readonly max: bigint }): bigint {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidArgument(field, 'is required');
  }
  if (!DECIMAL_PATTERN.test(value)) {
    throw invalidArgument(field, 'must be a non-negative integer written in decimal digits');
  }
  if (value.length > options.max.toString().length) {
    throw invalidArgument(field, `must be at most ${options.max}`);
  }
  const amount = BigInt(value);
  if (amount > options.max) {
    throw invalidArgument(field, `must be at most ${options.max}`);
  }
  if (options.positive && amount === 0n) {
    throw invalidArgument(field, 'must be greater than zero');
  }
  return amount;
}

/** Parses a positive number of licence units. */
export function requireUnits(field: string, value: unknown): bigint {
  return requireAmount(field, value, { positive: true, max: Limits.maxUnits });
}

/** Parses a positive payment-token amount. */
export function requirePositiveAmount(field: string, value: unknown): bigint {
  return requireAmount(field, value, { positive: true, max: Limits.maxAmount });
}

/** Requires an integer number within [min, max] (JSON numbers in structured arguments). */
export function requireInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw invalidArgument(field, 'must be an integer');
  }
  if (value < min || value > max) {
    throw invalidArgument(field, `must be between ${min} and ${max}`);
  }
  return value;
}

/** Requires a boolean; accepts JSON booleans and the strings `true` / `false`. */
export function requireBoolean(field: string, value: unknown): boolean {
  if (value === true || value === 'true') {
    return true;
  }
  if (value === false || value === 'false') {
    return false;
  }
  throw invalidArgument(field, 'must be true or false');
}

/** Requires one of a fixed set of strings. */
export function requireChoice<T extends string>(field: string, value: unknown, choices: readonly T[]): T {
  const match = choices.find((choice) => choice === value);
  if (match === undefined) {
    throw invalidArgument(field, `must be one of ${choices.join(', ')}`);
  }
  return match;
}

/** Parses a JSON argument; the result is still untrusted and must be validated. */
export function requireJson(field: string, value: unknown): unknown {
  const text = requireText(field, value, 64 * 1024);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalidArgument(field, 'must be valid JSON');
  }
}

const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/;

/** Requires one PEM certificate (its lines of base64 between the BEGIN and END lines), at most 8 KiB. */
export function requirePemCertificate(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length > 8192 || !PEM_CERTIFICATE.test(value)) {
    throw invalidArgument(field, 'must be one PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----), at most 8 KiB');
  }
  return value;
}

/** Requires a plain JSON object. */
export function requireObject(field: string, value: unknown): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(field, 'must be a JSON object');
  }
  return value as Readonly<Record<string, unknown>>;
}

/** Requires a JSON array of at most `maxEntries` entries. */
export function requireArray(field: string, value: unknown, maxEntries: number): readonly unknown[] {
  if (!Array.isArray(value)) {
    throw invalidArgument(field, 'must be a JSON array');
  }
  if (value.length > maxEntries) {
    throw invalidArgument(field, `must have at most ${maxEntries} entries`);
  }
  return value;
}

/** Parses a strict ISO 8601 UTC instant and returns it with milliseconds (`...00.000Z`). */
export function requireIsoInstant(field: string, value: unknown): string {
  const text = requireText(field, value, 30);
  if (!ISO_INSTANT_PATTERN.test(text) || Number.isNaN(Date.parse(text))) {
    throw invalidArgument(field, 'must be an ISO 8601 UTC instant such as 2026-03-01T00:00:00Z');
  }
  const normalised = new Date(Date.parse(text)).toISOString();
  if (normalised.slice(0, 19) !== text.slice(0, 19)) {
    throw invalidArgument(field, 'must be a real calendar instant');
  }
  return normalised;
}

/** Like `requireIsoInstant`, but an empty string means "unbounded" and yields undefined. */
export function optionalIsoInstant(field: string, value: unknown): string | undefined {
  return value === '' || value === undefined ? undefined : requireIsoInstant(field, value);
}

/** Parses a page size; an empty string means the default. */
export function requirePageSize(field: string, value: unknown): number {
  if (value === '' || value === undefined) {
    return Limits.defaultPageSize;
  }
  if (typeof value !== 'string' || !DECIMAL_PATTERN.test(value)) {
    throw invalidArgument(field, `must be an integer between 1 and ${Limits.maxPageSize}`);
  }
  return requireInteger(field, Number(value), 1, Limits.maxPageSize);
}

/** Parses an optional non-negative integer written in decimal; empty means undefined. */
export function optionalIndex(field: string, value: unknown): number | undefined {
  if (value === '' || value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string' || !DECIMAL_PATTERN.test(value) || value.length > 9) {
    throw invalidArgument(field, 'must be a non-negative integer below 10^9');
  }
  return Number(value);
}

/** Requires a bookmark returned by an earlier page; empty means the first page. */
export function requireBookmark(field: string, value: unknown): string {
  if (value === '' || value === undefined) {
    return '';
  }
  if (typeof value !== 'string' || value.length > 1024) {
    throw invalidArgument(field, 'must be a bookmark returned by an earlier page');
  }
  return value;
}
