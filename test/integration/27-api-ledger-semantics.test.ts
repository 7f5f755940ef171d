/**
 * How the gateway API meets the ledger's own failures, on the real network:
 * read conflicts at commit are retried as fresh transactions up to a bound
 * (and past it answer 409 having changed nothing), and a request whose
 * deadline passes before its commit is seen answers 504 with the transaction
 * id, which the client looks up
 * and then retries with the same Idempotency-Key, through a restarted
 * instance, without paying twice.
 *
 * Conflicts are made the way production makes them: concurrent transfers out
 * of one org treasury all read and write its balance, so those endorsed
 * before the previous one commits fail validation with MVCC_READ_CONFLICT.
 */
import type { Response } from 'supertest';
import { ApiCaller, ApiFleet, ApiOrg, apiReads, startApiFleet } from '../support/api';
import { samples } from '../support/metrics';
import { sleep } from '../support/ledger';

const CONCURRENT = 6;

describe('the gateway API under ledger conflicts and timeouts', () => {
  const run = `${process.pid}-${Date.now()}`;
  /** The settlement agent and the regulator, for the whole file. */
  let support: ApiFleet;
  let issuer: ApiCaller;
  let auditor: ApiCaller;
  /** The hospital's instance, restarted with different settings by each test. */
  let hospital: ApiFleet | undefined;
  /** Responses of the hospital instances already stopped. */
  const earlier: Response[] = [];
  /** The impatient instance's answers whose deadline passed before anything was submitted (503, or a 504 saying so). */
  const beforeSubmission: Response[] = [];
  let practitionerAccount: string;

  const startHospital = async (env: Record<string, string>): Promise<ApiCaller> => {
    if (hospital !== undefined) {
      earlier.push(...hospital.responses);
      await hospital.stop();
    }
    hospital = await startApiFleet({ orgs: ['hospital'], env });
    return hospital.as('hospital', 'admin');
  };

  const { balance } = apiReads(() => auditor);

  /** Polls the regulator's view of a transaction until its peer has it. */
  const statusOf = async (transactionId: string): Promise<Response> => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const response = await auditor.get(`/v1/transactions/${transactionId}`);
      if (response.status !== 404) return response;
      await sleep(100);
    }
    throw new Error(`transaction ${transactionId} never reached the regulator's peer`);
  };

  /** CONCURRENT transfers of 1..CONCURRENT tokens out of the hospital treasury, all at once. */
  const transfersAtOnce = (admin: ApiCaller): Promise<Response[]> =>
    Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) =>
        admin.post('/v1/token/transfers', { from: 'org', to: practitionerAccount, amount: String(i + 1) }),
      ),
    );

  beforeAll(async () => {
    const orgs: ApiOrg[] = ['clearing', 'regulator'];
    support = await startApiFleet({ orgs });
    issuer = support.as('clearing', 'issuer1');
    auditor = support.as('regulator', 'auditor1');
    const admin = await startHospital({});
    practitionerAccount = (await hospital!.as('hospital', 'practitioner1').get('/v1/me')).body.account;
    expect((await issuer.post('/v1/token/mints', { to: 'org::HospitalMSP', amount: '1000' })).status).toBe(201);
    expect((await admin.get('/v1/me')).status).toBe(200);
  });

  afterAll(async () => {
    await hospital?.stop();
    await support?.stop();
  });

  it('retries read conflicts with fresh transactions, so concurrent transfers from one account each commit once', async () => {
    const admin = await startHospital({ MLL_API_MAX_SUBMIT_ATTEMPTS: String(CONCURRENT + 2) });
    const before = await balance('org::HospitalMSP');
    const responses = await transfersAtOnce(admin);
    expect(responses.map((r) => r.status)).toEqual(Array(CONCURRENT).fill(201));
    expect(await balance('org::HospitalMSP')).toBe(before - BigInt((CONCURRENT * (CONCURRENT + 1)) / 2));
    const ids = responses.map((r) => r.body.transaction.id as string);
    expect(new Set(ids).size).toBe(CONCURRENT);
    for (const id of ids) {
      expect((await statusOf(id)).body).toMatchObject({ transactionId: id, valid: true, validationCode: 'VALID' });
    }
    const metrics = (await hospital!.anonymous('hospital').get('/metrics')).text;
    // Six writes of one key in flight together cannot all be in one block's first place.
    const retries = samples(metrics, 'mll_api_ledger_retries_total', { transaction: 'Transfer', validation_code: 'MVCC_READ_CONFLICT' });
    expect(retries.reduce((sum, value) => sum + value, 0)).toBeGreaterThanOrEqual(1);
  });

  it('answers 409 LEDGER_CONFLICT with the transaction id once the attempts run out, and that transaction changed nothing', async () => {
    const admin = await startHospital({ MLL_API_MAX_SUBMIT_ATTEMPTS: '1' });
    const before = await balance('org::HospitalMSP');
    const responses = await transfersAtOnce(admin);
    const committed = responses.filter((r) => r.status === 201);
    const conflicted = responses.filter((r) => r.status !== 201);
    expect(committed.length).toBeGreaterThanOrEqual(1);
    expect(conflicted.length).toBeGreaterThanOrEqual(1);
    for (const response of conflicted) {
      expect(response.status).toBe(409);
      expect(response.body.error).toMatchObject({
        code: 'LEDGER_CONFLICT',
        message: expect.stringMatching(/MVCC_READ_CONFLICT on each of 1 attempts/),
      });
      const status = await statusOf(response.body.error.transactionId);
      expect(status.body).toMatchObject({ valid: false, validationCode: 'MVCC_READ_CONFLICT' });
    }
    const paid = committed.reduce((sum, r) => sum + BigInt(r.body.data.amount), 0n);
    expect(await balance('org::HospitalMSP')).toBe(before - paid);
  });

  it('answers 504 with the transaction id when the request deadline passes before the commit; the retry with the same key replays it', async () => {
    // The deadline has to fall between the submission (endorsing takes tens of ms) and the commit (the orderer
    // alone waits up to 100 ms, raft.batchTimeout, to cut a block). Where that window lies depends on the
    // machine and on whatever else is in the orderer's batch: a commit that beats the deadline answers 201, and
    // an endorsement that outlasts it (a cold chaincode) answers 503 before anything is submitted. Either way the
    // next attempt, with a new key, moves the deadline towards the window; only a 504 shows what this test is about.
    const body = { from: 'org', to: practitionerAccount, amount: '11' };
    let deadlineMs = 150;
    let key = { 'Idempotency-Key': '' };
    let before = 0n;
    let timedOut = { status: 0 } as Awaited<ReturnType<ApiCaller['post']>>;
    const tried: string[] = [];
    let ordered = false;
    for (let attempt = 1; attempt <= 12 && !ordered; attempt++) {
      const impatient = await startHospital({
        MLL_API_REQUEST_DEADLINE_MS: String(deadlineMs),
        MLL_API_RETRY_MAX_DELAY_MS: '10',
        MLL_API_RETRY_MIN_DELAY_MS: '5',
      });
      key = { 'Idempotency-Key': `slow-${run}-${attempt}` };
      before = await balance('org::HospitalMSP');
      timedOut = await impatient.post('/v1/token/transfers', body, key);
      tried.push(`${deadlineMs} ms: ${timedOut.status}`);
      expect([201, 503, 504]).toContain(timedOut.status);
      // A deadline that passed before anything was sent: 503 while endorsing, or 504 saying nothing was committed
      // (a busy machine took the whole deadline before the first attempt).
      const unsent =
        timedOut.status === 503 || (timedOut.status === 504 && /nothing was committed/.test(String(timedOut.body.error?.message)));
      if (unsent) {
        beforeSubmission.push(timedOut);
        deadlineMs += 40;
      } else if (timedOut.status === 201) {
        deadlineMs = Math.max(100, deadlineMs - 20);
      } else {
        ordered = true;
      }
    }
    console.log(`deadline attempts: ${tried.join(', ')}`);
    expect(timedOut.status).toBe(504);
    expect(timedOut.body.error).toMatchObject({
      code: 'LEDGER_TIMEOUT',
      message: expect.stringMatching(/check its status before retrying/),
    });
    const transactionId = timedOut.body.error.transactionId as string;
    expect(transactionId).toMatch(/^[0-9a-f]{64}$/);

    // The client checks the ledger: the transfer did commit, once.
    const status = await statusOf(transactionId);
    expect(status.body).toMatchObject({ transactionId, valid: true });
    expect(await balance('org::HospitalMSP')).toBe(before - 11n);

    // A retry through a restarted instance with sane deadlines names that transaction and moves nothing.
    const admin = await startHospital({});
    const retry = await admin.post('/v1/token/transfers', body, key);
    expect(retry.status).toBe(201);
    expect(retry.body.transaction).toEqual({ id: transactionId, blockNumber: status.body.blockNumber, replayed: true });
    expect(retry.body.data).toMatchObject({ amount: '11', txId: transactionId });
    expect(await balance('org::HospitalMSP')).toBe(before - 11n);
  });

  it('reads the commit status of a transaction by its id alone, as a write does when BFT orderers already hold it', async () => {
    // The status request the API builds itself (the user's identity, the channel, the id) when a submission failed
    // with "request already processed": the hospital's own peer must accept it and name the block.
    const admin = await startHospital({});
    const done = await admin.post('/v1/token/transfers', { from: 'org', to: practitionerAccount, amount: '2' });
    expect(done.status).toBe(201);
    const ledger = hospital!.ledgerOf('hospital');
    const status = await ledger.commitStatus(ledger.user('admin'), done.body.transaction.id as string);
    expect(status).toMatchObject({ successful: true, blockNumber: BigInt(done.body.transaction.blockNumber as string) });
  });

  it('sent no response that broke the spec, and no 5xx other than the 504 it asked for (and the impatient instance’s 503s)', () => {
    const responses = [...support.responses, ...earlier, ...(hospital?.responses ?? [])];
    expect(responses.length).toBeGreaterThan(3 * CONCURRENT);
    expect(
      responses
        .filter((r) => r.status >= 500 && r.status !== 504 && !beforeSubmission.includes(r))
        .map((r) => `${r.status} ${JSON.stringify(r.body)}`),
    ).toEqual([]);
  });
});
