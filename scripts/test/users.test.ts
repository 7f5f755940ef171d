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
import { buildPlan, caAttrs, newUser, readTopology, recordUser, UserRequestError } from '../src';

const repoRoot = resolve(__dirname, '../..');
const runtime = mkdtempSync(join(tmpdir(), 'mll-users-'));
const plan = buildPlan(readTopology(repoRoot), runtime, 0);

function refusal(args: string[]): string {
  try {
    newUser(plan, args);
  } catch (err) {
    if (err instanceof UserRequestError) return err.message;
    throw err;
  }
  throw new Error(`accepted ${args.join(' ')}`);
}

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
