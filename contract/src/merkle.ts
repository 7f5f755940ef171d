/**
 * The Merkle tree of a batch of accesses (issue 17): one root in the batch's
 * record on the ledger, and for each access a path that proves it is in that
 * batch, checkable by anyone holding the access, the path and the block.
 *
 * The tree is the one of RFC 6962 (Certificate Transparency), section 2.1:
 * a leaf hashes 0x00 and its bytes, an inner node 0x01 and its two children,
 * so that no leaf can pass for a node; a tree of n leaves splits at the
 * largest power of two below n, so its shape depends on n alone. Inclusion
 * paths are verified as RFC 9162 section 2.1.3.2 describes.
 */
import { createHash } from 'node:crypto';

const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** The hash of a leaf: SHA-256 of 0x00 and its bytes. */
export function leafHash(bytes: Uint8Array): Buffer {
  return sha256(LEAF, bytes);
}

/** The hash of an inner node: SHA-256 of 0x01, the left child's hash and the right one's. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(NODE, left, right);
}

/** The largest power of two strictly below n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The root over leaf hashes (not over raw leaves). @throws RangeError for an empty list. */
function rootOf(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 0) throw new RangeError('a Merkle tree needs at least one leaf');
  if (hashes.length === 1) return hashes[0];
  const k = split(hashes.length);
  return nodeHash(rootOf(hashes.slice(0, k)), rootOf(hashes.slice(k)));
}

/** The root of the tree over these leaves' bytes. @throws RangeError for no leaves. */
export function merkleRoot(leaves: readonly Uint8Array[]): Buffer {
  return rootOf(leaves.map((leaf) => leafHash(leaf)));
}

function pathOf(hashes: readonly Buffer[], index: number): Buffer[] {
  if (hashes.length === 1) return [];
  const k = split(hashes.length);
  return index < k
    ? [...pathOf(hashes.slice(0, k), index), rootOf(hashes.slice(k))]
    : [...pathOf(hashes.slice(k), index - k), rootOf(hashes.slice(0, k))];
}

/**
 * The inclusion path of leaf `index`: the sibling hashes from the leaf up to
 * the root, nearest first.
 *
 * @throws RangeError when the index is not a leaf's.
 */
export function inclusionPath(leaves: readonly Uint8Array[], index: number): Buffer[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`leaf ${index} is not in a tree of ${leaves.length}`);
  }
  return pathOf(
    leaves.map((leaf) => leafHash(leaf)),
    index,
  );
}

/** Root and every leaf's path of a subtree, built bottom-up once. */
function treeOf(hashes: readonly Buffer[]): { root: Buffer; paths: Buffer[][] } {
  if (hashes.length === 1) return { root: hashes[0], paths: [[]] };
  const k = split(hashes.length);
  const left = treeOf(hashes.slice(0, k));
  const right = treeOf(hashes.slice(k));
  return {
    root: nodeHash(left.root, right.root),
    paths: [...left.paths.map((path) => [...path, right.root]), ...right.paths.map((path) => [...path, left.root])],
  };
}

/**
 * The root and the inclusion path of every leaf at once, in O(n log n)
 * hashes and copies, where `inclusionPath` per leaf would cost O(n) each:
 * what a batch needs to hand every access its receipt.
 *
 * @throws RangeError for no leaves.
 */
export function merkleTree(leaves: readonly Uint8Array[]): { root: Buffer; paths: Buffer[][] } {
  if (leaves.length === 0) throw new RangeError('a Merkle tree needs at least one leaf');
  return treeOf(leaves.map((leaf) => leafHash(leaf)));
}

/**
 * Whether `leaf` is leaf `index` of a tree of `size` leaves whose root is
 * `root`, by the path given. False for any index, size, path or byte that
 * does not fit; never throws.
 */
export function verifyInclusion(leaf: Uint8Array, index: number, size: number, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return false;
  // Walk up from the leaf: fn is the node's index at this level, sn the last index at it.
  let fn = index;
  let sn = size - 1;
  let hash = leafHash(leaf);
  for (const sibling of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      hash = nodeHash(sibling, hash);
      // A right-most node with no sibling at a level climbs until it is a right child.
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      hash = nodeHash(hash, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.from(root).equals(hash);
}
