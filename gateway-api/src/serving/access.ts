/**
 * What binds an inference request to the access that paid for it, shared by
 * the licensee's gateway (which signs) and the model owner's serving gate
 * (which checks): the request's hash and the creator's signature over the
 * access id and that hash.
 */
import type { Signer } from '@hyperledger/fabric-gateway';
import canonicalize from 'canonicalize';
import { createHash, verify, X509Certificate } from 'node:crypto';
import { ApiCode, ApiError } from '../errors';

/** The header naming the access (its transaction id) a request to a gate is served under. */
export const ACCESS_ID_HEADER = 'mll-access-id';
/** The header carrying the access creator's signature (base64 DER ECDSA) over `accessMessage`. */
export const ACCESS_SIGNATURE_HEADER = 'mll-access-signature';

/**
 * sha256 (hex) of the RFC 8785 canonical JSON of the request the model
 * receives: what the access record holds instead of the inputs, so that the
 * caller can prove which request a record paid for without the ledger ever
 * seeing it, and the gate can check that it serves that request and no other.
 *
 * @throws ApiError INVALID_ARGUMENT when the request has no canonical JSON form.
 */
export function requestHashOf(request: unknown): string {
  const text = canonicalize(request);
  if (text === undefined) {
    throw new ApiError(ApiCode.INVALID_ARGUMENT, 'the request cannot be put in canonical JSON');
  }
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The bytes the creator signs: a fixed domain tag, the access id and the request hash. */
export function accessMessage(accessId: string, requestHash: string): Buffer {
  return Buffer.from(`mll-serving-gate-v1\n${accessId}\n${requestHash}`, 'utf8');
}

/**
 * Signs an access for the gate with the key of the identity that created it,
 * as Fabric signs: ECDSA over the sha256 digest. Returns base64.
 */
export async function signAccess(signer: Signer, accessId: string, requestHash: string): Promise<string> {
  const digest = createHash('sha256').update(accessMessage(accessId, requestHash)).digest();
  return Buffer.from(await signer(digest)).toString('base64');
}

/** Whether `signature` (base64) is the holder of `certPem`'s signature over the access message. */
export function verifyAccessSignature(certPem: string, accessId: string, requestHash: string, signature: string): boolean {
  try {
    const key = new X509Certificate(certPem).publicKey;
    return verify('sha256', accessMessage(accessId, requestHash), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
