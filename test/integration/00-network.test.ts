/**
 * The consortium as an operator brings it up: nodes, channel, chaincode
 * definition and endorsement policy, identity checks, and restarts that keep the
 * ledger. Runs against the network started by scripts/network.sh.
 */
import { status as grpcStatus } from '@grpc/grpc-js';
import { StatusCode } from '@hyperledger/fabric-gateway';
import { ContractName } from '@model-ledger/contract';
import { peer as peerProtos } from '@hyperledger/fabric-protos';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelHeight, healthStatus, rejection } from '../support/ledger';
import { connectAs, connectWith, identityOf, loadPlan, networkScript, NodePlan, Plan, runtimeDir, signerOf } from '../support/network';
import { settled } from '../support/transport';

function nodeHealth(node: NodePlan): Promise<number> {
  return healthStatus(node.health, node.kind === 'ca' ? node.certFile : node.tls.ca);
}

async function peerJson(orgName: string, ...args: string[]): Promise<Record<string, unknown>> {
  return JSON.parse(await networkScript('peer', orgName, ...args, '-O', 'json')) as Record<string, unknown>;
}

/** A fresh account id for this test run, so reruns on a kept ledger stay independent. */
function freshAccount(label: string): string {
  return `org::${label}-${process.pid}-${Date.now()}`;
}

