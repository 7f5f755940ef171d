/**
 * `scripts/network.sh certs` and `status` read every certificate of a
 * runtime folder. The certificates here are made by openssl with known
 * lifetimes, laid out as the network lays them out.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { certificates } from '../src';

const runtime = mkdtempSync(join(tmpdir(), 'mll-certs-'));

/** A self-signed EC certificate for CN, valid DAYS days from now, at PATH under the runtime folder. */
function certificate(path: string, cn: string, days: number): void {
  const file = join(runtime, path);
  mkdirSync(dirname(file), { recursive: true });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dirname(file), 'key.pem'),
      '-out',
      file,
      '-days',
      String(days),
      '-subj',
      `/CN=${cn}`,
    ],
    { stdio: 'ignore' },
  );
}

beforeAll(() => {
  certificate('crypto/hospital/nodes/peer0/msp/signcerts/cert.pem', 'peer0', 300);
  certificate('crypto/hospital/nodes/peer0/tls/cert.pem', 'peer0', 30);
  certificate('crypto/hospital/users/dr-lee/msp/signcerts/cert.pem', 'dr-lee', 90);
  // A CA root copied into an MSP is the CA's own certificate, listed once, from the CA's folder.
  certificate('crypto/hospital/users/dr-lee/msp/cacerts/ca.pem', 'ca.hospital', 5000);
  certificate('ca/hospital/ca-cert.pem', 'ca.hospital', 5000);
  certificate('ca/hospital/tls-cert.pem', 'ca.hospital', 3650);
  certificate('ca/hospital/registrar/msp/signcerts/cert.pem', 'registrar', 365);
  certificate('crypto/orderer/nodes/orderer0/tls/cert.pem', 'orderer0', 10);
});

describe('the certificates of a runtime folder', () => {
  it('lists each node, user and CA certificate once, soonest expiry first, with the days it has left', () => {
    const now = new Date();
    const found = certificates(runtime, now);
    expect(found.map((c) => [c.org, c.holder, c.use, c.subject, c.daysLeft])).toEqual([
      ['orderer', 'orderer0', 'tls', 'orderer0', 9],
      ['hospital', 'peer0', 'tls', 'peer0', 29],
      ['hospital', 'dr-lee', 'signing', 'dr-lee', 89],
      ['hospital', 'peer0', 'signing', 'peer0', 299],
      ['hospital', 'registrar', 'signing', 'registrar', 364],
      ['hospital', 'ca', 'ca-tls', 'ca.hospital', 3649],
      ['hospital', 'ca', 'ca', 'ca.hospital', 4999],
    ]);
    expect(found[0].path).toBe('crypto/orderer/nodes/orderer0/tls/cert.pem');
  });

  it('counts the days left from the time it is given, negative once a certificate has expired', () => {
    const later = new Date(Date.now() + 20 * 24 * 60 * 60 * 1000);
    expect(certificates(runtime, later)[0]).toMatchObject({ holder: 'orderer0', daysLeft: -11 });
  });

  it('finds nothing in a folder without a network', () => {
    expect(certificates(mkdtempSync(join(tmpdir(), 'mll-empty-')))).toEqual([]);
  });
});
