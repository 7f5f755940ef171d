import { callName, ContractName } from '@model-ledger/contract';
import type { ListingRecord } from '../src/domain/records';
import type { FakeIdentity } from './support/fabric';
import { FakeFabric } from './support/fabric';
import {
  CLINIC,
  HOSPITAL,
  accountOf,
  buy,
  contracts,
  digest,
  meteredOffering,
  mint,
  people,
  publish,
  registerModel,
} from './support/world';

/** One value-moving write, submitted with a request id; `variant` changes one argument. */
interface Case {
  readonly what: string;
  readonly prepare: (fabric: FakeFabric) => Promise<(requestId: string, variant?: boolean) => Promise<unknown>>;
}

/** A transferable offering open to the hospital and the clinic, both funded, 100 units held by the hospital treasury. */
async function world(fabric: FakeFabric): Promise<{ offeringId: string; licenseId: string }> {
  const modelId = await registerModel(fabric);
  const offeringId = await publish(fabric, modelId, meteredOffering({ allowedMspIds: ['HospitalMSP', 'ClinicMSP'] }));
  await mint(fabric, HOSPITAL, '100000');
  await mint(fabric, CLINIC, '100000');
  const { licenseId } = await buy(fabric, offeringId, '100');
  return { offeringId, licenseId };
}

async function listed(fabric: FakeFabric, licenseId: string, units: string): Promise<string> {
  const listing = (await fabric.submit(people.hospitalAdmin, contracts.market, 'ListUnits', licenseId, units, '12', '')) as ListingRecord;
  return listing.listingId;
}

const cases: Case[] = [
  {
    what: 'a purchase',
    prepare: async (fabric) => {
      const { offeringId } = await world(fabric);
      return (id, variant) => buy(fabric, offeringId, variant ? '2' : '1', id);
    },
  },
  {
    what: 'a mint',
    prepare: async (fabric) => {
      await world(fabric);
      return (id, variant) => fabric.submit(people.issuer, contracts.token, 'Mint', HOSPITAL, variant ? '6' : '5', id);
    },
  },
  {
    what: 'a burn',
    prepare: async (fabric) => {
      await mint(fabric, 'org::ClearingMSP', '100');
      return (id, variant) => fabric.submit(people.issuer, contracts.token, 'Burn', variant ? '6' : '5', id);
    },
  },
  {
    what: 'a token transfer',
    prepare: async (fabric) => {
      await world(fabric);
      return (id, variant) =>
        fabric.submit(people.hospitalAdmin, contracts.token, 'Transfer', 'org', variant ? CLINIC : accountOf(people.practitioner), '5', id);
    },
  },
  {
    what: 'an access',
    prepare: async (fabric) => {
      const { licenseId } = await world(fabric);
      return (id, variant) =>
        fabric.submit(
          people.practitioner,
          contracts.licenses,
          'RecordAccess',
          licenseId,
          '1',
          'clinical-diagnosis',
          digest(variant ? 'other' : 'request'),
          '',
          '',
          id,
        );
    },
  },
  {
    what: 'a listing buy',
    prepare: async (fabric) => {
      const { licenseId } = await world(fabric);
      const listingId = await listed(fabric, licenseId, '10');
      return (id, variant) => fabric.submit(people.clinicAdmin, contracts.market, 'BuyListing', listingId, variant ? '4' : '3', 'org', id);
    },
  },
  {
    what: 'a unit transfer',
    prepare: async (fabric) => {
      const { licenseId } = await world(fabric);
      return (id, variant) =>
        fabric.submit(
          people.hospitalAdmin,
          contracts.market,
          'TransferUnits',
          licenseId,
          variant ? '4' : '3',
          accountOf(people.practitioner),
          id,
        );
    },
  },
];

describe.each(cases)('a request id on $what', ({ prepare }) => {
  it('makes a retry answer the first result and change nothing', async () => {
    const fabric = new FakeFabric();
    const run = await prepare(fabric);
    const first = await run('retry-1');
    const state = fabric.ledger.snapshot();
    const events = fabric.ledger.events.length;
    expect(await run('retry-1')).toEqual(first);
    expect(fabric.ledger.snapshot()).toEqual(state);
    expect(fabric.ledger.events.length).toBe(events);
  });

  it('refuses the id for different arguments with CONFLICT, changing nothing', async () => {
    const fabric = new FakeFabric();
    const run = await prepare(fabric);
    await run('retry-1');
    const state = fabric.ledger.snapshot();
    await expect(run('retry-1', true)).rejects.toThrow(
      /^CONFLICT: request id retry-1 was already used by transaction [0-9a-f]{64} for a different /,
    );
    expect(fabric.ledger.snapshot()).toEqual(state);
  });

  it('writes again for a new id or for none', async () => {
    const fabric = new FakeFabric();
    const run = await prepare(fabric);
    await run('retry-1');
    const afterFirst = fabric.ledger.snapshot();
    await run('retry-2');
    const afterSecond = fabric.ledger.snapshot();
    expect(afterSecond).not.toEqual(afterFirst);
    await run('');
    expect(fabric.ledger.snapshot()).not.toEqual(afterSecond);
  });
});

