/**
 * Terms that are frozen stay frozen: the resale royalty rate a holder pays is
 * fixed when the units are first bought, a child model cannot cut the parents
 * it pays without their owners' consent, and a proposal's turnout is measured
 * against a base that bounds it.
 */
import type { LineageConsentRecord, ModelRecord, ProposalRecord, PurchaseRecord, TradeRecord } from '../src/domain/records';
import { FakeFabric } from './support/fabric';
import {
  CLINIC,
  DATA_PROVIDER,
  HOSPITAL,
  LAB,
  buy,
  contracts,
  meteredOffering,
  mint,
  people,
  publish,
  registerModel,
  expectConserved,
} from './support/world';

const HOSPITAL_TREASURY = HOSPITAL;

function policyWith(resaleRoyaltyBps: number, parents: { modelId: string; shareBps: number }[] = []): string {
  return JSON.stringify({
    beneficiaries: [
      { account: LAB, shareBps: 7000 },
      { account: DATA_PROVIDER, shareBps: 3000 },
    ],
    parents,
    resaleRoyaltyBps,
  });
}

describe('a frozen resale royalty rate', () => {
  it('charges the rate of the purchase after the owner raises it to 100 %, and the new rate only on units bought after', async () => {
    const fabric = new FakeFabric();
    const modelId = await registerModel(fabric, policyWith(1000));
    const offeringId = await publish(fabric, modelId, meteredOffering({ allowedMspIds: ['HospitalMSP', 'ClinicMSP'] }));
    await mint(fabric, HOSPITAL, '100000');
    await mint(fabric, CLINIC, '100000');
    const before = await buy(fabric, offeringId, '10');
    const listing = (await fabric.submit(people.hospitalAdmin, contracts.market, 'ListUnits', before.licenseId, '10', '20', '')) as {
      listingId: string;
      items: { resaleRoyaltyBps: number }[];
    };
    expect(listing.items[0].resaleRoyaltyBps).toBe(1000);
    await fabric.submit(people.labAdmin, contracts.models, 'SetRoyaltyPolicy', modelId, policyWith(10000));
    const trade = (await fabric.submit(
      people.clinicAdmin,
      contracts.market,
      'BuyListing',
      listing.listingId,
      '',
      'org',
      '',
    )) as TradeRecord;
    // 10 % of the 200 paid, not all of it: the seller keeps 180.
    expect(trade).toMatchObject({ price: '200', royalty: '20', proceeds: '180' });
    expect(trade.items[0].resaleRoyaltyBps).toBe(1000);
    // The buyer's licence carries the frozen rate on to its own resale.
    const bought = (await fabric.evaluate(people.clinicAdmin, contracts.licenses, 'GetLicense', trade.items[0].toLicenseId)) as {
      license: { resaleRoyaltyBps: number };
    };
    expect(bought.license.resaleRoyaltyBps).toBe(1000);
    const after = await buy(fabric, offeringId, '10');
    const later = (await fabric.evaluate(people.hospitalAdmin, contracts.licenses, 'GetLicense', after.licenseId)) as {
      license: { resaleRoyaltyBps: number };
    };
    expect(later.license.resaleRoyaltyBps).toBe(10000);
    expectConserved(fabric);
  });
});

