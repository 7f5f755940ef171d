import type { ListingRecord, PurchaseRecord, TradeRecord, TransferRecord } from '../src/domain/records';
import { FakeFabric } from './support/fabric';
import {
  CLINIC,
  DATA_PROVIDER,
  HOSPITAL,
  LAB,
  access,
  accountOf,
  buy,
  contracts,
  expectConserved,
  meteredOffering,
  mint,
  people,
  publish,
  registerModel,
} from './support/world';

/** A model with a 10% resale royalty, a transferable offering open to the hospital and the clinic, 100 units bought by the hospital. */
async function market(
  fabric: FakeFabric,
  overrides: Record<string, unknown> = {},
  policy?: string,
): Promise<{ modelId: string; offeringId: string; purchase: PurchaseRecord }> {
  const modelId = await registerModel(fabric, policy);
  const offeringId = await publish(fabric, modelId, meteredOffering({ allowedMspIds: ['HospitalMSP', 'ClinicMSP'], ...overrides }));
  await mint(fabric, HOSPITAL, '100000');
  await mint(fabric, CLINIC, '100000');
  const purchase = await buy(fabric, offeringId, '100');
  return { modelId, offeringId, purchase };
}

async function list(fabric: FakeFabric, licenseId: string, units: string, ask: string, reserved = ''): Promise<ListingRecord> {
  return (await fabric.submit(people.hospitalAdmin, contracts.market, 'ListUnits', licenseId, units, ask, reserved)) as ListingRecord;
}

async function balance(fabric: FakeFabric, account: string): Promise<bigint> {
  return BigInt(((await fabric.evaluate(people.regulator, contracts.token, 'GetBalance', account)) as { amount: string }).amount);
}

async function unclaimed(fabric: FakeFabric, account: string): Promise<bigint> {
  return BigInt(
    ((await fabric.evaluate(people.regulator, contracts.royalties, 'GetAccruedRoyalties', account)) as { unclaimed: string }).unclaimed,
  );
}

describe('listing units', () => {
  it('locks listed units out of the licence so they cannot be both used and sold', async () => {
    const fabric = new FakeFabric();
    const { purchase } = await market(fabric);
    const listing = await list(fabric, purchase.licenseId, '40', '12');
    expect(listing).toMatchObject({ seller: HOSPITAL, status: 'open', bundle: false, askUnitPrice: '12' });
    expect(listing.items[0]).toMatchObject({ licenseId: purchase.licenseId, units: '40', remaining: '40', unitPrice: '10' });
    const license = (await fabric.evaluate(people.hospitalAdmin, contracts.licenses, 'GetLicense', purchase.licenseId)) as Record<
      string,
      string
    >;
    expect(license).toMatchObject({ remainingUnits: '60', movedUnits: '40', consumedUnits: '0', escrow: '600' });
    await expect(access(fabric, purchase.licenseId, people.practitioner, '61')).rejects.toThrow(/^INSUFFICIENT_UNITS: /);
    expect(fabric.ledger.events.at(-1)).toMatchObject({ name: 'ListingCreated', payload: listing });
    expectConserved(fabric);
  });

  it('refuses to list units of a licence whose terms forbid transfer, and changes nothing', async () => {
    const fabric = new FakeFabric();
    const { purchase } = await market(fabric, { transferable: false });
    const before = fabric.ledger.snapshot();
    await expect(list(fabric, purchase.licenseId, '1', '12')).rejects.toThrow(/^NOT_TRANSFERABLE: /);
    expect(fabric.ledger.snapshot()).toEqual(before);
  });

  it('refuses a listing by anyone but the holder, and more units than are left', async () => {
    const fabric = new FakeFabric();
    const { purchase } = await market(fabric);
    const before = fabric.ledger.snapshot();
    await expect(fabric.submit(people.hospitalEngineer, contracts.market, 'ListUnits', purchase.licenseId, '1', '12', '')).rejects.toThrow(
      /^FORBIDDEN: /,
    );
    await expect(fabric.submit(people.clinicAdmin, contracts.market, 'ListUnits', purchase.licenseId, '1', '12', '')).rejects.toThrow(
      /^FORBIDDEN: /,
    );
    await expect(list(fabric, purchase.licenseId, '101', '12')).rejects.toThrow(/^INSUFFICIENT_UNITS: /);
    expect(fabric.ledger.snapshot()).toEqual(before);
  });

  it('refuses an asking price that cannot cover the resale royalty charged on the escrow', async () => {
    const fabric = new FakeFabric();
    const policy = JSON.stringify({ beneficiaries: [{ account: LAB, shareBps: 10000 }], resaleRoyaltyBps: 5000 });
    const { purchase } = await market(fabric, {}, policy);
    const before = fabric.ledger.snapshot();
    // Escrow is 10 a unit, so one unit pays at least ceil(10 × 50%) = 5 of royalty.
    await expect(list(fabric, purchase.licenseId, '5', '4')).rejects.toThrow(/^ASK_BELOW_ROYALTY: /);
    await expect(list(fabric, purchase.licenseId, '5', '0')).rejects.toThrow(/^INVALID_ARGUMENT: askUnitPrice/);
    expect(fabric.ledger.snapshot()).toEqual(before);
  });
});

