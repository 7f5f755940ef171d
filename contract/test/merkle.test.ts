/**
 * The batch Merkle tree (src/merkle.ts): roots of known shapes computed by
 * hand from the RFC 6962 definition, and for random batches, every leaf's
 * path verifies while any changed byte, index, size, path or root fails.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { inclusionPath, leafHash, merkleRoot, merkleTree, nodeHash, verifyInclusion } from '../src/merkle';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('the batch Merkle tree', () => {
  it('hashes leaves and nodes apart, and splits at the largest power of two below the size', () => {
    const [a, b, c] = ['a', 'b', 'c'].map(bytes);
    expect(leafHash(a)).toEqual(
      createHash('sha256')
        .update(Buffer.from([0]))
        .update(a)
        .digest(),
    );
    expect(merkleRoot([a])).toEqual(leafHash(a));
    expect(merkleRoot([a, b])).toEqual(nodeHash(leafHash(a), leafHash(b)));
    // Three leaves: ((a b) c), not (a (b c)).
    expect(merkleRoot([a, b, c])).toEqual(nodeHash(nodeHash(leafHash(a), leafHash(b)), leafHash(c)));
    // A leaf whose bytes are two hashes is not the node over them.
    expect(merkleRoot([Buffer.concat([leafHash(a), leafHash(b)])])).not.toEqual(merkleRoot([a, b]));
    expect(() => merkleRoot([])).toThrow(RangeError);
    expect(() => inclusionPath([a], 1)).toThrow(RangeError);
  });

  it('proves every leaf of any batch, and nothing else', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 40 }), { minLength: 1, maxLength: 70 }),
        fc.nat(),
        fc.nat(),
        (leaves, pick, flip) => {
          const root = merkleRoot(leaves);
          const size = leaves.length;
          for (let i = 0; i < size; i++) {
            expect(verifyInclusion(leaves[i], i, size, inclusionPath(leaves, i), root)).toBe(true);
          }
          const index = pick % size;
          const path = inclusionPath(leaves, index);
          const leaf = Buffer.from(leaves[index]);
          // Any changed byte of the access.
          if (leaf.length > 0) {
            const changed = Buffer.from(leaf);
            changed[flip % changed.length] ^= 0x01;
            expect(verifyInclusion(changed, index, size, path, root)).toBe(false);
          }
          // Bytes appended, another position, a size too small, a changed or shortened path, another root.
          expect(verifyInclusion(Buffer.concat([leaf, Buffer.from([0])]), index, size, path, root)).toBe(false);
          if (size > 1 && !leaves.some((other, j) => j !== index && Buffer.from(other).equals(leaf))) {
            expect(verifyInclusion(leaf, (index + 1) % size, size, path, root)).toBe(false);
          }
          // (The size is bound by the root: a path of a 3-leaf tree also walks a 4-leaf tree's shape for leaf 0,
          // but the 4-leaf tree has another root. So only a size the index cannot be in is refused outright.)
          expect(verifyInclusion(leaf, size, size, path, root)).toBe(false);
          if (path.length > 0) {
            const bent = path.map((p) => Buffer.from(p));
            bent[flip % bent.length][0] ^= 0x80;
            expect(verifyInclusion(leaf, index, size, bent, root)).toBe(false);
            expect(verifyInclusion(leaf, index, size, path.slice(0, -1), root)).toBe(false);
          }
          const otherRoot = Buffer.from(root);
          otherRoot[0] ^= 0x01;
          expect(verifyInclusion(leaf, index, size, path, otherRoot)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('builds every path at once exactly as one path at a time', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 12 }), { minLength: 1, maxLength: 70 }), (leaves) => {
        const tree = merkleTree(leaves);
        expect(tree.root).toEqual(merkleRoot(leaves));
        expect(tree.paths).toEqual(leaves.map((_, i) => inclusionPath(leaves, i)));
      }),
      { numRuns: 100 },
    );
    expect(() => merkleTree([])).toThrow(RangeError);
  });

  it('keeps paths short: at most the ceiling of log2 of the size', () => {
    const leaves = Array.from({ length: 1000 }, (_, i) => bytes(String(i)));
    for (const i of [0, 1, 511, 512, 999]) expect(inclusionPath(leaves, i).length).toBeLessThanOrEqual(10);
  });
});
