import fc from 'fast-check';
import { ChaincodeError } from '../src/errors';
import { canonicalJson } from '../src/domain/canonical';
import { Keys, prefixRange } from '../src/domain/keys';
import { lotCount, lotSize, lotVisitOrder, startLot } from '../src/domain/lots';
import { parseRoyaltyPolicy } from '../src/domain/policy';
import type { RoyaltyPolicy } from '../src/domain/policy';
import { allocate, splitRoyalty } from '../src/domain/split';
import { assertEntitled, buildTerms, expiryFor, parseOfferingInput } from '../src/domain/terms';
import { requireAmount, requireIsoInstant } from '../src/domain/validation';

const policy = (beneficiaries: [string, number][], parents: [string, number][] = []): RoyaltyPolicy => ({
  beneficiaries: beneficiaries.map(([account, shareBps]) => ({ account, shareBps })),
  parents: parents.map(([modelId, shareBps]) => ({ modelId, shareBps })),
  resaleRoyaltyBps: 0,
});

describe('allocate', () => {
  it('gives leftover units to the largest discarded fractions, earlier parts first on ties', () => {
    expect(allocate(10n, [3333n, 3333n, 3334n], 10000n)).toEqual([3n, 3n, 4n]);
    expect(allocate(2n, [5000n, 5000n], 10000n)).toEqual([1n, 1n]);
    expect(allocate(1n, [5000n, 5000n], 10000n)).toEqual([1n, 0n]);
    expect(allocate(7n, [1n, 9999n], 10000n)).toEqual([0n, 7n]);
  });

  it('never loses or invents a unit, for any amount and weights', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 12 }),
        (amount, raw) => {
          const weights = raw.map(BigInt);
          const total = weights.reduce((sum, weight) => sum + weight, 0n);
          fc.pre(total > 0n);
          const parts = allocate(amount, weights, total);
          expect(parts.reduce((sum, part) => sum + part, 0n)).toBe(amount);
          parts.forEach((part, index) => {
            const exact = (amount * weights[index]) / total;
            expect(part === exact || part === exact + 1n).toBe(true);
          });
        },
      ),
    );
  });

  it('rejects weights that do not sum to the total', () => {
    expect(() => allocate(10n, [1n, 2n], 10n)).toThrow(RangeError);
  });
});

describe('splitRoyalty', () => {
  it('splits among beneficiaries by basis points', () => {
    const payouts = splitRoyalty(
      100n,
      'M',
      new Map([
        [
          'M',
          policy([
            ['a', 7000],
            ['b', 3000],
          ]),
        ],
      ]),
      4,
    );
    expect(payouts.map((payout) => [payout.account, payout.amount])).toEqual([
      ['a', 70n],
      ['b', 30n],
    ]);
  });

  it('passes parent shares up the lineage recursively', () => {
    const policies = new Map([
      ['child', policy([['lab', 10000]], [['base', 2000]])],
      ['base', policy([['base-owner', 10000]], [['root', 5000]])],
      ['root', policy([['root-owner', 10000]])],
    ]);
    const payouts = splitRoyalty(1000n, 'child', policies, 4);
    expect(payouts.map((payout) => [payout.account, payout.amount, payout.depth])).toEqual([
      ['lab', 800n, 0],
      ['base-owner', 100n, 1],
      ['root-owner', 100n, 2],
    ]);
  });

  it('stops at the depth bound and keeps deeper shares with the last model, even in a cycle', () => {
    const policies = new Map([
      ['a', policy([['owner-a', 10000]], [['b', 5000]])],
      ['b', policy([['owner-b', 10000]], [['a', 5000]])],
    ]);
    const payouts = splitRoyalty(1024n, 'a', policies, 3);
    // a keeps 512 and passes 512 to b; b keeps 256 and passes 256 to a; a keeps 128 and
    // passes 128 to b, which is at the bound and keeps it all. Rows merge per model and account.
    expect(payouts.map((payout) => [payout.account, payout.amount])).toEqual([
      ['owner-a', 640n],
      ['owner-b', 384n],
    ]);
  });

  it('always pays out exactly the amount it was given', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 20n }),
        fc.integer({ min: 1, max: 9999 }),
        fc.integer({ min: 0, max: 10000 }),
        (amount, first, parentShare) => {
          const policies = new Map([
            [
              'm',
              policy(
                [
                  ['x', first],
                  ['y', 10000 - first],
                ],
                parentShare > 0 ? [['p', parentShare]] : [],
              ),
            ],
            ['p', policy([['z', 10000]])],
          ]);
          const payouts = splitRoyalty(amount, 'm', policies, 4);
          expect(payouts.reduce((sum, payout) => sum + payout.amount, 0n)).toBe(amount);
        },
      ),
    );
  });
});

