import { Keys, prefixRange } from '../domain/keys';
import type { KeyRange } from '../domain/keys';
import type { ModelRecord, ModelVersionRecord } from '../domain/records';
import type { Tx } from './tx';

/** The range of every version of a model. */
export function versionsRange(modelId: string): KeyRange {
  return prefixRange(Keys.modelVersions(modelId));
}

/** Writes a model's header (its active version, royalty and governance policy). */
export async function writeModel(tx: Tx, model: ModelRecord): Promise<void> {
  await tx.put(Keys.model(model.modelId), model);
}

/** Writes one immutable version of a model. */
export async function saveModelVersion(tx: Tx, version: ModelVersionRecord): Promise<void> {
  await tx.put(Keys.modelVersion(version.modelId, version.version), version);
}
