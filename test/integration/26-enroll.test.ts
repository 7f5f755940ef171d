/**
 * Enrolling a new user on the running network with `scripts/network.sh
 * enroll`: the org's CA registers it with its attributes, the printed API key
 * works at once on the instance `up` started before the user existed, and bad
 * requests fail with a clear message and change nothing.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { certificateAttributes } from '../../gateway-api/src/fabric/identity';
import { loadPlan, repoRoot, runtimeDir } from '../support/network';

const run = promisify(execFile);

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function enroll(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run('bash', [join(repoRoot, 'scripts/network.sh'), 'enroll', ...args], {
      env: { ...process.env, MLL_RUNTIME_DIR: runtimeDir },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('enrolling a new user on the running network', () => {
  const name = `dr-new-${process.pid}`;
  const planFile = join(runtimeDir, 'plan.json');
  const hospitalApi = (): string =>
    (loadPlan() as unknown as { orgs: { name: string; api: { url: string } }[] }).orgs.find((o) => o.name === 'hospital')!.api.url;

  it('registers the user with its attributes at the org CA and prints an API key that works on the running instance', async () => {
    const outcome = await enroll('hospital', name, 'practitioner', 'department=radiology');
    expect(outcome).toMatchObject({ code: 0 });
    const key = outcome.stdout.trim();
    expect(key).toMatch(/^\S{20,}$/);
    expect(outcome.stderr).toContain(`enrolled ${name}@hospital`);
    expect(outcome.stderr).not.toContain(key);

    const msp = join(runtimeDir, 'crypto/hospital/users', name, 'msp');
    expect(certificateAttributes(readFileSync(join(msp, 'signcerts/cert.pem')))).toMatchObject({
      role: 'practitioner',
      department: 'radiology',
    });
    expect(statSync(join(msp, 'keystore/key.pem')).mode & 0o077).toBe(0);

    const me = await fetch(`${hospitalApi()}/v1/me`, { headers: { 'X-API-Key': key } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: name, org: 'hospital', mspId: 'HospitalMSP', role: 'practitioner', regulator: false });
  });

  it('refuses a user already enrolled, an unknown org or role, and malformed names and attributes, changing nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['hospital', name, 'practitioner'], /already enrolled in hospital; issue it another key with/],
      [['hospital', 'practitioner1', 'practitioner'], /already enrolled/],
      [['pharmacy', 'dr-x', 'practitioner'], /unknown member org 'pharmacy' \(known: lab hospital clinic clearing regulator/],
      [['hospital', 'dr-x', 'surgeon'], /ROLE must be one of admin, engineer, practitioner, issuer, regulator; got 'surgeon'/],
      // Not a role the chaincode knows: a staff user could never write anything.
      [['hospital', 'dr-x', 'staff'], /ROLE must be one of .*; got 'staff'/],
      [['hospital', 'Dr X', 'practitioner'], /NAME must be 1-32 lower-case letters/],
      [['hospital', 'dr-x', 'practitioner', 'role=admin'], /give the role as ROLE/],
      [['hospital', 'dr-x', 'practitioner', 'hf.Registrar.Roles=client'], /hf\.\* attributes are the CA's own/],
      [['hospital', 'dr-x', 'practitioner', 'ward=a,b'], /attributes are NAME=VALUE/],
      [['hospital', 'dr-x'], /usage: scripts\/network.sh enroll ORG NAME ROLE/],
    ];
    const plan = readFileSync(planFile, 'utf8');
    for (const [args, message] of cases) {
      const outcome = await enroll(...args);
      expect({ args, code: outcome.code, stdout: outcome.stdout }).toEqual({ args, code: 1, stdout: '' });
      expect(outcome.stderr).toMatch(message);
    }
    expect(readFileSync(planFile, 'utf8')).toBe(plan);
  });
});
