import fc from 'fast-check';
import type { AccessRecord, ListingRecord, ProposalRecord, PurchaseRecord, TradeRecord, TransferRecord } from '../src/domain/records';
import { X509Certificate } from 'crypto';
import { ACCESS_REQUEST_KIND, type AccessBatchRecord, type AccessRequest, type BatchResult } from '@model-ledger/contract';
import { MemberContract } from '../src';
import { TestCa, type TestUser } from './support/certs';
import { FakeFabric } from './support/fabric';
import type { FakeIdentity } from './support/fabric';
import {
  CLINIC,
  DATA_PROVIDER,
  HOSPITAL,
  LAB,
  accountOf,
  contracts,
  digest,
  meteredOffering,
  people,
  person,
  publish,
  registerModel,
  totals,
  unpinnedOwnedKeys,
} from './support/world';

type Step =
  | { readonly kind: 'mint'; readonly amount: number; readonly toPractitioner: boolean }
  | { readonly kind: 'purchase'; readonly units: number; readonly offering: number }
  | { readonly kind: 'access'; readonly license: number; readonly units: number; readonly who: number; readonly hint: number }
  | { readonly kind: 'claim'; readonly beneficiary: number; readonly waitSeconds: number }
  | { readonly kind: 'transfer'; readonly amount: number }
  | { readonly kind: 'list'; readonly license: number; readonly units: number; readonly ask: number }
  | { readonly kind: 'buy'; readonly listing: number; readonly units: number; readonly clinic: boolean }
  | { readonly kind: 'cancel'; readonly listing: number }
  | { readonly kind: 'give'; readonly license: number; readonly units: number }
  | { readonly kind: 'propose'; readonly version: boolean }
  | { readonly kind: 'vote'; readonly proposal: number; readonly who: number; readonly choice: number }
  | { readonly kind: 'execute'; readonly proposal: number; readonly waitSeconds: number }
  | { readonly kind: 'settle'; readonly license: number; readonly waitSeconds: number }
  | { readonly kind: 'policy'; readonly resaleRoyaltyBps: number; readonly parentShareBps: number }
  | { readonly kind: 'refund'; readonly access: number }
  | {
      readonly kind: 'batch';
      readonly accesses: readonly { readonly license: number; readonly units: number; readonly who: number; readonly hint: number }[];
    };

const batchStep: fc.Arbitrary<Step> = fc.record({
  kind: fc.constant('batch' as const),
  accesses: fc.array(
    fc.record({
      license: fc.nat(),
      units: fc.integer({ min: 1, max: 8 }),
      who: fc.integer({ min: 0, max: 2 }),
      hint: fc.nat({ max: 300 }),
    }),
    { minLength: 1, maxLength: 12 },
  ),
});

