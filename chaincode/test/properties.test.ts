import fc from 'fast-check';
import type { AccessRecord, PurchaseRecord } from '../src/domain/records';
import { FakeFabric } from './support/fabric';
import type { FakeIdentity } from './support/fabric';
import { DATA_PROVIDER, HOSPITAL, LAB, accountOf, contracts, digest, meteredOffering, people, person, publish, registerModel, totals } from './support/world';

type Step =
  | { readonly kind: 'mint'; readonly amount: number; readonly toPractitioner: boolean }
  | { readonly kind: 'purchase'; readonly units: number; readonly offering: number }
  | { readonly kind: 'access'; readonly license: number; readonly units: number; readonly who: number; readonly hint: number }
  | { readonly kind: 'claim'; readonly beneficiary: number; readonly waitSeconds: number }
  | { readonly kind: 'transfer'; readonly amount: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('mint' as const), amount: fc.integer({ min: 1, max: 5000 }), toPractitioner: fc.boolean() }),
  fc.record({ kind: fc.constant('purchase' as const), units: fc.integer({ min: 1, max: 400 }), offering: fc.integer({ min: 0, max: 1 }) }),
  fc.record({
    kind: fc.constant('access' as const),
    license: fc.nat(),
    units: fc.integer({ min: 1, max: 5 }),
    who: fc.integer({ min: 0, max: 2 }),
    hint: fc.nat({ max: 300 }),
  }),
  fc.record({ kind: fc.constant('claim' as const), beneficiary: fc.integer({ min: 0, max: 2 }), waitSeconds: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ kind: fc.constant('transfer' as const), amount: fc.integer({ min: 1, max: 3000 }) }),
);

const BUSINESS_CODES = /^(INSUFFICIENT_FUNDS|INSUFFICIENT_UNITS|SUPPLY_EXHAUSTED): /;

describe('conservation under random sequences', () => {
  it('keeps supply equal to balances plus escrow plus unclaimed royalties, and sold units equal to held plus consumed, after every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const fabric = new FakeFabric();
        const baseId = await registerModel(
          fabric,
          JSON.stringify({ beneficiaries: [{ account: 'org::BaseMSP', shareBps: 10000 }] }),
          person('BaseMSP', 'base-admin', 'admin'),
        );
        const modelId = await registerModel(
          fabric,
          JSON.stringify({
            beneficiaries: [
              { account: LAB, shareBps: 6667 },
              { account: DATA_PROVIDER, shareBps: 3333 },
            ],
            parents: [{ modelId: baseId, shareBps: 1111 }],
          }),
        );
        const offerings = [
          await publish(fabric, modelId, meteredOffering({ unitPrice: '7', supplyCap: '600' })),
          await publish(fabric, modelId, meteredOffering({ unitPrice: '13', supplyCap: '300', allowedMspIds: [] })),
        ];
        const users: FakeIdentity[] = [people.practitioner, people.practitioner2, person('HospitalMSP', 'dr-3', 'practitioner')];
        const claimants: [FakeIdentity, string][] = [
          [people.labAdmin, 'org'],
          [person('BaseMSP', 'base-admin', 'admin'), 'org'],
          [people.practitioner, 'self'],
        ];
        const licenses: string[] = [];
        for (const current of steps) {
          try {
            switch (current.kind) {
              case 'mint':
                await fabric.submit(people.issuer, contracts.token, 'Mint', current.toPractitioner ? accountOf(people.practitioner) : HOSPITAL, String(current.amount));
                break;
              case 'purchase': {
                const purchase = (await fabric.submit(
                  people.hospitalAdmin,
                  contracts.licenses,
                  'PurchaseLicense',
                  offerings[current.offering],
                  String(current.units),
                  'org',
                  '',
                )) as PurchaseRecord;
                licenses.push(purchase.licenseId);
                break;
              }
              case 'access':
                if (licenses.length > 0) {
                  const record = (await fabric.submit(
                    users[current.who],
                    contracts.licenses,
                    'RecordAccess',
                    licenses[current.license % licenses.length],
                    String(current.units),
                    'research',
                    digest(String(current.hint)),
                    String(current.hint),
                  )) as AccessRecord;
                  expect(record.royalties.reduce((sum, share) => sum + BigInt(share.amount), 0n)).toBe(BigInt(record.amount));
                }
                break;
              case 'claim': {
                fabric.advance(current.waitSeconds);
                const [who, beneficiary] = claimants[current.beneficiary];
                await fabric.submit(who, contracts.royalties, 'ClaimRoyalties', beneficiary, '');
                break;
              }
              case 'transfer':
                await fabric.submit(people.hospitalAdmin, contracts.token, 'Transfer', 'org', accountOf(people.practitioner), String(current.amount));
                break;
            }
          } catch (error) {
            expect((error as Error).message).toMatch(BUSINESS_CODES);
          }
          const now = totals(fabric);
          expect(now.supply).toBe(now.balances + now.escrow + now.unclaimed);
          expect(now.sold).toBe(now.held + now.listed + now.consumed);
        }
      }),
      { numRuns: 40 },
    );
  });
});
