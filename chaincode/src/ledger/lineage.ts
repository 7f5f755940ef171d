import { Limits } from '../config';
import { ChaincodeError, ErrorCode, invalidArgument } from '../errors';
import { Keys } from '../domain/keys';
import { lineageCuts } from '../domain/policy';
import type { RoyaltyPolicy } from '../domain/policy';
import type { LineageConsentRecord, ModelRecord } from '../domain/records';
import { requireModel } from './loads';
import type { Tx } from './tx';

/**
 * Loads the royalty policies of a model and its ancestors up to the lineage
 * depth bound, breadth first, for `splitRoyalty`.
 */
export async function loadLineagePolicies(tx: Tx, root: ModelRecord): Promise<Map<string, RoyaltyPolicy>> {
  const policies = new Map<string, RoyaltyPolicy>([[root.modelId, root.royaltyPolicy]]);
  let frontier: readonly RoyaltyPolicy[] = [root.royaltyPolicy];
  for (let depth = 0; depth < Limits.maxLineageDepth && frontier.length > 0; depth += 1) {
    const next: RoyaltyPolicy[] = [];
    for (const policy of frontier) {
      for (const parent of policy.parents) {
        // The bound on work per access: parents past it keep no share of their own (see splitRoyalty).
        if (!policies.has(parent.modelId) && policies.size < Limits.maxLineagePolicies) {
          const model = await requireModel(tx, parent.modelId);
          policies.set(parent.modelId, model.royaltyPolicy);
          next.push(model.royaltyPolicy);
        }
      }
    }
    frontier = next;
  }
  return policies;
}

/**
 * Saves a parent owner's consent to what a child model may pay it. The key
 * is pinned to the parent owner's org: a consent lowers what that org is
 * paid, so none commits without its own peer.
 */
export async function saveLineageConsent(tx: Tx, record: LineageConsentRecord, parentOwnerMspId: string): Promise<void> {
  await tx.putOwned(Keys.lineageConsent(record.modelId, record.parentModelId), record, parentOwnerMspId);
}

/**
 * Checks that a new royalty policy for `model` cuts no parent below what that
 * parent's owner consented to on the ledger (`ConsentLineageChange`): a child
 * cannot drop the base models it pays, or pay them less, on its own.
 *
 * @throws ChaincodeError LINEAGE_CONSENT_REQUIRED naming the parent and its owner.
 */
export async function checkLineageKept(tx: Tx, model: ModelRecord, policy: RoyaltyPolicy): Promise<void> {
  for (const cut of lineageCuts(model.royaltyPolicy, policy)) {
    const consent = await tx.get<LineageConsentRecord>(Keys.lineageConsent(model.modelId, cut.modelId));
    if (consent === undefined || consent.shareBps > cut.toBps) {
      const parent = await tx.get<ModelRecord>(Keys.model(cut.modelId));
      const allowed = consent === undefined ? 'has not consented to any cut' : `consented to no less than ${consent.shareBps}`;
      throw new ChaincodeError(
        ErrorCode.LINEAGE_CONSENT_REQUIRED,
        `model ${model.modelId} pays parent ${cut.modelId} ${cut.fromBps} basis points; ${cut.toBps === 0 ? 'dropping it' : `lowering it to ${cut.toBps}`} needs the consent of its owner ${parent?.ownerMspId ?? 'org'}, which ${allowed} (ConsentLineageChange)`,
      );
    }
  }
}

/**
 * Checks that a policy's parents exist and that none of them descends from
 * `modelId` within the lineage depth (which would be a cycle).
 *
 * @throws ChaincodeError INVALID_ARGUMENT naming the parent at fault.
 */
export async function checkParents(tx: Tx, modelId: string, policy: RoyaltyPolicy, prefix = 'royaltyPolicy'): Promise<void> {
  const lineage = new Set<string>([modelId]);
  for (const [index, parent] of policy.parents.entries()) {
    const field = `${prefix}.parents[${index}].modelId`;
    const parentModel = await requireModel(tx, parent.modelId, field);
    const ancestors = await loadLineagePolicies(tx, parentModel);
    if (ancestors.has(modelId)) {
      throw invalidArgument(field, `descends from ${modelId}, which would make the lineage a cycle`);
    }
    ancestors.forEach((_, id) => lineage.add(id));
    if (lineage.size > Limits.maxLineagePolicies || ancestors.size >= Limits.maxLineagePolicies) {
      throw invalidArgument(`${prefix}.parents`, `would make a lineage of more than ${Limits.maxLineagePolicies} models`);
    }
  }
}