describe('royalty policy validation', () => {
  const lab = 'org::LabMSP';
  it('rejects shares that do not sum to 10000, naming the field', () => {
    expect(() => parseRoyaltyPolicy({ beneficiaries: [{ account: lab, shareBps: 9000 }] }, 'M')).toThrow(
      'INVALID_ARGUMENT: royaltyPolicy.beneficiaries shares must sum to 10000 basis points, not 9000',
    );
  });
  it('rejects a model that is its own parent', () => {
    expect(() =>
      parseRoyaltyPolicy({ beneficiaries: [{ account: lab, shareBps: 10000 }], parents: [{ modelId: 'M', shareBps: 10 }] }, 'M'),
    ).toThrow('INVALID_ARGUMENT: royaltyPolicy.parents[0].modelId must not be the model itself');
  });
  it('rejects a malformed beneficiary account', () => {
    expect(() => parseRoyaltyPolicy({ beneficiaries: [{ account: 'bob', shareBps: 10000 }] }, 'M')).toThrow(
      /^INVALID_ARGUMENT: royaltyPolicy.beneficiaries\[0\].account must be an account id/,
    );
  });
});

describe('terms', () => {
  const input = parseOfferingInput({
    kind: 'term',
    termSeconds: 90 * 24 * 3600,
    unitPrice: '5',
    supplyCap: '10',
    requiredAttributes: { role: 'practitioner' },
    purposes: ['research'],
  });
  const terms = buildTerms(input, 'O-1', 'M-1', 1);
  const license = { licenseId: 'L-1', holder: 'org::HospitalMSP', expiresAt: expiryFor(terms, '2026-01-01T00:00:00.000Z') };
  const caller = (mspId: string, role: string | null): Parameters<typeof assertEntitled>[2] => ({
    account: `x509::${mspId}::${'0'.repeat(64)}`,
    mspId,
    attribute: (name: string) => (name === 'role' ? role : null),
  });
  const code = (run: () => void): string => {
    try {
      run();
      return 'OK';
    } catch (error) {
      return (error as ChaincodeError).code;
    }
  };

  it('computes a term licence expiry from the purchase time, and none for metered', () => {
    expect(license.expiresAt).toBe('2026-04-01T00:00:00.000Z');
    expect(expiryFor({ ...terms, kind: 'metered', termSeconds: 0 }, '2026-01-01T00:00:00.000Z')).toBeUndefined();
  });

  it('allows use strictly before expiry and refuses it at and after expiry', () => {
    const practitioner = caller('HospitalMSP', 'practitioner');
    expect(code(() => assertEntitled(terms, license, practitioner, '2026-03-31T23:59:59.999Z', 'research'))).toBe('OK');
    expect(code(() => assertEntitled(terms, license, practitioner, '2026-04-01T00:00:00.000Z', 'research'))).toBe('LICENSE_EXPIRED');
  });

  it('requires the holder org and the attributes, unless the caller is the holder itself', () => {
    const now = '2026-01-02T00:00:00.000Z';
    expect(code(() => assertEntitled(terms, license, caller('HospitalMSP', 'engineer'), now, 'research'))).toBe('FORBIDDEN');
    expect(code(() => assertEntitled(terms, license, caller('OtherMSP', 'practitioner'), now, 'research'))).toBe('FORBIDDEN');
    expect(code(() => assertEntitled(terms, license, caller('HospitalMSP', 'practitioner'), now, 'marketing'))).toBe(
      'PURPOSE_NOT_PERMITTED',
    );
    const holder = { ...caller('HospitalMSP', null), account: 'x509::HospitalMSP::' + 'a'.repeat(64) };
    expect(code(() => assertEntitled(terms, { ...license, holder: holder.account }, holder, now, 'research'))).toBe('OK');
  });

  it('rejects a term offering without a term, naming the field', () => {
    expect(() => parseOfferingInput({ kind: 'term', unitPrice: '1', supplyCap: '1', purposes: ['x'] })).toThrow(
      'INVALID_ARGUMENT: offering.termSeconds must be an integer',
    );
  });
});

