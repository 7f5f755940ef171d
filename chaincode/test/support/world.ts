/**
 * A small consortium on the fake Fabric: identities of every org and role,
 * the six contracts, and helpers that set up a model, an offering and money.
 */
import { createHash } from 'crypto';
import { expandAccessBatch, type StoredAccessBatch } from '@model-ledger/contract';
import {
  AuditContract,
  GovernanceContract,
  LicenseContract,
  MarketContract,
  ModelContract,
  OfferingContract,
  RoyaltyContract,
  TokenContract,
} from '../../src';
import { Endorsement } from '../../src/config';
import { clientAccountId, mspOfAccount, orgAccountId } from '../../src/domain/identity';
import { decodeOwnerPolicy } from '../../src/ledger/endorsement';
import type { AccessRecord, LicenseRecord, ListingRecord, PurchaseRecord } from '../../src/domain/records';
import { FakeFabric, FakeIdentity } from './fabric';

export const contracts = {
  models: new ModelContract(),
  offerings: new OfferingContract(),
  token: new TokenContract(),
  licenses: new LicenseContract(),
  royalties: new RoyaltyContract(),
  audit: new AuditContract(),
  market: new MarketContract(),
  governance: new GovernanceContract(),
};

/** Makes an identity with a role attribute (omit the role for none). */
export function person(mspId: string, name: string, role?: string, extra: Record<string, string> = {}): FakeIdentity {
  return new FakeIdentity(mspId, name, role === undefined ? extra : { role, ...extra });
}

/** The account id of an identity. */
export function accountOf(identity: FakeIdentity): string {
  return clientAccountId(identity.mspId, identity.getID());
}

export const people = {
  labAdmin: person('LabMSP', 'lab-admin', 'admin'),
  labEngineer: person('LabMSP', 'lab-engineer', 'engineer'),
  baseAdmin: person('BaseMSP', 'base-admin', 'admin'),
  hospitalAdmin: person('HospitalMSP', 'hospital-admin', 'admin'),
  hospitalEngineer: person('HospitalMSP', 'hospital-engineer', 'engineer'),
  practitioner: person('HospitalMSP', 'dr-ada', 'practitioner'),
  practitioner2: person('HospitalMSP', 'dr-grace', 'practitioner'),
  issuer: person('ClearingMSP', 'issuer', 'issuer'),
  clearingAdmin: person('ClearingMSP', 'clearing-admin', 'admin'),
  regulator: person('RegulatorMSP', 'auditor', 'regulator'),
  clinicAdmin: person('ClinicMSP', 'clinic-admin', 'admin'),
  clinicPractitioner: person('ClinicMSP', 'dr-lin', 'practitioner'),
  stranger: person('HospitalMSP', 'no-role'),
};

export const HOSPITAL = orgAccountId('HospitalMSP');
export const CLINIC = orgAccountId('ClinicMSP');
export const LAB = orgAccountId('LabMSP');
export const BASE = orgAccountId('BaseMSP');
export const DATA_PROVIDER = orgAccountId('DataMSP');

/** A sha256 digest of some text, for artifact and request hashes. */
export function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The default royalty policy: 70% lab, 30% data provider, 10% resale. */
export const defaultPolicy = JSON.stringify({
  beneficiaries: [
    { account: LAB, shareBps: 7000 },
    { account: DATA_PROVIDER, shareBps: 3000 },
  ],
  resaleRoyaltyBps: 1000,
});

/** The default metered offering: 10 tokens a call, practitioners, clinical diagnosis or research. */
export function meteredOffering(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    kind: 'metered',
    unitPrice: '10',
    supplyCap: '1000',
    transferable: true,
    requiredAttributes: { role: 'practitioner' },
    allowedMspIds: ['HospitalMSP'],
    purposes: ['clinical-diagnosis', 'research'],
    ...overrides,
  });
}

/** Registers a model owned by the lab; returns its id. */
export async function registerModel(fabric: FakeFabric, policy = defaultPolicy, owner = people.labAdmin): Promise<string> {
  const model = (await fabric.submit(
    owner,
    contracts.models,
    'RegisterModel',
    'Derm classifier',
    'Spots early signs of a rare skin disease',
    'image-classification',
    'clinical decision support',
    '1.0.0',
    digest('weights-1.0.0'),
    's3://models/derm/1.0.0.onnx',
    'http://127.0.0.1:8080/v2/models/derm',
    policy,
  )) as { modelId: string };
  return model.modelId;
}

/** Publishes an offering of a model; returns its id. */
export async function publish(fabric: FakeFabric, modelId: string, offering = meteredOffering()): Promise<string> {
  const published = (await fabric.submit(people.labAdmin, contracts.offerings, 'PublishOffering', modelId, offering)) as {
    offering: { offeringId: string };
  };
  return published.offering.offeringId;
}

/** Mints tokens to an account. */
export async function mint(fabric: FakeFabric, account: string, amount: string): Promise<void> {
  await fabric.submit(people.issuer, contracts.token, 'Mint', account, amount, '');
}

/** The hospital treasury buys units; returns the purchase receipt. */
export async function buy(fabric: FakeFabric, offeringId: string, units: string, requestId = ''): Promise<PurchaseRecord> {
  return (await fabric.submit(
    people.hospitalAdmin,
    contracts.licenses,
    'PurchaseLicense',
    offeringId,
    units,
    'org',
    '',
    requestId,
  )) as PurchaseRecord;
}

