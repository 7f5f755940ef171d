/**
 * Proof of a transaction from the block that holds it: what the block says
 * about the transaction (validation code, creator, endorsers, chaincode call,
 * key-value writes) and the checks anyone can repeat from Fabric's own block
 * bytes: the block's data hash recomputed over its transactions, its header
 * hash chained to the next block's previous hash, and a record's bytes
 * against the value the transaction wrote, or, for an access recorded in a
 * batch, the record's Merkle path to the root the batch wrote. The gateway API builds its proofs
 * with these functions; `verify` (src/cli/verify.ts) repeats the checks
 * offline on block files fetched with `peer channel fetch`, trusting nothing
 * the API said.
 */
import { common, ledger, msp, peer } from '@hyperledger/fabric-protos';
import { canonicalJson, verifyInclusion, type BatchReceipt } from '@model-ledger/contract';
import { createHash, X509Certificate } from 'node:crypto';

/** An identity as a transaction carries it: its MSP and its certificate's subject. */
export interface Party {
  readonly mspId: string;
  readonly subject: string;
}

/** One key the transaction wrote, in one chaincode namespace. */
export interface Write {
  readonly namespace: string;
  readonly key: string;
  readonly isDelete: boolean;
  /** The value as UTF-8 text (every value our chaincode writes is JSON). */
  readonly value: string;
  readonly valueSha256: string;
}

/** What the block says about one of its transactions. */
export interface TransactionInBlock {
  readonly transactionId: string;
  /** Its position in the block. */
  readonly index: number;
  /**
   * The peers' validation code, from the block's metadata: a peer's copy of
   * the block carries it; the orderers' copy (`peer channel fetch`) does not,
   * and says NOT_RECORDED.
   */
  readonly validationCode: string;
  readonly valid: boolean;
  readonly timestamp: string;
  readonly creator: Party;
  readonly endorsers: readonly Party[];
  /** The chaincode it invoked; absent for a configuration transaction. */
  readonly chaincode?: { readonly name: string; readonly function: string; readonly args: readonly string[] };
  readonly writes: readonly Write[];
}

/** A block's hashes: the header's claims and what the bytes give. */
export interface BlockHashes {
  readonly number: string;
  /** The data hash the header claims. */
  readonly dataHash: string;
  /** SHA-256 over the block's transactions, recomputed. */
  readonly computedDataHash: string;
  readonly previousHash: string;
  /** SHA-256 of the header's ASN.1 encoding: what the next block must name as its previous hash. */
  readonly headerHash: string;
}

