import { createHash } from 'crypto';

/** Serialises with sorted keys at every depth; declared once, in the contract package, for the chaincode and the proofs that check its bytes. */
export { canonicalJson } from '@model-ledger/contract';

/** Lower-case hex sha256 of a UTF-8 string. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