describe('buying a listing', () => {
  it('pays the seller, pays exactly the resale royalty along the policy, and gives the buyer usable units with frozen terms', async () => {
    const fabric = new FakeFabric();
    const { modelId, purchase } = await market(fabric);
    const listing = await list(fabric, purchase.licenseId, '40', '12');
    const trade = (await fabric.submit(
      people.clinicAdmin,
      contracts.market,
      'BuyListing',
      listing.listingId,
      '25',
      'org',
      '',
    )) as TradeRecord;
    expect(trade).toMatchObject({ seller: HOSPITAL, buyer: CLINIC, price: '300', royalty: '30', proceeds: '270' });
    expect(trade.royalties).toEqual([
      { account: LAB, amount: '21', modelId, depth: 0 },
      { account: DATA_PROVIDER, amount: '9', modelId, depth: 0 },
    ]);
    expect(await balance(fabric, CLINIC)).toBe(100000n - 300n);
    expect(await unclaimed(fabric, LAB)).toBe(21n);
    expect(await unclaimed(fabric, DATA_PROVIDER)).toBe(9n);
    expect(await unclaimed(fabric, HOSPITAL)).toBe(270n);
    const bought = (await fabric.evaluate(people.clinicAdmin, contracts.licenses, 'GetLicense', trade.items[0].toLicenseId)) as {
      license: { holder: string; termsHash: string; termsKey: string; unitPrice: string };
      remainingUnits: string;
      escrow: string;
    };
    expect(bought.license).toMatchObject({ holder: CLINIC, termsHash: purchase.termsHash, unitPrice: '10' });
    expect(bought).toMatchObject({ remainingUnits: '25', escrow: '250' });
    const record = await access(fabric, trade.items[0].toLicenseId, people.clinicPractitioner, '2');
    expect(record).toMatchObject({ holder: CLINIC, amount: '20', callerMspId: 'ClinicMSP' });
    const left = (await fabric.evaluate(people.regulator, contracts.market, 'GetListing', listing.listingId)) as ListingRecord;
    expect(left).toMatchObject({ status: 'open' });
    expect(left.items[0].remaining).toBe('15');
    expect(fabric.ledger.events.some((event) => event.name === 'ListingPurchased' && event.txId === trade.txId)).toBe(true);
    expectConserved(fabric);
  });

  it('charges the resale royalty on the escrow when the price declared is lower', async () => {
    const fabric = new FakeFabric();
    const { purchase } = await market(fabric);
    const listing = await list(fabric, purchase.licenseId, '10', '2');
    const trade = (await fabric.submit(
      people.clinicAdmin,
      contracts.market,
      'BuyListing',
      listing.listingId,
      '',
      'org',
      '',
    )) as TradeRecord;
    expect(trade).toMatchObject({ price: '20', royalty: '10', proceeds: '10' });
    expect(trade.items[0]).toMatchObject({ escrow: '100', royaltyBase: '100', resaleRoyaltyBps: 1000 });
    expect(((await fabric.evaluate(people.regulator, contracts.market, 'GetListing', listing.listingId)) as ListingRecord).status).toBe(
      'sold',
    );
    expect(
      await fabric.evaluate(people.regulator, contracts.market, 'ListOpenListingsByModel', trade.items[0].modelId, '', ''),
    ).toMatchObject({ records: [] });
    expectConserved(fabric);
  });

  it('refuses buyers outside the frozen allowlist, the seller itself, a reserved listing and too many units, changing nothing', async () => {
    const fabric = new FakeFabric();
    const { purchase } = await market(fabric, { allowedMspIds: ['HospitalMSP'] });
    await mint(fabric, CLINIC, '1000');
    await mint(fabric, LAB, '1000');
    const listing = await list(fabric, purchase.licenseId, '10', '12');
    const reserved = await list(fabric, purchase.licenseId, '10', '12', 'BaseMSP');
    const before = fabric.ledger.snapshot();
    await expect(fabric.submit(people.clinicAdmin, contracts.market, 'BuyListing', listing.listingId, '1', 'org', '')).rejects.toThrow(
      /^FORBIDDEN: licence terms/,
    );
    await expect(fabric.submit(people.hospitalAdmin, contracts.market, 'BuyListing', listing.listingId, '1', 'org', '')).rejects.toThrow(
      /^INVALID_ARGUMENT: payer/,
    );
    await expect(fabric.submit(people.labAdmin, contracts.market, 'BuyListing', reserved.listingId, '1', 'org', '')).rejects.toThrow(
      /^FORBIDDEN: listing .* is reserved for BaseMSP/,
    );
    await expect(fabric.submit(people.practitioner, contracts.market, 'BuyListing', listing.listingId, '11', 'self', '')).rejects.toThrow(
      /^INSUFFICIENT_UNITS: /,
    );
    await expect(fabric.submit(people.practitioner, contracts.market, 'BuyListing', listing.listingId, '1', 'self', '')).rejects.toThrow(
      /^INSUFFICIENT_FUNDS: /,
    );
    await expect(fabric.submit(people.clinicAdmin, contracts.market, 'BuyListing', 'LS-missing', '1', 'org', '')).rejects.toThrow(
      /^LISTING_NOT_FOUND: /,
    );
    expect(fabric.ledger.snapshot()).toEqual(before);
  });

  it('commits concurrent buys of different listings of one seller without a conflict', async () => {
    const fabric = new FakeFabric();
    const { purchase } = await market(fabric);
    const first = await list(fabric, purchase.licenseId, '10', '12');
    const second = await list(fabric, purchase.licenseId, '10', '12');
    await mint(fabric, accountOf(people.practitioner), '1000');
    const endorsements = [
      await fabric.endorse(people.clinicAdmin, contracts.market, 'BuyListing', [first.listingId, '', 'org', '']),
      await fabric.endorse(people.practitioner, contracts.market, 'BuyListing', [second.listingId, '', 'self', '']),
    ];
    expect(endorsements.map((endorsement) => endorsement.commit())).toEqual(['VALID', 'VALID']);
    expect(await unclaimed(fabric, HOSPITAL)).toBe(2n * (120n - 12n));
    expectConserved(fabric);
  });
});

