import { ContractName } from '@model-ledger/contract';
import type { Accrued } from '@model-ledger/contract';
import { Context, Info, Transaction } from 'fabric-contract-api';
import { LedgerContract } from './base';
import { Limits } from '../config';
import { Events } from '../events';
import type { ClaimRecord } from '../domain/records';
import { addSeconds } from '../domain/time';
import { optionalIsoInstant, requireAccountId, requireBookmark, requireChoice, requireId, requirePageSize } from '../domain/validation';
import { ACCOUNT_CHOICES, actingAccount, requireAccountReader, requireWriter } from '../ledger/authz';
import { credit } from '../ledger/balances';
import { claimableAccruals, deleteAccruals, pageOfClaims, royaltyPayments, saveClaim, unclaimed } from '../ledger/royalties';
import { Tx } from '../ledger/tx';
import { result } from './result';

/**
 * Royalties: every access writes one delta row per beneficiary; a
 * beneficiary claims its rows into its payment-token balance.
 */
@Info({ title: ContractName.royalty, description: 'Reads and claims royalties' })
export class RoyaltyContract extends LedgerContract {
  constructor() {
    super(ContractName.royalty);
  }

  /**
   * Consolidates the caller's (`beneficiary` = `self`) or its org treasury's
   * (`org`, role admin) accrual rows into its balance. Only rows strictly
   * before `upTo` (optional ISO instant, empty for now) and before the
   * transaction time minus the settlement lag are taken, at most
   * `maxClaimRows` of them; the rest wait for the next claim. When those
   * rows sum to nothing or less (refunds reversed more than was earned in the
   * range), nothing is claimed. Bounding the
   * range by time keeps accesses committing meanwhile out of this claim's
   * range read. Any non-regulator role. Returns the ClaimRecord.
   */
  @Transaction()
  async ClaimRoyalties(ctx: Context, beneficiary: string, upTo: string): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'claim royalties');
    const account = actingAccount(caller, requireChoice('beneficiary', beneficiary, ACCOUNT_CHOICES), 'claim royalties');
    const requested = optionalIsoInstant('upTo', upTo);
    const now = tx.now;
    const settled = addSeconds(now, -Limits.claimSettlementLagSeconds);
    const cutoff = requested !== undefined && requested < settled ? requested : settled;
    const rows = await claimableAccruals(tx, account, cutoff, Limits.maxClaimRows);
    const amount = rows.reduce((sum, row) => sum + BigInt(row.value.amount), 0n);
    const claim: ClaimRecord = {
      docType: 'claim',
      account,
      amount: amount.toString(),
      rows: rows.length,
      upTo: cutoff,
      claimedBy: caller.account,
      claimedAt: now,
      txId: tx.txId,
    };
    // Refunds write negative rows: while they outweigh the income in range, nothing is claimed and they wait to net off later income.
    if (rows.length === 0 || amount <= 0n) {
      return result({ ...claim, amount: '0', rows: 0 });
    }
    await deleteAccruals(tx, rows);
    await credit(tx, account, amount);
    await saveClaim(tx, claim);
    tx.emit(Events.RoyaltiesClaimed, claim);
    return result(claim);
  }

  /** An account's unclaimed royalties. The account's org or a regulator. */
  @Transaction(false)
  async GetAccruedRoyalties(ctx: Context, account: string): Promise<string> {
    const tx = new Tx(ctx);
    const id = requireAccountId('account', account);
    requireAccountReader(tx.caller, id, 'the royalties of this account');
    const total = await unclaimed(tx, id);
    return result<Accrued>({ account: id, unclaimed: total.amount.toString(), rows: total.rows });
  }

  /**
   * A royalty statement: an account's payments in [from, to) (ISO instants,
   * empty for unbounded), optionally for one model (empty for all), one page
   * at a time. With a model filter a page may hold fewer rows than the page
   * size; follow the bookmark. The account's org or a regulator.
   */
  @Transaction(false)
  async GetRoyaltyStatement(
    ctx: Context,
    account: string,
    modelId: string,
    from: string,
    to: string,
    pageSize: string,
    bookmark: string,
  ): Promise<string> {
    const tx = new Tx(ctx);
    const id = requireAccountId('account', account);
    requireAccountReader(tx.caller, id, 'the royalty statement of this account');
    return result(
      await royaltyPayments(
        tx,
        id,
        modelId === '' ? undefined : requireId('modelId', modelId),
        optionalIsoInstant('from', from),
        optionalIsoInstant('to', to),
        requirePageSize('pageSize', pageSize),
        requireBookmark('bookmark', bookmark),
      ),
    );
  }

  /** An account's claims, oldest first. The account's org or a regulator. */
  @Transaction(false)
  async ListClaims(ctx: Context, account: string, pageSize: string, bookmark: string): Promise<string> {
    const tx = new Tx(ctx);
    const id = requireAccountId('account', account);
    requireAccountReader(tx.caller, id, 'the claims of this account');
    return result(await pageOfClaims(tx, id, requirePageSize('pageSize', pageSize), requireBookmark('bookmark', bookmark)));
  }
}
