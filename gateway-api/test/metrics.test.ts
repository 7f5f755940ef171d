/**
 * The access counters of an API instance's metrics: an access committed by
 * this instance counts once for its model, with its units; a replay of its
 * request id and every other transaction count nothing; and past
 * MODEL_LABELS models, accesses count under one label.
 */
import { StatusCode } from '@hyperledger/fabric-gateway';
import { ContractName, type Committed, type WriteCall } from '@model-ledger/contract';
import { ApiError } from '../src/errors';
import { Write, type WriteContract, type WritePolicy } from '../src/fabric/writes';
import { Metrics, MODEL_LABELS, OTHER_MODELS } from '../src/metrics';

const ACCESS: WriteCall = { contract: ContractName.license, transaction: 'RecordAccess', args: [] };

/** A committed RecordAccess whose answer is the access `txId` made, of `units` units of `modelId`. */
function committed(transactionId: string, access: { txId: string; modelId: string; units: string }): Committed {
  return { result: new TextEncoder().encode(JSON.stringify({ docType: 'access', ...access })), transactionId, blockNumber: 7n };
}

/** A Fabric Gateway client whose one transaction endorses with `access` and commits with `code`. */
function ledgerCommitting(access: { txId: string; modelId: string; units: string }, code: number): WriteContract {
  const result = committed(access.txId, access).result;
  return {
    newProposal: () => ({
      getTransactionId: () => access.txId,
      endorse: () =>
        Promise.resolve({
          getResult: () => result,
          submit: () =>
            Promise.resolve({ getStatus: () => Promise.resolve({ successful: code === StatusCode.VALID, code, blockNumber: 7n }) }),
        }),
    }),
  };
}

const POLICY: WritePolicy = { conflictAttempts: 1, endorseMs: 1000, submitMs: 1000, commitWaitMs: 1000, minDelayMs: 1, maxDelayMs: 5 };

async function counts(metrics: Metrics, name: 'mll_api_accesses_total' | 'mll_api_access_units_total'): Promise<Record<string, number>> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.model), v.value]));
}

describe('the access counters', () => {
  it('count a committed access once for its model, with its units', async () => {
    const metrics = new Metrics({ org: 'hospital' });
    metrics.countCommitted(ACCESS, committed('tx1', { txId: 'tx1', modelId: 'M-1', units: '3' }));
    metrics.countCommitted(ACCESS, committed('tx2', { txId: 'tx2', modelId: 'M-1', units: '1' }));
    metrics.countCommitted(ACCESS, committed('tx3', { txId: 'tx3', modelId: 'M-2', units: '2' }));
    expect(await counts(metrics, 'mll_api_accesses_total')).toEqual({ 'M-1': 2, 'M-2': 1 });
    expect(await counts(metrics, 'mll_api_access_units_total')).toEqual({ 'M-1': 4, 'M-2': 2 });
  });

  it('do not count a replayed request id, another transaction, or an answer that is no access', async () => {
    const metrics = new Metrics();
    // The chaincode answered the request id with the access an earlier transaction made.
    metrics.countCommitted(ACCESS, committed('tx9', { txId: 'tx1', modelId: 'M-1', units: '1' }));
    metrics.countCommitted(
      { contract: ContractName.license, transaction: 'PurchaseLicense', args: [] },
      committed('tx2', { txId: 'tx2', modelId: 'M-1', units: '5' }),
    );
    metrics.countCommitted(ACCESS, { result: new TextEncoder().encode('not json'), transactionId: 'tx3', blockNumber: 1n });
    expect(await counts(metrics, 'mll_api_accesses_total')).toEqual({});
  });

  it(`name at most ${MODEL_LABELS} models, and count the accesses of any further one as ${OTHER_MODELS}`, async () => {
    const metrics = new Metrics();
    for (let i = 0; i <= MODEL_LABELS + 1; i++) {
      metrics.countCommitted(ACCESS, committed(`tx${i}`, { txId: `tx${i}`, modelId: `M-${i}`, units: '1' }));
    }
    // A model named before the bound keeps its own label.
    metrics.countCommitted(ACCESS, committed('again', { txId: 'again', modelId: 'M-0', units: '1' }));
    const accesses = await counts(metrics, 'mll_api_accesses_total');
    expect(Object.keys(accesses)).toHaveLength(MODEL_LABELS + 1);
    expect(accesses[OTHER_MODELS]).toBe(2);
    expect(accesses['M-0']).toBe(2);
  });

  it('count what a write of the Fabric layer committed valid, not what the peers invalidated', async () => {
    const metrics = new Metrics();
    const write = (code: number, txId: string): Write =>
      new Write(
        ledgerCommitting({ txId, modelId: 'M-1', units: '2' }, code),
        ACCESS,
        POLICY,
        Date.now() + 5000,
        () => undefined,
        (c) => metrics.countCommitted(ACCESS, c),
      );
    await write(StatusCode.VALID, 'tx1').untilCommitted();
    await expect(write(StatusCode.BAD_PAYLOAD, 'tx2').untilCommitted()).rejects.toBeInstanceOf(ApiError);
    expect(await counts(metrics, 'mll_api_accesses_total')).toEqual({ 'M-1': 1 });
    expect(await counts(metrics, 'mll_api_access_units_total')).toEqual({ 'M-1': 2 });
  });
});