describe('cancelling a listing', () => {
  it('returns the unsold units and their escrow to the licence', async () => {
    const fabric = new FakeFabric();
    const { purchase } = await market(fabric);
    const listing = await list(fabric, purchase.licenseId, '40', '12');
    await fabric.submit(people.clinicAdmin, contracts.market, 'BuyListing', listing.listingId, '25', 'org', '');
    const cancelled = (await fabric.submit(people.hospitalAdmin, contracts.market, 'CancelListing', listing.listingId)) as ListingRecord;
    expect(cancelled.status).toBe('cancelled');
    expect(fabric.ledger.events.at(-1)).toMatchObject({
      name: 'ListingCancelled',
      payload: { returned: [{ licenseId: purchase.licenseId, units: '15' }] },
    });
    const license = (await fabric.evaluate(people.hospitalAdmin, contracts.licenses, 'GetLicense', purchase.licenseId)) as Record<
      string,
      string
    >;
    expect(license).toMatchObject({ remainingUnits: '75', movedUnits: '25', consumedUnits: '0', escrow: '750' });
    expectConserved(fabric);
    const before = fabric.ledger.snapshot();
    await expect(fabric.submit(people.hospitalAdmin, contracts.market, 'CancelListing', listing.listingId)).rejects.toThrow(
      /^LISTING_CLOSED: /,
    );
    await expect(fabric.submit(people.clinicAdmin, contracts.market, 'BuyListing', listing.listingId, '1', 'org', '')).rejects.toThrow(
      /^LISTING_CLOSED: /,
    );
    expect(fabric.ledger.snapshot()).toEqual(before);
  });

  it('lets only the seller cancel', async () => {
    const fabric = new FakeFabric();
    const { purchase } = await market(fabric);
    const listing = await list(fabric, purchase.licenseId, '40', '12');
    const before = fabric.ledger.snapshot();
    await expect(fabric.submit(people.clinicAdmin, contracts.market, 'CancelListing', listing.listingId)).rejects.toThrow(/^FORBIDDEN: /);
    expect(fabric.ledger.snapshot()).toEqual(before);
  });
});

