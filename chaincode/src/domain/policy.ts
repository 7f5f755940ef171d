import { Limits } from '../config';
import { invalidArgument } from '../errors';
import { requireAccountId, requireArray, requireId, requireInteger, requireObject } from './validation';
export type { Beneficiary, ParentShare, RoyaltyPolicy } from '@model-ledger/contract';
import type { Beneficiary, ParentShare, RoyaltyPolicy } from '@model-ledger/contract';

/** Shares are in basis points; 10 000 is the whole. */
export const BASIS_POINTS = 10_000n;

/**
 * Validates an untrusted royalty policy object (field `royaltyPolicy`).
 * Checks shapes, shares and duplicates; it does not check that parent models
 * exist, which needs the ledger.
 *
 * @throws ChaincodeError INVALID_ARGUMENT naming the field at fault.
 */
export function parseRoyaltyPolicy(raw: unknown, selfModelId: string | undefined): RoyaltyPolicy {
  const field = 'royaltyPolicy';
  const input = requireObject(field, raw);
  const rawBeneficiaries = requireArray(`${field}.beneficiaries`, input.beneficiaries, Limits.maxBeneficiaries);
  if (rawBeneficiaries.length === 0) {
    throw invalidArgument(`${field}.beneficiaries`, 'must name at least one beneficiary');
  }
  const beneficiaries = rawBeneficiaries.map((entry, index): Beneficiary => {
    const item = requireObject(`${field}.beneficiaries[${index}]`, entry);
    return {
      account: requireAccountId(`${field}.beneficiaries[${index}].account`, item.account),
      shareBps: requireInteger(`${field}.beneficiaries[${index}].shareBps`, item.shareBps, 1, 10_000),
    };
  });
  if (new Set(beneficiaries.map((b) => b.account)).size !== beneficiaries.length) {
    throw invalidArgument(`${field}.beneficiaries`, 'must not name an account twice');
  }
  const beneficiaryTotal = beneficiaries.reduce((sum, b) => sum + b.shareBps, 0);
  if (beneficiaryTotal !== 10_000) {
    throw invalidArgument(`${field}.beneficiaries`, `shares must sum to 10000 basis points, not ${beneficiaryTotal}`);
  }
  const rawParents = input.parents === undefined ? [] : requireArray(`${field}.parents`, input.parents, Limits.maxParents);
  const parents = rawParents.map((entry, index): ParentShare => {
    const item = requireObject(`${field}.parents[${index}]`, entry);
    const modelId = requireId(`${field}.parents[${index}].modelId`, item.modelId);
    if (modelId === selfModelId) {
      throw invalidArgument(`${field}.parents[${index}].modelId`, 'must not be the model itself');
    }
    return { modelId, shareBps: requireInteger(`${field}.parents[${index}].shareBps`, item.shareBps, 1, 10_000) };
  });
  if (new Set(parents.map((p) => p.modelId)).size !== parents.length) {
    throw invalidArgument(`${field}.parents`, 'must not name a model twice');
  }
  const parentTotal = parents.reduce((sum, p) => sum + p.shareBps, 0);
  if (parentTotal > 10_000) {
    throw invalidArgument(`${field}.parents`, `shares must sum to at most 10000 basis points, not ${parentTotal}`);
  }
  const resaleRoyaltyBps =
    input.resaleRoyaltyBps === undefined ? 0 : requireInteger(`${field}.resaleRoyaltyBps`, input.resaleRoyaltyBps, 0, 10_000);
  return { beneficiaries, parents, resaleRoyaltyBps };
}

/** A parent whose share a new policy lowers (to 0 when it drops the parent). */
export interface LineageCut {
  readonly modelId: string;
  readonly fromBps: number;
  readonly toBps: number;
}

/**
 * The parents a policy change cuts: every parent of `before` whose share in
 * `after` is lower, or that `after` drops. Adding parents and raising shares
 * cuts nothing; a lineage only grows unless the parent's owner consents.
 */
export function lineageCuts(before: RoyaltyPolicy, after: RoyaltyPolicy): LineageCut[] {
  const next = new Map(after.parents.map((parent) => [parent.modelId, parent.shareBps]));
  return before.parents
    .map((parent) => ({ modelId: parent.modelId, fromBps: parent.shareBps, toBps: next.get(parent.modelId) ?? 0 }))
    .filter((cut) => cut.toBps < cut.fromBps);
}
