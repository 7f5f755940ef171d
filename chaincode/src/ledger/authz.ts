import { Msp, Role } from '../config';
import { forbidden } from '../errors';
import { isOrgAccount, mspOfAccount, orgAccountId } from '../domain/identity';
import type { Caller } from './tx';

/**
 * Authorisation rules, in one place.
 *
 * - Regulators (identities of the regulator org) may call every query and no
 *   write transaction. A `role=regulator` attribute makes any identity
 *   read-only, but grants no regulator reads outside the regulator org: every
 *   org runs its own CA, so any org could issue itself that attribute.
 * - Every write needs a known `role` attribute.
 * - An org treasury (`org::<mspId>`) is spent from, and claimed into, only by
 *   that org's `role=admin` identities.
 */

/** True if the caller is a regulator, who may read everything: an identity of the regulator org. */
export function isRegulator(caller: Caller): boolean {
  return caller.mspId === Msp.regulator;
}

/** True if the caller may write nothing: the regulator org, or any identity carrying `role=regulator`. */
function isReadOnly(caller: Caller): boolean {
  return isRegulator(caller) || caller.role === Role.regulator;
}

/**
 * Admits a caller to a write transaction.
 *
 * @throws ChaincodeError FORBIDDEN for regulators, for callers without a known role,
 * and for callers whose role is not in `roles` (when given).
 */
export function requireWriter(caller: Caller, action: string, roles?: readonly Role[]): void {
  if (isReadOnly(caller)) {
    throw forbidden(`regulators may not ${action}; they have read-only access`);
  }
  const known = Object.values(Role) as readonly string[];
  if (caller.role === undefined || !known.includes(caller.role)) {
    throw forbidden(`${action} needs a certificate attribute role with a known value`);
  }
  if (roles !== undefined && !roles.some((role) => role === caller.role)) {
    throw forbidden(`${action} needs role ${roles.join(' or ')}, not ${caller.role}`);
  }
}

/**
 * Admits a caller to a write on an asset owned by `ownerMspId`.
 *
 * @throws ChaincodeError FORBIDDEN unless the caller is of that org and has one of `roles`.
 */
export function requireOrgWriter(caller: Caller, ownerMspId: string, action: string, roles: readonly Role[]): void {
  requireWriter(caller, action, roles);
  if (caller.mspId !== ownerMspId) {
    throw forbidden(`only ${ownerMspId} may ${action}; the caller is from ${caller.mspId}`);
  }
}

/** Whose money: the caller's own account or its org's treasury. */
export type AccountChoice = 'self' | 'org';

/** The choices of `AccountChoice`. */
export const ACCOUNT_CHOICES: readonly AccountChoice[] = ['self', 'org'];

/**
 * Resolves the account a caller acts for.
 *
 * @throws ChaincodeError FORBIDDEN if `org` is chosen by a caller that is not an admin.
 */
export function actingAccount(caller: Caller, choice: AccountChoice, action: string): string {
  if (choice === 'self') {
    return caller.account;
  }
  if (caller.role !== Role.admin) {
    throw forbidden(`only role admin may ${action} for the ${caller.mspId} treasury`);
  }
  return orgAccountId(caller.mspId);
}

/**
 * Admits a caller to a query about assets of the given orgs: regulators see
 * everything, members see what concerns their own org.
 *
 * @throws ChaincodeError FORBIDDEN otherwise.
 */
export function requireReader(caller: Caller, concernedMspIds: readonly string[], what: string): void {
  if (isRegulator(caller) || concernedMspIds.includes(caller.mspId)) {
    return;
  }
  throw forbidden(`${caller.mspId} may not read ${what}; it concerns ${concernedMspIds.join(', ')}`);
}

/** Admits a caller to a query about one account: the account's org, or a regulator. */
export function requireAccountReader(caller: Caller, account: string, what: string): void {
  requireReader(caller, [mspOfAccount(account)], what);
}

/** Admits a regulator only. */
export function requireRegulator(caller: Caller, what: string): void {
  if (!isRegulator(caller)) {
    throw forbidden(`only regulators may read ${what}`);
  }
}

/**
 * Admits a caller to act for the holder of units: the holder's own identity,
 * or an admin of the org whose treasury holds them.
 *
 * @throws ChaincodeError FORBIDDEN otherwise.
 */
export function requireHolder(caller: Caller, holder: string, action: string): void {
  if (caller.account === holder) {
    return;
  }
  if (isOrgAccount(holder) && mspOfAccount(holder) === caller.mspId) {
    if (caller.role === Role.admin) {
      return;
    }
    throw forbidden(`only role admin may ${action} for the ${caller.mspId} treasury`);
  }
  throw forbidden(`only the holder ${holder} may ${action}`);
}
