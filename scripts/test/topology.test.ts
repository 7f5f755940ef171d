/**
 * `up` refuses a topology that breaks its schema or a rule across fields,
 * naming every problem by the path of the field at fault, before any node is
 * configured from it.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROLES } from '@model-ledger/contract';
import { buildPlan, readTopology, Topology, TopologyError, validateTopology } from '../src';

const repoRoot = resolve(__dirname, '../..');
const schema = JSON.parse(readFileSync(join(repoRoot, 'network', 'topology.schema.json'), 'utf8')) as {
  $defs: { role: { enum: string[] } };
};
const committed = readTopology(repoRoot);

/** A writable JSON copy: the tests below edit arbitrary paths of it, as an operator's typo would. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each test edits a different path of the copy
type Editable = { -readonly [K in keyof Topology]: any };

/** A deep copy of the committed topology with one change applied. */
function changed(edit: (t: Editable) => void): unknown {
  const copy = JSON.parse(JSON.stringify(committed)) as Editable;
  edit(copy);
  return copy;
}

function problems(raw: unknown): readonly string[] {
  try {
    validateTopology(raw, schema, 'topology.json');
  } catch (err) {
    if (err instanceof TopologyError) return err.problems;
    throw err;
  }
  return [];
}

describe('the topology', () => {
  it("as committed, is valid, refers the chaincode to the channel's majority, and keeps a later member out of the genesis", () => {
    const plan = buildPlan(committed, '/run', 0);
    expect(plan.chaincode.endorsementPolicy).toBe('/Channel/Application/ChaincodeEndorsement');
    expect(plan.orgs.map((o) => o.name)).toEqual(committed.orgs.filter((o) => o.founding !== false).map((o) => o.name));
    expect(plan.candidates.map((o) => o.name)).toEqual(['pharma']);
  });

  it("allows exactly the chaincode's roles", () => {
    expect(schema.$defs.role.enum).toEqual([...ROLES]);
  });

  it('names a role the chaincode does not know, by the path of the user', () => {
    expect(problems(changed((t) => (t.orgs[1].users[1].attrs.role = 'doctor')))).toEqual([
      `orgs.1.users.1.attrs.role must be one of ${ROLES.join(', ')}`,
    ]);
  });

  it('names every unknown or missing field at once', () => {
    expect(
      problems(
        changed((t) => {
          t.orgs[2].peerz = [];
          delete t.raft.batchTimeout;
        }),
      ),
    ).toEqual(['orgs.2 has an unknown field peerz', "raft must have required property 'batchTimeout'"]);
  });

  it('refuses a Raft clock whose heartbeat is not faster than its election timeout', () => {
    expect(problems(changed((t) => (t.raft.heartbeatTick = t.raft.electionTick)))).toEqual([
      `raft.heartbeatTick (${committed.raft.electionTick}) must be below raft.electionTick (${committed.raft.electionTick})`,
    ]);
  });

  it('refuses a port two listeners share, founders whose majority the endorsers cannot meet and a demo user that does not exist', () => {
    expect(
      problems(
        changed((t) => {
          t.orgs[0].api.port = t.orgs[1].api.port;
          t.orgs[0].endorser = false;
          t.orgs[1].endorser = false;
          t.orgs[3].api.demoUser = 'nobody';
        }),
      ),
    ).toEqual([
      `port ${committed.orgs[1].api.port} is used by two listeners`,
      `orgs.${committed.orgs[3].name}.api.demoUser names no user of the org (nobody)`,
      'the founding orgs need at least 3 endorsers, a majority of at least 3 (no two orgs write alone); they have 2 of 5',
    ]);
  });

  it('refuses founders so few that two of them would be a majority', () => {
    expect(
      problems(
        changed((t) => {
          t.orgs = t.orgs.slice(0, 3).concat(t.orgs.slice(5));
          for (const org of t.orgs) delete org.orderer;
        }),
      ),
    ).toEqual(['the founding orgs need at least 3 endorsers, a majority of at least 3 (no two orgs write alone); they have 3 of 3']);
  });

  it('refuses a BFT consenter set smaller than 3f+1 with f = 1, and an orderer in an org that joins later', () => {
    expect(
      problems(
        changed((t) => {
          delete t.orgs[3].orderer;
          t.orgs[5].orderer = { name: 'orderer0', port: 7120, adminPort: 7123, opsPort: 9457 };
        }),
      ),
    ).toEqual([
      'BFT ordering needs an orderer in at least 4 founding orgs (3f+1 with f = 1); 3 have one (orgs[].orderer)',
      `orgs.${committed.orgs[5].name}: an org that joins later cannot run an orderer of the channel's genesis consenter set`,
    ]);
  });

  it('refuses a spare first peer: spare peers join from a snapshot of the first', () => {
    expect(problems(changed((t) => (t.orgs[0].peers[0].spare = true)))).toEqual([
      `orgs.${committed.orgs[0].name}: its first peer cannot be spare (the others join from its snapshot)`,
    ]);
  });

  it('refuses a model server run by an org without a serving gate', () => {
    const without = committed.orgs.find((o) => o.gate === undefined);
    expect(problems(changed((t) => (t.modelServer.operator = without?.name)))).toEqual([
      `modelServer.operator must name an org with a gate; ${without?.name} has none`,
    ]);
  });

  it('refuses two orgs with one MSP id', () => {
    expect(problems(changed((t) => (t.orgs[1].mspId = t.orgs[0].mspId)))).toEqual([`mspId ${committed.orgs[0].mspId} is used twice`]);
  });
});
