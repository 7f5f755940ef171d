import type { Context } from 'fabric-contract-api';
import { FakeFabric } from './support/fabric';
import { HOSPITAL, buy, contracts, defaultPolicy, digest, meteredOffering, people, standardSetup } from './support/world';

interface World {
  readonly fabric: FakeFabric;
  readonly modelId: string;
  readonly offeringId: string;
  readonly licenseId: string;
}

async function world(): Promise<World> {
  const fabric = new FakeFabric();
  const { modelId, offeringId } = await standardSetup(fabric);
  const purchase = await buy(fabric, offeringId, '10');
  return { fabric, modelId, offeringId, licenseId: purchase.licenseId };
}

const model = (overrides: Partial<Record<'name' | 'version' | 'sha' | 'uri' | 'endpoint' | 'policy', string>>): string[] => [
  overrides.name ?? 'Derm',
  'desc',
  'image-classification',
  'clinical',
  overrides.version ?? '1.0.0',
  overrides.sha ?? digest('w'),
  overrides.uri ?? 's3://m/w',
  overrides.endpoint ?? 'http://serve/v2',
  overrides.policy ?? defaultPolicy,
];

const cases: { readonly what: string; readonly field: string; readonly run: (w: World) => Promise<unknown> }[] = [
  {
    what: 'a missing model name',
    field: 'name',
    run: (w) => w.fabric.submit(people.labAdmin, contracts.models, 'RegisterModel', ...model({ name: '' })),
  },
  {
    what: 'an oversized model name',
    field: 'name',
    run: (w) => w.fabric.submit(people.labAdmin, contracts.models, 'RegisterModel', ...model({ name: 'x'.repeat(129) })),
  },
  {
    what: 'a bad artifact hash',
    field: 'artifactSha256',
    run: (w) => w.fabric.submit(people.labAdmin, contracts.models, 'RegisterModel', ...model({ sha: 'ABC' })),
  },
  {
    what: 'an upper-case artifact hash',
    field: 'artifactSha256',
    run: (w) => w.fabric.submit(people.labAdmin, contracts.models, 'RegisterModel', ...model({ sha: digest('w').toUpperCase() })),
  },
  {
    what: 'an endpoint that is not http',
    field: 'inferenceEndpoint',
    run: (w) => w.fabric.submit(people.labAdmin, contracts.models, 'RegisterModel', ...model({ endpoint: 'ftp://x' })),
  },
  {
    what: 'a policy that is not JSON',
    field: 'royaltyPolicy',
    run: (w) => w.fabric.submit(people.labAdmin, contracts.models, 'RegisterModel', ...model({ policy: '{' })),
  },
  {
    what: 'shares that do not sum to 10000',
    field: 'royaltyPolicy.beneficiaries',
    run: (w) =>
      w.fabric.submit(
        people.labAdmin,
        contracts.models,
        'RegisterModel',
        ...model({ policy: JSON.stringify({ beneficiaries: [{ account: 'org::LabMSP', shareBps: 9999 }] }) }),
      ),
  },
  {
    what: 'an unknown parent model',
    field: 'royaltyPolicy.parents[0].modelId',
    run: (w) =>
      w.fabric.submit(
        people.labAdmin,
        contracts.models,
        'RegisterModel',
        ...model({
          policy: JSON.stringify({
            beneficiaries: [{ account: 'org::LabMSP', shareBps: 10000 }],
            parents: [{ modelId: 'M-nope', shareBps: 100 }],
          }),
        }),
      ),
  },
  {
    what: 'an unknown model id',
    field: 'modelId',
    run: (w) => w.fabric.submit(people.labAdmin, contracts.models, 'SetActiveVersion', 'M-unknown', '1.0.0'),
  },
  {
    what: 'an unknown version',
    field: 'version',
    run: (w) => w.fabric.submit(people.labAdmin, contracts.models, 'SetActiveVersion', w.modelId, '9.9.9'),
  },
  {
    what: 'an id with a slash',
    field: 'modelId',
    run: (w) => w.fabric.submit(people.labAdmin, contracts.models, 'SetActiveVersion', 'M/1', '1.0.0'),
  },
  {
    what: 'a negative unit price',
    field: 'offering.unitPrice',
    run: (w) => w.fabric.submit(people.labAdmin, contracts.offerings, 'PublishOffering', w.modelId, meteredOffering({ unitPrice: '-1' })),
  },
  {
    what: 'a numeric unit price',
    field: 'offering.unitPrice',
    run: (w) => w.fabric.submit(people.labAdmin, contracts.offerings, 'PublishOffering', w.modelId, meteredOffering({ unitPrice: 10 })),
  },
  {
    what: 'an empty purpose list',
    field: 'offering.purposes',
    run: (w) => w.fabric.submit(people.labAdmin, contracts.offerings, 'PublishOffering', w.modelId, meteredOffering({ purposes: [] })),
  },
  {
    what: 'an unknown offering kind',
    field: 'offering.kind',
    run: (w) => w.fabric.submit(people.labAdmin, contracts.offerings, 'PublishOffering', w.modelId, meteredOffering({ kind: 'forever' })),
  },
  { what: 'a fractional mint', field: 'amount', run: (w) => w.fabric.submit(people.issuer, contracts.token, 'Mint', HOSPITAL, '1.5', '') },
  { what: 'a zero mint', field: 'amount', run: (w) => w.fabric.submit(people.issuer, contracts.token, 'Mint', HOSPITAL, '0', '') },
  {
    what: 'a mint that overflows the supply',
    field: 'amount',
    run: (w) => w.fabric.submit(people.issuer, contracts.token, 'Mint', HOSPITAL, (10n ** 30n).toString(), ''),
  },
  { what: 'a malformed recipient', field: 'to', run: (w) => w.fabric.submit(people.issuer, contracts.token, 'Mint', 'alice', '5', '') },
  {
    what: 'a negative transfer',
    field: 'amount',
    run: (w) => w.fabric.submit(people.hospitalAdmin, contracts.token, 'Transfer', 'org', 'org::LabMSP', '-5', ''),
  },
  {
    what: 'a transfer from an unknown source',
    field: 'from',
    run: (w) => w.fabric.submit(people.hospitalAdmin, contracts.token, 'Transfer', 'bank', 'org::LabMSP', '5', ''),
  },
  {
    what: 'a purchase of zero units',
    field: 'units',
    run: (w) => w.fabric.submit(people.hospitalAdmin, contracts.licenses, 'PurchaseLicense', w.offeringId, '0', 'org', '', ''),
  },
  {
    what: 'a purchase of too many units',
    field: 'units',
    run: (w) =>
      w.fabric.submit(people.hospitalAdmin, contracts.licenses, 'PurchaseLicense', w.offeringId, '1' + '0'.repeat(13), 'org', '', ''),
  },
  {
    what: 'a purchase of an unknown offering',
    field: 'offeringId',
    run: (w) => w.fabric.submit(people.hospitalAdmin, contracts.licenses, 'PurchaseLicense', 'O-unknown', '1', 'org', '', ''),
  },
  {
    what: 'an oversized request id',
    field: 'requestId',
    run: (w) => w.fabric.submit(people.hospitalAdmin, contracts.licenses, 'PurchaseLicense', w.offeringId, '1', 'org', '', 'r'.repeat(65)),
  },
  {
    what: 'an access with a bad request hash',
    field: 'requestHash',
    run: (w) =>
      w.fabric.submit(people.practitioner, contracts.licenses, 'RecordAccess', w.licenseId, '1', 'research', 'nothex', '', '', ''),
  },
  {
    what: 'an access to an unknown licence',
    field: 'licenseId',
    run: (w) =>
      w.fabric.submit(people.practitioner, contracts.licenses, 'RecordAccess', 'L-unknown', '1', 'research', digest('q'), '', '', ''),
  },
  {
    what: 'a purchase with a supply hint that is not a shard index',
    field: 'supplyHint',
    run: (w) => w.fabric.submit(people.hospitalAdmin, contracts.licenses, 'PurchaseLicense', w.offeringId, '1', 'org', 'x', ''),
  },
  {
    what: 'an access with a negative lot hint',
    field: 'lotHint',
    run: (w) =>
      w.fabric.submit(people.practitioner, contracts.licenses, 'RecordAccess', w.licenseId, '1', 'research', digest('q'), '-1', '', ''),
  },
  {
    what: 'an access with a missing purpose',
    field: 'purpose',
    run: (w) => w.fabric.submit(people.practitioner, contracts.licenses, 'RecordAccess', w.licenseId, '1', '', digest('q'), '', '', ''),
  },
  {
    what: 'a claim with a malformed cutoff',
    field: 'upTo',
    run: (w) => w.fabric.submit(people.labAdmin, contracts.royalties, 'ClaimRoyalties', 'org', 'soon'),
  },
];

