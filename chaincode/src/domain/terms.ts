import { Limits } from '../config';
import { ChaincodeError, ErrorCode, invalidArgument } from '../errors';
import { canonicalJson, sha256Hex } from './canonical';
import { mspOfAccount } from './identity';
import { addSeconds } from './time';
import {
  requireArray,
  requireBoolean,
  requireChoice,
  requireInteger,
  requireMspId,
  requireObject,
  requirePositiveAmount,
  requireText,
  requireUnits,
} from './validation';
export type { OfferingKind, LicenseTerms, Metering } from '@model-ledger/contract';
import type { OfferingKind, LicenseTerms, Metering } from '@model-ledger/contract';

/** The kinds of offering. */
export const OFFERING_KINDS: readonly OfferingKind[] = ['metered', 'term'];

/** How accesses may be recorded; an offering that says nothing lets its accesses be batched. */
export const METERINGS: readonly Metering[] = ['batch', 'single'];

/** The longest term a term offering may grant: ten years. */
export const MAX_TERM_SECONDS = 10 * 366 * 24 * 3600;

/** The commercial part of an offering as published, before ids are attached. */
export interface OfferingInput {
  readonly kind: OfferingKind;
  readonly unitPrice: bigint;
  readonly supplyCap: bigint;
  readonly termSeconds: number;
  readonly transferable: boolean;
  readonly requiredAttributes: Readonly<Record<string, string>>;
  readonly allowedMspIds: readonly string[];
  readonly purposes: readonly string[];
  readonly metering: Metering;
}

const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
const PURPOSE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Validates an untrusted offering object (field `offering`).
 *
 * @throws ChaincodeError INVALID_ARGUMENT naming the field at fault.
 */
export function parseOfferingInput(raw: unknown): OfferingInput {
  const input = requireObject('offering', raw);
  const kind = requireChoice('offering.kind', input.kind, OFFERING_KINDS);
  const termSeconds = kind === 'term' ? requireInteger('offering.termSeconds', input.termSeconds, 1, MAX_TERM_SECONDS) : 0;
  if (kind === 'metered' && input.termSeconds !== undefined && input.termSeconds !== 0) {
    throw invalidArgument('offering.termSeconds', 'applies only to term offerings');
  }
  const attributes = requireObject('offering.requiredAttributes', input.requiredAttributes ?? {});
  const attributeNames = Object.keys(attributes);
  if (attributeNames.length > Limits.maxListEntries) {
    throw invalidArgument('offering.requiredAttributes', `must have at most ${Limits.maxListEntries} entries`);
  }
  const requiredAttributes: Record<string, string> = {};
  for (const name of attributeNames.sort()) {
    if (!ATTRIBUTE_NAME.test(name)) {
      throw invalidArgument('offering.requiredAttributes', `has a bad attribute name ${JSON.stringify(name)}`);
    }
    requiredAttributes[name] = requireText(`offering.requiredAttributes.${name}`, attributes[name], Limits.maxNameLength);
  }
  const allowedMspIds = requireArray('offering.allowedMspIds', input.allowedMspIds ?? [], Limits.maxListEntries).map((entry, index) =>
    requireMspId(`offering.allowedMspIds[${index}]`, entry),
  );
  const purposes = requireArray('offering.purposes', input.purposes, Limits.maxListEntries).map((entry, index) => {
    const purpose = requireText(`offering.purposes[${index}]`, entry, 64);
    if (!PURPOSE.test(purpose)) {
      throw invalidArgument(`offering.purposes[${index}]`, 'must be lower-case letters, digits, ".", "_" or "-"');
    }
    return purpose;
  });
  if (purposes.length === 0) {
    throw invalidArgument('offering.purposes', 'must permit at least one purpose');
  }
  return {
    kind,
    unitPrice: requirePositiveAmount('offering.unitPrice', input.unitPrice),
    supplyCap: requireUnits('offering.supplyCap', input.supplyCap),
    termSeconds,
    transferable: requireBoolean('offering.transferable', input.transferable ?? false),
    requiredAttributes,
    allowedMspIds: [...new Set(allowedMspIds)].sort(),
    purposes: [...new Set(purposes)].sort(),
    metering: requireChoice('offering.metering', input.metering ?? 'batch', METERINGS),
  };
}

