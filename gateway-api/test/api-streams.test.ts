/**
 * The gateway survives its own users, without a network: event streams are
 * capped per API key and per instance, a replay pauses while its client's
 * connection is full and a client that stops reading is dropped, a resume is
 * bounded, /healthz asks the peer at most once per interval, and /v1/me
 * shows what the certificate says. The app is the real one (spec validation
 * of requests and responses included) over a fake ledger.
 */
import type { ChaincodeEvent, CloseableAsyncIterable } from '@hyperledger/fabric-gateway';
import { ContractName, type Call, type Committed, type Role } from '@model-ledger/contract';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { KeyStore } from '../src/auth/keys';
import { Config, loadConfig } from '../src/config';
import { ApiCode, ApiError } from '../src/errors';
import { EventFeed, EventSink, LedgerEvent } from '../src/fabric/events';
import { CachedHeight } from '../src/fabric/height';
import type { EnrolledUser } from '../src/fabric/identity';
import type { Ledger, Session } from '../src/fabric/ledger';
import { createApp } from '../src/app';
import { SseWriter, StreamSlots } from '../src/http/sse';
import { Metrics } from '../src/metrics';

const MEMBER_CERT = readFileSync(join(__dirname, 'fixtures', 'member-cert.pem'));
import { EventService } from '../src/services/events';
import { openEventStream, refusedEventStream } from '../../test/support/api-events';

