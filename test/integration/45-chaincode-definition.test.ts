/**
 * A chaincode definition travels between operators as a file (issue 15, §1):
 * one member defines the next sequence from its own build, every member checks
 * it against its own topology and build and approves it with its own
 * package, and one commits it once a majority has approved. A definition
 * whose policy was weakened on the way, or that names another build, is
 * refused by the org asked to approve it; a commit with too few approvals is
 * refused and changes nothing.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../support/api';
import { rejection } from '../support/ledger';
import { Connections, loadPlan, networkScript, runtimeDir } from '../support/network';
import { settled } from '../support/transport';

describe('a chaincode definition handed from operator to operator', () => {
  const plan = loadPlan();
  const tag = `${process.pid}-${Date.now()}`;
  const dir = join(runtimeDir, 'exchange', `definition-${tag}`);
  const file = join(dir, 'next.definition.json');
  const connections = new Connections();

  const committed = async (org: string): Promise<Json> =>
    JSON.parse(
      await networkScript(
        'peer',
        org,
        'lifecycle',
        'chaincode',
        'querycommitted',
        '-C',
        plan.channel,
        '-n',
        plan.chaincode.name,
        '-O',
        'json',
      ),
    ) as Json;

  afterAll(() => connections.closeAll());

  it("defines the next sequence from the lab's own view and build", async () => {
    mkdirSync(dir, { recursive: true });
    const before = (await committed('lab')).sequence as number;
    await networkScript('chaincode', 'define', file, '--org', 'lab');
    const definition = JSON.parse(readFileSync(file, 'utf8')) as Json;
    expect(definition).toEqual({
      channel: plan.channel,
      name: plan.chaincode.name,
      version: (await committed('lab')).version,
      sequence: before + 1,
      endorsementPolicy: '/Channel/Application/ChaincodeEndorsement',
    });
  });

  it('is refused by the hospital when its policy was weakened or it names another build', async () => {
    const definition = JSON.parse(readFileSync(file, 'utf8')) as Json;
    const weakened = join(dir, 'weakened.json');
    writeFileSync(weakened, JSON.stringify({ ...definition, endorsementPolicy: '/Channel/Application/Readers' }));
    expect(await rejection(() => networkScript('chaincode', 'approve', weakened, '--org', 'hospital'))).toContain(
      'hospital refuses the definition: it names endorsement policy "/Channel/Application/Readers"',
    );
    const other = join(dir, 'other-build.json');
    writeFileSync(other, JSON.stringify({ ...definition, version: 'licensing_000000000000' }));
    expect(await rejection(() => networkScript('chaincode', 'approve', other, '--org', 'hospital'))).toContain(
      'version licensing_000000000000, but hospital built',
    );
  });

  it('refuses the commit with two approvals of five, and commits it with three; the rest approve the committed sequence', async () => {
    const sequence = (JSON.parse(readFileSync(file, 'utf8')) as Json).sequence as number;
    await networkScript('chaincode', 'approve', file, '--org', 'lab');
    await networkScript('chaincode', 'approve', file, '--org', 'hospital');
    expect(await rejection(() => networkScript('chaincode', 'commit', file, '--org', 'lab'))).toContain(
      `2 of the 5 member orgs approved ${plan.chaincode.name} sequence ${sequence} (lab, hospital); a majority, 3, must`,
    );
    expect((await committed('clinic')).sequence).toBe(sequence - 1);

    await networkScript('chaincode', 'approve', file, '--org', 'clinic');
    await networkScript('chaincode', 'commit', file, '--org', 'hospital');
    for (const org of plan.orgs) {
      expect((await committed(org.name)).sequence).toBe(sequence);
    }
    await networkScript('chaincode', 'approve', file, '--org', 'clearing');
    await networkScript('chaincode', 'approve', file, '--org', 'regulator');
    expect((await committed('lab')).approvals).toEqual(Object.fromEntries(plan.orgs.map((o) => [o.mspId, true])));
  });

  it('serves the new sequence with every org approving: a mint, which needs the clearing org, commits', async () => {
    const issuer = connections.as('clearing', 'issuer1');
    const outcome = await settled(issuer.ledger.token.mint({ to: 'org::HospitalMSP', amount: '1', requestId: `definition-${tag}` }));
    expect(outcome.status).toBe('VALID');
  });
});
