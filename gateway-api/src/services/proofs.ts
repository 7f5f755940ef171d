import {
  AuditClient,
  GovernanceClient,
  LicenseClient,
  MarketClient,
  parseBatchedAccessId,
  RoyaltyClient,
  type BatchReceipt,
  type Page,
} from '@model-ledger/contract';
import { ApiCode, ApiError } from '../errors';
import { isRegulator, type EnrolledUser } from '../fabric/identity';
import type { Ledger, Session } from '../fabric/ledger';
import {
  blockHashes,
  parseBlock,
  proofChecks,
  transactionInBlock,
  type BlockHashes,
  type Check,
  type TransactionInBlock,
} from '../proof/block';

/** The record a transaction wrote, as this API serves it, and the key the chaincode stores it under. */
export interface ProvenRecord {
  readonly kind: 'access' | 'refund' | 'purchase' | 'claim' | 'trade' | 'proposal';
  readonly id: string;
  readonly key: string;
  readonly value: unknown;
}

/** A transaction proven from the block that holds it. */
export interface Proof {
  readonly transactionId: string;
  readonly block: BlockHashes;
  /** The next block's number and previous hash, when the peer has it: what chains this block's header. */
  readonly nextBlock: { readonly number: string; readonly previousHash: string } | null;
  readonly transaction: TransactionInBlock;
  readonly record: ProvenRecord | null;
  /** For an access recorded in a batch: where it sits, and its Merkle path to the root the batch wrote. */
  readonly receipt?: BatchReceipt;
  readonly checks: readonly Check[];
  /** How to repeat the checks without this API. */
  readonly verify: string;
}

/** The window [at, at + 1 ms), which holds exactly the records of one instant. */
const instant = (at: string): { from: string; to: string } => ({ from: at, to: new Date(Date.parse(at) + 1).toISOString() });

/** Pages through a list until the record the transaction wrote (by its txId); at most 100 pages. */
async function findIn<T extends { readonly txId: string }>(
  txId: string,
  page: (bookmark: string) => Promise<Page<T>>,
): Promise<T | undefined> {
  let bookmark = '';
  for (let i = 0; i < 100; i++) {
    const got = await page(bookmark);
    const found = got.records.find((r) => r.txId === txId);
    if (found !== undefined || got.bookmark === '' || got.records.length === 0) return found;
    bookmark = got.bookmark;
  }
  return undefined;
}

/**
 * Which record of this API a write is, by the chaincode's key (chaincode
 * src/domain/keys.ts, parts joined by `/`, an account id possibly holding
 * `/` itself), and how to read it as the API serves it: by id, or from the
 * list the API serves it in, at the instant in its key.
 */
const RECORD_KEYS: readonly {
  readonly kind: ProvenRecord['kind'];
  readonly prefix: string;
  /** The record's id in the API, from the key's parts after the prefix. */
  readonly id: (parts: readonly string[]) => string;
  readonly read: (session: Session, parts: readonly string[], txId: string) => Promise<unknown>;
  /** The chaincode functions whose write is the record, when not every write under the prefix is. */
  readonly writtenBy?: RegExp;
}[] = [
  { kind: 'access', prefix: 'access', id: (p) => p.join('/'), read: (s, p) => new LicenseClient(s).getAccessRecord(p.join('/')) },
  { kind: 'refund', prefix: 'refund', id: (p) => p.join('/'), read: (s, p) => new LicenseClient(s).getAccessRefund(p.join('/')) },
  {
    // pur/<offeringId>/<at>/<txId>: GET /v1/offerings/{id}/purchases
    kind: 'purchase',
    prefix: 'pur',
    id: (p) => p.at(-1) ?? '',
    read: (s, p, txId) =>
      findIn(txId, (bookmark) => new AuditClient(s).listPurchasesByOffering(p[0], instant(p[1]), { pageSize: 100, bookmark })),
  },
  {
    // trade/<modelId>/<at>/<txId>: GET /v1/models/{id}/trades
    kind: 'trade',
    prefix: 'trade',
    id: (p) => p.at(-1) ?? '',
    read: (s, p, txId) =>
      findIn(txId, (bookmark) => new MarketClient(s).listTradesByModel(p[0], instant(p[1]), { pageSize: 100, bookmark })),
  },
  {
    // claim/<account>/<at>/<txId>: GET /v1/accounts/{account}/claims
    kind: 'claim',
    prefix: 'claim',
    id: (p) => p.at(-1) ?? '',
    read: (s, p, txId) =>
      findIn(txId, (bookmark) => new RoyaltyClient(s).listClaims(p.slice(0, -2).join('/'), { pageSize: 100, bookmark })),
  },
  {
    // prop/<proposalId>: GET /v1/proposals/{id}. Its execution is final; its
    // creation and closing are rewritten later, so only executions are proven.
    kind: 'proposal',
    prefix: 'prop',
    writtenBy: /ExecuteProposal$/,
    id: (p) => p.join('/'),
    read: async (s, p) => (await new GovernanceClient(s).getProposal(p.join('/'))).proposal,
  },
];

