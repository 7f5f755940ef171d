import { ContractName } from '@model-ledger/contract';
import type { BaselineWrite } from '@model-ledger/contract';
import { Context, Info, Transaction } from 'fabric-contract-api';
import { LedgerContract } from '../src/contracts/base';
import { invalidArgument } from '../src/errors';
import { requireWriter } from '../src/ledger/authz';
import { Tx } from '../src/ledger/tx';
import { result } from '../src/contracts/result';

/** Largest value `Put` accepts; the benchmark sends about 100 bytes. */
const MAX_BASELINE_VALUE = 1024;

/**
 * The key of one baseline write. It is unique to the transaction, so
 * concurrent baseline writes never touch the same key. Kept here rather than
 * in `domain/keys.ts` because it is benchmark scaffolding, not business state:
 * no query, contract or invariant reads the `baseline/` prefix.
 */
function baselineKey(txId: string): string {
  return `baseline/${txId}`;
}

/**
 * The network's own limit, for `npm run bench`: Fabric's classic trivial
 * workload, one blind write of about 100 bytes with no read. It runs on the
 * same channel, under the same endorsement policy and through the same client
 * path as the business transactions, so every benchmark figure can be given
 * as a ratio to it.
 *
 * It deliberately sets no chaincode event: the classic baseline has none, and
 * it stands for what the network can commit at all, not for a business change.
 */
@Info({ title: ContractName.baseline, description: 'A single blind write: the benchmark baseline' })
export class BaselineContract extends LedgerContract {
  constructor() {
    super(ContractName.baseline);
  }

  /**
   * Writes `value` (1 to 1024 characters) under `baseline/<txId>` with one
   * putState and no read. Any member identity with a known role; regulators
   * are refused like on every write. Returns `{ key, txId }`.
   *
   * @throws ChaincodeError FORBIDDEN for regulators and callers without a role;
   * INVALID_ARGUMENT (value) if the value is empty or too long.
   */
  @Transaction()
  async Put(ctx: Context, value: string): Promise<string> {
    const tx = new Tx(ctx);
    requireWriter(tx.caller, 'write the benchmark baseline');
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_BASELINE_VALUE) {
      throw invalidArgument('value', `must be 1 to ${MAX_BASELINE_VALUE} characters`);
    }
    const key = baselineKey(tx.txId);
    await tx.put(key, { value });
    return result<BaselineWrite>({ key, txId: tx.txId });
  }
}
