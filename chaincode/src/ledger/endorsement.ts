import { common, msp } from '@hyperledger/fabric-protos';
import { Endorsement } from '../config';

/**
 * Key-level (state-based) endorsement policies.
 *
 * A key that holds one org's value (a balance, a treasury, a licence and its
 * lots, a listing) or the issuer's supply carries a validation parameter that
 * overrides the chaincode's policy for that key. Every committing peer checks
 * it, so a write to the key is invalidated unless the owner's own peer
 * endorsed it. Fabric checks only the key-level policy for such a key, not the
 * chaincode's as well, so the policy also asks for `quorum - 1` other endorsers:
 * the owner cannot rewrite its own balance alone either.
 *
 * The policy is `OutOf(2, owner.peer, OutOf(quorum - 1, <other endorsers>.peer))`.
 * Fabric's evaluator spends each signature on one principal only, which is why
 * the others are listed without the owner.
 */

function peerPrincipal(mspId: string): msp.MSPPrincipal {
  const role = new msp.MSPRole();
  role.setMspIdentifier(mspId);
  role.setRole(msp.MSPRole.MSPRoleType.PEER);
  const principal = new msp.MSPPrincipal();
  principal.setPrincipalClassification(msp.MSPPrincipal.Classification.ROLE);
  principal.setPrincipal(role.serializeBinary());
  return principal;
}

function signedBy(index: number): common.SignaturePolicy {
  const rule = new common.SignaturePolicy();
  rule.setSignedBy(index);
  return rule;
}

function outOf(n: number, rules: common.SignaturePolicy[]): common.SignaturePolicy {
  const nOutOf = new common.SignaturePolicy.NOutOf();
  nOutOf.setN(n);
  nOutOf.setRulesList(rules);
  const rule = new common.SignaturePolicy();
  rule.setNOutOf(nOutOf);
  return rule;
}

/**
 * The serialized `SignaturePolicyEnvelope` that a key owned by `ownerMspId`
 * carries: the owner's peer and `quorum - 1` peers of the other founding
 * endorsers. An org that joins later (`Endorsement.laterMembers`) is pinned
 * the same way (its own peer and founding endorsers besides). An org that
 * runs no endorsing peer (the regulator), or that the consortium does not
 * name, could never endorse a key of its own, which would lock the key
 * forever, so its keys get no key-level policy (undefined) and stay under the
 * chaincode's majority.
 */
export function ownerPolicy(ownerMspId: string): Uint8Array | undefined {
  if (![...Endorsement.orgs, ...Endorsement.laterMembers].includes(ownerMspId as never)) {
    return undefined;
  }
  const others = Endorsement.orgs.filter((mspId) => mspId !== ownerMspId);
  const envelope = new common.SignaturePolicyEnvelope();
  envelope.setVersion(0);
  envelope.setIdentitiesList([peerPrincipal(ownerMspId), ...others.map(peerPrincipal)]);
  envelope.setRule(
    outOf(2, [
      signedBy(0),
      outOf(
        Endorsement.quorum - 1,
        others.map((_, index) => signedBy(index + 1)),
      ),
    ]),
  );
  return envelope.serializeBinary();
}

/** A decoded key policy: the owner that must endorse, and how many of which others. */
export interface KeyPolicy {
  readonly owner: string;
  readonly others: readonly string[];
  readonly othersNeeded: number;
}

/**
 * Decodes a policy written by `ownerPolicy`, for tests and audits.
 *
 * @throws Error for a policy of another shape.
 */
export function decodeOwnerPolicy(bytes: Uint8Array): KeyPolicy {
  const envelope = common.SignaturePolicyEnvelope.deserializeBinary(bytes);
  const ids = envelope
    .getIdentitiesList()
    .map((principal) => msp.MSPRole.deserializeBinary(principal.getPrincipal_asU8()).getMspIdentifier());
  const top = envelope.getRule()?.getNOutOf();
  const inner = top?.getRulesList()[1]?.getNOutOf();
  if (top === undefined || inner === undefined || top.getN() !== 2 || top.getRulesList()[0]?.getSignedBy() !== 0) {
    throw new Error('not an owner policy');
  }
  return { owner: ids[0] ?? '', others: inner.getRulesList().map((rule) => ids[rule.getSignedBy()] ?? ''), othersNeeded: inner.getN() };
}
