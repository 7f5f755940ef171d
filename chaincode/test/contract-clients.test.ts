/**
 * The typed clients of `@model-ledger/contract` own each transaction's name
 * and argument order; the chaincode declares the same transactions with
 * decorators. Every client method is called here against a transport that
 * records the call, and the call must name a transaction the chaincode's
 * contract declares, with exactly as many arguments as it takes, as a write
 * or a query as the chaincode marks it.
 */
import 'reflect-metadata';
import {
  AuditClient,
  BaselineClient,
  Call,
  ContractName,
  GovernanceClient,
  LicenseClient,
  MarketClient,
  MemberClient,
  ModelClient,
  OfferingClient,
  RoyaltyClient,
  TokenClient,
  Transport,
} from '@model-ledger/contract';
import { contracts as production } from '../src';
import { contracts as bench } from '../bench';

interface Declared {
  readonly name: string;
  readonly tag: readonly string[];
  readonly parameters?: readonly unknown[];
}

/** The transactions a contract class declares, as fabric-contract-api records them. */
function declared(contract: new () => object): Map<string, Declared> {
  const list = (Reflect.getMetadata('fabric:transactions', contract.prototype) ?? []) as Declared[];
  return new Map(list.map((t) => [t.name, t]));
}

const byName = new Map(bench.map((c) => [new c().getName(), c]));

interface Recorded extends Call {
  readonly write: boolean;
}

/** A transport that answers `{}` and records every call. */
function recorder(): { transport: Transport; calls: Recorded[] } {
  const calls: Recorded[] = [];
  const empty = new TextEncoder().encode('{}');
  return {
    calls,
    transport: {
      evaluate: async (call) => {
        calls.push({ ...call, write: false });
        return empty;
      },
      submit: async (call) => {
        calls.push({ ...call, write: true });
        return { result: empty, transactionId: 'tx', blockNumber: 1n };
      },
    },
  };
}

/** Sample arguments for every method of a client: the compiler insists on one entry per method. */
type Samples<C> = {
  [K in keyof C as C[K] extends (...args: never[]) => Promise<unknown> ? K : never]: C[K] extends (...args: infer A) => Promise<unknown>
    ? A
    : never;
};

const p = { pageSize: 10 };
const w = { from: '2026-01-01T00:00:00Z' };
const SAMPLES = {
  ModelClient: {
    registerModel: [
      {
        name: 'n',
        description: 'd',
        task: 't',
        intendedUse: 'u',
        version: '1',
        artifactSha256: 'a',
        artifactUri: 'u',
        inferenceEndpoint: 'e',
        royaltyPolicy: {},
      },
    ],
    addModelVersion: [{ modelId: 'm', version: '2', artifactSha256: 'a', artifactUri: 'u', inferenceEndpoint: 'e' }],
    setActiveVersion: ['m', '2'],
    setRoyaltyPolicy: ['m', {}],
    consentLineageChange: ['m', 'parent', 100],
    getModel: ['m'],
    getModelVersion: ['m', '1'],
    listModels: [p],
    getModelHistory: ['m', p],
  } satisfies Samples<ModelClient>,
  OfferingClient: {
    publishOffering: ['m', {}],
    setStatus: ['o', 'paused'],
    getOffering: ['o'],
    getTerms: ['o', 1],
    listOfferingsByModel: ['m', p],
  } satisfies Samples<OfferingClient>,
  TokenClient: {
    mint: [{ to: 'a', amount: 1n, requestId: 'r' }],
    burn: [{ amount: '1' }],
    transfer: [{ from: 'self', to: 'b', amount: 2 }],
    getBalance: ['a'],
    getTotalSupply: [],
    whoAmI: [],
    getBalanceHistory: ['a', p],
  } satisfies Samples<TokenClient>,
  LicenseClient: {
    purchaseLicense: [{ offeringId: 'o', units: 1, payer: 'org' }],
    recordAccess: [{ licenseId: 'l', purpose: 'p', requestHash: 'h', lotHint: 0, requestId: 'r' }],
    settleExpiredLicense: ['l'],
    refundAccess: ['a', 'reason'],
    getAccessRefund: ['a'],
    checkEntitlement: ['l', 1, 'p'],
    getLicense: ['l'],
    listLicensesByHolder: ['h', p],
    getAccessRecord: ['a'],
    recordAccessBatch: [{ certificates: [], accesses: [] }],
    getBatchedAccess: ['a'],
    getAccessBatch: ['b'],
  } satisfies Samples<LicenseClient>,
  RoyaltyClient: {
    claimRoyalties: ['self'],
    getAccruedRoyalties: ['a'],
    getRoyaltyStatement: ['a', { modelId: 'm', ...w }, p],
    listClaims: ['a', p],
  } satisfies Samples<RoyaltyClient>,
  AuditClient: {
    getRequest: ['r'],
    listAccessBy: ['model', 'm', w, p],
    listAccessByTime: [w, p],
    listPurchasesByOffering: ['o', w, p],
    listRoyaltyPayments: ['a', w, p],
    getAssetHistory: ['model', 'm', p],
  } satisfies Samples<AuditClient>,
  MarketClient: {
    listUnits: [{ licenseId: 'l', units: 1, askUnitPrice: 10 }],
    listBundle: [
      {
        items: [
          { licenseId: 'l', units: 1 },
          { licenseId: 'k', units: 2n },
        ],
        askPrice: '30',
        reservedForMspId: 'HospitalMSP',
      },
    ],
    buyListing: [{ listingId: 's', payer: 'org' }],
    cancelListing: ['s'],
    transferUnits: [{ licenseId: 'l', units: 1, to: 'b' }],
    getListing: ['s'],
    listOpenListingsByModel: ['m', p],
    listListingsBySeller: ['a', p],
    listTradesByModel: ['m', w, p],
    listTradesByAccount: ['a', w, p],
  } satisfies Samples<MarketClient>,
  GovernanceClient: {
    createProposal: [
      { modelId: 'm', change: { kind: 'activateVersion', version: '2' }, description: 'd', votingSeconds: 60, proposer: 'self' },
    ],
    castVote: ['q', 'yes', 'self'],
    closeProposal: ['q'],
    executeProposal: ['q'],
    reindexHoldings: ['self'],
    getProposal: ['q'],
    listProposalsByModel: ['m', undefined, p],
    listVotes: ['q', p],
    getProposalHistory: ['q', p],
    getGovernancePolicy: ['m'],
  } satisfies Samples<GovernanceClient>,
  MemberClient: { registerOrgRoot: ['pem'], listOrgRoots: ['LabMSP'] } satisfies Samples<MemberClient>,
  BaselineClient: { put: ['v'] } satisfies Samples<BaselineClient>,
};