describe('bad input', () => {
  it.each(cases)('rejects $what with INVALID_ARGUMENT naming $field and changes nothing', async ({ field, run }) => {
    const w = await world();
    const before = w.fabric.ledger.snapshot();
    const events = w.fabric.ledger.events.length;
    await expect(run(w)).rejects.toThrow(`INVALID_ARGUMENT: ${field} `);
    expect(w.fabric.ledger.snapshot()).toEqual(before);
    expect(w.fabric.ledger.events).toHaveLength(events);
  });

  it('answers a query for an unknown asset with NOT_FOUND', async () => {
    const w = await world();
    await expect(w.fabric.evaluate(people.regulator, contracts.models, 'GetModel', 'M-unknown')).rejects.toThrow(
      'NOT_FOUND: model M-unknown does not exist',
    );
  });

  it('rejects a page size above the maximum', async () => {
    const w = await world();
    await expect(w.fabric.evaluate(people.regulator, contracts.models, 'ListModels', '101', '')).rejects.toThrow(
      'INVALID_ARGUMENT: pageSize must be between 1 and 100',
    );
  });
});

describe('a transaction a contract does not have', () => {
  it('fails with NOT_FOUND naming the contract and the transaction, for every contract', async () => {
    const ctx = { stub: { getFunctionAndParameters: () => ({ fcn: 'SomeContract:NoSuchThing', params: [] }) } } as unknown as Context;
    for (const contract of Object.values(contracts)) {
      await expect(contract.unknownTransaction(ctx)).rejects.toThrow(`NOT_FOUND: ${contract.getName()} has no transaction NoSuchThing;`);
    }
  });
});