const silent = pino({ level: 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` holds, polling; fails with `what` after `timeoutMs`. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(10);
  }
}

const HOSPITAL_ACCOUNT = `x509::HospitalMSP::${'ab'.repeat(32)}`;

/** A chaincode event at `block` whose payload names the hospital, so a hospital caller sees it. */
function chaincodeEvent(block: bigint, n: number): ChaincodeEvent {
  return {
    blockNumber: block,
    transactionId: `${block}-${n}`.padStart(64, '0'),
    chaincodeName: 'model-ledger',
    eventName: 'TokensMinted',
    payload: Buffer.from(JSON.stringify({ to: 'org::HospitalMSP', amount: '1', note: 'x'.repeat(200) })),
  };
}

/** A ledger stream over fixed events that counts how many the reader pulled. */
function ledgerStream(events: readonly ChaincodeEvent[], pulled: { count: number }): CloseableAsyncIterable<ChaincodeEvent> {
  let closed = false;
  async function* read(): AsyncGenerator<ChaincodeEvent> {
    for (const event of events) {
      if (closed) {
        return;
      }
      pulled.count++;
      yield event;
    }
  }
  const iterator = read();
  const close = (): void => {
    closed = true;
  };
  return { [Symbol.asyncIterator]: () => iterator, close, [Symbol.dispose]: close };
}

interface FakeUser {
  readonly role: Role | null;
  readonly attributes: Record<string, string>;
}

/** What the fake ledger counts: height probes, and writes that reached it (none should). */
interface FakeLedger {
  readonly ledger: Ledger;
  readonly heightProbes: { count: number };
  readonly submits: { count: number };
  readonly pulled: { count: number };
}

/**
 * A ledger of the hospital org that answers the height, WhoAmI and a replay
 * of `replayEvents` from the block asked for, and records every submit.
 */
function fakeLedger(
  users: Record<string, FakeUser>,
  options: { height?: bigint; replayEvents?: ChaincodeEvent[]; heightFails?: boolean } = {},
): FakeLedger {
  const heightProbes = { count: 0 };
  const submits = { count: 0 };
  const pulled = { count: 0 };
  const user = (name: string): EnrolledUser => {
    const found = users[name];
    if (found === undefined) {
      throw new Error(`user "${name}" is not enrolled`);
    }
    return {
      name,
      org: 'hospital',
      mspId: 'HospitalMSP',
      role: found.role,
      attributes: found.attributes,
      // A self-signed certificate (test/fixtures, valid for a century): /v1/me reads its serial and validity.
      identity: { mspId: 'HospitalMSP', credentials: MEMBER_CERT },
      signer: async () => new Uint8Array(),
      signMessage: () => Buffer.alloc(0),
    };
  };
  const session = (enrolled: EnrolledUser): Session => ({
    user: enrolled,
    evaluate: async ({ contract, transaction }: Call): Promise<Uint8Array> => {
      if (contract !== ContractName.token || transaction !== 'WhoAmI') {
        throw new Error(`unexpected evaluate ${contract}.${transaction}`);
      }
      // The chaincode answers the raw role attribute, whatever it is.
      const me = {
        account: HOSPITAL_ACCOUNT,
        orgAccount: 'org::HospitalMSP',
        mspId: 'HospitalMSP',
        role: enrolled.attributes.role ?? null,
        regulator: false,
      };
      return Buffer.from(JSON.stringify(me));
    },
    submit: async (): Promise<Committed> => {
      submits.count++;
      throw new Error('no write may reach the ledger in these tests');
    },
  });
  const ledger = {
    binding: { org: { name: 'hospital', mspId: 'HospitalMSP' }, peer: { id: 'peer0.hospital' } },
    user,
    isEnrolled: (name: string) => users[name] !== undefined,
    session,
    asyncSession: session,
    height: async (): Promise<bigint> => {
      heightProbes.count++;
      if (options.heightFails === true) {
        throw new ApiError(ApiCode.LEDGER_UNAVAILABLE, 'the peer does not answer');
      }
      return options.height ?? 100n;
    },
    chaincodeEvents: async ({ startBlock }: { startBlock?: bigint }): Promise<CloseableAsyncIterable<ChaincodeEvent>> =>
      ledgerStream(
        (options.replayEvents ?? []).filter((e) => e.blockNumber >= (startBlock ?? 0n)),
        pulled,
      ),
  };
  return { ledger: ledger as unknown as Ledger, heightProbes, submits, pulled };
}

interface Instance {
  readonly url: string;
  readonly config: Config;
  readonly fake: FakeLedger;
  /** Issues an API key of the hospital instance for `user`. */
  key(user: string): string;
  close(): Promise<void>;
}

const USERS: Record<string, FakeUser> = {
  practitioner1: {
    role: 'practitioner',
    attributes: { role: 'practitioner', 'hf.EnrollmentID': 'practitioner1', 'hf.Type': 'client', 'hf.Affiliation': '' },
  },
  'dr-reg': {
    role: 'regulator',
    attributes: { role: 'regulator', department: 'radiology', 'hf.EnrollmentID': 'dr-reg', 'hf.Type': 'client', 'hf.Affiliation': '' },
  },
  clerk1: { role: null, attributes: { role: 'staff', 'hf.EnrollmentID': 'clerk1', 'hf.Type': 'client', 'hf.Affiliation': '' } },
};

const opened: Instance[] = [];

/** Starts the real app on a free port over a fake ledger, with the given configuration variables. */
async function instance(env: Record<string, string> = {}, ledgerOptions: Parameters<typeof fakeLedger>[1] = {}): Promise<Instance> {
  const dir = mkdtempSync(join(tmpdir(), 'api-streams-'));
  writeFileSync(join(dir, 'plan.json'), '{}');
  const config = loadConfig({
    MLL_API_ORG: 'hospital',
    MLL_RUNTIME_DIR: dir,
    MLL_API_LOG_LEVEL: 'silent',
    MLL_API_EVENTS_HEARTBEAT_MS: '60000',
    ...env,
  });
  const fake = fakeLedger(USERS, ledgerOptions);
  const keys = new KeyStore(join(dir, 'keys.json'), 'hospital');
  const events = new EventFeed(
    fake.ledger,
    { checkpointFile: join(dir, 'events.json'), ringSize: 10, retryMinMs: 10, retryMaxMs: 10 },
    silent,
  );
  const app = createApp({ config, ledger: fake.ledger, keys, logger: silent, metrics: new Metrics(), events });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const running: Instance = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    config,
    fake,
    key: (user) => keys.issue(user).key,
    close: async () => {
      await events.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  opened.push(running);
  return running;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((running) => running.close()));
});

describe('event stream caps', () => {
  it('counts streams per key and in all, refuses beyond either cap, and frees a slot once', () => {
    const slots = new StreamSlots({ perKey: 2, perInstance: 3, retryAfterSeconds: 2 });
    const a1 = slots.acquire('a');
    slots.acquire('a');
    let refusal: unknown;
    try {
      slots.acquire('a');
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toMatchObject({
      code: 'TOO_MANY_STREAMS',
      retryAfterSeconds: 2,
      message: expect.stringMatching(/this API key already holds 2/),
    });
    slots.acquire('b');
    expect(() => slots.acquire('c')).toThrow(/this instance already serves 3 event streams/);
    expect([slots.open, slots.openFor('a'), slots.openFor('b')]).toEqual([3, 2, 1]);
    a1.release();
    a1.release();
    expect([slots.open, slots.openFor('a')]).toEqual([2, 1]);
    expect(() => slots.acquire('c')).not.toThrow();
  });

  it('answers 429 TOO_MANY_STREAMS with Retry-After beyond the per-key cap, and again once the key frees a slot', async () => {
    const api = await instance({
      MLL_API_EVENTS_MAX_STREAMS_PER_KEY: '2',
      MLL_API_EVENTS_MAX_STREAMS: '10',
      MLL_API_EVENTS_RETRY_HINT_MS: '2500',
    });
    const key = api.key('practitioner1');
    const first = await openEventStream(api.url, key);
    const second = await openEventStream(api.url, key);
    expect([first.status, second.status]).toEqual([200, 200]);

    const third = await refusedEventStream(api.url, key);
    expect(third).toEqual({
      status: 429,
      retryAfter: '3',
      error: { code: 'TOO_MANY_STREAMS', message: expect.stringMatching(/API key already holds 2 open event streams/) },
    });
    // Another key of the same user is another principal.
    const other = await openEventStream(api.url, api.key('practitioner1'));
    expect(other.status).toBe(200);

    // A disconnect frees the slot.
    first.close();
    await eventually(async () => (await refusedEventStream(api.url, key)).status === 200, 'the freed slot');
    [second, other].forEach((stream) => stream.close());
  });

  it('answers 429 TOO_MANY_STREAMS beyond the per-instance cap, whatever the key', async () => {
    const api = await instance({ MLL_API_EVENTS_MAX_STREAMS_PER_KEY: '2', MLL_API_EVENTS_MAX_STREAMS: '3' });
    const [a, b] = [api.key('practitioner1'), api.key('dr-reg')];
    const streams = [await openEventStream(api.url, a), await openEventStream(api.url, a), await openEventStream(api.url, b)];
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);
    const refused = await refusedEventStream(api.url, b);
    expect(refused).toMatchObject({
      status: 429,
      retryAfter: '2',
      error: { code: 'TOO_MANY_STREAMS', message: expect.stringMatching(/this instance already serves 3/) },
    });
    streams[2].close();
    await eventually(async () => (await refusedEventStream(api.url, b)).status === 200, 'the freed instance slot');
    streams.forEach((stream) => stream.close());
  });
});

describe('a bounded resume', () => {
  it('answers 409 REPLAY_TOO_FAR to a Last-Event-ID further back than the bound, such as 0:0, and frees its slot', async () => {
    const api = await instance({ MLL_API_EVENTS_MAX_REPLAY_BLOCKS: '10', MLL_API_EVENTS_MAX_STREAMS_PER_KEY: '1' }, { height: 100n });
    const key = api.key('practitioner1');
    for (const id of ['0:0', '88:5']) {
      const refused = await refusedEventStream(api.url, key, id);
      expect(refused).toMatchObject({ status: 409, retryAfter: null, error: { code: 'REPLAY_TOO_FAR' } });
      expect(refused.error.message).toMatch(
        new RegExp(
          `^Last-Event-ID ${id} is \\d+ blocks behind the channel's last block 99; this instance replays at most 10\\. Page through the audit API`,
        ),
      );
    }
    expect(api.fake.pulled.count).toBe(0);
    // The cap is one stream: the refusals above hold none.
    const stream = await openEventStream(api.url, key);
    expect(stream.status).toBe(200);
    stream.close();
  });

  it('replays from the ledger within the bound', async () => {
    const replayEvents = [chaincodeEvent(90n, 0), chaincodeEvent(95n, 0), chaincodeEvent(96n, 0), chaincodeEvent(96n, 1)];
    const api = await instance({ MLL_API_EVENTS_MAX_REPLAY_BLOCKS: '10' }, { height: 100n, replayEvents });
    const stream = await openEventStream(api.url, api.key('practitioner1'), '89:0');
    expect(stream.status).toBe(200);
    await stream.until((events) => events.length === 4, 5000, 'the replay');
    expect(stream.events.map((e) => e.id)).toEqual(['90:0', '95:0', '96:0', '96:1']);
    stream.close();
  });

  it('needs no height for a resume that the ring still holds', async () => {
    const feed = { holdsAfter: () => true } as unknown as EventFeed;
    const height = jest.fn(async () => 10_000n);
    const service = new EventService(feed, {} as EnrolledUser, { height, maxBlocks: 1 });
    await expect(service.resumeAfter('0:0')).resolves.toEqual({ block: 0n, ordinal: 0 });
    expect(height).not.toHaveBeenCalled();
    const far = new EventService({ holdsAfter: () => false } as unknown as EventFeed, {} as EnrolledUser, { height, maxBlocks: 1 });
    await expect(far.resumeAfter('9997:0')).rejects.toMatchObject({ code: 'REPLAY_TOO_FAR' });
    await expect(far.resumeAfter('9998:3')).resolves.toEqual({ block: 9998n, ordinal: 3 });
    await expect(far.resumeAfter('yesterday')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

/** A writable that takes nothing until `flush()`: the fake of a client that does not read. */
function stalledClient(highWaterMark: number): { out: Writable; flush(): void } {
  const waiting: (() => void)[] = [];
  const out = new Writable({
    highWaterMark,
    write(_chunk, _encoding, callback) {
      waiting.push(() => callback());
    },
  });
  return {
    out,
    flush: () => {
      // Each callback lets the stream hand over the next buffered chunk, which queues a new callback.
      while (waiting.length > 0) {
        (waiting.shift() as () => void)();
      }
    },
  };
}

describe('back-pressure on an event stream', () => {
  it('pauses when a write is refused and resumes on drain', async () => {
    const client = stalledClient(64);
    const writer = new SseWriter(client.out, { maxBufferedBytes: 1 << 20, slowClientMs: 1000 }, () => undefined);
    writer.write('retry: 1\n\n');
    expect(writer.paused).toBe(false);
    writer.event('1:0', 'TokensMinted', { note: 'x'.repeat(100) });
    expect(writer.paused).toBe(true);
    let resumed = false;
    void writer.ready().then(() => (resumed = true));
    writer.comment('heartbeat');
    await sleep(20);
    expect(resumed).toBe(false);
    for (let i = 0; i < 5 && !resumed; i++) {
      client.flush();
      await sleep(5);
    }
    expect(resumed).toBe(true);
    expect(writer.paused).toBe(false);
  });

  it('pauses a replay from the ledger until the client drains, then sends the rest in order', async () => {
    const replayEvents = Array.from({ length: 12 }, (_, i) => chaincodeEvent(BigInt(50 + i), 0));
    const fake = fakeLedger(USERS, { replayEvents });
    const feed = new EventFeed(
      fake.ledger,
      { checkpointFile: join(tmpdir(), 'unused.json'), ringSize: 10, retryMinMs: 10, retryMaxMs: 10 },
      silent,
    );
    const client = stalledClient(256);
    const writer = new SseWriter(client.out, { maxBufferedBytes: 1 << 20, slowClientMs: 1000 }, () => undefined);
    const sent: string[] = [];
    const sink: EventSink = {
      event: (event: LedgerEvent) => {
        sent.push(event.id);
        writer.event(event.id, event.name, event.payload);
      },
      end: () => undefined,
      ready: () => writer.ready(),
    };
    const subscription = feed.subscribe(sink, { block: 49n, ordinal: 0 });
    await eventually(() => writer.paused, 'the first refused write');
    await sleep(50);
    // Paused: one event past the refused write is read from the ledger and held, no more.
    const heldAt = { sent: sent.length, pulled: fake.pulled.count };
    expect(heldAt.sent).toBeLessThan(12);
    expect(heldAt.pulled).toBe(heldAt.sent + 1);
    await sleep(50);
    expect({ sent: sent.length, pulled: fake.pulled.count }).toEqual(heldAt);

    const draining = setInterval(() => client.flush(), 5);
    await eventually(() => sent.length === 12, 'the rest of the replay');
    clearInterval(draining);
    expect(sent).toEqual(replayEvents.map((e) => `${e.blockNumber}:0`));
    subscription.cancel();
    await feed.close();
  });

  it('drops a client whose unread bytes stay over the bound, but not one that catches up in time', async () => {
    const slow = stalledClient(64);
    const dropped: number[] = [];
    const writer = new SseWriter(slow.out, { maxBufferedBytes: 500, slowClientMs: 40 }, (bytes) => dropped.push(bytes));
    for (let i = 0; i < 5; i++) {
      writer.event(`${i}:0`, 'TokensMinted', { note: 'x'.repeat(150) });
    }
    expect(slow.out.writableLength).toBeGreaterThan(500);
    expect(slow.out.destroyed).toBe(false);
    await eventually(() => slow.out.destroyed, 'the drop');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toBeGreaterThan(500);
    expect(writer.open).toBe(false);
    writer.event('9:0', 'TokensMinted', {});
    await expect(writer.ready()).resolves.toBeUndefined();

    const quick = stalledClient(64);
    const kept = new SseWriter(quick.out, { maxBufferedBytes: 500, slowClientMs: 40 }, (bytes) => dropped.push(bytes));
    for (let i = 0; i < 5; i++) {
      kept.event(`${i}:0`, 'TokensMinted', { note: 'x'.repeat(150) });
    }
    for (let i = 0; i < 5; i++) {
      quick.flush();
      await sleep(2);
    }
    await sleep(80);
    expect(quick.out.destroyed).toBe(false);
    expect(dropped).toHaveLength(1);
  });

  it('drops at once with no grace', () => {
    const slow = stalledClient(64);
    const writer = new SseWriter(slow.out, { maxBufferedBytes: 100, slowClientMs: 0 }, () => undefined);
    writer.event('1:0', 'TokensMinted', { note: 'x'.repeat(150) });
    expect(slow.out.destroyed).toBe(true);
  });
});

describe('/healthz', () => {
  it('asks the peer once per interval, shares a probe in flight, and keeps a failure as long as an answer', async () => {
    let now = 0;
    let answers = 0;
    let fail = false;
    const probe = jest.fn(async (): Promise<bigint> => {
      await sleep(5);
      if (fail) {
        throw new ApiError(ApiCode.LEDGER_UNAVAILABLE, 'down');
      }
      return BigInt(10 + answers++);
    });
    const height = new CachedHeight(probe, 1000, () => now);
    expect(await Promise.all([height.get(), height.get()])).toEqual([10n, 10n]);
    now = 999;
    expect(await height.get()).toBe(10n);
    expect(probe).toHaveBeenCalledTimes(1);
    now = 1005;
    expect(await height.get()).toBe(11n);
    expect(probe).toHaveBeenCalledTimes(2);
    fail = true;
    now = 3000;
    await expect(height.get()).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' });
    now = 3500;
    await expect(height.get()).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' });
    expect(probe).toHaveBeenCalledTimes(3);
  });

  it('answers every hit within the interval from one ledger query', async () => {
    const api = await instance({ MLL_API_HEALTH_CACHE_MS: '60000' }, { height: 42n });
    for (let i = 0; i < 5; i++) {
      const response = await request(api.url).get('/healthz');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok', org: 'hospital', mspId: 'HospitalMSP', peer: 'peer0.hospital', blockHeight: '42' });
    }
    expect(api.fake.heightProbes.count).toBe(1);
  });

  it('answers 503 from one failed query within the interval', async () => {
    const api = await instance({ MLL_API_HEALTH_CACHE_MS: '60000' }, { heightFails: true });
    for (let i = 0; i < 3; i++) {
      const response = await request(api.url).get('/healthz');
      expect(response.status).toBe(503);
      expect(response.body.error.code).toBe('LEDGER_UNAVAILABLE');
    }
    expect(api.fake.heightProbes.count).toBe(1);
  });
});

describe('/v1/me and a member with role=regulator', () => {
  it('shows the certificate attributes, the role, and that role=regulator makes a member read-only but no regulator', async () => {
    const api = await instance();
    const me = await request(api.url).get('/v1/me').set('X-API-Key', api.key('dr-reg'));
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      user: 'dr-reg',
      org: 'hospital',
      mspId: 'HospitalMSP',
      account: HOSPITAL_ACCOUNT,
      orgAccount: 'org::HospitalMSP',
      role: 'regulator',
      regulator: false,
      readOnly: true,
      attributes: USERS['dr-reg'].attributes,
      certificate: {
        serialNumber: new X509Certificate(MEMBER_CERT).serialNumber.toLowerCase(),
        notBefore: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        notAfter: new Date(new X509Certificate(MEMBER_CERT).validTo).toISOString(),
        daysLeft: expect.any(Number),
      },
    });
    expect(me.body.certificate.daysLeft).toBeGreaterThan(30_000);

    const write = await request(api.url)
      .post('/v1/token/transfers')
      .set('X-API-Key', api.key('dr-reg'))
      .set('Idempotency-Key', 'reg-1')
      .send({ from: 'self', to: 'org::LabMSP', amount: '1' });
    expect(write.status).toBe(403);
    expect(write.body.error).toEqual({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/dr-reg has role regulator, which is read-only/),
    });
    expect(api.fake.submits.count).toBe(0);
  });

  it('answers role null for an attribute the chaincode does not know, and still shows it among the attributes', async () => {
    const api = await instance();
    const me = await request(api.url).get('/v1/me').set('X-API-Key', api.key('clerk1'));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: 'clerk1', role: null, regulator: false, readOnly: false, attributes: { role: 'staff' } });
  });
});