const step: fc.Arbitrary<Step> = fc.oneof(
  // Three times as likely as any other step: batches are what this property adds last.
  batchStep,
  batchStep,
  batchStep,
  fc.record({ kind: fc.constant('refund' as const), access: fc.nat() }),
  fc.record({
    kind: fc.constant('policy' as const),
    resaleRoyaltyBps: fc.integer({ min: 0, max: 10000 }),
    parentShareBps: fc.integer({ min: 1, max: 3000 }),
  }),
  fc.record({ kind: fc.constant('mint' as const), amount: fc.integer({ min: 1, max: 5000 }), toPractitioner: fc.boolean() }),
  fc.record({ kind: fc.constant('purchase' as const), units: fc.integer({ min: 1, max: 400 }), offering: fc.integer({ min: 0, max: 2 }) }),
  fc.record({
    kind: fc.constant('access' as const),
    license: fc.nat(),
    units: fc.integer({ min: 1, max: 5 }),
    who: fc.integer({ min: 0, max: 2 }),
    hint: fc.nat({ max: 300 }),
  }),
  fc.record({
    kind: fc.constant('claim' as const),
    beneficiary: fc.integer({ min: 0, max: 2 }),
    waitSeconds: fc.integer({ min: 0, max: 20 }),
  }),
  fc.record({ kind: fc.constant('transfer' as const), amount: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({
    kind: fc.constant('list' as const),
    license: fc.nat(),
    units: fc.integer({ min: 1, max: 60 }),
    ask: fc.integer({ min: 1, max: 30 }),
  }),
  fc.record({ kind: fc.constant('buy' as const), listing: fc.nat(), units: fc.integer({ min: 0, max: 30 }), clinic: fc.boolean() }),
  fc.record({ kind: fc.constant('cancel' as const), listing: fc.nat() }),
  fc.record({ kind: fc.constant('give' as const), license: fc.nat(), units: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('propose' as const), version: fc.boolean() }),
  fc.record({
    kind: fc.constant('vote' as const),
    proposal: fc.nat(),
    who: fc.integer({ min: 0, max: 2 }),
    choice: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({ kind: fc.constant('execute' as const), proposal: fc.nat(), waitSeconds: fc.integer({ min: 0, max: 4000 }) }),
  fc.record({ kind: fc.constant('settle' as const), license: fc.nat(), waitSeconds: fc.integer({ min: 0, max: 4000 }) }),
);

const BUSINESS_CODES =
  /^(INSUFFICIENT_FUNDS|INSUFFICIENT_UNITS|SUPPLY_EXHAUSTED|ASK_BELOW_ROYALTY|LISTING_CLOSED|UNITS_LOCKED|ALREADY_VOTED|VOTING_CLOSED|VOTING_OPEN|QUORUM_NOT_MET|PROPOSAL_REJECTED|PROPOSAL_NOT_EXECUTABLE|FORBIDDEN|CONFLICT|INVALID_ARGUMENT: payer|LINEAGE_CONSENT_REQUIRED): /;

// Batched accesses need real certificates, under a CA root the hospital registered (see batch.test.ts).
let hospitalCa: TestCa;
let certified: { admin: TestUser; users: TestUser[] };
beforeAll(() => {
  hospitalCa = TestCa.create('HospitalMSP');
  certified = {
    admin: hospitalCa.issue('hospital-admin', { role: 'admin' }),
    // Two practitioners and an engineer, whose accesses the terms refuse alone.
    users: [
      hospitalCa.issue('dr-ada', { role: 'practitioner' }),
      hospitalCa.issue('dr-grace', { role: 'practitioner' }),
      hospitalCa.issue('eng', { role: 'engineer' }),
    ],
  };
});
afterAll(() => hospitalCa.dispose());

describe('conservation under random sequences', () => {
  it('keeps supply equal to balances plus escrow plus unclaimed royalties, and sold units equal to held plus listed plus consumed, with every owned key pinned to its owner org, after every step of royalty policy changes, refunds, purchases, accesses, batches of signed accesses, claims, listings, buys, cancels, transfers, proposals, votes, executions and expiry settlements', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        const fabric = new FakeFabric();
        // Inside the certificates' validity; every step only moves the clock forward, by hours at most.
        fabric.ledger.millis = Date.parse(new X509Certificate(certified.admin.certificate).validFrom) + 3_600_000;
        await fabric.submit(certified.admin, new MemberContract(), 'RegisterOrgRoot', hospitalCa.certificate);
        let batches = 0;
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
            resaleRoyaltyBps: 1500,
          }),
        );
        await fabric.submit(
          people.labEngineer,
          contracts.models,
          'AddModelVersion',
          modelId,
          '2.0.0',
          digest('v2'),
          's3://m/v2',
          'http://serve/v2',
        );
        await fabric.submit(people.issuer, contracts.token, 'Mint', CLINIC, '50000', '');
        const offerings = [
          await publish(fabric, modelId, meteredOffering({ unitPrice: '7', supplyCap: '600' })),
          await publish(fabric, modelId, meteredOffering({ unitPrice: '13', supplyCap: '300', allowedMspIds: [] })),
          await publish(
            fabric,
            modelId,
            meteredOffering({ kind: 'term', termSeconds: 3600, unitPrice: '5', supplyCap: '400', allowedMspIds: [] }),
          ),
        ];
        const users: FakeIdentity[] = [people.practitioner, people.practitioner2, person('HospitalMSP', 'dr-3', 'practitioner')];
        const claimants: [FakeIdentity, string][] = [
          [people.labAdmin, 'org'],
          [person('BaseMSP', 'base-admin', 'admin'), 'org'],
          [people.practitioner, 'self'],
        ];
        // A first licence, so that accesses and batches have one from the first step.
        await fabric.submit(people.issuer, contracts.token, 'Mint', HOSPITAL, '2000', '');
        const first = (await fabric.submit(
          people.hospitalAdmin,
          contracts.licenses,
          'PurchaseLicense',
          offerings[0],
          '200',
          'org',
          '',
          '',
        )) as PurchaseRecord;
        const licenses: string[] = [first.licenseId];
        const accesses: string[] = [];
        const listings: string[] = [];
        const proposals: string[] = [];
        const voters: [FakeIdentity, string][] = [
          [people.hospitalAdmin, 'org'],
          [people.clinicAdmin, 'org'],
          [people.practitioner, 'self'],
        ];
        for (const current of steps) {
          try {
            switch (current.kind) {
              case 'mint':
                await fabric.submit(
                  people.issuer,
                  contracts.token,
                  'Mint',
                  current.toPractitioner ? accountOf(people.practitioner) : HOSPITAL,
                  String(current.amount),
                  '',
                );
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
                    '',
                    '',
                  )) as AccessRecord;
                  expect(record.royalties.reduce((sum, share) => sum + BigInt(share.amount), 0n)).toBe(BigInt(record.amount));
                  accesses.push(record.accessId);
                }
                break;
              case 'claim': {
                fabric.advance(current.waitSeconds);
                const [who, beneficiary] = claimants[current.beneficiary];
                await fabric.submit(who, contracts.royalties, 'ClaimRoyalties', beneficiary, '');
                break;
              }
              case 'transfer':
                await fabric.submit(
                  people.hospitalAdmin,
                  contracts.token,
                  'Transfer',
                  'org',
                  accountOf(people.practitioner),
                  String(current.amount),
                  '',
                );
                break;
              case 'list':
                if (licenses.length > 0) {
                  const listing = (await fabric.submit(
                    people.hospitalAdmin,
                    contracts.market,
                    'ListUnits',
                    licenses[current.license % licenses.length],
                    String(current.units),
                    String(current.ask),
                    '',
                  )) as ListingRecord;
                  listings.push(listing.listingId);
                }
                break;
              case 'buy':
                if (listings.length > 0) {
                  const trade = (await fabric.submit(
                    current.clinic ? people.clinicAdmin : people.practitioner,
                    contracts.market,
                    'BuyListing',
                    listings[current.listing % listings.length],
                    current.units === 0 ? '' : String(current.units),
                    current.clinic ? 'org' : 'self',
                    '',
                  )) as TradeRecord;
                  expect(BigInt(trade.royalty) + BigInt(trade.proceeds)).toBe(BigInt(trade.price));
                  licenses.push(...trade.items.map((item) => item.toLicenseId));
                }
                break;
              case 'cancel':
                if (listings.length > 0) {
                  await fabric.submit(people.hospitalAdmin, contracts.market, 'CancelListing', listings[current.listing % listings.length]);
                }
                break;
              case 'give':
                if (licenses.length > 0) {
                  const transfer = (await fabric.submit(
                    people.hospitalAdmin,
                    contracts.market,
                    'TransferUnits',
                    licenses[current.license % licenses.length],
                    String(current.units),
                    accountOf(people.practitioner),
                    '',
                  )) as TransferRecord;
                  licenses.push(transfer.toLicenseId);
                }
                break;
              case 'propose': {
                const change = current.version
                  ? { kind: 'activateVersion', version: '2.0.0' }
                  : { kind: 'setPrice', offeringId: offerings[0], unitPrice: '9' };
                const proposal = (await fabric.submit(
                  people.labAdmin,
                  contracts.governance,
                  'CreateProposal',
                  modelId,
                  JSON.stringify(change),
                  'A change',
                  '3600',
                  'org',
                )) as ProposalRecord;
                proposals.push(proposal.proposalId);
                break;
              }
              case 'vote':
                if (proposals.length > 0) {
                  const [who, voter] = voters[current.who];
                  await fabric.submit(
                    who,
                    contracts.governance,
                    'CastVote',
                    proposals[current.proposal % proposals.length],
                    ['yes', 'no', 'abstain'][current.choice],
                    voter,
                  );
                }
                break;
              case 'execute':
                if (proposals.length > 0) {
                  fabric.advance(current.waitSeconds);
                  await fabric.submit(
                    people.clinicAdmin,
                    contracts.governance,
                    'ExecuteProposal',
                    proposals[current.proposal % proposals.length],
                  );
                }
                break;
              case 'refund':
                if (accesses.length > 0) {
                  await fabric.submit(
                    people.labEngineer,
                    contracts.licenses,
                    'RefundAccess',
                    accesses[current.access % accesses.length],
                    'the model failed',
                  );
                }
                break;
              case 'batch':
                if (licenses.length > 0) {
                  batches += 1;
                  const signedAt = new Date(fabric.ledger.millis).toISOString();
                  const input = {
                    certificates: certified.users.map((u) => u.certificate),
                    accesses: current.accesses.map((a, i) => {
                      const request: AccessRequest = {
                        kind: ACCESS_REQUEST_KIND,
                        mspId: 'HospitalMSP',
                        licenseId: licenses[a.license % licenses.length],
                        units: String(a.units),
                        purpose: 'research',
                        requestHash: digest(`batch-${batches}-${i}`),
                        requestId: `b${batches}-${i}`,
                        signedAt,
                      };
                      return { certificate: a.who, request, signature: certified.users[a.who].signRequest(request), lotHint: a.hint };
                    }),
                  };
                  const result = (await fabric.submit(
                    certified.users[0],
                    contracts.licenses,
                    'RecordAccessBatch',
                    JSON.stringify(input),
                  )) as BatchResult;
                  const stored =
                    result.recorded === 0
                      ? undefined
                      : ((await fabric.evaluate(
                          people.regulator,
                          contracts.licenses,
                          'GetAccessBatch',
                          result.batchId,
                        )) as AccessBatchRecord);
                  for (const outcome of result.outcomes) {
                    if (outcome.status === 'recorded') {
                      const access = stored?.accesses[outcome.position];
                      expect(access?.accessId).toBe(outcome.accessId);
                      expect(access?.royalties.reduce((sum, share) => sum + BigInt(share.amount), 0n)).toBe(BigInt(access?.amount ?? -1));
                      accesses.push(outcome.accessId);
                    } else if (outcome.status === 'refused') {
                      // Refused alone: what a single access would meet, or an expired term licence.
                      expect(outcome.message).toMatch(outcome.code === 'LICENSE_EXPIRED' ? /^LICENSE_EXPIRED: / : BUSINESS_CODES);
                    }
                  }
                }
                break;
              case 'policy':
                // The owner changes the resale rate (licences sold keep theirs) and the base's share (a cut is refused).
                await fabric.submit(
                  people.labAdmin,
                  contracts.models,
                  'SetRoyaltyPolicy',
                  modelId,
                  JSON.stringify({
                    beneficiaries: [
                      { account: LAB, shareBps: 6667 },
                      { account: DATA_PROVIDER, shareBps: 3333 },
                    ],
                    parents: [{ modelId: baseId, shareBps: current.parentShareBps }],
                    resaleRoyaltyBps: current.resaleRoyaltyBps,
                  }),
                );
                break;
              case 'settle':
                if (licenses.length > 0) {
                  fabric.advance(current.waitSeconds);
                  await fabric.submit(
                    people.clinicAdmin,
                    contracts.licenses,
                    'SettleExpiredLicense',
                    licenses[current.license % licenses.length],
                  );
                }
                break;
            }
          } catch (error) {
            expect((error as Error).message).toMatch(BUSINESS_CODES);
          }
          const now = totals(fabric);
          expect(now.supply).toBe(now.balances + now.escrow + now.unclaimed);
          expect(now.sold).toBe(now.held + now.listed + now.consumed);
          expect(unpinnedOwnedKeys(fabric)).toEqual([]);
          for (const [key, row] of fabric.ledger.state) {
            const proposal = key.startsWith('prop/') ? (JSON.parse(new TextDecoder().decode(row.value)) as ProposalRecord) : undefined;
            if (proposal?.tally !== undefined) {
              expect(BigInt(proposal.tally.yes) + BigInt(proposal.tally.no) + BigInt(proposal.tally.abstain)).toBeLessThanOrEqual(
                BigInt(proposal.eligibleUnits),
              );
            }
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
