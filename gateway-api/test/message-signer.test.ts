/**
 * The native signer of batched access requests (src/fabric/identity.ts):
 * what it signs verifies with the certificate's key as the chaincode checks
 * it, on every curve Node offers Fabric CA; on P-256 its S is always the low
 * one, as Fabric's signers make it; and it agrees with fabric-gateway's
 * signer in what it proves (either signature verifies over the same bytes).
 */
import { signers } from '@hyperledger/fabric-gateway';
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { messageSigner } from '../src/fabric/identity';

const P256_HALF_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551') >> 1n;

/** The S of a DER ECDSA signature. */
function sOf(der: Buffer): bigint {
  const rLength = der[3];
  const sLength = der[5 + rLength];
  return BigInt(`0x${der.subarray(6 + rLength, 6 + rLength + sLength).toString('hex')}`);
}

describe('messageSigner', () => {
  it.each(['P-256', 'P-384', 'P-521'])('signs what the key verifies on %s, and nothing else', (curve) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const sign = messageSigner(privateKey);
    for (let i = 0; i < 50; i += 1) {
      const message = Buffer.from(`access request ${i}`);
      const signature = sign(message);
      expect(verify('sha256', message, publicKey, signature)).toBe(true);
      expect(verify('sha256', Buffer.from(`access request ${i + 1}`), publicKey, signature)).toBe(false);
    }
  });

  it('always gives the low S on P-256, in well-formed DER', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const sign = messageSigner(privateKey);
    for (let i = 0; i < 300; i += 1) {
      const der = sign(Buffer.from(`message ${i}`));
      expect(der[0]).toBe(0x30);
      expect(der[1]).toBe(der.length - 2);
      expect(sOf(der) <= P256_HALF_ORDER).toBe(true);
    }
  });

  it('proves what fabric-gateway’s signer proves over the same bytes', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const message = Buffer.from('the canonical JSON of an access request');
    const theirs = Buffer.from(await signers.newPrivateKeySigner(privateKey)(createHash('sha256').update(message).digest()));
    expect(verify('sha256', message, publicKey, theirs)).toBe(true);
    expect(verify('sha256', message, publicKey, messageSigner(privateKey)(message))).toBe(true);
  });
});
