/**
 * The parts of the network plan (`<runtime>/plan.json`, written by
 * `scripts/network.sh up`) that the API needs: the channel, the chaincode,
 * and each org's peers and enrolled users.
 */
import { readFileSync } from 'node:fs';

export interface PeerPlan {
  readonly id: string;
  readonly address: string;
  readonly tls: { readonly ca: string };
}

export interface UserPlan {
  readonly name: string;
  readonly type: string;
  /** The user's MSP folder: `signcerts/cert.pem` and `keystore/key.pem`. */
  readonly msp: string;
}

export interface OrgPlan {
  readonly name: string;
  readonly mspId: string;
  readonly peers: readonly PeerPlan[];
  readonly users: readonly UserPlan[];
}

export interface NetworkPlan {
  readonly channel: string;
  readonly chaincode: { readonly name: string };
  readonly orgs: readonly OrgPlan[];
}

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
  const plan = JSON.parse(readFileSync(planFile, 'utf8')) as NetworkPlan;
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