describe('transferring units', () => {
  it('moves units free of charge to another account of the same org, with their escrow and frozen terms', async () => {
    const fabric = new FakeFabric();
    const { purchase } = await market(fabric);
    const transfer = (await fabric.submit(
      people.hospitalAdmin,
      contracts.market,
      'TransferUnits',
      purchase.licenseId,
      '5',
      accountOf(people.practitioner),
      '',
    )) as TransferRecord;
    expect(transfer).toMatchObject({ from: HOSPITAL, to: accountOf(people.practitioner), units: '5', escrow: '50' });
    const received = (await fabric.evaluate(people.practitioner, contracts.licenses, 'GetLicense', transfer.toLicenseId)) as {
      license: { termsHash: string };
      remainingUnits: string;
    };
    expect(received).toMatchObject({ license: { termsHash: purchase.termsHash }, remainingUnits: '5' });
    expect(fabric.ledger.events.at(-1)).toMatchObject({ name: 'UnitsTransferred', payload: transfer });
    expectConserved(fabric);
  });

  it('refuses a free transfer to another org, which must go through a listing, and changes nothing', async () => {
    const fabric = new FakeFabric();
    const { purchase } = await market(fabric);
    const before = fabric.ledger.snapshot();
    await expect(
      fabric.submit(people.hospitalAdmin, contracts.market, 'TransferUnits', purchase.licenseId, '5', CLINIC, ''),
    ).rejects.toThrow(/^TRANSFER_RESTRICTED: /);
    expect(fabric.ledger.snapshot()).toEqual(before);
  });

  it('refuses to transfer units of a non-transferable licence', async () => {
    const fabric = new FakeFabric();
    const { purchase } = await market(fabric, { transferable: false });
    const before = fabric.ledger.snapshot();
    await expect(
      fabric.submit(people.hospitalAdmin, contracts.market, 'TransferUnits', purchase.licenseId, '5', accountOf(people.practitioner), ''),
    ).rejects.toThrow(/^NOT_TRANSFERABLE: /);
    expect(fabric.ledger.snapshot()).toEqual(before);
  });
});

describe('bundles', () => {
  it('sells units of several licences together, all or nothing, splitting the price by escrow', async () => {
    const fabric = new FakeFabric();
    const { modelId, purchase } = await market(fabric);
    const otherOffering = await publish(fabric, modelId, meteredOffering({ unitPrice: '30', allowedMspIds: ['HospitalMSP', 'ClinicMSP'] }));
    const second = await buy(fabric, otherOffering, '10');
    const items = JSON.stringify([
      { licenseId: purchase.licenseId, units: '10' },
      { licenseId: second.licenseId, units: '10' },
    ]);
    const listing = (await fabric.submit(people.hospitalAdmin, contracts.market, 'ListBundle', items, '800', '')) as ListingRecord;
    expect(listing).toMatchObject({ bundle: true, askPrice: '800' });
    await expect(fabric.submit(people.clinicAdmin, contracts.market, 'BuyListing', listing.listingId, '5', 'org', '')).rejects.toThrow(
      /^INVALID_ARGUMENT: units/,
    );
    const trade = (await fabric.submit(
      people.clinicAdmin,
      contracts.market,
      'BuyListing',
      listing.listingId,
      '',
      'org',
      '',
    )) as TradeRecord;
    expect(trade).toMatchObject({ price: '800', royalty: '80', proceeds: '720' });
    expect(trade.items.map((item) => item.price)).toEqual(['200', '600']);
    expect(trade.items.map((item) => item.units)).toEqual(['10', '10']);
    expectConserved(fabric);
  });
});

describe('market queries', () => {
  it("pages open listings by model, lists a seller's listings and the trade history", async () => {
    const fabric = new FakeFabric();
    const { modelId, purchase } = await market(fabric);
    const listings = [];
    for (let index = 0; index < 3; index += 1) {
      listings.push(await list(fabric, purchase.licenseId, '5', '12'));
    }
    await fabric.submit(people.clinicAdmin, contracts.market, 'BuyListing', listings[0].listingId, '', 'org', '');
    const page = (await fabric.evaluate(people.clinicAdmin, contracts.market, 'ListOpenListingsByModel', modelId, '1', '')) as {
      records: ListingRecord[];
      bookmark: string;
    };
    expect(page.records).toHaveLength(1);
    const rest = (await fabric.evaluate(people.clinicAdmin, contracts.market, 'ListOpenListingsByModel', modelId, '10', page.bookmark)) as {
      records: ListingRecord[];
    };
    expect([...page.records, ...rest.records].map((listing) => listing.listingId).sort()).toEqual(
      [listings[1].listingId, listings[2].listingId].sort(),
    );
    const mine = (await fabric.evaluate(people.hospitalAdmin, contracts.market, 'ListListingsBySeller', HOSPITAL, '', '')) as {
      records: ListingRecord[];
    };
    expect(mine.records).toHaveLength(3);
    const trades = (await fabric.evaluate(people.labAdmin, contracts.market, 'ListTradesByModel', modelId, '', '', '', '')) as {
      records: TradeRecord[];
    };
    expect(trades.records.map((trade) => trade.buyer)).toEqual([CLINIC]);
    const clinicTrades = (await fabric.evaluate(people.clinicAdmin, contracts.market, 'ListTradesByAccount', CLINIC, '', '', '', '')) as {
      records: TradeRecord[];
    };
    expect(clinicTrades.records).toHaveLength(1);
    await expect(fabric.evaluate(people.clinicAdmin, contracts.market, 'ListTradesByModel', modelId, '', '', '', '')).rejects.toThrow(
      /^FORBIDDEN: /,
    );
  });
});
