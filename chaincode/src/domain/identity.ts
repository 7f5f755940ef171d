import { sha256Hex } from './canonical';

/**
 * Account ids, defined once.
 *
 * - A client identity's account is `x509::<mspId>::<sha256 hex of its Fabric id>`,
 *   where the Fabric id is `ClientIdentity.getID()` (`x509::<subject>::<issuer>`).
 *   Hashing keeps the id short, free of `/` and stable across certificate renewals
 *   that keep subject and issuer.
 * - An org treasury is `org::<mspId>`. Only that org's `role=admin` identities
 *   may spend from it or claim royalties into it.
 */
export const ACCOUNT_ID_PATTERN = /^(x509::[A-Za-z0-9][A-Za-z0-9.-]{0,63}::[0-9a-f]{64}|org::[A-Za-z0-9][A-Za-z0-9.-]{0,63})$/;

/** Pattern of an MSP id. */
export const MSP_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/;

/** The account id of a client identity. */
export function clientAccountId(mspId: string, fabricClientId: string): string {
  return `x509::${mspId}::${sha256Hex(fabricClientId)}`;
}

/** The account id of an org treasury. */
export function orgAccountId(mspId: string): string {
  return `org::${mspId}`;
}

/** The MSP id an account belongs to. Assumes a valid account id. */
export function mspOfAccount(accountId: string): string {
  return accountId.split('::')[1] ?? '';
}

/** True if the account is an org treasury. */
export function isOrgAccount(accountId: string): boolean {
  return accountId.startsWith('org::');
}
