import { FakeFabric } from './support/fabric';
import type { FakeIdentity } from './support/fabric';
import {
  HOSPITAL,
  access,
  accountOf,
  buy,
  contracts,
  digest,
  meteredOffering,
  mint,
  people,
  person,
  publish,
  registerModel,
  standardSetup,
} from './support/world';

const identities: Record<string, FakeIdentity> = {
  'lab admin': people.labAdmin,
  'lab engineer': people.labEngineer,
  'lab practitioner': person('LabMSP', 'lab-practitioner', 'practitioner'),
  'hospital admin': people.hospitalAdmin,
  'hospital engineer': people.hospitalEngineer,
  'hospital practitioner': people.practitioner,
  'settlement issuer': people.issuer,
  'settlement admin': people.clearingAdmin,
  'hospital issuer': person('HospitalMSP', 'fake-issuer', 'issuer'),
  regulator: people.regulator,
  'regulator-org admin': person('RegulatorMSP', 'reg-admin', 'admin'),
  'regulator-role member': person('HospitalMSP', 'embedded-auditor', 'regulator'),
  'caller without a role': people.stranger,
};

type Invoke = (who: FakeIdentity) => Promise<unknown>;

const everyRoleButRegulators = Object.keys(identities).filter(
  (name) => !['regulator', 'regulator-org admin', 'regulator-role member', 'caller without a role'].includes(name),
);

/** A transferable offering any org may hold, with 100 units bought by the hospital treasury. */
async function held(fabric: FakeFabric): Promise<{ modelId: string; licenseId: string; offeringId: string }> {
  const modelId = await registerModel(fabric);
  const offeringId = await publish(fabric, modelId, meteredOffering({ allowedMspIds: [] }));
  await mint(fabric, HOSPITAL, '100000');
  const purchase = await buy(fabric, offeringId, '100');
  return { modelId, licenseId: purchase.licenseId, offeringId };
}

async function proposal(fabric: FakeFabric): Promise<string> {
  const { modelId } = await held(fabric);
  const created = (await fabric.submit(
    people.labAdmin,
    contracts.governance,
    'CreateProposal',
    modelId,
    JSON.stringify({ kind: 'activateVersion', version: '1.0.0' }),
    'Keep 1.0.0',
    '3600',
    'org',
  )) as { proposalId: string };
  return created.proposalId;
}

