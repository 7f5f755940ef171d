/**
 * `scripts/network.sh enroll ORG NAME ROLE [ATTR=VALUE...]` is checked by the
 * network tools before anything reaches a CA: a refused request names what to
 * change, and an accepted one says what the CA is to write into the certificate.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROLES } from '@model-ledger/contract';
import { buildPlan, caAttrs, MAX_BULK_USERS, newUser, newUsers, readTopology, recordUser, recordUsers, UserRequestError } from '../src';
import type { Plan } from '../src';

const repoRoot = resolve(__dirname, '../..');
const runtime = mkdtempSync(join(tmpdir(), 'mll-users-'));
const plan = buildPlan(readTopology(repoRoot), runtime, 0);

/** The message CHECK refuses ARGS with; a test fails if it accepts them. */
function refusalBy(check: (plan: Plan, args: string[]) => unknown, args: string[]): string {
  try {
    check(plan, args);
  } catch (err) {
    if (err instanceof UserRequestError) return err.message;
    throw err;
  }
  throw new Error(`accepted ${args.join(' ')}`);
}

const refusal = (args: string[]): string => refusalBy(newUser, args);

describe('an enrollment request', () => {
  it('gives a practitioner a client certificate with its role and attributes, and no TLS pair', () => {
    const user = newUser(plan, ['hospital', 'dr-lee', 'practitioner', 'department=radiology']);
    expect(user).toEqual({
      org: 'hospital',
      name: 'dr-lee',
      type: 'client',
      tls: false,
      attrs: { role: 'practitioner', department: 'radiology' },
    });
    expect(caAttrs(user.attrs)).toBe('role=practitioner:ecert,department=radiology:ecert');
  });

  it('gives an admin an admin identity with a TLS pair', () => {
    expect(newUser(plan, ['lab', 'ops', 'admin'])).toMatchObject({ type: 'admin', tls: true });
  });

  it.each([
    [['hospital', 'x'], 'usage: scripts/network.sh enroll ORG NAME ROLE [ATTR=VALUE...]'],
    [['pharma', 'x', 'admin'], `unknown member org 'pharma' (known: ${plan.orgs.map((o) => o.name).join(' ')})`],
    [['hospital', 'Dr_Lee', 'practitioner'], "NAME must be 1-32 lower-case letters, digits or '-', starting with a letter; got 'Dr_Lee'"],
    [['hospital', 'x', 'doctor'], `ROLE must be one of ${ROLES.join(', ')}; got 'doctor'`],
    [['hospital', 'x', 'practitioner', 'ward'], "attributes are NAME=VALUE (letters, digits and _.-, values also @ and /); got 'ward'"],
    [['hospital', 'x', 'practitioner', 'role=admin'], 'give the role as ROLE, not as an attribute'],
    [['hospital', 'x', 'practitioner', 'hf.Revoker=true'], "hf.* attributes are the CA's own and cannot be given"],
    [
      ['hospital', 'practitioner1', 'practitioner'],
      'practitioner1 is already enrolled in hospital; issue it another key with: MLL_API_ORG=hospital npm run -s -w gateway-api keys -- issue --user practitioner1',
    ],
  ])('refuses %j', (args, message) => {
    expect(refusal(args)).toBe(message);
  });

  it('is kept in every later plan once recorded', () => {
    mkdirSync(join(runtime, 'crypto', 'clinic'), { recursive: true });
    recordUser(runtime, newUser(plan, ['clinic', 'nurse-a', 'practitioner', 'ward=7']));
    recordUser(runtime, newUser(plan, ['clinic', 'nurse-b', 'practitioner']));
    expect(JSON.parse(readFileSync(join(runtime, 'crypto', 'clinic', 'users.added.json'), 'utf8'))).toEqual([
      { name: 'nurse-a', type: 'client', attrs: { role: 'practitioner', ward: '7' } },
      { name: 'nurse-b', type: 'client', attrs: { role: 'practitioner' } },
    ]);
    const later = buildPlan(readTopology(repoRoot), runtime, 0);
    expect(later.orgs.find((o) => o.name === 'clinic')?.users.map((u) => u.name)).toEqual(['admin', 'practitioner1', 'nurse-a', 'nurse-b']);
  });
});

describe('a bulk enrollment (enroll-many)', () => {
  const bulkRefusal = (args: string[]): string => refusalBy(newUsers, args);

  it('asks for PREFIX-1..COUNT with one role and the same attributes', () => {
    const users = newUsers(plan, ['hospital', 'buyer', '3', 'practitioner', 'ward=2']);
    expect(users.map((u) => u.name)).toEqual(['buyer-1', 'buyer-2', 'buyer-3']);
    for (const user of users)
      expect(user).toMatchObject({ org: 'hospital', type: 'client', tls: false, attrs: { role: 'practitioner', ward: '2' } });
  });

  it('leaves out the users already enrolled, so running it again enrolls only what is missing', () => {
    const runtimeDir = mkdtempSync(join(tmpdir(), 'mll-bulk-'));
    mkdirSync(join(runtimeDir, 'crypto', 'hospital'), { recursive: true });
    const first = buildPlan(readTopology(repoRoot), runtimeDir, 0);
    recordUsers(runtimeDir, newUsers(first, ['hospital', 'buyer', '2', 'practitioner']));
    const second = buildPlan(readTopology(repoRoot), runtimeDir, 0);
    expect(newUsers(second, ['hospital', 'buyer', '4', 'practitioner']).map((u) => u.name)).toEqual(['buyer-3', 'buyer-4']);
    recordUsers(runtimeDir, newUsers(second, ['hospital', 'buyer', '4', 'practitioner']));
    const third = buildPlan(readTopology(repoRoot), runtimeDir, 0);
    expect(newUsers(third, ['hospital', 'buyer', '4', 'practitioner'])).toEqual([]);
    expect(
      third.orgs
        .find((o) => o.name === 'hospital')
        ?.users.filter((u) => u.name.startsWith('buyer-'))
        .map((u) => u.name),
    ).toEqual(['buyer-1', 'buyer-2', 'buyer-3', 'buyer-4']);
  });

  it.each([
    [['hospital', 'buyer', '0', 'practitioner'], `COUNT must be a whole number from 1 to ${MAX_BULK_USERS}; got '0'`],
    [['hospital', 'buyer', '1001', 'practitioner'], `COUNT must be a whole number from 1 to ${MAX_BULK_USERS}; got '1001'`],
    [['hospital', 'buyer', 'ten', 'practitioner'], `COUNT must be a whole number from 1 to ${MAX_BULK_USERS}; got 'ten'`],
    [
      ['hospital', 'Buyer', '2', 'practitioner'],
      "NAME must be 1-32 lower-case letters, digits or '-', starting with a letter; got 'Buyer-1'",
    ],
    [['hospital', 'buyer', '2', 'pilot'], `ROLE must be one of ${ROLES.join(', ')}; got 'pilot'`],
    [['pharma', 'buyer', '2', 'practitioner'], "unknown member org 'pharma' (known: lab hospital clinic clearing regulator)"],
    [['hospital', 'buyer', '2'], 'usage: scripts/network.sh enroll-many ORG PREFIX COUNT ROLE [ATTR=VALUE...]'],
  ])('refuses %j', (args, message) => {
    expect(bulkRefusal(args)).toBe(message);
  });
});