describe('the consortium network', () => {
  let plan: Plan;

  beforeAll(() => {
    plan = loadPlan();
  });

  it('answers the health check of every CA, orderer and peer', async () => {
    const nodes: NodePlan[] = [
      ...(plan.ordererOrg === null ? [] : [plan.ordererOrg.ca]),
      ...plan.orderers,
      ...plan.orgs.flatMap((o) => [o.ca, ...o.peers]),
    ];
    // Raft: the ordering org's CA and three orderers; BFT: four member orgs' orderers. Each member org: its CA and peer.
    expect(nodes).toHaveLength((plan.ordering.consensus === 'bft' ? 4 : 1 + 3) + plan.orgs.length * 2);
    const statuses = await Promise.all(nodes.map(async (n) => [n.id, await nodeHealth(n)] as const));
    expect(statuses).toEqual(nodes.map((n) => [n.id, 200]));
  });

  it('has every peer joined to the channel at the same height', async () => {
    const heights = await Promise.all(plan.orgs.map((o) => channelHeight(o.name, plan.channel)));
    expect(heights.every((h) => h > 0)).toBe(true);
    // Peers commit the same blocks; allow a block in flight between them.
    expect(Math.max(...heights) - Math.min(...heights)).toBeLessThanOrEqual(1);
  });

  it('shows per org in `status` its nodes up, its peers against the channel height, and its first certificate to expire', async () => {
    const out = await networkScript('status');
    const summary = out.slice(out.indexOf('FIRST CERTIFICATE TO EXPIRE'));
    expect(out).toMatch(/HEIGHT \(CHANNEL [1-9][0-9]*\)/);
    for (const org of plan.orgs) {
      // The CA, one peer and (BFT) its orderer, all up; a fresh network's certificates have about a year left.
      const nodes = 2 + org.orderers.length;
      expect(summary).toMatch(new RegExp(`\\n${org.name} +${nodes}/${nodes} +peer0\\.${org.name} [0-9]+.* in 36[0-5] days`));
    }
    if (plan.ordererOrg !== null) expect(summary).toMatch(/\norderer +4\/4 /);
    else expect(summary).not.toMatch(/\norderer /);
    // An org of the topology that joins later is named as outside the channel.
    expect(summary).toMatch(new RegExp(`\\npharma +- +not a member of ${plan.channel}`));
  });

  it('lists every certificate with the days it has left (`certs ORG`), and refuses an unknown org', async () => {
    const rows = (await networkScript('certs', 'hospital')).trim().split('\n').slice(1);
    const holders = rows.map((r) => r.split(/ +/).slice(0, 3).join(' '));
    expect(holders).toEqual(
      expect.arrayContaining(['hospital peer0 signing', 'hospital peer0 tls', 'hospital admin signing', 'hospital ca ca']),
    );
    for (const row of rows) expect(Number(row.split(/ +/)[3])).toBeGreaterThan(300);
    await expect(networkScript('certs', 'nosuchorg')).rejects.toThrow(/no certificates of 'nosuchorg'/);
  });

  it('runs the chaincode for each org on a server of its own, which only that org\u2019s peers dial', async () => {
    const served = new Set<string>();
    for (const o of plan.orgs) {
      const running = readFileSync(join(o.chaincodeServer.dir, 'running.id'), 'utf8').trim();
      served.add(running);
      const installed = (await peerJson(o.name, 'lifecycle', 'chaincode', 'queryinstalled')).installed_chaincodes as {
        package_id: string;
        label: string;
      }[];
      const ours = installed.find((c) => c.package_id === running);
      expect({ org: o.name, installed: ours !== undefined }).toEqual({ org: o.name, installed: true });
      // The package the org's peers installed points them at the org's own server, checked against the org's own CA.
      const connection = JSON.parse(readFileSync(join(o.chaincodeServer.dir, ours!.label, 'src', 'connection.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(connection).toMatchObject({
        address: o.chaincodeServer.address,
        tls_required: true,
        root_cert: readFileSync(o.ca.certFile, 'utf8'),
      });
      const pid = Number(readFileSync(join(runtimeDir, 'pids', `${o.chaincodeServer.id}.pid`), 'utf8'));
      expect(() => process.kill(pid, 0)).not.toThrow();
    }
    expect(served.size).toBe(plan.orgs.length);
  });

  it("has the chaincode committed on every peer under the channel's majority endorsement policy", async () => {
    for (const o of plan.orgs) {
      const committed = await peerJson(o.name, 'lifecycle', 'chaincode', 'querycommitted', '-C', plan.channel, '-n', plan.chaincode.name);
      expect(committed.approvals).toEqual(Object.fromEntries(plan.orgs.map((x) => [x.mspId, true])));

      // The definition refers to the channel's policy (a MAJORITY of the member
      // orgs' Endorsement policies; the regulator's is never met): an org added
      // to the channel is covered without a new definition.
      const policy = peerProtos.ApplicationPolicy.deserializeBinary(Buffer.from(committed.validation_parameter as string, 'base64'));
      expect(policy.getSignaturePolicy()).toBeUndefined();
      expect(policy.getChannelConfigPolicyReference()).toBe('/Channel/Application/ChaincodeEndorsement');
    }
  });

  it('commits a transaction endorsed as the policy requires', async () => {
    const issuer = connectAs(plan, 'clearing', 'issuer1');
    try {
      const account = freshAccount('endorsed');
      const outcome = await settled(issuer.ledger.token.mint({ to: account, amount: 25 }));
      expect(outcome.status).toBe('VALID');
      expect(outcome.code).toBe(StatusCode.VALID);
      expect(outcome.blockNumber).toBeGreaterThan(0n);
      expect((await issuer.ledger.token.getBalance(account)).amount).toBe('25');
    } finally {
      issuer.close();
    }
  });

  it('rejects at validation a transaction endorsed by one org alone', async () => {
    const issuer = connectAs(plan, 'clearing', 'issuer1');
    try {
      const account = freshAccount('one-org');
      const outcome = await settled(issuer.ledgerWith({ endorsingOrganizations: ['ClearingMSP'] }).token.mint({ to: account, amount: 7 }));
      expect(outcome.status).toBe('ENDORSEMENT_POLICY_FAILURE');
      expect(outcome.code).toBe(StatusCode.ENDORSEMENT_POLICY_FAILURE);
      expect((await issuer.ledger.token.getBalance(account)).amount).toBe('0');
    } finally {
      issuer.close();
    }
  });

  it('does not serve the benchmark\u2019s blind write on the production chaincode, so no member can write outside the business rules', async () => {
    const practitioner = connectAs(plan, 'hospital', 'practitioner1');
    try {
      expect(await rejection(() => practitioner.ledger.baseline.put('x'.repeat(100)))).toContain(
        `Contract name is not known: ${ContractName.baseline}`,
      );
    } finally {
      practitioner.close();
    }
  });

  it('refuses an identity issued by a CA outside the consortium', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'intruder-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    execFileSync('openssl', ['req', '-new', '-x509', '-key', key, '-out', cert, '-days', '1', '-subj', '/OU=client/CN=intruder']);
    const hospital = plan.orgs.find((o) => o.name === 'hospital');
    if (!hospital) throw new Error('no hospital org in the plan');
    const intruder = connectWith(
      hospital.peers[0],
      identityOf('HospitalMSP', readFileSync(cert)),
      signerOf(readFileSync(key)),
      plan.channel,
      plan.chaincode.name,
    );
    try {
      const refusal = await intruder.ledger.token.getBalance('org::HospitalMSP').then(
        () => undefined,
        (err: unknown) => err as { code?: number; message: string; details?: { message: string }[] },
      );
      // FAILED_PRECONDITION from the peer's proposal check, naming the MSP it claimed.
      expect(refusal?.code).toBe(grpcStatus.FAILED_PRECONDITION);
      expect(refusal?.details?.map((d) => d.message)).toEqual([
        'error validating proposal: access denied: channel [licensing] creator org [HospitalMSP]',
      ]);
    } finally {
      intruder.close();
    }
  });
});
