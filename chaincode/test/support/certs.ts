/**
 * Real X.509 certificates for the tests of what the chaincode checks itself
 * (batched accesses, registered CA roots): an org's CA root and its users'
 * certificates with Fabric CA's attribute extension, made by the openssl
 * command line, as a Fabric CA would make them (ECDSA P-256, SHA-256).
 */
import { execFileSync } from 'child_process';
import { createHash, createPrivateKey, sign, type KeyObject } from 'crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { accessRequestBytes, type AccessRequest } from '@model-ledger/contract';
import { identityOf } from '../../src/domain/attestation';
import { FakeIdentity } from './fabric';

/** The extension OID under which Fabric CA writes a certificate's attributes, as `{"attrs":{...}}`. */
const FABRIC_ATTRIBUTES_OID = '1.2.3.4.5.6.7.8.1';

function openssl(args: readonly string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(`openssl ${args[0]} failed (the certificate tests need the openssl command: apt-get install openssl): ${String(err)}`);
  }
}

/** A certificate authority: its root certificate and the key it signs with. */
export class TestCa {
  private constructor(
    readonly mspId: string,
    readonly dir: string,
    readonly certificate: string,
  ) {}

  /** A new self-signed root for `mspId`. */
  static create(mspId: string, name = `ca.${mspId.toLowerCase()}`): TestCa {
    const dir = mkdtempSync(join(tmpdir(), 'mll-ca-'));
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
    openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        'ca.key',
        '-sha256',
        '-days',
        '3650',
        '-subj',
        `/O=${mspId}/CN=${name}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-out',
        'ca.pem',
      ],
      dir,
    );
    return new TestCa(mspId, dir, readFileSync(join(dir, 'ca.pem'), 'utf8'));
  }

  /** A user certificate this CA issues, with Fabric CA's attributes, and the user's key. */
  issue(name: string, attributes: Readonly<Record<string, string>>, options: { days?: number; ca?: boolean } = {}): TestUser {
    const base = createHash('sha256').update(name).digest('hex').slice(0, 12);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${base}.key`], this.dir);
    openssl(['req', '-new', '-key', `${base}.key`, '-subj', `/OU=client/CN=${name}`, '-out', `${base}.csr`], this.dir);
    const json = Buffer.from(JSON.stringify({ attrs: attributes }), 'utf8')
      .toString('hex')
      .toUpperCase();
    writeFileSync(
      join(this.dir, `${base}.ext`),
      [
        options.ca === true ? 'basicConstraints=critical,CA:TRUE' : 'basicConstraints=critical,CA:FALSE',
        `${FABRIC_ATTRIBUTES_OID}=DER:${json}`,
        '',
      ].join('\n'),
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${base}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-sha256',
        '-days',
        String(options.days ?? 365),
        '-extfile',
        `${base}.ext`,
        '-out',
        `${base}.pem`,
      ],
      this.dir,
    );
    const certificate = readFileSync(join(this.dir, `${base}.pem`), 'utf8');
    const key = createPrivateKey(readFileSync(join(this.dir, `${base}.key`)));
    return new TestUser(this.mspId, name, attributes, certificate, key);
  }

  /** Deletes the CA's files. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A user with a real certificate: a fake identity for submitting, and a key for signing requests. */
export class TestUser extends FakeIdentity {
  private readonly certified: ReturnType<typeof identityOf>;

  constructor(
    mspId: string,
    name: string,
    attributes: Readonly<Record<string, string>>,
    readonly certificate: string,
    readonly key: KeyObject,
  ) {
    super(mspId, name, attributes);
    this.certified = identityOf(mspId, certificate);
  }

  /** Fabric's id of the certificate, as the shim reads a creator's. */
  override getID(): string {
    return this.certified.getID();
  }

  override getAttributeValue(name: string): string | null {
    return this.certified.getAttributeValue(name);
  }

  override getIDBytes(): Uint8Array {
    return Buffer.from(this.certificate, 'utf8');
  }

  /** Signs an access request as the gateway signs with a Fabric identity: ECDSA over its SHA-256. */
  signRequest(request: AccessRequest): string {
    return sign('sha256', accessRequestBytes(request), this.key).toString('base64');
  }
}
