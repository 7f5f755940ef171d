import { BASIS_POINTS } from './policy';
import type { RoyaltyPolicy } from './policy';

/**
 * Splits `amount` into parts proportional to `weights` (which must sum to
 * `total`) without losing a unit.
 *
 * Remainder rule (largest remainder, Hamilton's method): every part first gets
 * `floor(amount * weight / total)`. The units left over, always fewer than the
 * number of parts, go one each to the parts with the largest discarded
 * fraction `(amount * weight) mod total`; ties go to the earlier part in the
 * list. The result sums to `amount` exactly and depends only on the inputs.
 *
 * @throws RangeError if the weights are negative or do not sum to `total`.
 */
export function allocate(amount: bigint, weights: readonly bigint[], total: bigint): bigint[] {
  if (amount < 0n) {
    throw new RangeError('allocate needs a non-negative amount');
  }
  if (weights.some((weight) => weight < 0n) || weights.reduce((sum, weight) => sum + weight, 0n) !== total) {
    throw new RangeError('allocate needs non-negative weights that sum to the total');
  }
  const parts = weights.map((weight) => (amount * weight) / total);
  const remainders = weights.map((weight) => (amount * weight) % total);
  let leftover = amount - parts.reduce((sum, part) => sum + part, 0n);
  const order = weights
    .map((_, index) => index)
    .sort((a, b) => {
      const byRemainder = remainders[b] - remainders[a];
      return byRemainder > 0n ? 1 : byRemainder < 0n ? -1 : a - b;
    });
  for (const index of order) {
    if (leftover === 0n) {
      break;
    }
    parts[index] += 1n;
    leftover -= 1n;
  }
  return parts;
}

/** One royalty payment to one beneficiary, attributed to the model whose policy paid it. */
export interface Payout {
  /** The beneficiary's account id. */
  readonly account: string;
  /** Amount in the payment token's smallest unit. */
  readonly amount: bigint;
  /** The model whose policy named this beneficiary. */
  readonly modelId: string;
  /** 0 for the accessed model, 1 for its parents, and so on. */
  readonly depth: number;
}

/**
 * Splits a royalty along a model's policy and, recursively, its lineage.
 *
 * At each model, the parents' shares (basis points of what reaches this model)
 * are taken first and passed up to each parent's own policy; what is left, the
 * own share, is split among the beneficiaries by their basis points. Both
 * steps use `allocate`, so no unit is lost. At `maxDepth` the recursion stops:
 * parent shares are ignored and the whole amount stays with that model's
 * beneficiaries. A parent whose policy is not in `policies` (the loader stops
 * at `Limits.maxLineagePolicies` models, breadth first) is treated the same
 * way: its share stays with its child. Payouts to the same account from the
 * same model are merged; zero payouts are dropped. The payouts always sum to
 * `amount`.
 *
 * @param policies the policies of the model and of the ancestors loaded within `maxDepth`.
 * @throws Error if the accessed model's own policy is missing (a loader bug).
 */
export function splitRoyalty(amount: bigint, modelId: string, policies: ReadonlyMap<string, RoyaltyPolicy>, maxDepth: number): Payout[] {
  const merged = new Map<string, Payout>();
  const visit = (part: bigint, id: string, depth: number): void => {
    const policy = policies.get(id);
    if (policy === undefined) {
      throw new Error(`royalty policy of model ${id} was not loaded`);
    }
    const parents = depth < maxDepth ? policy.parents.filter((parent) => policies.has(parent.modelId)) : [];
    const parentWeights = parents.map((parent) => BigInt(parent.shareBps));
    const ownWeight = BASIS_POINTS - parentWeights.reduce((sum, weight) => sum + weight, 0n);
    const stage = allocate(part, [...parentWeights, ownWeight], BASIS_POINTS);
    const own = stage[stage.length - 1];
    const shares = allocate(
      own,
      policy.beneficiaries.map((beneficiary) => BigInt(beneficiary.shareBps)),
      BASIS_POINTS,
    );
    policy.beneficiaries.forEach((beneficiary, index) => {
      const key = `${id}\n${beneficiary.account}`;
      const previous = merged.get(key);
      merged.set(key, {
        account: beneficiary.account,
        amount: (previous?.amount ?? 0n) + shares[index],
        modelId: id,
        depth: previous?.depth ?? depth,
      });
    });
    parents.forEach((parent, index) => {
      if (stage[index] > 0n) {
        visit(stage[index], parent.modelId, depth + 1);
      }
    });
  };
  visit(amount, modelId, 0);
  return [...merged.values()].filter((payout) => payout.amount > 0n);
}
