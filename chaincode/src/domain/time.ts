/**
 * Formats milliseconds since the epoch as a fixed-width ISO 8601 UTC string
 * (`2026-03-01T00:00:00.000Z`). The width is fixed for years 1970–9999, so the
 * strings sort in time order and can sit inside ledger keys.
 *
 * Deterministic: the input always comes from the transaction timestamp, never
 * from the clock.
 */
export function isoFromMillis(millis: number): string {
  return new Date(millis).toISOString();
}

/** Milliseconds since the epoch from a protobuf timestamp's seconds and nanos. */
export function millisFromTimestamp(seconds: number, nanos: number): number {
  return seconds * 1000 + Math.floor(nanos / 1_000_000);
}

/** Adds whole seconds to an ISO instant and returns the ISO result. */
export function addSeconds(iso: string, seconds: number): string {
  return isoFromMillis(Date.parse(iso) + seconds * 1000);
}
