/**
 * Users enrolled on a running network (`scripts/network.sh enroll`): the
 * checks on what an operator asks for, and the record that keeps the user in
 * every later plan (`crypto/<org>/users.added.json`).
 */
import { ROLES } from '@model-ledger/contract';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from './plan';
import type { TopologyUser } from './topology';

/** What an operator asked for, checked: the identity type, whether it gets a TLS pair, and its certificate attributes. */
export interface NewUser {
  readonly org: string;
  readonly name: string;
  readonly type: 'admin' | 'client';
  /** Admins get a TLS pair too, for the peer CLI. */
  readonly tls: boolean;
  readonly attrs: Readonly<Record<string, string>>;
}

/** A request the network refuses; the message says what to change. */
export class UserRequestError extends Error {
  override name = 'UserRequestError';
}

const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const PAIR = /^([a-zA-Z][a-zA-Z0-9_.-]{0,63})=([a-zA-Z0-9_.@/-]{1,128})$/;

/**
 * Checks `enroll ORG NAME ROLE [ATTR=VALUE...]` against the plan and the
 * chaincode's roles.
 *
 * @throws UserRequestError naming the argument at fault.
 */
export function newUser(plan: Plan, args: readonly string[]): NewUser {
  if (args.length < 3) {
    throw new UserRequestError('usage: scripts/network.sh enroll ORG NAME ROLE [ATTR=VALUE...]');
  }
  const user = checkUser(plan, args);
  if (plan.orgs.some((o) => o.name === user.org && o.users.some((u) => u.name === user.name))) {
    throw new UserRequestError(
      `${user.name} is already enrolled in ${user.org}; issue it another key with: MLL_API_ORG=${user.org} npm run -s -w gateway-api keys -- issue --user ${user.name}`,
    );
  }
  return user;
}

/** The checks of `newUser` but whether the user is enrolled already. */
function checkUser(plan: Plan, args: readonly string[]): NewUser {
  const [orgName, name, role, ...pairs] = args;
  const org = plan.orgs.find((o) => o.name === orgName);
  if (org === undefined) {
    throw new UserRequestError(`unknown member org '${orgName}' (known: ${plan.orgs.map((o) => o.name).join(' ')})`);
  }
  if (!NAME.test(name)) {
    throw new UserRequestError(`NAME must be 1-32 lower-case letters, digits or '-', starting with a letter; got '${name}'`);
  }
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new UserRequestError(`ROLE must be one of ${ROLES.join(', ')}; got '${role}'`);
  }
  const attrs: Record<string, string> = { role: role };
  for (const pair of pairs) {
    const match = PAIR.exec(pair);
    if (match === null) {
      throw new UserRequestError(`attributes are NAME=VALUE (letters, digits and _.-, values also @ and /); got '${pair}'`);
    }
    if (match[1] === 'role') {
      throw new UserRequestError('give the role as ROLE, not as an attribute');
    }
    if (match[1].startsWith('hf.')) {
      throw new UserRequestError("hf.* attributes are the CA's own and cannot be given");
    }
    attrs[match[1]] = match[2];
  }
  const admin = role === 'admin';
  return { org: org.name, name, type: admin ? 'admin' : 'client', tls: admin, attrs };
}

/** The attributes as Fabric CA's `--id.attrs` takes them, each written into the enrollment certificate. */
export function caAttrs(attrs: Readonly<Record<string, string>>): string {
  return Object.entries(attrs)
    .map(([k, v]) => `${k}=${v}:ecert`)
    .join(',');
}

/** The most users one `enroll-many` enrolls. */
export const MAX_BULK_USERS = 1000;

/**
 * Checks `enroll-many ORG PREFIX COUNT ROLE [ATTR=VALUE...]`: the users
 * PREFIX-1 … PREFIX-COUNT, all with the same role and attributes. Those
 * already enrolled are left out, so that running it again enrolls only what
 * is missing (a load generator's users, kept between runs).
 *
 * @throws UserRequestError naming the argument at fault.
 */
export function newUsers(plan: Plan, args: readonly string[]): NewUser[] {
  if (args.length < 4) {
    throw new UserRequestError('usage: scripts/network.sh enroll-many ORG PREFIX COUNT ROLE [ATTR=VALUE...]');
  }
  const [orgName, prefix, countText, ...rest] = args;
  if (!/^[1-9][0-9]{0,3}$/.test(countText) || Number(countText) > MAX_BULK_USERS) {
    throw new UserRequestError(`COUNT must be a whole number from 1 to ${MAX_BULK_USERS}; got '${countText}'`);
  }
  const count = Number(countText);
  // Every name is checked as one enrollment would be; the ones already enrolled are skipped.
  const users = Array.from({ length: count }, (_, i) => checkUser(plan, [orgName, `${prefix}-${i + 1}`, ...rest]));
  const enrolled = new Set(plan.orgs.find((o) => o.name === orgName)?.users.map((u) => u.name));
  return users.filter((u) => !enrolled.has(u.name));
}

/** Keeps enrolled users in every later plan of their org. */
export function recordUsers(runtimeDir: string, users: readonly NewUser[]): void {
  for (const org of new Set(users.map((u) => u.org))) {
    const file = join(runtimeDir, 'crypto', org, 'users.added.json');
    const added = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as TopologyUser[]) : [];
    const known = new Set(added.map((u) => u.name));
    const entries: TopologyUser[] = users
      .filter((u) => u.org === org && !known.has(u.name))
      .map((u) => ({ name: u.name, type: u.type, attrs: u.attrs }));
    writeFileSync(`${file}.tmp`, JSON.stringify([...added, ...entries], null, 2) + '\n');
    renameSync(`${file}.tmp`, file);
  }
}

/** Keeps an enrolled user in every later plan of its org. */
export function recordUser(runtimeDir: string, user: NewUser): void {
  recordUsers(runtimeDir, [user]);
}
