/**
 * Enrolled Fabric identities of this org: certificate, signer and the role
 * attribute the org's CA wrote into the certificate.
 */
import { Identity, Signer, signers } from '@hyperledger/fabric-gateway';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OrgPlan } from './plan';

/** The roles the chaincode knows (`role` certificate attribute). */
export const ROLES = ['admin', 'engineer', 'practitioner', 'staff', 'issuer', 'regulator'] as const;
export type Role = (typeof ROLES)[number];

/** One enrolled user of the org, ready to sign. */
export interface EnrolledUser {
  readonly name: string;
  readonly org: string;
  readonly mspId: string;
  readonly role: Role | null;
  readonly identity: Identity;
  readonly signer: Signer;
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
  const certPem = readFileSync(join(user.msp, 'signcerts', 'cert.pem'));
  const keyPem = readFileSync(join(user.msp, 'keystore', 'key.pem'));
  const role = certificateAttributes(certPem).role;
  return {
    name,
    org: org.name,
    mspId: org.mspId,
    role: (ROLES as readonly string[]).includes(role ?? '') ? (role as Role) : null,
    identity: { mspId: org.mspId, credentials: certPem },
    signer: signers.newPrivateKeySigner(createPrivateKey(keyPem)),
  };
}

/** Whether a user is a regulator: any identity of the regulator org, or `role=regulator`. */
export function isRegulator(user: Pick<EnrolledUser, 'mspId' | 'role'>): boolean {
  return user.mspId === 'RegulatorMSP' || user.role === 'regulator';
}
