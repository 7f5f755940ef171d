import { X509Certificate, createHash, verify, type KeyObject } from 'crypto';
import { ClientIdentity } from 'fabric-shim';
import { ACCESS_REQUEST_KIND, accessRequestBytes } from '@model-ledger/contract';
import type { AccessRequest } from '@model-ledger/contract';
import { ChaincodeError, ErrorCode } from '../errors';

/**
 * Certificates checked by the chaincode itself, for what Fabric's MSP does
 * not check for us: the callers of a batched access sign their own requests,
 * and the batch's submitter only carries them, so each caller's certificate
 * is checked against its org's CA root as registered on the ledger, and each
 * signature against that certificate. Everything here is a pure function of
 * its arguments (the PEMs, the bytes, the transaction's time).
 */

/** The identity a verified certificate proves, read exactly as Fabric's shim reads a transaction creator's. */
export interface CertifiedIdentity {
  readonly mspId: string;
  /** `x509::<subject>::<issuer>`, as `ClientIdentity.getID()`. */
  getID(): string;
  getMSPID(): string;
  getAttributeValue(name: string): string | null;
}

/** The SHA-256 fingerprint (hex) of a certificate's DER bytes. */
export function certificateFingerprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('hex');
}

/**
 * Parses a PEM certificate.
 *
 * @throws ChaincodeError `code` with `what` named when it is not one.
 */
export function parseCertificate(pem: string, code: ErrorCode, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new ChaincodeError(code, `${what} is not a PEM X.509 certificate`);
  }
}

/**
 * Whether `root` is a CA certificate that signed itself, as a Fabric CA's
 * root is.
 */
export function isSelfSignedCa(root: X509Certificate): boolean {
  return root.ca && root.checkIssued(root) && root.verify(root.publicKey);
}

/** Whether `certificate` was issued and signed by `issuer`, and is valid at `now` (ISO). */
export function issuedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
}

/** Whether `now` (ISO) lies within the certificate's validity. */
export function validAt(certificate: X509Certificate, now: string): boolean {
  const at = Date.parse(now);
  return Date.parse(certificate.validFrom) <= at && at <= Date.parse(certificate.validTo);
}

/** The identity a certificate of `mspId` names, with Fabric's own reading of its id and attributes. */
export function identityOf(mspId: string, pem: string): CertifiedIdentity {
  // The shim reads a creator from a stub; this one carries nothing but the certificate.
  const creator = { mspid: mspId, idBytes: Buffer.from(pem, 'utf8') };
  const identity = new ClientIdentity({ getChannelID: () => '', getTxID: () => '', getCreator: () => creator } as never);
  return {
    mspId,
    getID: () => identity.getID(),
    getMSPID: () => mspId,
    getAttributeValue: (name: string) => identity.getAttributeValue(name),
  };
}

/** How far a signed access request's `signedAt` may lie from the batch's timestamp. */
export const SIGNED_REQUEST_WINDOW_SECONDS = 300;

/**
 * Checks that a caller's certificate chains to one of `roots` (the org's
 * registered CA roots) and is valid at `now`. A batch checks each distinct
 * certificate once, however many of its accesses it signed.
 *
 * @throws ChaincodeError CERTIFICATE_UNTRUSTED.
 */
export function requireTrusted(certificate: X509Certificate, roots: readonly X509Certificate[], mspId: string, now: string): void {
  if (!roots.some((root) => issuedBy(certificate, root))) {
    throw new ChaincodeError(
      ErrorCode.CERTIFICATE_UNTRUSTED,
      `the caller's certificate is not issued by a CA root registered for ${mspId}`,
    );
  }
  if (!validAt(certificate, now)) {
    throw new ChaincodeError(
      ErrorCode.CERTIFICATE_UNTRUSTED,
      `the caller's certificate is valid from ${certificate.validFrom} to ${certificate.validTo}, not at ${now}`,
    );
  }
}

/**
 * Checks one signed access request of a caller whose certificate
 * `requireTrusted` admitted: its form, that it belongs to `mspId`, that the
 * signature is the certificate key's over the request, and that it was
 * signed within the window around `now`.
 *
 * @throws ChaincodeError SIGNATURE_INVALID or CERTIFICATE_UNTRUSTED.
 */
export function verifySignedRequest(request: AccessRequest, key: KeyObject, signature: string, mspId: string, now: string): void {
  // The request comes from the batch's JSON: its kind is whatever was sent, whatever its type says.
  const kind: unknown = request.kind;
  if (kind !== ACCESS_REQUEST_KIND) {
    throw new ChaincodeError(ErrorCode.SIGNATURE_INVALID, `the request's kind is not ${ACCESS_REQUEST_KIND}`);
  }
  if (request.mspId !== mspId) {
    throw new ChaincodeError(
      ErrorCode.CERTIFICATE_UNTRUSTED,
      `the request names ${request.mspId}; a batch of ${mspId} carries only its own members' accesses`,
    );
  }
  let verified = false;
  try {
    verified = verify('sha256', accessRequestBytes(request), key, Buffer.from(signature, 'base64'));
  } catch {
    verified = false;
  }
  if (!verified) {
    throw new ChaincodeError(ErrorCode.SIGNATURE_INVALID, `the signature is not the caller's over request ${request.requestId}`);
  }
  const skew = Math.abs(Date.parse(request.signedAt) - Date.parse(now));
  if (!(skew <= SIGNED_REQUEST_WINDOW_SECONDS * 1000)) {
    throw new ChaincodeError(
      ErrorCode.SIGNATURE_INVALID,
      `request ${request.requestId} was signed at ${request.signedAt}, more than ${SIGNED_REQUEST_WINDOW_SECONDS} s from the batch's time ${now}`,
    );
  }
}