describe('an append-only lineage', () => {
  async function family(fabric: FakeFabric): Promise<{ parentId: string; childId: string }> {
    const parentId = await registerModel(fabric, policyWith(0), people.baseAdmin);
    const childId = await registerModel(fabric, policyWith(0, [{ modelId: parentId, shareBps: 2000 }]));
    return { parentId, childId };
  }

  it('refuses a child dropping or lowering its parent without consent, and changes nothing', async () => {
    const fabric = new FakeFabric();
    const { parentId, childId } = await family(fabric);
    const before = fabric.ledger.snapshot();
    await expect(fabric.submit(people.labAdmin, contracts.models, 'SetRoyaltyPolicy', childId, policyWith(0))).rejects.toThrow(
      /^LINEAGE_CONSENT_REQUIRED: model .* pays parent .* 2000 basis points; dropping it needs the consent of its owner BaseMSP/,
    );
    await expect(
      fabric.submit(people.labAdmin, contracts.models, 'SetRoyaltyPolicy', childId, policyWith(0, [{ modelId: parentId, shareBps: 1999 }])),
    ).rejects.toThrow(/^LINEAGE_CONSENT_REQUIRED: .*lowering it to 1999/);
    expect(fabric.ledger.snapshot()).toEqual(before);
  });

  it('lets a child add parents and raise shares on its own', async () => {
    const fabric = new FakeFabric();
    const { parentId, childId } = await family(fabric);
    const otherId = await registerModel(fabric, policyWith(0), people.baseAdmin);
    const raised = policyWith(0, [
      { modelId: parentId, shareBps: 2500 },
      { modelId: otherId, shareBps: 100 },
    ]);
    const updated = (await fabric.submit(people.labAdmin, contracts.models, 'SetRoyaltyPolicy', childId, raised)) as ModelRecord;
    expect(updated.royaltyPolicy.parents).toEqual([
      { modelId: parentId, shareBps: 2500 },
      { modelId: otherId, shareBps: 100 },
    ]);
  });

  it('lets the parent owner consent to a cut, which the child may then make, and no deeper', async () => {
    const fabric = new FakeFabric();
    const { parentId, childId } = await family(fabric);
    await expect(fabric.submit(people.labAdmin, contracts.models, 'ConsentLineageChange', childId, parentId, '0')).rejects.toThrow(
      /^FORBIDDEN: only BaseMSP may/,
    );
    const consent = (await fabric.submit(
      people.baseAdmin,
      contracts.models,
      'ConsentLineageChange',
      childId,
      parentId,
      '500',
    )) as LineageConsentRecord;
    expect(consent).toMatchObject({ docType: 'lineageConsent', modelId: childId, parentModelId: parentId, shareBps: 500 });
    expect(fabric.ledger.events.some((event) => event.name === 'LineageChangeConsented' && event.txId === consent.txId)).toBe(true);
    await expect(fabric.submit(people.labAdmin, contracts.models, 'SetRoyaltyPolicy', childId, policyWith(0))).rejects.toThrow(
      /^LINEAGE_CONSENT_REQUIRED: .*consented to no less than 500/,
    );
    const cut = (await fabric.submit(
      people.labAdmin,
      contracts.models,
      'SetRoyaltyPolicy',
      childId,
      policyWith(0, [{ modelId: parentId, shareBps: 500 }]),
    )) as ModelRecord;
    expect(cut.royaltyPolicy.parents).toEqual([{ modelId: parentId, shareBps: 500 }]);
  });

  it('refuses a consent for a model that does not pay that parent, or a share above the current one', async () => {
    const fabric = new FakeFabric();
    const { parentId, childId } = await family(fabric);
    await expect(fabric.submit(people.baseAdmin, contracts.models, 'ConsentLineageChange', parentId, childId, '0')).rejects.toThrow(
      /^FORBIDDEN: /,
    );
    const strangerId = await registerModel(fabric, policyWith(0));
    await expect(fabric.submit(people.baseAdmin, contracts.models, 'ConsentLineageChange', strangerId, parentId, '0')).rejects.toThrow(
      /^INVALID_ARGUMENT: parentModelId/,
    );
    await expect(fabric.submit(people.baseAdmin, contracts.models, 'ConsentLineageChange', childId, parentId, '2001')).rejects.toThrow(
      /^INVALID_ARGUMENT: shareBps/,
    );
  });

  it('refuses a governance proposal that would cut a parent without consent', async () => {
    const fabric = new FakeFabric();
    const { childId } = await family(fabric);
    const change = JSON.stringify({ kind: 'setRoyaltyPolicy', royaltyPolicy: JSON.parse(policyWith(0)) as unknown });
    await expect(
      fabric.submit(people.labAdmin, contracts.governance, 'CreateProposal', childId, change, 'Drop the base', '3600', 'org'),
    ).rejects.toThrow(/^LINEAGE_CONSENT_REQUIRED: /);
  });
});

describe('a governance quorum on one base', () => {
  it('decides turnout against the units sold at closing, so votes with units bought after the proposal opened never exceed 100 %', async () => {
    const fabric = new FakeFabric();
    const modelId = await registerModel(fabric);
    const offeringId = await publish(fabric, modelId, meteredOffering({ allowedMspIds: ['HospitalMSP', 'ClinicMSP'] }));
    await mint(fabric, HOSPITAL_TREASURY, '100000');
    await mint(fabric, CLINIC, '100000');
    await buy(fabric, offeringId, '10');
    const proposal = (await fabric.submit(
      people.labAdmin,
      contracts.governance,
      'CreateProposal',
      modelId,
      JSON.stringify({ kind: 'setPrice', offeringId, unitPrice: '12' }),
      'x',
      '3600',
      'org',
    )) as ProposalRecord;
    expect(proposal.eligibleUnits).toBe('10');
    // 90 more units are bought while the vote is open, and all 100 vote.
    (await fabric.submit(people.clinicAdmin, contracts.licenses, 'PurchaseLicense', offeringId, '90', 'org', '', '')) as PurchaseRecord;
    await fabric.submit(people.hospitalAdmin, contracts.governance, 'CastVote', proposal.proposalId, 'yes', 'org');
    await fabric.submit(people.clinicAdmin, contracts.governance, 'CastVote', proposal.proposalId, 'no', 'org');
    fabric.advance(3601);
    const closed = (await fabric.submit(people.clinicAdmin, contracts.governance, 'CloseProposal', proposal.proposalId)) as ProposalRecord;
    expect(closed.eligibleUnits).toBe('100');
    const tally = closed.tally ?? { yes: '0', no: '0', abstain: '0' };
    expect(BigInt(tally.yes) + BigInt(tally.no) + BigInt(tally.abstain)).toBeLessThanOrEqual(BigInt(closed.eligibleUnits));
    expect(closed.state).toBe('rejected');
  });
});
