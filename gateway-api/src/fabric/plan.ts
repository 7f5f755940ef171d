/**
 * The network plan (`<runtime>/plan.json`, written by `scripts/network.sh up`;
 * its type is the network tools' `Plan`) and the part one API instance binds to:
 * its org and its peer.
 */
import type { OrgPlan, PeerPlan, Plan } from '@model-ledger/network-tools';
import { readFileSync } from 'node:fs';

export type { OrgPlan, PeerPlan, Plan, UserPlan } from '@model-ledger/network-tools';

/** What one API instance serves: its org and the peer it talks to. */
export interface OrgBinding {
  readonly channel: string;
  readonly chaincode: string;
  readonly org: OrgPlan;
  readonly peer: PeerPlan;
}

/**
 * Reads the plan and picks the org and peer this instance serves.
 *
 * @throws Error when the plan has no such org or peer.
 */
export function bindOrg(planFile: string, orgName: string, peerName: string): OrgBinding {
  const plan = JSON.parse(readFileSync(planFile, 'utf8')) as Plan;
  const org = plan.orgs.find((o) => o.name === orgName);
  if (org === undefined) {
    throw new Error(`org "${orgName}" is not in ${planFile}; known orgs: ${plan.orgs.map((o) => o.name).join(', ')}`);
  }
  const peer = peerName === '' ? org.peers[0] : org.peers.find((p) => p.id === peerName || p.id.startsWith(`${peerName}.`));
  if (peer === undefined) {
    throw new Error(`peer "${peerName}" of org ${orgName} is not in ${planFile}`);
  }
  return { channel: plan.channel, chaincode: plan.chaincode.name, org, peer };
}