const cases: {
  readonly tx: string;
  readonly allowed: readonly string[];
  /** How a refusal of a non-regulator reads, when it is not FORBIDDEN. */
  readonly refusal?: RegExp;
  readonly setup: (fabric: FakeFabric) => Promise<Invoke>;
}[] = [
  {
    tx: 'RegisterModel',
    allowed: ['lab admin', 'lab engineer', 'hospital admin', 'hospital engineer', 'settlement admin'],
    setup: async (fabric) => (who) => registerModel(fabric, undefined, who),
  },
  {
    tx: 'AddModelVersion',
    allowed: ['lab admin', 'lab engineer'],
    setup: async (fabric) => {
      const modelId = await registerModel(fabric);
      return (who) =>
        fabric.submit(who, contracts.models, 'AddModelVersion', modelId, '2.0.0', digest('v2'), 's3://m/v2', 'http://serve/v2');
    },
  },
  {
    tx: 'SetActiveVersion',
    allowed: ['lab admin', 'lab engineer'],
    setup: async (fabric) => {
      const modelId = await registerModel(fabric);
      return (who) => fabric.submit(who, contracts.models, 'SetActiveVersion', modelId, '1.0.0');
    },
  },
  {
    tx: 'SetRoyaltyPolicy',
    allowed: ['lab admin'],
    setup: async (fabric) => {
      const modelId = await registerModel(fabric);
      const policy = JSON.stringify({ beneficiaries: [{ account: 'org::LabMSP', shareBps: 10000 }] });
      return (who) => fabric.submit(who, contracts.models, 'SetRoyaltyPolicy', modelId, policy);
    },
  },
  {
    tx: 'ConsentLineageChange',
    allowed: ['lab admin'],
    setup: async (fabric) => {
      const parentId = await registerModel(fabric);
      const childPolicy = JSON.stringify({
        beneficiaries: [{ account: 'org::HospitalMSP', shareBps: 10000 }],
        parents: [{ modelId: parentId, shareBps: 2000 }],
      });
      const childId = await registerModel(fabric, childPolicy, people.hospitalAdmin);
      return (who) => fabric.submit(who, contracts.models, 'ConsentLineageChange', childId, parentId, '1000');
    },
  },
  {
    tx: 'RefundAccess',
    allowed: ['lab admin', 'lab engineer'],
    setup: async (fabric) => {
      const { offeringId } = await standardSetup(fabric);
      const purchase = await buy(fabric, offeringId, '10');
      const record = await access(fabric, purchase.licenseId);
      return (who) => fabric.submit(who, contracts.licenses, 'RefundAccess', record.accessId, 'the model failed');
    },
  },
  {
    tx: 'PublishOffering',
    allowed: ['lab admin'],
    setup: async (fabric) => {
      const modelId = await registerModel(fabric);
      return (who) => fabric.submit(who, contracts.offerings, 'PublishOffering', modelId, meteredOffering());
    },
  },
  ...(['PauseOffering', 'RetireOffering'] as const).map((tx) => ({
    tx,
    allowed: ['lab admin'],
    setup: async (fabric: FakeFabric): Promise<Invoke> => {
      const { offeringId } = await standardSetup(fabric);
      return (who) => fabric.submit(who, contracts.offerings, tx, offeringId);
    },
  })),
  {
    tx: 'ResumeOffering',
    allowed: ['lab admin'],
    setup: async (fabric) => {
      const { offeringId } = await standardSetup(fabric);
      await fabric.submit(people.labAdmin, contracts.offerings, 'PauseOffering', offeringId);
      return (who) => fabric.submit(who, contracts.offerings, 'ResumeOffering', offeringId);
    },
  },
  {
    tx: 'Mint',
    allowed: ['settlement issuer'],
    setup: async (fabric) => (who) => fabric.submit(who, contracts.token, 'Mint', HOSPITAL, '5', ''),
  },
  {
    tx: 'Burn',
    allowed: ['settlement issuer'],
    setup: async (fabric) => {
      await mint(fabric, 'org::ClearingMSP', '10');
      return (who) => fabric.submit(who, contracts.token, 'Burn', '5', '');
    },
  },
  {
    tx: 'Transfer',
    allowed: everyRoleButRegulators,
    setup: async (fabric) => {
      for (const who of Object.values(identities)) {
        await mint(fabric, accountOf(who), '10');
      }
      return (who) => fabric.submit(who, contracts.token, 'Transfer', 'self', HOSPITAL, '5', '');
    },
  },
  {
    tx: 'PurchaseLicense',
    allowed: everyRoleButRegulators,
    setup: async (fabric) => {
      const modelId = await registerModel(fabric);
      const offeringId = await publish(fabric, modelId, meteredOffering({ allowedMspIds: [] }));
      for (const who of Object.values(identities)) {
        await mint(fabric, accountOf(who), '100');
      }
      return (who) => fabric.submit(who, contracts.licenses, 'PurchaseLicense', offeringId, '1', 'self', '', '');
    },
  },
  {
    tx: 'RecordAccess',
    allowed: ['hospital practitioner'],
    setup: async (fabric) => {
      const { offeringId } = await standardSetup(fabric);
      const purchase = await buy(fabric, offeringId, '5');
      return (who) => fabric.submit(who, contracts.licenses, 'RecordAccess', purchase.licenseId, '1', 'research', digest('q'), '', '', '');
    },
  },
  {
    tx: 'SettleExpiredLicense',
    allowed: everyRoleButRegulators,
    setup: async (fabric) => {
      const modelId = await registerModel(fabric);
      const offeringId = await publish(fabric, modelId, meteredOffering({ kind: 'term', termSeconds: 60 }));
      await mint(fabric, HOSPITAL, '1000');
      const purchase = await buy(fabric, offeringId, '5');
      fabric.advance(60);
      return (who) => fabric.submit(who, contracts.licenses, 'SettleExpiredLicense', purchase.licenseId);
    },
  },
  {
    tx: 'ClaimRoyalties',
    allowed: everyRoleButRegulators,
    setup: async (fabric) => (who) => fabric.submit(who, contracts.royalties, 'ClaimRoyalties', 'self', ''),
  },
  {
    tx: 'ListUnits',
    allowed: ['hospital admin'],
    setup: async (fabric) => {
      const { licenseId } = await held(fabric);
      return (who) => fabric.submit(who, contracts.market, 'ListUnits', licenseId, '10', '12', '');
    },
  },
  {
    tx: 'ListBundle',
    allowed: ['hospital admin'],
    setup: async (fabric) => {
      const { licenseId, offeringId } = await held(fabric);
      const second = await buy(fabric, offeringId, '10');
      const items = JSON.stringify([
        { licenseId, units: '5' },
        { licenseId: second.licenseId, units: '5' },
      ]);
      return (who) => fabric.submit(who, contracts.market, 'ListBundle', items, '200', '');
    },
  },
  {
    tx: 'BuyListing',
    allowed: everyRoleButRegulators,
    setup: async (fabric) => {
      const { licenseId } = await held(fabric);
      const listing = (await fabric.submit(people.hospitalAdmin, contracts.market, 'ListUnits', licenseId, '10', '12', '')) as {
        listingId: string;
      };
      for (const who of Object.values(identities)) {
        await mint(fabric, accountOf(who), '1000');
      }
      return (who) => fabric.submit(who, contracts.market, 'BuyListing', listing.listingId, '1', 'self', '');
    },
  },
  {
    tx: 'CancelListing',
    allowed: ['hospital admin'],
    setup: async (fabric) => {
      const { licenseId } = await held(fabric);
      const listing = (await fabric.submit(people.hospitalAdmin, contracts.market, 'ListUnits', licenseId, '10', '12', '')) as {
        listingId: string;
      };
      return (who) => fabric.submit(who, contracts.market, 'CancelListing', listing.listingId);
    },
  },
  {
    tx: 'TransferUnits',
    allowed: ['hospital admin'],
    setup: async (fabric) => {
      const { licenseId } = await held(fabric);
      return (who) => fabric.submit(who, contracts.market, 'TransferUnits', licenseId, '5', accountOf(people.practitioner), '');
    },
  },
  {
    tx: 'CreateProposal',
    allowed: ['lab admin', 'lab engineer'],
    refusal: /^BELOW_PROPOSAL_THRESHOLD: /,
    setup: async (fabric) => {
      const { modelId } = await held(fabric);
      const change = JSON.stringify({ kind: 'activateVersion', version: '1.0.0' });
      return (who) => fabric.submit(who, contracts.governance, 'CreateProposal', modelId, change, 'Keep 1.0.0', '3600', 'self');
    },
  },
  {
    tx: 'CastVote',
    allowed: ['hospital admin'],
    refusal: /^(FORBIDDEN|INSUFFICIENT_UNITS): /,
    setup: async (fabric) => {
      const proposalId = await proposal(fabric);
      return (who) => fabric.submit(who, contracts.governance, 'CastVote', proposalId, 'yes', 'org');
    },
  },
  {
    tx: 'ReindexHoldings',
    allowed: everyRoleButRegulators,
    setup: async (fabric) => {
      await held(fabric);
      return (who) => fabric.submit(who, contracts.governance, 'ReindexHoldings', 'self', '');
    },
  },
  ...(['CloseProposal', 'ExecuteProposal'] as const).map((tx) => ({
    tx,
    allowed: everyRoleButRegulators,
    setup: async (fabric: FakeFabric): Promise<Invoke> => {
      const proposalId = await proposal(fabric);
      await fabric.submit(people.hospitalAdmin, contracts.governance, 'CastVote', proposalId, 'yes', 'org');
      fabric.advance(3600);
      return (who) => fabric.submit(who, contracts.governance, tx, proposalId);
    },
  })),
];