/** Calls every method of a client with its sample arguments. */
async function callEveryMethod(client: object, samples: Record<string, readonly unknown[]>): Promise<number> {
  for (const [name, args] of Object.entries(samples)) {
    await (client as Record<string, (...a: unknown[]) => Promise<unknown>>)[name](...args);
  }
  return Object.keys(samples).length;
}

describe('the typed contract clients', () => {
  const clients = [
    ModelClient,
    OfferingClient,
    TokenClient,
    LicenseClient,
    RoyaltyClient,
    AuditClient,
    MarketClient,
    GovernanceClient,
    MemberClient,
    BaselineClient,
  ];

  it('cover every contract the chaincode serves, and only those', () => {
    expect(new Set(Object.values(ContractName))).toEqual(new Set(byName.keys()));
  });

  it.each(clients.map((c) => [c.name, c] as const))(
    '%s calls only transactions its contract declares, with their arity and kind',
    async (_, Client) => {
      const { transport, calls } = recorder();
      const methods = await callEveryMethod(new Client(transport), SAMPLES[Client.name as keyof typeof SAMPLES]);
      expect(calls.length).toBeGreaterThanOrEqual(methods);
      for (const call of calls) {
        const contract = byName.get(call.contract);
        expect(contract).toBeDefined();
        const transaction = declared(contract as new () => object).get(call.transaction);
        expect({ call: `${call.contract}.${call.transaction}`, declared: transaction !== undefined }).toEqual({
          call: `${call.contract}.${call.transaction}`,
          declared: true,
        });
        expect({ call: call.transaction, args: call.args.length }).toEqual({
          call: call.transaction,
          args: (transaction?.parameters ?? []).length,
        });
        expect({ call: call.transaction, write: call.write }).toEqual({
          call: call.transaction,
          write: transaction?.tag.includes('SUBMIT') ?? false,
        });
        expect(call.args.every((arg) => typeof arg === 'string')).toBe(true);
      }
    },
  );

  it('reach every transaction the chaincode declares', async () => {
    const { transport, calls } = recorder();
    for (const Client of clients) {
      await callEveryMethod(new Client(transport), SAMPLES[Client.name as keyof typeof SAMPLES]);
    }
    // Methods that pick their transaction from an argument, with the other choices.
    const offering = new OfferingClient(transport);
    await offering.setStatus('o', 'active');
    await offering.setStatus('o', 'retired');
    const audit = new AuditClient(transport);
    for (const index of ['org', 'caller', 'license'] as const) {
      await audit.listAccessBy(index, 's', w, p);
    }
    const called = new Set(calls.map((c) => `${c.contract}.${c.transaction}`));
    const all = [...byName].flatMap(([name, contract]) => [...declared(contract).keys()].map((t) => `${name}.${t}`));
    expect(all.filter((t) => !called.has(t))).toEqual([]);
  });
});

describe('the production chaincode', () => {
  it('does not serve the benchmark write', () => {
    expect(production.map((c) => new c().getName())).not.toContain(ContractName.baseline);
    expect(bench.map((c) => new c().getName())).toContain(ContractName.baseline);
  });
});
