/**
 * The chaincode builds its key-level policies from `Endorsement` in config.ts;
 * the channel's policy comes from network/topology.json. They must name the
 * same founding endorsers and majority, or owned keys would ask for peers that
 * do not endorse.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Endorsement } from '../src/config';

interface Topology {
  readonly orgs: readonly { readonly mspId: string; readonly endorser: boolean; readonly founding?: boolean }[];
}

describe("the chaincode's view of the endorsing orgs", () => {
  const topology = JSON.parse(readFileSync(join(__dirname, '..', '..', 'network', 'topology.json'), 'utf8')) as Topology;
  const founders = topology.orgs.filter((org) => org.founding !== false);

  it('names the founding orgs the topology marks as endorsers, in its order', () => {
    expect([...Endorsement.orgs]).toEqual(founders.filter((org) => org.endorser).map((org) => org.mspId));
  });

  it('names the founding orgs that do not endorse', () => {
    expect([...Endorsement.nonEndorsing]).toEqual(founders.filter((org) => !org.endorser).map((org) => org.mspId));
  });

  it('names the endorsing orgs that join later', () => {
    expect([...Endorsement.laterMembers]).toEqual(
      topology.orgs.filter((org) => org.founding === false && org.endorser).map((org) => org.mspId),
    );
  });

  it("asks for the channel's MAJORITY of the founding member orgs", () => {
    expect(Endorsement.quorum).toBe(Math.floor(founders.length / 2) + 1);
  });
});