const regulatorsAndRoleless = ['regulator', 'regulator-org admin', 'regulator-role member', 'caller without a role'];

describe.each(cases)('$tx authorisation', ({ allowed, refusal, setup }) => {
  it.each(Object.keys(identities))('answers a %s as the role table says', async (name) => {
    const fabric = new FakeFabric();
    const invoke = await setup(fabric);
    const before = fabric.ledger.snapshot();
    if (allowed.includes(name)) {
      await expect(invoke(identities[name])).resolves.toBeDefined();
    } else {
      const expected = refusal === undefined || regulatorsAndRoleless.includes(name) ? /^FORBIDDEN: / : refusal;
      await expect(invoke(identities[name])).rejects.toThrow(expected);
      expect(fabric.ledger.snapshot()).toEqual(before);
    }
  });
});

describe('regulator reads', () => {
  it('lets a regulator run every query across organisations', async () => {
    const fabric = new FakeFabric();
    const { modelId, offeringId } = await standardSetup(fabric);
    const purchase = await buy(fabric, offeringId, '5');
    const record = (await fabric.submit(
      people.practitioner,
      contracts.licenses,
      'RecordAccess',
      purchase.licenseId,
      '1',
      'research',
      digest('q'),
      '',
      '',
      '',
    )) as { accessId: string };
    const r = people.regulator;
    const queries: Promise<unknown>[] = [
      fabric.evaluate(r, contracts.models, 'GetModel', modelId),
      fabric.evaluate(r, contracts.models, 'GetModelVersion', modelId, '1.0.0'),
      fabric.evaluate(r, contracts.models, 'ListModels', '', ''),
      fabric.evaluate(r, contracts.models, 'GetModelHistory', modelId, '', ''),
      fabric.evaluate(r, contracts.offerings, 'GetOffering', offeringId),
      fabric.evaluate(r, contracts.offerings, 'GetTerms', offeringId, '1'),
      fabric.evaluate(r, contracts.offerings, 'ListOfferingsByModel', modelId, '', ''),
      fabric.evaluate(r, contracts.token, 'GetBalance', HOSPITAL),
      fabric.evaluate(r, contracts.token, 'GetTotalSupply'),
      fabric.evaluate(r, contracts.token, 'WhoAmI'),
      fabric.evaluate(r, contracts.token, 'GetBalanceHistory', HOSPITAL, '', ''),
      fabric.evaluate(r, contracts.licenses, 'GetLicense', purchase.licenseId),
      fabric.evaluate(r, contracts.licenses, 'ListLicensesByHolder', HOSPITAL, '', ''),
      fabric.evaluate(r, contracts.licenses, 'GetAccessRecord', record.accessId),
      fabric.evaluate(r, contracts.royalties, 'GetAccruedRoyalties', 'org::LabMSP'),
      fabric.evaluate(r, contracts.royalties, 'GetRoyaltyStatement', 'org::LabMSP', modelId, '', '', '', ''),
      fabric.evaluate(r, contracts.royalties, 'ListClaims', 'org::LabMSP', '', ''),
      fabric.evaluate(r, contracts.audit, 'ListAccessByModel', modelId, '', '', '', ''),
      fabric.evaluate(r, contracts.audit, 'ListAccessByOrg', 'HospitalMSP', '', '', '', ''),
      fabric.evaluate(r, contracts.audit, 'ListAccessByCaller', accountOf(people.practitioner), '', '', '', ''),
      fabric.evaluate(r, contracts.audit, 'ListAccessByLicense', purchase.licenseId, '', '', '', ''),
      fabric.evaluate(r, contracts.audit, 'ListAccessByTime', '', '', '', ''),
      fabric.evaluate(r, contracts.audit, 'ListPurchasesByOffering', offeringId, '', '', '', ''),
      fabric.evaluate(r, contracts.audit, 'ListRoyaltyPayments', 'org::LabMSP', '', '', '', ''),
      fabric.evaluate(r, contracts.audit, 'GetAssetHistory', 'license', purchase.licenseId, '', ''),
      fabric.evaluate(r, contracts.audit, 'GetAssetHistory', 'access', record.accessId, '', ''),
    ];
    await expect(Promise.all(queries)).resolves.toHaveLength(queries.length);
  });

  it('lets a regulator run every market and governance query', async () => {
    const fabric = new FakeFabric();
    const proposalId = await proposal(fabric);
    const { modelId, licenseId } = await held(fabric);
    const listing = (await fabric.submit(people.hospitalAdmin, contracts.market, 'ListUnits', licenseId, '10', '12', '')) as {
      listingId: string;
    };
    const r = people.regulator;
    const queries: Promise<unknown>[] = [
      fabric.evaluate(r, contracts.market, 'GetListing', listing.listingId),
      fabric.evaluate(r, contracts.market, 'ListOpenListingsByModel', modelId, '', ''),
      fabric.evaluate(r, contracts.market, 'ListListingsBySeller', HOSPITAL, '', ''),
      fabric.evaluate(r, contracts.market, 'ListTradesByModel', modelId, '', '', '', ''),
      fabric.evaluate(r, contracts.market, 'ListTradesByAccount', HOSPITAL, '', '', '', ''),
      fabric.evaluate(r, contracts.governance, 'GetProposal', proposalId),
      fabric.evaluate(r, contracts.governance, 'ListProposalsByModel', modelId, '', '', ''),
      fabric.evaluate(r, contracts.governance, 'ListVotes', proposalId, '', ''),
      fabric.evaluate(r, contracts.governance, 'GetProposalHistory', proposalId, '', ''),
      fabric.evaluate(r, contracts.governance, 'GetGovernancePolicy', modelId),
    ];
    await expect(Promise.all(queries)).resolves.toHaveLength(queries.length);
  });

  it('gives role=regulator from a member org\u2019s own CA no regulator reads, only read-only status', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    await buy(fabric, offeringId, '5');
    const embedded = identities['regulator-role member'];
    await expect(fabric.evaluate(embedded, contracts.royalties, 'ListClaims', 'org::LabMSP', '', '')).rejects.toThrow(
      /^FORBIDDEN: HospitalMSP may not read /,
    );
    await expect(fabric.evaluate(embedded, contracts.audit, 'ListAccessByOrg', 'LabMSP', '', '', '', '')).rejects.toThrow(/^FORBIDDEN: /);
    await expect(fabric.evaluate(embedded, contracts.licenses, 'ListLicensesByHolder', HOSPITAL, '', '')).resolves.toBeDefined();
  });

  it('refuses a forged bookmark that would start a page outside the range the caller may read', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    await buy(fabric, offeringId, '5');
    await buy(fabric, offeringId, '5');
    const first = (await fabric.evaluate(people.hospitalAdmin, contracts.licenses, 'ListLicensesByHolder', HOSPITAL, '1', '')) as {
      records: unknown[];
      bookmark: string;
    };
    expect(first.records).toHaveLength(1);
    const second = (await fabric.evaluate(
      people.hospitalAdmin,
      contracts.licenses,
      'ListLicensesByHolder',
      HOSPITAL,
      '1',
      first.bookmark,
    )) as {
      records: unknown[];
    };
    expect(second.records).toHaveLength(1);
    for (const forged of ['a', '\u0000', '\u0000zzz', 'zzzz']) {
      await expect(
        fabric.evaluate(people.practitioner, contracts.licenses, 'ListLicensesByHolder', HOSPITAL, '10', forged),
      ).rejects.toThrow(/^INVALID_ARGUMENT: bookmark is not a bookmark of this query/);
    }
  });

  it('refuses the regulator the entitlement check, which only licence users need', async () => {
    const fabric = new FakeFabric();
    const { offeringId } = await standardSetup(fabric);
    const purchase = await buy(fabric, offeringId, '5');
    await expect(
      fabric.evaluate(people.regulator, contracts.licenses, 'CheckEntitlement', purchase.licenseId, '1', 'research'),
    ).rejects.toThrow(/^FORBIDDEN: regulators may not use a licence/);
  });
});
