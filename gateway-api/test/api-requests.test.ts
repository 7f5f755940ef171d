/**
 * Client request ids at the gateway, without a network: a write that carries
 * an Idempotency-Key reaches the chaincode with the key as its last argument,
 * and a write the chaincode answered before is reported with the first
 * transaction's id and block, marked replayed. The ledger is a fake
 * transport that answers each write with a prepared result.
 */
import { callName, ContractName, type Call, type Committed, type WriteCall } from '@model-ledger/contract';
import pino from 'pino';
import { ApiCode, ApiError } from '../src/errors';
import type { EnrolledUser } from '../src/fabric/identity';
import type { Session, TransactionStatus } from '../src/fabric/ledger';
import { RequestIds, type TransactionLookup } from '../src/services/requests';
import { TokenService } from '../src/services/tokens';

const RETRY_TX = 'b'.repeat(64);
const FIRST_TX = 'a'.repeat(64);

const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

/** A session whose writes commit `answer` as RETRY_TX in block 9, and whose GetRequest answers `stored` (NOT_FOUND when absent). */
function fakeSession(answer: unknown, stored?: unknown): Session & { readonly calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    user: { name: 'issuer' } as EnrolledUser,
    evaluate: async (call: Call): Promise<Uint8Array> => {
      calls.push(call);
      if (call.contract === ContractName.audit && call.transaction === 'GetRequest' && stored !== undefined) {
        return json(stored);
      }
      throw new ApiError(ApiCode.NOT_FOUND, `no ${call.transaction} answer for ${call.args.join(', ')}`);
    },
    submit: async (call: WriteCall): Promise<Committed> => {
      calls.push(call);
      return { result: json(answer), transactionId: RETRY_TX, blockNumber: 9n };
    },
  };
}

/** The ledger's qscc lookup: FIRST_TX committed in block 4; anything else is not on the peer. */
const lookup: TransactionLookup & { readonly asked: string[] } = {
  asked: [],
  async transactionStatus(_session: Session, transactionId: string): Promise<TransactionStatus> {
    this.asked.push(transactionId);
    if (transactionId !== FIRST_TX) {
      throw new ApiError(ApiCode.NOT_FOUND, `transaction ${transactionId} is not on the ledger`);
    }
    return { transactionId, validationCode: 'VALID', valid: true, blockNumber: 4n };
  },
};

const silent = pino({ level: 'silent' });
const minted = (txId: string): object => ({ to: 'x509::HospitalMSP::alice', amount: '100', totalSupply: '100', txId });

describe('client request ids', () => {
  beforeEach(() => {
    lookup.asked.length = 0;
  });

  it('sends the Idempotency-Key as the last argument of a mint and answers a first write as it committed', async () => {
    const session = fakeSession(minted(RETRY_TX));
    const tokens = new TokenService(session, new RequestIds(session, lookup, silent));
    const answer = await tokens.mint({ to: 'x509::HospitalMSP::alice', amount: '100' }, 'key-1');
    expect(session.calls).toEqual([
      { contract: ContractName.token, transaction: 'Mint', args: ['x509::HospitalMSP::alice', '100', 'key-1'], requestId: 'key-1' },
    ]);
    expect(answer).toEqual({ data: minted(RETRY_TX), transaction: { id: RETRY_TX, blockNumber: '9' } });
    expect(lookup.asked).toEqual([]);
  });

  it('reports a replayed mint with the first transaction and its block', async () => {
    const session = fakeSession(minted(FIRST_TX));
    const tokens = new TokenService(session, new RequestIds(session, lookup, silent));
    const answer = await tokens.mint({ to: 'x509::HospitalMSP::alice', amount: '100' }, 'key-1');
    expect(answer).toEqual({ data: minted(FIRST_TX), transaction: { id: FIRST_TX, blockNumber: '4', replayed: true } });
    expect(lookup.asked).toEqual([FIRST_TX]);
  });

  it('looks up the stored request when the answer names no transaction', async () => {
    const session = fakeSession(
      { ok: true },
      { docType: 'request', call: callName(ContractName.token, 'Mint'), fingerprint: 'f', result: { ok: true }, txId: FIRST_TX, at: '' },
    );
    const requests = new RequestIds(session, lookup, silent);
    const written = await requests.firstAnswer(
      { result: json({ ok: true }), data: { ok: true }, transactionId: RETRY_TX, blockNumber: 9n },
      'key-2',
    );
    expect(written).toMatchObject({ transactionId: FIRST_TX, blockNumber: 4n, replayed: true, data: { ok: true } });
    expect(session.calls).toEqual([{ contract: ContractName.audit, transaction: 'GetRequest', args: ['key-2'] }]);
  });

  it('answers the write as it committed when the first transaction cannot be found', async () => {
    const session = fakeSession(undefined);
    const requests = new RequestIds(session, lookup, silent);
    const committed = { result: json(minted('c'.repeat(64))), data: minted('c'.repeat(64)), transactionId: RETRY_TX, blockNumber: 9n };
    expect(await requests.firstAnswer(committed, 'key-3')).toBe(committed);
  });

  it('leaves a write without a request id alone and sends an empty last argument', async () => {
    const session = fakeSession(minted(FIRST_TX));
    const tokens = new TokenService(session, new RequestIds(session, lookup, silent));
    const answer = await tokens.mint({ to: 'x509::HospitalMSP::alice', amount: '100' }, undefined);
    expect(session.calls).toEqual([{ contract: ContractName.token, transaction: 'Mint', args: ['x509::HospitalMSP::alice', '100', ''] }]);
    expect(answer.transaction).toEqual({ id: RETRY_TX, blockNumber: '9' });
    expect(lookup.asked).toEqual([]);
  });

  it('finds no earlier answer for an unused key, and passes any other failure on', async () => {
    expect(await new RequestIds(fakeSession(undefined), lookup, silent).answered('unused')).toBeUndefined();
    const failing: Session = {
      ...fakeSession(undefined),
      evaluate: async () => {
        throw new ApiError(ApiCode.LEDGER_UNAVAILABLE, 'the peer is unavailable');
      },
    };
    await expect(new RequestIds(failing, lookup, silent).answered('key-4')).rejects.toMatchObject({ code: ApiCode.LEDGER_UNAVAILABLE });
  });
});