describe('request ids', () => {
  it('are scoped to the submitting identity', async () => {
    const fabric = new FakeFabric();
    const { licenseId } = await world(fabric);
    const record = (who: FakeIdentity): Promise<unknown> =>
      fabric.submit(who, contracts.licenses, 'RecordAccess', licenseId, '1', 'clinical-diagnosis', digest('q'), '', '', 'shared-id');
    const ada = (await record(people.practitioner)) as { txId: string };
    const grace = (await record(people.practitioner2)) as { txId: string };
    expect(grace.txId).not.toBe(ada.txId);
  });

  it('refuse one id for two different calls', async () => {
    const fabric = new FakeFabric();
    await world(fabric);
    await fabric.submit(people.hospitalAdmin, contracts.token, 'Transfer', 'org', CLINIC, '5', 'pay-1');
    await expect(fabric.submit(people.issuer, contracts.token, 'Mint', HOSPITAL, '5', 'pay-1')).resolves.toBeDefined();
    await expect(fabric.submit(people.hospitalAdmin, contracts.token, 'Burn', '5', 'pay-1')).rejects.toThrow(/^FORBIDDEN/);
    const { offeringId } = await world(fabric);
    await expect(buy(fabric, offeringId, '1', 'pay-1')).rejects.toThrow(/^CONFLICT: .* for a different TokenContract\.Transfer request/);
  });

  it('answer a retried access with the first record even when the gateway picked another lot', async () => {
    const fabric = new FakeFabric();
    const { licenseId } = await world(fabric);
    const record = (hint: string): Promise<unknown> =>
      fabric.submit(
        people.practitioner,
        contracts.licenses,
        'RecordAccess',
        licenseId,
        '1',
        'clinical-diagnosis',
        digest('q'),
        hint,
        '',
        'infer-1',
      );
    const first = await record('0');
    expect(await record('3')).toEqual(first);
  });

  it('answer a retried listing buy with the first trade after the listing sold out', async () => {
    const fabric = new FakeFabric();
    const { licenseId } = await world(fabric);
    const listingId = await listed(fabric, licenseId, '5');
    const buyAll = (): Promise<unknown> =>
      fabric.submit(people.clinicAdmin, contracts.market, 'BuyListing', listingId, '', 'org', 'all-of-it');
    const first = await buyAll();
    expect(((await fabric.evaluate(people.clinicAdmin, contracts.market, 'GetListing', listingId)) as ListingRecord).status).toBe('sold');
    expect(await buyAll()).toEqual(first);
  });

  it('are answered to their own caller only by GetRequest', async () => {
    const fabric = new FakeFabric();
    const { licenseId } = await world(fabric);
    const first = (await fabric.submit(
      people.practitioner,
      contracts.licenses,
      'RecordAccess',
      licenseId,
      '1',
      'research',
      digest('q'),
      '',
      '',
      'ask-1',
    )) as { txId: string };
    expect(await fabric.evaluate(people.practitioner, contracts.audit, 'GetRequest', 'ask-1')).toMatchObject({
      call: callName(ContractName.license, 'RecordAccess'),
      txId: first.txId,
      result: first,
    });
    await expect(fabric.evaluate(people.practitioner2, contracts.audit, 'GetRequest', 'ask-1')).rejects.toThrow(
      /^NOT_FOUND: request ask-1/,
    );
    await expect(fabric.evaluate(people.practitioner, contracts.audit, 'GetRequest', 'never-used')).rejects.toThrow(/^NOT_FOUND/);
  });

  it('must be ids: 1-64 letters, digits, ".", "_" or "-"', async () => {
    const fabric = new FakeFabric();
    await world(fabric);
    await expect(fabric.submit(people.hospitalAdmin, contracts.token, 'Transfer', 'org', CLINIC, '5', 'no spaces')).rejects.toThrow(
      /^INVALID_ARGUMENT: requestId/,
    );
  });
});
