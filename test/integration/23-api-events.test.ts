/**
 * GET /v1/events on the real network: the chaincode events of committed
 * writes arrive in ledger order with their ids, a member sees only the
 * events that name its org (even a member identity enrolled with
 * role=regulator), Last-Event-ID resumes with exactly the missed events
 * (from memory and from a ledger replay) but never from further back than
 * the configured bound, one key cannot hold more streams than its cap, and
 * an open stream survives a restart of its instance's peer without a gap or
 * a repeat.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificateAttributes } from '../../gateway-api/src/fabric/identity';
import { compareEventIds, EventStream, openEventStream, refusedEventStream, SseEvent } from '../support/api-events';
import { ApiCaller, ApiFleet, startApiFleet } from '../support/api';
import { sleep } from '../support/ledger';
import { loadPlan, networkScript, runtimeDir } from '../support/network';

/** A small ring, so that resuming a few events back needs a replay from the ledger. */
const RING = 3;
/**
 * Blocks a resume may reach back: more than the replays below need (a few
 * blocks each), fewer than the channel holds by the time `0:0` is tried.
 */
const MAX_REPLAY_BLOCKS = 20;
/** Streams per key: above what the auditor's key holds here (its streams stay open until afterAll), so only the cap test meets it. */
const STREAMS_PER_KEY = 10;

interface Minted {
  readonly transactionId: string;
  readonly blockNumber: string;
  readonly to: string;
}

const ids = (events: SseEvent[]): string[] => events.map((e) => e.id);
const txIds = (events: SseEvent[]): string[] => events.map((e) => e.data.transactionId);

