import { BaselineContract } from '../bench';
import { FakeFabric } from './support/fabric';
import type { FakeIdentity } from './support/fabric';
import { people, person } from './support/world';

const baseline = new BaselineContract();
const value = 'x'.repeat(100);

describe('the benchmark baseline (BaselineContract:Put)', () => {
  it('writes exactly one key unique to the transaction and reads nothing', async () => {
    const fabric = new FakeFabric();
    const endorsement = await fabric.endorse(people.practitioner, baseline, 'Put', [value]);
    const out = endorsement.result as { key: string; txId: string };
    expect(out).toEqual({ key: `baseline/${endorsement.txId}`, txId: endorsement.txId });
    expect(endorsement.commit()).toBe('VALID');
    const rows = fabric.ledger.scan('', '');
    expect(rows.map((row) => row.key)).toEqual([`baseline/${endorsement.txId}`]);
    expect(JSON.parse(new TextDecoder().decode(rows[0].value))).toEqual({ value });
  });

  it('lets two concurrent writes both commit, since they share no key', async () => {
    const fabric = new FakeFabric();
    const first = await fabric.endorse(people.practitioner, baseline, 'Put', [value]);
    const second = await fabric.endorse(people.practitioner2, baseline, 'Put', [value]);
    expect(first.commit()).toBe('VALID');
    expect(second.commit()).toBe('VALID');
    expect(fabric.ledger.scan('', '')).toHaveLength(2);
  });

  it.each<[string, FakeIdentity]>([
    ['hospital practitioner', people.practitioner],
    ['lab admin', people.labAdmin],
    ['clinic practitioner', people.clinicPractitioner],
    ['settlement issuer', people.issuer],
  ])('is callable by a %s', async (_name, who) => {
    const fabric = new FakeFabric();
    await expect(fabric.submit(who, baseline, 'Put', value)).resolves.toBeDefined();
  });

  it.each<[string, FakeIdentity]>([
    ['regulator', people.regulator],
    ['regulator-org admin', person('RegulatorMSP', 'reg-admin', 'admin')],
    ['regulator-role member', person('HospitalMSP', 'embedded-auditor', 'regulator')],
    ['caller without a role', people.stranger],
  ])('refuses a %s with FORBIDDEN and writes nothing', async (_name, who) => {
    const fabric = new FakeFabric();
    await expect(fabric.submit(who, baseline, 'Put', value)).rejects.toThrow(/^FORBIDDEN: /);
    expect(fabric.ledger.scan('', '')).toHaveLength(0);
  });

  it('refuses an empty or oversized value with INVALID_ARGUMENT naming the field', async () => {
    const fabric = new FakeFabric();
    await expect(fabric.submit(people.practitioner, baseline, 'Put', '')).rejects.toThrow(/^INVALID_ARGUMENT: value /);
    await expect(fabric.submit(people.practitioner, baseline, 'Put', 'x'.repeat(1025))).rejects.toThrow(/^INVALID_ARGUMENT: value /);
    expect(fabric.ledger.scan('', '')).toHaveLength(0);
  });
});