/** Proofs of transactions from the blocks this org's own peer holds. */
export class ProofService {
  constructor(
    private readonly ledger: Ledger,
    private readonly session: Session,
    private readonly caller: EnrolledUser,
  ) {}

  /**
   * The proof of a transaction: the block's hashes, what the block says of
   * the transaction, the record it wrote as this API serves it, and the
   * checks, each passed or failed. The regulator may prove any transaction;
   * a member, the transactions its own org created.
   *
   * @throws ApiError NOT_FOUND when the peer has no such transaction; FORBIDDEN for another org's.
   */
  async prove(id: string): Promise<Proof> {
    // A batched access (`<batch>-<position>`) is proven from its batch's transaction.
    const batched = parseBatchedAccessId(id);
    const transactionId = batched?.batchId ?? id;
    const bytes = await this.ledger.blocksOf(this.session, transactionId);
    const block = parseBlock(bytes.block);
    const next = bytes.next === undefined ? undefined : parseBlock(bytes.next);
    const transaction = transactionInBlock(block, transactionId);
    if (transaction === undefined) {
      throw new ApiError(ApiCode.NOT_FOUND, `the block the peer returned for ${transactionId} does not hold it`);
    }
    if (!isRegulator(this.caller) && transaction.creator.mspId !== this.caller.mspId) {
      throw new ApiError(
        ApiCode.FORBIDDEN,
        `transaction ${transactionId} was created by ${transaction.creator.mspId}; a member may prove only its own org's transactions`,
      );
    }
    let record: ProvenRecord | null;
    let receipt: BatchReceipt | undefined;
    if (batched === undefined) {
      record = await this.recordOf(transaction);
    } else {
      const view = await new LicenseClient(this.session).getBatchedAccess(id);
      receipt = view.receipt;
      record = { kind: 'access', id, key: `accbatch/${transactionId}`, value: view.access };
    }
    const hashes = blockHashes(block);
    return {
      transactionId,
      block: hashes,
      nextBlock: next === undefined ? null : { number: blockHashes(next).number, previousHash: blockHashes(next).previousHash },
      transaction,
      record,
      ...(receipt === undefined ? {} : { receipt }),
      checks: proofChecks(block, next, transactionId, record ?? undefined, receipt),
      verify:
        `fetch blocks ${hashes.number} and ${BigInt(hashes.number) + 1n} with Fabric's own client ` +
        `(scripts/network.sh peer <org> channel fetch ${hashes.number} block.pb -c <channel> -o <orderer> --tls --cafile <orderer TLS CA>), ` +
        `save this answer as proof.json, then: npm run -w gateway-api verify -- proof.json block.pb next.pb`,
    };
  }

  private async recordOf(transaction: TransactionInBlock): Promise<ProvenRecord | null> {
    for (const write of transaction.writes) {
      if (write.isDelete) continue;
      const [prefix, ...parts] = write.key.split('/');
      const known = RECORD_KEYS.find((r) => r.prefix === prefix && (r.writtenBy?.test(transaction.chaincode?.function ?? '') ?? true));
      if (known === undefined) continue;
      let value: unknown;
      try {
        value = await known.read(this.session, parts, transaction.transactionId);
      } catch (err) {
        // A record the caller may not read (a member proving its purchase of another org's
        // offering, whose purchases only the owner lists): the proof goes without it.
        if (err instanceof ApiError && (err.code === ApiCode.FORBIDDEN || err.code === ApiCode.NOT_FOUND)) continue;
        throw err;
      }
      if (value === undefined) continue;
      return { kind: known.kind, id: known.id(parts), key: write.key, value };
    }
    return null;
  }
}
