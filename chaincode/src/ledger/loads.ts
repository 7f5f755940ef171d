import { invalidArgument, notFound } from '../errors';
import { Keys } from '../domain/keys';
import type { LicenseRecord, ModelRecord, ModelVersionRecord, OfferingRecord, TermsSnapshot } from '../domain/records';
import type { Tx } from './tx';

/**
 * Loads of ledger documents shared by the contracts. `require*` loads throw
 * NOT_FOUND (for the asset a query names) or, with a field name, INVALID_ARGUMENT
 * (for an unknown id passed to a write).
 */

async function load<T>(tx: Tx, key: string, kind: string, id: string, field?: string): Promise<T> {
  const value = await tx.get<T>(key);
  if (value === undefined) {
    throw field === undefined ? notFound(kind, id) : invalidArgument(field, `refers to no ${kind} (${id})`);
  }
  return value;
}

/** Loads a model. */
export function requireModel(tx: Tx, modelId: string, field?: string): Promise<ModelRecord> {
  return load<ModelRecord>(tx, Keys.model(modelId), 'model', modelId, field);
}

/** Loads a model version. */
export function requireModelVersion(tx: Tx, modelId: string, version: string, field?: string): Promise<ModelVersionRecord> {
  return load<ModelVersionRecord>(tx, Keys.modelVersion(modelId, version), 'model version', `${modelId}@${version}`, field);
}

/** Loads an offering. */
export function requireOffering(tx: Tx, offeringId: string, field?: string): Promise<OfferingRecord> {
  return load<OfferingRecord>(tx, Keys.offering(offeringId), 'offering', offeringId, field);
}

/** Loads a terms snapshot by key. */
export function requireTerms(tx: Tx, termsKey: string): Promise<TermsSnapshot> {
  return load<TermsSnapshot>(tx, termsKey, 'terms snapshot', termsKey);
}

/** Loads a licence. */
export function requireLicense(tx: Tx, licenseId: string, field?: string): Promise<LicenseRecord> {
  return load<LicenseRecord>(tx, Keys.license(licenseId), 'licence', licenseId, field);
}
