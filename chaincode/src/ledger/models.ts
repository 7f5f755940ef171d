import { Keys, prefixRange } from '../domain/keys';
import type { KeyRange } from '../domain/keys';

/** The range of every version of a model. */
export function versionsRange(modelId: string): KeyRange {
  return prefixRange(Keys.modelVersions(modelId));
}
