/**
 * Enrolled Fabric identities of this org: certificate, signer, and the
 * attributes (the role among them) the org's CA wrote into the certificate.
 * Who is a regulator, and who is read-only, is decided here by the same
 * rules as the chaincode's (`chaincode/src/ledger/authz.ts`).
 */
import { Identity, Signer, signers } from '@hyperledger/fabric-gateway';
import { ROLE_ATTRIBUTE, ROLES, type Role } from '@model-ledger/contract';
import { createPrivateKey, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { OrgPlan } from './plan';

/** One enrolled user of the org, ready to sign. */
export interface EnrolledUser {
  readonly name: string;
  readonly org: string;
  readonly mspId: string;
  /** The `role` attribute when it is one the chaincode knows; null when absent or unknown. */
  readonly role: Role | null;
  /** Every attribute Fabric CA wrote into the certificate, `hf.*` ones included, as the chaincode reads them. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly identity: Identity;
  readonly signer: Signer;
  /**
   * Signs a message the chaincode checks itself (a batched access request):
   * ECDSA with SHA-256 over the message, DER, as Fabric signs (low S on
   * P-256), with Node's native crypto rather than `signer`'s JavaScript curve
   * (over ten times faster, and a batch signs hundreds).
   */
  readonly signMessage: (message: Uint8Array) => Buffer;
  /** The certificate file it was loaded from, and its modification time then: a renewed certificate changes it. */
  readonly certificate?: { readonly file: string; readonly mtimeMs: number };
}

/** Whether the user's certificate file changed since it was loaded (`scripts/network.sh renew`). */
export function certificateChanged(user: EnrolledUser): boolean {
  if (user.certificate === undefined) {
    return false;
  }
  try {
    return statSync(user.certificate.file).mtimeMs !== user.certificate.mtimeMs;
  } catch {
    return false;
  }
}

/** Fabric CA's attribute extension: its value is the JSON `{"attrs":{...}}`. */
const ATTRS_MARKER = Buffer.from('{"attrs":');

/**
 * Reads the attributes Fabric CA embedded in a certificate (extension
 * 1.2.3.4.5.6.7.8.1). Node's X509Certificate does not expose arbitrary
 * extensions, and the value is plain JSON inside an OCTET STRING, so it is
 * found in the DER by its opening bytes and parsed up to the matching brace.
 */
export function certificateAttributes(certPem: Buffer): Record<string, string> {
  const der = new X509Certificate(certPem).raw;
  const start = der.indexOf(ATTRS_MARKER);
  if (start < 0) {
    return {};
  }
  let depth = 0;
  for (let i = start; i < der.length; i++) {
    if (der[i] === 0x7b) depth++;
    if (der[i] === 0x7d && --depth === 0) {
      const parsed = JSON.parse(der.subarray(start, i + 1).toString('utf8')) as { attrs?: Record<string, string> };
      return parsed.attrs ?? {};
    }
  }
  return {};
}

/** What `/v1/me` says of the caller's certificate. */
export function certificateView(
  certPem: Uint8Array,
  now: Date = new Date(),
): {
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
} {
  const cert = new X509Certificate(Buffer.from(certPem));
  const notAfter = new Date(cert.validTo);
  return {
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000),
  };
}

/**
 * Loads an enrolled user of the org from its MSP folder.
 *
 * @throws Error when the user is not in the plan or its files are unreadable.
 */
export function loadUser(org: OrgPlan, name: string): EnrolledUser {
  const user = org.users.find((u) => u.name === name);
  if (user === undefined) {
    throw new Error(`user "${name}" is not enrolled in org ${org.name}; enrolled: ${org.users.map((u) => u.name).join(', ')}`);
  }
  const certFile = join(user.msp, 'signcerts', 'cert.pem');
  // The time first: a renewal that lands between these reads is seen at the next check.
  const { mtimeMs } = statSync(certFile);
  const certPem = readFileSync(certFile);
  // A renewal moves the new key into place before the new certificate.
  const keyPem = readFileSync(join(user.msp, 'keystore', 'key.pem'));
  const attributes = certificateAttributes(certPem);
  return {
    name,
    org: org.name,
    mspId: org.mspId,
    role: knownRole(attributes[ROLE_ATTRIBUTE]),
    attributes,
    identity: { mspId: org.mspId, credentials: certPem },
    signer: signers.newPrivateKeySigner(createPrivateKey(keyPem)),
    signMessage: messageSigner(createPrivateKey(keyPem)),
    certificate: { file: certFile, mtimeMs },
  };
}

/** The order of P-256's group, and half of it: Fabric accepts only signatures whose S is at most half. */
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const P256_HALF_ORDER = P256_ORDER >> 1n;

/** A DER INTEGER of a non-negative big-endian number. */
function derInteger(value: bigint): Buffer {
  const hex = value.toString(16);
  let bytes = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
  // A leading bit set would read as negative.
  if (bytes[0] >= 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/** `EnrolledUser.signMessage` for an EC private key; on P-256 (Fabric CA's default) S is made low, as Fabric's signers make it. */
export function messageSigner(privateKey: KeyObject): (message: Uint8Array) => Buffer {
  const p256 = privateKey.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  return (message) => {
    const raw = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const half = raw.length / 2;
    const r = BigInt(`0x${raw.subarray(0, half).toString('hex')}`);
    let s = BigInt(`0x${raw.subarray(half).toString('hex')}`);
    if (p256 && s > P256_HALF_ORDER) s = P256_ORDER - s;
    const body = Buffer.concat([derInteger(r), derInteger(s)]);
    // A sequence longer than 127 bytes (P-521) takes the long form of its length.
    return Buffer.concat([Buffer.from(body.length < 0x80 ? [0x30, body.length] : [0x30, 0x81, body.length]), body]);
  };
}

/** The regulator org's MSP id (`Msp.regulator` in `chaincode/src/config.ts`). */
export const REGULATOR_MSP = 'RegulatorMSP';

/** A `role` attribute value as a known role, or null when it is absent or not one the chaincode knows. */
export function knownRole(value: string | undefined): Role | null {
  return (ROLES as readonly string[]).includes(value ?? '') ? (value as Role) : null;
}

/**
 * Whether a user is a regulator, who may read everything: an identity of
 * the regulator org, and nothing else. A `role=regulator` attribute does not
 * make one: every org runs its own CA, so any org could issue itself that
 * attribute (the chaincode's `isRegulator` decides the same way).
 */
export function isRegulator(user: Pick<EnrolledUser, 'mspId'>): boolean {
  return user.mspId === REGULATOR_MSP;
}

/**
 * Whether a user may write nothing: a regulator, or any identity whose
 * certificate says `role=regulator`. Such a member identity is read-only but
 * reads no more than its org may (the chaincode's `isReadOnly`).
 */
export function isReadOnly(user: Pick<EnrolledUser, 'mspId' | 'role'>): boolean {
  return isRegulator(user) || user.role === 'regulator';
}