/** One check of a proof, passed or failed, with what was compared. */
export interface Check {
  readonly name: 'dataHash' | 'headerChain' | 'transactionInBlock' | 'valid' | 'recordBytes' | 'merkleInclusion';
  readonly passed: boolean;
  readonly detail: string;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

/** The validation code of a block copy that carries none: the orderers' (the peers validate, at commit). */
export const NOT_RECORDED = 'NOT_RECORDED';

/** The names of peer.TxValidationCode, by value. */
const VALIDATION_CODES = new Map<number, string>(Object.entries(peer.TxValidationCode).map(([name, code]) => [code as number, name]));

/** DER length octets. */
function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

/** A DER element: tag, length, content. */
const der = (tag: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);

/** A non-negative DER INTEGER: big-endian, minimal, with a leading zero octet when the high bit is set. */
function derUnsigned(value: bigint): Buffer {
  const octets: number[] = [];
  for (let n = value; n > 0n; n >>= 8n) octets.unshift(Number(n & 0xffn));
  if (octets.length === 0 || (octets[0] & 0x80) !== 0) octets.unshift(0);
  return der(0x02, Buffer.from(octets));
}

/**
 * The block header's bytes as Fabric hashes them (protoutil.BlockHeaderBytes):
 * the DER encoding of SEQUENCE { number INTEGER, previousHash OCTET STRING,
 * dataHash OCTET STRING }.
 */
export function headerBytes(header: common.BlockHeader): Buffer {
  const body = Buffer.concat([
    derUnsigned(BigInt(header.getNumber())),
    der(0x04, Buffer.from(header.getPreviousHash_asU8())),
    der(0x04, Buffer.from(header.getDataHash_asU8())),
  ]);
  return der(0x30, body);
}

/** The block header's hash (protoutil.BlockHeaderHash): what the next block names as its previous hash. */
export function headerHash(header: common.BlockHeader): Buffer {
  return sha256(headerBytes(header));
}

/**
 * Parses a block as `peer channel fetch` writes it, or qscc returns it.
 *
 * @throws Error when the bytes are not a block with a header.
 */
export function parseBlock(bytes: Uint8Array): common.Block {
  const block = common.Block.deserializeBinary(bytes);
  if (!block.hasHeader() || !block.hasData()) throw new Error('not a Fabric block (no header or data)');
  return block;
}

export function blockHashes(block: common.Block): BlockHashes {
  const header = block.getHeader() as common.BlockHeader;
  // protoutil.ComputeBlockDataHash: SHA-256 over the concatenated envelopes.
  const data = Buffer.concat((block.getData() as common.BlockData).getDataList_asU8().map((d) => Buffer.from(d)));
  return {
    number: String(header.getNumber()),
    dataHash: hex(header.getDataHash_asU8()),
    computedDataHash: hex(sha256(data)),
    previousHash: hex(header.getPreviousHash_asU8()),
    headerHash: hex(headerHash(header)),
  };
}

function party(serialized: Uint8Array): Party {
  const identity = msp.SerializedIdentity.deserializeBinary(serialized);
  const pem = Buffer.from(identity.getIdBytes_asU8()).toString('utf8');
  let subject = '';
  try {
    subject = new X509Certificate(pem).subject.replaceAll('\n', ', ');
  } catch {
    subject = '(not an X.509 certificate)';
  }
  return { mspId: identity.getMspid(), subject };
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

/** The writes of an endorsed chaincode action's read-write set. */
function writesOf(results: Uint8Array): Write[] {
  const rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(results);
  return rwset.getNsRwsetList().flatMap((ns) =>
    ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8())
      .getWritesList()
      .map((w) => ({
        namespace: ns.getNamespace(),
        key: w.getKey(),
        isDelete: w.getIsDelete(),
        value: text(w.getValue_asU8()),
        valueSha256: hex(sha256(w.getValue_asU8())),
      })),
  );
}

/**
 * The transaction with id TRANSACTIONID in BLOCK, as the block holds it.
 *
 * @returns undefined when the block has no such transaction.
 */
export function transactionInBlock(block: common.Block, transactionId: string): TransactionInBlock | undefined {
  const envelopes = (block.getData() as common.BlockData).getDataList_asU8();
  // The peers' validation codes, one octet per transaction, in the block's metadata.
  const filter = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ?? new Uint8Array();
  for (const [index, bytes] of envelopes.entries()) {
    const envelope = common.Envelope.deserializeBinary(bytes);
    const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
    const header = payload.getHeader();
    if (header === undefined) continue;
    const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
    if (channelHeader.getTxId() !== transactionId) continue;
    const signatureHeader = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
    const code = filter[index];
    const found = {
      transactionId,
      index,
      validationCode: code === undefined ? NOT_RECORDED : (VALIDATION_CODES.get(code) ?? String(code)),
      valid: code === peer.TxValidationCode.VALID,
      timestamp: channelHeader.getTimestamp()?.toDate().toISOString() ?? '',
      creator: party(signatureHeader.getCreator_asU8()),
    };
    if (channelHeader.getType() !== common.HeaderType.ENDORSER_TRANSACTION) {
      return { ...found, endorsers: [], writes: [] };
    }
    const endorsers: Party[] = [];
    const writes: Write[] = [];
    let chaincode: TransactionInBlock['chaincode'];
    for (const action of peer.Transaction.deserializeBinary(payload.getData_asU8()).getActionsList()) {
      const actionPayload = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
      const endorsed = actionPayload.getAction();
      if (endorsed === undefined) continue;
      endorsers.push(...endorsed.getEndorsementsList().map((e) => party(e.getEndorser_asU8())));
      const response = peer.ProposalResponsePayload.deserializeBinary(endorsed.getProposalResponsePayload_asU8());
      const chaincodeAction = peer.ChaincodeAction.deserializeBinary(response.getExtension_asU8());
      writes.push(...writesOf(chaincodeAction.getResults_asU8()));
      const proposal = peer.ChaincodeProposalPayload.deserializeBinary(actionPayload.getChaincodeProposalPayload_asU8());
      const args =
        peer.ChaincodeInvocationSpec.deserializeBinary(proposal.getInput_asU8()).getChaincodeSpec()?.getInput()?.getArgsList_asU8() ?? [];
      chaincode ??= {
        name: chaincodeAction.getChaincodeId()?.getName() ?? '',
        function: text(args[0] ?? new Uint8Array()),
        args: args.slice(1).map(text),
      };
    }
    return { ...found, endorsers, writes, ...(chaincode === undefined ? {} : { chaincode }) };
  }
  return undefined;
}

/**
 * The checks of a proof: the block's data hash recomputed over its
 * transactions; its header hash against the next block's previous hash (when
 * there is a next block yet); the transaction in the block, and valid (on a
 * peer's copy of the block, which records the validation codes); and,
 * given a record and the key it is stored under, the record's canonical bytes
 * against the value the transaction wrote there.
 */
export function proofChecks(
  block: common.Block,
  next: common.Block | undefined,
  transactionId: string,
  record?: { readonly key: string; readonly value: unknown },
  receipt?: BatchReceipt,
): Check[] {
  const hashes = blockHashes(block);
  const checks: Check[] = [
    {
      name: 'dataHash',
      passed: hashes.computedDataHash === hashes.dataHash,
      detail: `SHA-256 over block ${hashes.number}'s transactions is ${hashes.computedDataHash}; its header says ${hashes.dataHash}`,
    },
  ];
  if (next === undefined) {
    checks.push({ name: 'headerChain', passed: false, detail: `block ${hashes.number} is the newest: no next block names its hash yet` });
  } else {
    const nextHashes = blockHashes(next);
    const chained = nextHashes.previousHash === hashes.headerHash && BigInt(nextHashes.number) === BigInt(hashes.number) + 1n;
    checks.push({
      name: 'headerChain',
      passed: chained,
      detail: `block ${hashes.number}'s header hash is ${hashes.headerHash}; block ${nextHashes.number} names ${nextHashes.previousHash} as its previous`,
    });
  }
  const tx = transactionInBlock(block, transactionId);
  checks.push({
    name: 'transactionInBlock',
    passed: tx !== undefined,
    detail:
      tx === undefined
        ? `block ${hashes.number} holds no transaction ${transactionId}`
        : `transaction ${tx.index} of block ${hashes.number}`,
  });
  // The orderers' copy of a block carries no validation codes: validity is checked on a peer's copy only.
  if (tx?.validationCode !== NOT_RECORDED) {
    checks.push({
      name: 'valid',
      passed: tx?.valid === true,
      detail: `the peers' validation code: ${tx?.validationCode ?? 'none'}`,
    });
  }
  if (record !== undefined && receipt !== undefined) {
    checks.push(
      batchInclusion(
        tx?.writes.find((w) => w.key === record.key && !w.isDelete),
        record,
        receipt,
      ),
    );
  } else if (record !== undefined) {
    const write = tx?.writes.find((w) => w.key === record.key && !w.isDelete);
    const bytes = canonicalJson(record.value);
    checks.push({
      name: 'recordBytes',
      passed: write !== undefined && write.value === bytes,
      detail:
        write === undefined
          ? `the transaction wrote nothing under ${JSON.stringify(record.key)}`
          : `the record, as the chaincode serialises it (sorted keys), ${write.value === bytes ? 'is' : 'is not'} byte-identical to the ${Buffer.byteLength(write.value)} bytes written under ${JSON.stringify(record.key)} (sha256 ${write.valueSha256})`,
    });
  }
  return checks;
}

/**
 * The check of an access recorded in a batch: its record, as the chaincode
 * serialises it, is leaf `position` of the batch's Merkle tree, by the
 * receipt's path, up to the root that the batch transaction itself wrote
 * (read from the block's write under `record.key`, not from the receipt).
 */
function batchInclusion(write: Write | undefined, record: { readonly key: string; readonly value: unknown }, receipt: BatchReceipt): Check {
  if (write === undefined) {
    return { name: 'merkleInclusion', passed: false, detail: `the transaction wrote no batch under ${JSON.stringify(record.key)}` };
  }
  let root: unknown;
  let size: unknown;
  try {
    const batch = JSON.parse(write.value) as { merkleRoot?: unknown; accesses?: unknown };
    root = batch.merkleRoot;
    size = Array.isArray(batch.accesses) ? batch.accesses.length : undefined;
  } catch {
    root = undefined;
  }
  if (typeof root !== 'string' || !/^[0-9a-f]{64}$/.test(root) || typeof size !== 'number') {
    return { name: 'merkleInclusion', passed: false, detail: `the value written under ${JSON.stringify(record.key)} holds no batch root` };
  }
  const leaf = Buffer.from(canonicalJson(record.value), 'utf8');
  const path = receipt.path.map((hash) => Buffer.from(hash, 'hex'));
  const included =
    /^[0-9a-f]{64}$/.test(receipt.merkleRoot) && verifyInclusion(leaf, receipt.position, size, path, Buffer.from(root, 'hex'));
  return {
    name: 'merkleInclusion',
    passed: included,
    detail: included
      ? `the record, as the chaincode serialises it (sha256 ${createHash('sha256').update(leaf).digest('hex')}), is access ${receipt.position} of ${size} in the batch, by a ${path.length}-step path to the root ${root} the transaction wrote under ${JSON.stringify(record.key)}`
      : `the record, at position ${receipt.position}, does not lead by the receipt's path to the root ${root} the transaction wrote under ${JSON.stringify(record.key)}`,
  };
}