/** Builds the immutable terms snapshot for an offering. */
export function buildTerms(input: OfferingInput, offeringId: string, modelId: string, version: number): LicenseTerms {
  return {
    offeringId,
    modelId,
    version,
    kind: input.kind,
    unitPrice: input.unitPrice.toString(),
    termSeconds: input.termSeconds,
    transferable: input.transferable,
    requiredAttributes: input.requiredAttributes,
    allowedMspIds: input.allowedMspIds,
    purposes: input.purposes,
    metering: input.metering,
  };
}

/** Whether terms let accesses be batched: only terms that say so (terms frozen before batching say nothing). */
export function mayBatch(terms: LicenseTerms): boolean {
  return terms.metering === 'batch';
}

/** The sha256 of the terms' canonical JSON; licences carry it so anyone can verify their terms. */
export function termsHash(terms: LicenseTerms): string {
  return sha256Hex(canonicalJson({ ...terms }));
}

/** When a licence bought at `purchasedAt` under `terms` expires, or undefined if it never does. */
export function expiryFor(terms: LicenseTerms, purchasedAt: string): string | undefined {
  return terms.kind === 'term' ? addSeconds(purchasedAt, terms.termSeconds) : undefined;
}

/** True if an account may hold a licence under these terms (the MSP allowlist). */
export function mayHold(terms: LicenseTerms, holderAccount: string): boolean {
  return terms.allowedMspIds.length === 0 || terms.allowedMspIds.includes(mspOfAccount(holderAccount));
}

/** Who is asking to use a licence. */
export interface AccessCaller {
  readonly account: string;
  readonly mspId: string;
  /** Reads one certificate attribute, or null if absent. */
  readonly attribute: (name: string) => string | null;
}

/** What the entitlement check needs to know about the licence. */
export interface AccessSubject {
  readonly licenseId: string;
  readonly holder: string;
  readonly expiresAt?: string;
}

/**
 * Decides whether a caller may use a licence now for a purpose. The caller is
 * entitled if it is the holder itself, or a member of the holder's org that
 * carries every required certificate attribute. A term licence is usable
 * strictly before its expiry. Units left are checked separately (lots).
 *
 * @throws ChaincodeError FORBIDDEN, LICENSE_EXPIRED or PURPOSE_NOT_PERMITTED.
 */
export function assertEntitled(terms: LicenseTerms, license: AccessSubject, caller: AccessCaller, now: string, purpose: string): void {
  if (caller.account !== license.holder) {
    if (caller.mspId !== mspOfAccount(license.holder)) {
      throw new ChaincodeError(
        ErrorCode.FORBIDDEN,
        `licence ${license.licenseId} is held by another organisation; callers from ${caller.mspId} may not use it`,
      );
    }
    for (const [name, value] of Object.entries(terms.requiredAttributes)) {
      if (caller.attribute(name) !== value) {
        throw new ChaincodeError(ErrorCode.FORBIDDEN, `licence ${license.licenseId} requires the certificate attribute ${name}=${value}`);
      }
    }
  }
  if (license.expiresAt !== undefined && now >= license.expiresAt) {
    throw new ChaincodeError(ErrorCode.LICENSE_EXPIRED, `licence ${license.licenseId} expired at ${license.expiresAt}`);
  }
  if (!terms.purposes.includes(purpose)) {
    throw new ChaincodeError(
      ErrorCode.PURPOSE_NOT_PERMITTED,
      `licence ${license.licenseId} permits ${terms.purposes.join(', ')}, not ${purpose}`,
    );
  }
}