/** A practitioner records one access. */
export async function access(
  fabric: FakeFabric,
  licenseId: string,
  who: FakeIdentity = people.practitioner,
  units = '1',
  purpose = 'clinical-diagnosis',
): Promise<AccessRecord> {
  return (await fabric.submit(
    who,
    contracts.licenses,
    'RecordAccess',
    licenseId,
    units,
    purpose,
    digest('request'),
    '',
    '',
    '',
  )) as AccessRecord;
}

/** A model, a metered offering and a funded hospital. */
export async function standardSetup(fabric: FakeFabric): Promise<{ modelId: string; offeringId: string }> {
  const modelId = await registerModel(fabric);
  const offeringId = await publish(fabric, modelId);
  await mint(fabric, HOSPITAL, '100000');
  return { modelId, offeringId };
}

/** Totals that the invariants relate, read straight from committed state. */
export interface Totals {
  readonly supply: bigint;
  readonly balances: bigint;
  readonly escrow: bigint;
  readonly unclaimed: bigint;
  readonly sold: bigint;
  readonly held: bigint;
  readonly listed: bigint;
  readonly consumed: bigint;
}

/** Computes the invariant totals from the fake ledger's committed state. */
export function totals(fabric: FakeFabric): Totals {
  const decode = (bytes: Uint8Array): Record<string, unknown> => JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  const state = fabric.ledger.state;
  const sumOf = (prefix: string, field: string): bigint =>
    [...state.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .reduce((sum, [, row]) => sum + BigInt(decode(row.value)[field] as string), 0n);
  let escrow = 0n;
  let held = 0n;
  for (const [key, row] of state.entries()) {
    if (!key.startsWith('lic/')) {
      continue;
    }
    const license = decode(row.value) as unknown as LicenseRecord;
    const units = BigInt(license.units);
    const count = BigInt(license.lotCount);
    let remaining = 0n;
    for (let index = 0; index < license.lotCount; index += 1) {
      const lot = state.get(`lot/${license.licenseId}/${index.toString().padStart(4, '0')}`);
      const size = units / count + (BigInt(index) < units % count ? 1n : 0n);
      remaining += lot === undefined ? size : BigInt(decode(lot.value).remaining as string);
    }
    held += remaining;
    escrow += remaining * BigInt(license.unitPrice);
  }
  let listed = 0n;
  for (const [key, row] of state.entries()) {
    if (key.startsWith('listing/')) {
      for (const item of (decode(row.value) as unknown as ListingRecord).items) {
        listed += BigInt(item.remaining);
        escrow += BigInt(item.remaining) * BigInt(item.unitPrice);
      }
    }
  }
  // The accesses of batches, stored together in one record per batch.
  const batchedUnits = (): bigint =>
    [...state.entries()]
      .filter(([key]) => key.startsWith('accbatch/'))
      .flatMap(([, row]) => expandAccessBatch(decode(row.value) as unknown as StoredAccessBatch).accesses)
      .reduce((sum, access) => sum + BigInt(access.units), 0n);
  const supplyRow = state.get('token/supply');
  return {
    supply: supplyRow === undefined ? 0n : BigInt(decode(supplyRow.value).amount as string),
    balances: sumOf('bal/', 'amount'),
    escrow,
    unclaimed: sumOf('accrual/', 'amount'),
    sold: sumOf('sold/', 'units'),
    held,
    listed,
    // Used by accesses (less those the owner refunded), or settled unused after a term licence expired.
    consumed: sumOf('access/', 'units') + batchedUnits() - sumOf('refund/', 'units') + sumOf('expiry/', 'units'),
  };
}

/** Asserts both conservation invariants on the committed state. */
export function expectConserved(fabric: FakeFabric): void {
  const now = totals(fabric);
  expect(now.supply).toBe(now.balances + now.escrow + now.unclaimed);
  expect(now.sold).toBe(now.held + now.listed + now.consumed);
}

/**
 * Keys holding an endorsing org's value that do not carry that org's
 * key-level policy: balances (the account's org), the supply (the settlement
 * org), licences and their lots (the holder's org) and listings (the
 * seller's org). Empty when every owned key is pinned to its owner.
 */
export function unpinnedOwnedKeys(fabric: FakeFabric): string[] {
  const decode = (bytes: Uint8Array): Record<string, unknown> => JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  const state = fabric.ledger.state;
  const holderOf = (licenseId: string): string | undefined => {
    const row = state.get(`lic/${licenseId}`);
    return row === undefined ? undefined : (decode(row.value).holder as string);
  };
  const ownerOf = (key: string, value: Record<string, unknown>): string | undefined => {
    const [prefix, id] = key.split('/');
    switch (prefix) {
      case 'bal':
        return mspOfAccount(value.account as string);
      case 'token':
        return 'ClearingMSP';
      case 'lic':
        return mspOfAccount(value.holder as string);
      case 'lot': {
        const holder = holderOf(id);
        return holder === undefined ? undefined : mspOfAccount(holder);
      }
      case 'listing':
        return mspOfAccount(value.seller as string);
      default:
        return undefined;
    }
  };
  const unpinned: string[] = [];
  for (const [key, row] of state.entries()) {
    const owner = ownerOf(key, decode(row.value));
    if (owner === undefined || ![...Endorsement.orgs, ...Endorsement.laterMembers].includes(owner as never)) {
      continue;
    }
    const policy = fabric.ledger.keyPolicies.get(key);
    if (policy === undefined || decodeOwnerPolicy(policy).owner !== owner) {
      unpinned.push(key);
    }
  }
  return unpinned;
}
