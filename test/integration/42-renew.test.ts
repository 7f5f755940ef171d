/**
 * Renewing certificates before they expire (`scripts/network.sh renew ORG
 * NAME`): a user's new certificate and key are what the running API instance
 * signs with from the next request on, with no restart; a node restarts alone
 * on its new certificates while the channel goes on.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidOf } from '../support/faults';
import { caughtUp } from '../support/ledger';
import { loadPlan, networkScript, org, runtimeDir } from '../support/network';
import type { Json } from '../support/api';
import { KeyStore } from '../../gateway-api/src/auth/keys';

const serialOf = (file: string): string => new X509Certificate(readFileSync(file)).serialNumber.toLowerCase();

describe('renewing certificates (renew ORG NAME)', () => {
  const plan = loadPlan();
  const userCert = join(runtimeDir, 'crypto', 'hospital', 'users', 'practitioner2', 'msp', 'signcerts', 'cert.pem');
  const userKey = join(runtimeDir, 'crypto', 'hospital', 'users', 'practitioner2', 'msp', 'keystore', 'key.pem');

  it("renews a user's certificate and key, which the running API instance signs with from the next request", async () => {
    const key = new KeyStore(join(runtimeDir, 'api', 'hospital-keys.json'), 'hospital').issue('practitioner2').key;
    const me = async (): Promise<Json> => {
      const response = await fetch(`${org(plan, 'hospital').api.url}/v1/me`, { headers: { 'X-API-Key': key } });
      expect(response.status).toBe(200);
      return (await response.json()) as Json;
    };
    const oldSerial = serialOf(userCert);
    const oldKey = readFileSync(userKey, 'utf8');
    const before = await me();
    expect(before.certificate.serialNumber).toBe(oldSerial);

    await networkScript('renew', 'hospital', 'practitioner2');
    const newSerial = serialOf(userCert);
    expect(newSerial).not.toBe(oldSerial);
    expect(readFileSync(userKey, 'utf8')).not.toBe(oldKey);

    // /v1/me evaluates whoAmI on the peer, which checks the proposal's signature against the new certificate.
    const after = await me();
    expect(after.certificate.serialNumber).toBe(newSerial);
    expect(after.certificate.daysLeft).toBeGreaterThanOrEqual(before.certificate.daysLeft);
    expect(after).toMatchObject({ user: 'practitioner2', role: 'practitioner', account: before.account, attributes: before.attributes });
  });

  it("renews a node: the clinic's peer restarts alone on new certificates and catches up with the channel", async () => {
    const dir = join(runtimeDir, 'crypto', 'clinic', 'nodes', 'peer0');
    const oldSigning = serialOf(join(dir, 'msp', 'signcerts', 'cert.pem'));
    const oldTls = serialOf(join(dir, 'tls', 'cert.pem'));
    const oldPeer = pidOf('peer0.clinic');
    const others = ['peer0.hospital', 'peer0.lab', 'orderer0', 'api.clinic', 'chaincode.clinic'].map((n) => [n, pidOf(n)] as const);

    await networkScript('renew', 'clinic', 'peer0');
    expect(serialOf(join(dir, 'msp', 'signcerts', 'cert.pem'))).not.toBe(oldSigning);
    expect(serialOf(join(dir, 'tls', 'cert.pem'))).not.toBe(oldTls);
    expect(pidOf('peer0.clinic')).not.toBe(oldPeer);
    // Nothing else was restarted.
    expect(others.map(([n]) => [n, pidOf(n)])).toEqual(others);

    const { height, target } = await caughtUp('clinic', 'hospital', plan.channel);
    expect(height).toBeGreaterThanOrEqual(target);
  });

  it('refuses an identity the org does not have, and renews nothing', async () => {
    const serial = serialOf(userCert);
    await expect(networkScript('renew', 'hospital', 'nobody')).rejects.toThrow(/hospital has no user or node 'nobody'/);
    await expect(networkScript('renew', 'nosuchorg', 'admin')).rejects.toThrow(/unknown org 'nosuchorg'/);
    expect(serialOf(userCert)).toBe(serial);
  });
});
