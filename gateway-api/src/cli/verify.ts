/**
 * Checks a proof offline, against block files fetched with Fabric's own
 * client, trusting nothing the gateway API said:
 *
 *   npm run -w gateway-api verify -- PROOF.json BLOCK.pb [NEXT.pb]
 *
 * PROOF.json is the answer of `GET /v1/audit/proofs/{transactionId}` (or just
 * `{"transactionId": ..., "record": {"key": ..., "value": ...}}`, with the
 * `receipt` for an access recorded in a batch, whose record is then checked
 * by its Merkle path to the root the batch wrote); BLOCK.pb
 * the block that holds the transaction and NEXT.pb the one after it, as
 * Fabric's own peer CLI writes them: `peer channel fetch <number> <file>`
 * (the orderers' copy, which carries no validation codes, so validity is not
 * checked), or a peer's own copy, with its validation codes, from qscc:
 * `peer chaincode query -C <channel> -n qscc -c
 * '{"Args":["GetBlockByNumber","<channel>","<number>"]}' --hex | xxd -r -p`.
 * Only the transaction id and the record are read from the proof: every hash,
 * the validation code and the written bytes are recomputed from the block
 * files. Prints each check; exits 0 when all pass, 1 when any fails, 2 on bad
 * input.
 */
import { readFileSync } from 'node:fs';
import type { BatchReceipt } from '@model-ledger/contract';
import { NOT_RECORDED, parseBlock, proofChecks, transactionInBlock } from '../proof/block';

const USAGE = 'usage: verify PROOF.json BLOCK.pb [NEXT.pb]';

interface ProofInput {
  readonly transactionId?: unknown;
  readonly record?: { readonly key?: unknown; readonly value?: unknown } | null;
  readonly receipt?: BatchReceipt;
}

function main(args: readonly string[]): number {
  if (args.length < 2 || args.length > 3) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const [proofFile, blockFile, nextFile] = args;
  let proof: ProofInput;
  let block;
  let next;
  try {
    proof = JSON.parse(readFileSync(proofFile, 'utf8')) as ProofInput;
    block = parseBlock(readFileSync(blockFile));
    next = nextFile === undefined ? undefined : parseBlock(readFileSync(nextFile));
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (typeof proof.transactionId !== 'string') {
    process.stderr.write(`error: ${proofFile} names no transactionId\n`);
    return 2;
  }
  const record =
    proof.record !== null && proof.record !== undefined && typeof proof.record.key === 'string'
      ? { key: proof.record.key, value: proof.record.value }
      : undefined;
  const receipt = validReceipt(proof.receipt);
  const checks = proofChecks(block, next, proof.transactionId, record, receipt);
  const tx = transactionInBlock(block, proof.transactionId);
  if (tx !== undefined) {
    process.stdout.write(
      `transaction ${tx.transactionId}: ${tx.chaincode?.function ?? '(no chaincode call)'} by ${tx.creator.mspId} (${tx.creator.subject}), ` +
        `endorsed by ${tx.endorsers.map((e) => e.mspId).join(', ') || 'nobody'}, ${tx.writes.length} writes\n`,
    );
  }
  for (const check of checks) process.stdout.write(`${check.passed ? 'PASS' : 'FAIL'} ${check.name}: ${check.detail}\n`);
  if (tx?.validationCode === NOT_RECORDED) {
    process.stdout.write(
      `NOTE valid: ${blockFile} is the orderers' copy, which carries no validation codes; check validity on a peer's copy (qscc GetBlockByNumber)\n`,
    );
  }
  const failed = checks.filter((c) => !c.passed).length;
  process.stdout.write(failed === 0 ? `all ${checks.length} checks passed\n` : `${failed} of ${checks.length} checks failed\n`);
  return failed === 0 ? 0 : 1;
}

/** A batched access's receipt from the proof, when it has the shape of one; its hashes are checked, not trusted. */
function validReceipt(receipt: unknown): BatchReceipt | undefined {
  const r = receipt as Partial<BatchReceipt> | undefined;
  if (r === undefined || r === null || typeof r.position !== 'number' || !Array.isArray(r.path) || typeof r.merkleRoot !== 'string') {
    return undefined;
  }
  return r as BatchReceipt;
}

process.exitCode = main(process.argv.slice(2));