/** Asserts ids strictly increase (so none repeats) and match each event's block. */
function expectOrdered(events: SseEvent[]): void {
  for (let i = 0; i < events.length; i++) {
    expect(events[i].id.split(':')[0]).toBe(events[i].data.blockNumber);
    if (i > 0) {
      expect(compareEventIds(events[i - 1].id, events[i].id)).toBeLessThan(0);
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the chaincode event stream', () => {
  let api: ApiFleet;
  let issuer: ApiCaller;
  let auditor: ApiCaller;
  let practitioner: ApiCaller;
  const open: EventStream[] = [];
  let stopped = false;

  const watch = async (caller: ApiCaller, lastEventId?: string): Promise<EventStream> => {
    const stream = await openEventStream(caller.url, caller.key, lastEventId);
    open.push(stream);
    return stream;
  };
  const mint = async (to: string, amount = '7'): Promise<Minted> => {
    const response = await issuer.post('/v1/token/mints', { to, amount });
    expect(response.status).toBe(201);
    return { transactionId: response.body.transaction.id, blockNumber: response.body.transaction.blockNumber, to };
  };
  const mintsIn = (events: SseEvent[], minted: Minted[]): SseEvent[] =>
    events.filter((e) => minted.some((m) => m.transactionId === e.data.transactionId));

  beforeAll(async () => {
    api = await startApiFleet({
      orgs: ['hospital', 'clearing', 'regulator'],
      env: {
        MLL_API_EVENTS_RING_SIZE: String(RING),
        MLL_API_EVENTS_HEARTBEAT_MS: '300',
        MLL_API_EVENTS_RECONNECT_MAX_MS: '1000',
        MLL_API_EVENTS_MAX_REPLAY_BLOCKS: String(MAX_REPLAY_BLOCKS),
        MLL_API_EVENTS_MAX_STREAMS_PER_KEY: String(STREAMS_PER_KEY),
      },
    });
    issuer = api.as('clearing', 'issuer1');
    auditor = api.as('regulator', 'auditor1');
    practitioner = api.as('hospital', 'practitioner1');
    // Each instance's listener starts at the channel height; give it a moment to connect.
    await sleep(1000);
  });

  afterAll(async () => {
    open.forEach((stream) => stream.close());
    if (!stopped) {
      await api?.stop();
    }
  });

  it('streams each committed write as an SSE event with its id, name and data, in ledger order', async () => {
    const regulator = await watch(auditor);
    expect(regulator.status).toBe(200);
    expect(regulator.contentType).toMatch(/^text\/event-stream/);
    const minted = [await mint('org::HospitalMSP'), await mint('org::LabMSP'), await mint('org::HospitalMSP')];
    const events = mintsIn(await regulator.until((e) => mintsIn(e, minted).length === 3, 60_000, 'three mints'), minted);
    expect(txIds(events)).toEqual(minted.map((m) => m.transactionId));
    expectOrdered(events);
    events.forEach((event, i) => {
      expect(event.event).toBe('TokensMinted');
      expect(event.data).toEqual({
        name: 'TokensMinted',
        blockNumber: minted[i].blockNumber,
        transactionId: minted[i].transactionId,
        payload: expect.objectContaining({ to: minted[i].to, amount: '7', txId: minted[i].transactionId }),
      });
    });
    // Idle streams get heartbeat comments (every 300 ms here).
    await regulator.until(() => regulator.comments.includes('heartbeat'), 5000, 'a heartbeat');
  });

  it('shows a member only the events that name its org', async () => {
    const hospital = await watch(practitioner);
    const regulator = await watch(auditor);
    const minted = [await mint('org::LabMSP'), await mint('org::HospitalMSP')];
    await regulator.until((e) => mintsIn(e, minted).length === 2, 60_000, 'both mints');
    await hospital.until((e) => mintsIn(e, minted).length >= 1, 60_000, 'the hospital mint');
    await sleep(500);
    expect(txIds(mintsIn(hospital.events, minted))).toEqual([minted[1].transactionId]);
    // Nothing it saw is about another org only.
    for (const event of hospital.events) {
      expect(JSON.stringify(event.data.payload)).toMatch(/HospitalMSP/);
    }
  });

  it('resumes after Last-Event-ID with exactly the missed events, from memory and from the ledger', async () => {
    const reference = await watch(auditor);
    const first = await mint('org::HospitalMSP');
    await reference.until((e) => txIds(e).includes(first.transactionId), 60_000, 'the first mint');
    const resumeFrom = reference.events.find((e) => e.data.transactionId === first.transactionId) as SseEvent;

    const missed: Minted[] = [];
    for (let i = 0; i < RING + 2; i++) {
      missed.push(await mint(i % 2 === 0 ? 'org::HospitalMSP' : 'org::LabMSP'));
    }
    await reference.until((e) => mintsIn(e, missed).length === missed.length, 60_000, 'every missed mint');
    const after = reference.events.slice(reference.events.indexOf(resumeFrom) + 1);

    // More events than the ring holds came after resumeFrom: these come back by a replay from the ledger.
    const replayed = await watch(auditor, resumeFrom.id);
    await replayed.until((e) => e.length >= after.length, 60_000, 'the replayed events');
    // From the second-last event: still in the ring.
    const recent = await watch(auditor, after[after.length - 2].id);
    await recent.until((e) => e.length >= 1, 60_000, 'the last event');

    const last = await mint('org::HospitalMSP');
    for (const stream of [reference, replayed, recent]) {
      await stream.until((e) => txIds(e).includes(last.transactionId), 60_000, 'the mint after resuming');
    }
    await sleep(500);
    expect(ids(replayed.events)).toEqual([...ids(after), ...ids(reference.events).slice(-1)]);
    expect(ids(recent.events)).toEqual(ids(reference.events).slice(-2));
    expectOrdered(replayed.events);

    const badId = await api.anonymous('regulator').get('/v1/events').set('X-API-Key', auditor.key).set('Last-Event-ID', 'yesterday');
    expect(badId.status).toBe(400);
    expect(badId.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/last-event-id/i) });
    const anonymous = await api.anonymous('regulator').get('/v1/events');
    expect(anonymous.status).toBe(401);
  });

  it("shows a member identity enrolled with role=regulator only its own org's events, its attributes at /v1/me, and refuses its writes", async () => {
    const name = `reg-member-${process.pid}`;
    await networkScript('enroll', 'hospital', name, 'regulator', 'department=compliance');
    const member = api.as('hospital', name);

    const me = await member.get('/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      user: name,
      org: 'hospital',
      mspId: 'HospitalMSP',
      role: 'regulator',
      regulator: false,
      readOnly: true,
    });
    const cert = readFileSync(join(runtimeDir, 'crypto/hospital/users', name, 'msp/signcerts/cert.pem'));
    expect(me.body.attributes).toEqual(certificateAttributes(cert));
    expect(me.body.attributes).toMatchObject({ role: 'regulator', department: 'compliance' });

    const memberStream = await watch(member);
    const regulator = await watch(auditor);
    expect(memberStream.status).toBe(200);
    const minted = [await mint('org::LabMSP'), await mint('org::LabMSP'), await mint('org::HospitalMSP')];
    await regulator.until((e) => mintsIn(e, minted).length === 3, 60_000, 'the three mints');
    await memberStream.until((e) => mintsIn(e, minted).length >= 1, 60_000, 'the hospital mint');
    await sleep(500);
    expect(txIds(mintsIn(memberStream.events, minted))).toEqual([minted[2].transactionId]);
    for (const event of memberStream.events) {
      expect(JSON.stringify(event.data.payload)).toMatch(/HospitalMSP/);
    }

    const transfer = await member.post('/v1/token/transfers', { from: 'self', to: 'org::LabMSP', amount: '1' });
    expect(transfer.status).toBe(403);
    expect(transfer.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/read-only/) });
  });

  it('refuses a stream beyond the per-key cap with 429 TOO_MANY_STREAMS, and admits one again once a stream closes', async () => {
    const caller = api.as('hospital', 'practitioner2');
    const streams: EventStream[] = [];
    for (let i = 0; i < STREAMS_PER_KEY; i++) {
      streams.push(await watch(caller));
    }
    expect(streams.map((s) => s.status)).toEqual(Array(STREAMS_PER_KEY).fill(200));

    const refused = await refusedEventStream(caller.url, caller.key);
    expect(refused).toMatchObject({
      status: 429,
      error: { code: 'TOO_MANY_STREAMS', message: expect.stringMatching(/this API key already holds/) },
    });
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    // Another key is not held back by this one's streams.
    expect((await watch(practitioner)).status).toBe(200);

    streams[0].close();
    let again = refused;
    for (let i = 0; i < 50 && again.status !== 200; i++) {
      await sleep(100);
      again = await refusedEventStream(caller.url, caller.key);
    }
    expect(again.status).toBe(200);
    streams.forEach((stream) => stream.close());
  });

  it('answers Last-Event-ID 0:0 with 409 REPLAY_TOO_FAR instead of replaying the whole ledger', async () => {
    const height = async (): Promise<bigint> => {
      const health = await api.anonymous('hospital').get('/healthz');
      expect(health.status).toBe(200);
      return BigInt(health.body.blockHeight as string);
    };
    // On a young network, write until the channel is deeper than the bound (the health answer is cached for a second).
    for (let i = 0; i <= MAX_REPLAY_BLOCKS && (await height()) - 1n <= BigInt(MAX_REPLAY_BLOCKS); i++) {
      await mint('org::HospitalMSP');
      await sleep(1100);
    }
    expect((await height()) - 1n).toBeGreaterThan(BigInt(MAX_REPLAY_BLOCKS));

    const refused = await refusedEventStream(practitioner.url, practitioner.key, '0:0');
    expect(refused).toMatchObject({ status: 409, error: { code: 'REPLAY_TOO_FAR' } });
    expect(refused.error.message).toMatch(
      new RegExp(`^Last-Event-ID 0:0 is \\d+ blocks behind .*replays at most ${MAX_REPLAY_BLOCKS}\\. Page through the audit API`),
    );
    // Within the bound, the same caller resumes.
    const recent = await refusedEventStream(practitioner.url, practitioner.key, `${(await height()) - 2n}:0`);
    expect(recent.status).toBe(200);
  });

  it("keeps an open stream whole across a restart of its instance's peer", async () => {
    const plan = loadPlan();
    const peerId = plan.orgs.find((o) => o.name === 'regulator')?.peers[0].id as string;
    const stream = await watch(auditor);
    const before = await mint('org::HospitalMSP');
    await stream.until((e) => txIds(e).includes(before.transactionId), 60_000, 'the mint before the restart');
    const lastBefore = stream.events[stream.events.length - 1].id;

    const pid = Number(readFileSync(join(runtimeDir, 'pids', `${peerId}.pid`), 'utf8').trim());
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && pidAlive(pid); i++) await sleep(100);
    expect(pidAlive(pid)).toBe(false);

    // Written while the regulator's peer is down (it endorses nothing): it must arrive once it is back.
    const during = [await mint('org::HospitalMSP'), await mint('org::LabMSP')];
    await networkScript('up');
    const afterRestart = await mint('org::HospitalMSP');

    const all = [before, ...during, afterRestart];
    await stream.until((e) => mintsIn(e, all).length === all.length, 90_000, 'every mint across the restart');
    await sleep(500);
    expect(stream.ended).toBe(false);
    expect(txIds(mintsIn(stream.events, all))).toEqual(all.map((m) => m.transactionId));
    expectOrdered(stream.events);

    // No gap: a replay from the ledger after the last event before the restart gives the same events.
    const replay = await watch(auditor, lastBefore);
    const expected = stream.events.slice(stream.events.findIndex((e) => e.id === lastBefore) + 1);
    await replay.until((e) => e.length >= expected.length, 60_000, 'the replay');
    expect(ids(replay.events)).toEqual(ids(expected));
  });

  it('ends open streams cleanly when the instance shuts down', async () => {
    const streams = [await watch(auditor), await watch(practitioner)];
    const started = Date.now();
    stopped = true;
    await api.stop();
    for (const stream of streams) {
      await stream.until(() => stream.ended, 10_000, 'the end of the stream');
    }
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
