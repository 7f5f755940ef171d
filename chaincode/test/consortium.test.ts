/**
 * The chaincode builds its key-level policies from `Endorsement` in config.ts;
 * the network builds the chaincode's policy from network/topology.json. They
 * must name the same orgs and quorum, or owned keys would ask for peers that
 * do not endorse.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Endorsement } from '../src/config';

interface Topology {
  readonly chaincode: { readonly endorsementQuorum: number };
  readonly orgs: readonly { readonly mspId: string; readonly endorser: boolean }[];
}

describe("the chaincode's view of the endorsing orgs", () => {
  const topology = JSON.parse(readFileSync(join(__dirname, '..', '..', 'network', 'topology.json'), 'utf8')) as Topology;

  it('names the orgs the topology marks as endorsers, in its order', () => {
    expect([...Endorsement.orgs]).toEqual(topology.orgs.filter((org) => org.endorser).map((org) => org.mspId));
  });

  it("asks for the quorum of the chaincode definition's policy", () => {
    expect(Endorsement.quorum).toBe(topology.chaincode.endorsementQuorum);
  });
});