describe('lots', () => {
  it('splits units into at most the lot bound, sizes differing by at most one and summing to the units', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.integer({ min: 1, max: 256 }), (units, maxLots) => {
        const count = lotCount(units, maxLots);
        const sizes = Array.from({ length: count }, (_, index) => lotSize(units, count, index));
        expect(sizes.reduce((sum, size) => sum + size, 0n)).toBe(units);
        expect(sizes.every((size) => size >= 1n && size - sizes[sizes.length - 1] <= 1n)).toBe(true);
      }),
    );
  });

  it('starts at the hint when one is given and otherwise derives the lot from the transaction id', () => {
    expect(startLot('abc', 10, 13)).toBe(3);
    expect(startLot('abc', 10, undefined)).toBe(startLot('abc', 10, undefined));
    expect(lotVisitOrder(2, 4)).toEqual([2, 3, 0, 1]);
  });
});

describe('canonical JSON and keys', () => {
  it('writes object keys sorted at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
    expect(() => canonicalJson({ a: 1n })).toThrow(TypeError);
  });

  it('orders index keys by time and bounds ranges half-open', () => {
    const early = Keys.accessByModel('M-1', '2026-01-01T00:00:00.000Z', 'ff');
    const late = Keys.accessByModel('M-1', '2026-01-02T00:00:00.000Z', '00');
    const other = Keys.accessByModel('M-10', '2026-01-01T00:00:00.000Z', '00');
    expect(early < late).toBe(true);
    const range = prefixRange(Keys.accessesByModel('M-1'), '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z');
    expect(early >= range.start && early < range.end).toBe(true);
    expect(late < range.end).toBe(false);
    const all = prefixRange(Keys.accessesByModel('M-1'));
    expect(other >= all.start && other < all.end).toBe(false);
  });
});

describe('amount and time validation', () => {
  it.each([
    ['-1', 'must be a non-negative integer written in decimal digits'],
    ['1.5', 'must be a non-negative integer written in decimal digits'],
    ['1e3', 'must be a non-negative integer written in decimal digits'],
    ['007', 'must be a non-negative integer written in decimal digits'],
    ['0', 'must be greater than zero'],
    ['1' + '0'.repeat(31), 'must be at most 1000000000000000000000000000000'],
    ['', 'is required'],
  ])('rejects the amount %p', (value, problem) => {
    expect(() => requireAmount('amount', value, { positive: true, max: 10n ** 30n })).toThrow(`INVALID_ARGUMENT: amount ${problem}`);
  });

  it('normalises ISO instants and rejects impossible dates', () => {
    expect(requireIsoInstant('from', '2026-03-01T00:00:00Z')).toBe('2026-03-01T00:00:00.000Z');
    expect(() => requireIsoInstant('from', '2026-02-30T00:00:00Z')).toThrow('INVALID_ARGUMENT: from must be a real calendar instant');
    expect(() => requireIsoInstant('from', 'yesterday')).toThrow(/^INVALID_ARGUMENT: from must be an ISO 8601/);
  });
});
