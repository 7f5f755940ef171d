/**
 * The namespaced run (npm run test:hosts): each org, and each of the four BFT
 * orderers, on a host of its own (a network namespace with its own address),
 * the tests on the operator's. Shows that:
 *
 * - every node binds its own host's address only (nothing on 127.0.0.1), and
 *   its TLS certificate carries its host's name, which the others dial;
 * - with one member org's link cut, the others keep committing, and that org's
 *   peer catches up once the link is back;
 * - with the ordering leader's link cut, the other three orderers keep
 *   ordering, and the cut one catches up once its link is back;
 * - with the orderer that sends the regulator's peer its blocks out of that
 *   peer's reach, the peer takes them from another orderer (no one orderer,
 *   nor the member running it, can keep a peer from seeing the ledger).
 *
 * Accesses go through the hospital's own API instance on the hospital's host.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { ApiCaller, ApiFleet, apiReads, expectStatus, startApiFleet } from '../support/api';
import { Attempt, ordererHeight, orderingLeader, postAccess } from '../support/faults';
import { caughtUp, channelHeight, sleep } from '../support/ledger';
import { loadPlan, networkScript, org, Plan, runtimeDir } from '../support/network';
import type { OrdererPlan } from '@model-ledger/network-tools';
import { labModel } from '../support/story';
import { KeyStore } from '../../gateway-api/src/auth/keys';

const run = promisify(execFile);

/** Listening TCP sockets in a namespace, as `address:port`. */
async function listeners(ns: string): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, 'ss', '-ltnH']);
  return stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split(/\s+/)[3]);
}

/** Bytes each of ORG's connections to an orderer has received, by connection (local and remote address). */
async function ordererStreams(plan: Plan, orgName: string): Promise<Map<string, { orderer: OrdererPlan; bytes: number }>> {
  const { stdout } = await run('ip', ['netns', 'exec', org(plan, orgName).host.ns ?? '', 'ss', '-tinH', 'state', 'established']);
  const streams = new Map<string, { orderer: OrdererPlan; bytes: number }>();
  let connection: { key: string; orderer: OrdererPlan } | undefined;
  // A connection's line (Recv-Q, Send-Q, local, remote), then an indented line of its counters.
  for (const line of stdout.split('\n')) {
    if (!/^\s/.test(line)) {
      const [, , local, remote] = line.trim().split(/\s+/);
      const orderer = plan.orderers.find((n) => remote === `${n.host.ip}:${n.port}`);
      connection = orderer === undefined ? undefined : { key: `${local} ${remote}`, orderer };
    } else if (connection !== undefined) {
      streams.set(connection.key, { orderer: connection.orderer, bytes: Number(/bytes_received:(\d+)/.exec(line)?.[1] ?? 0) });
      connection = undefined;
    }
  }
  return streams;
}

/**
 * The orderer that sends ORG's peer whole blocks while WRITES commit. On a
 * BFT channel a peer takes blocks from one orderer and only their headers
 * from the others: its block stream is the one that grows most.
 */
async function blockSource(
  plan: Plan,
  orgName: string,
  writes: () => Promise<void>,
): Promise<{ source: OrdererPlan; grew: Record<string, number> }> {
  const before = await ordererStreams(plan, orgName);
  await writes();
  const grew: Record<string, number> = {};
  for (const [key, { orderer, bytes }] of await ordererStreams(plan, orgName)) {
    grew[orderer.id] = (grew[orderer.id] ?? 0) + bytes - (before.get(key)?.bytes ?? 0);
  }
  const [top] = Object.entries(grew).sort(([, x], [, y]) => y - x);
  const source = plan.orderers.find((n) => n.id === top?.[0]);
  if (source === undefined) throw new Error(`${orgName}'s peer has no connection to an orderer`);
  return { source, grew };
}

describe('each org on a host of its own', () => {
  const tag = `${process.pid}-${Date.now()}`;
  let plan: Plan;
  let fleet: ApiFleet;
  let hospitalUrl: string;
  let practitionerKeys: string[];
  let licenseId: string;
  let auditor: ApiCaller;
  const { license } = apiReads(() => auditor);

  /** N accesses through the hospital's API, one after another; each answer kept. */
  const accesses = async (label: string, n: number): Promise<Attempt[]> => {
    const options = { url: hospitalUrl, apiKeys: practitionerKeys, licenseId, workers: 1, keyPrefix: '', timeoutMs: 40_000 };
    const started = Date.now();
    const attempts: Attempt[] = [];
    for (let i = 0; i < n; i++) attempts.push(await postAccess(options, `${label}-${tag}-${i}`, started, i));
    return attempts;
  };

  /**
   * The licence's units left, as the hospital's own instance reads them: from
   * the hospital's peer, which has committed every access its API answered
   * 201. Another org's peer may still be catching up (one whose block source
   * was the cut orderer moves to another after ordering.bft.peerBlockCensorshipTimeout).
   */
  const remainingAtHospital = async (): Promise<bigint> => {
    const read = await fetch(`${hospitalUrl}/v1/licenses/${licenseId}`, { headers: { 'X-API-Key': practitionerKeys[0] } });
    expect(read.status).toBe(200);
    return BigInt(((await read.json()) as { remainingUnits: string }).remainingUnits);
  };

  /**
   * Waits until accesses commit again after a fault (endorsers and orderers
   * notice a lost host within seconds), then N more, one at a time, must each
   * commit exactly once. Ordering can stall again while the fault lasts (with
   * a BFT leader cut, the orderers may change views more than once): an access
   * answered 503 or 504, or not at all, is sent again with its Idempotency-Key,
   * as a client told "it may still commit" does, for at most 90 s. Every one
   * must end in 201, and the licence's units must move by exactly N.
   */
  const keepsCommitting = async (label: string, n: number): Promise<void> => {
    const options = { url: hospitalUrl, apiKeys: practitionerKeys, licenseId, workers: 1, keyPrefix: '', timeoutMs: 40_000 };
    const stalls: string[] = [];
    /** One access, sent again with its key while the answer says it may still commit. */
    const settled = async (key: string, began: number): Promise<Attempt> => {
      const giveUp = Date.now() + 90_000;
      let attempt = await postAccess(options, key, began);
      while ([0, 503, 504].includes(attempt.status) && Date.now() < giveUp) {
        stalls.push(`${key.replace(`-${tag}`, '')}: ${attempt.status}${attempt.code === undefined ? '' : ` ${attempt.code}`}`);
        await sleep(1000);
        attempt = await postAccess(options, key, began);
      }
      return attempt;
    };
    const started = Date.now();
    const deadline = started + 90_000;
    const unanswered: string[] = [];
    for (let i = 0; ; i++) {
      const [probe] = await accesses(`${label}-probe-${i}`, 1);
      if (probe.status === 201) break;
      unanswered.push(probe.key);
      if (Date.now() > deadline) throw new Error(`no access committed within 90 s of ${label}`);
      await sleep(1000);
    }
    const resumedMs = Date.now() - started;
    // A probe that was not answered may still commit: each is settled, once, before the units are counted.
    for (const key of unanswered) expect((await settled(key, started)).status).toBe(201);
    const remainingBefore = await remainingAtHospital();
    const began = Date.now();
    const attempts: Attempt[] = [];
    for (let i = 0; i < n; i++) attempts.push(await settled(`${label}-${tag}-${i}`, began));
    expect(attempts.map((a) => a.status)).toEqual(attempts.map(() => 201));
    expect(remainingBefore - (await remainingAtHospital())).toBe(BigInt(n));
    const took = attempts.at(-1)?.answeredAt ?? 0;
    process.stdout.write(
      `${label}: the first access committed ${resumedMs} ms after the fault; then ${n} in a row, one at a time, in ${took} ms` +
        `${stalls.length === 0 ? '' : `, asked again after ${stalls.join(', ')}`}\n`,
    );
  };

  beforeAll(async () => {
    plan = loadPlan();
    if (plan.hosts === null) throw new Error(`${runtimeDir} is not the namespaced run's network: run npm run test:hosts`);
    hospitalUrl = org(plan, 'hospital').api.url;
    const keys = new KeyStore(`${runtimeDir}/api/hospital-keys.json`, 'hospital');
    const adminKey = keys.issue('admin').key;
    practitionerKeys = [keys.issue('practitioner1').key];
    fleet = await startApiFleet({ orgs: ['lab', 'clearing', 'regulator'] });
    const labAdmin = fleet.as('lab', 'admin');
    auditor = fleet.as('regulator', 'auditor1');
    const engineerAccount = expectStatus(await fleet.as('lab', 'engineer1').get('/v1/me'), 200).account as string;
    const model = labModel({ slug: 'hosts', description: 'A model on a consortium of hosts', run: tag, engineerAccount });
    const modelId = expectStatus(await labAdmin.post('/v1/models', model), 201).data.modelId as string;
    const offering = await labAdmin.post('/v1/offerings', {
      modelId,
      kind: 'metered',
      unitPrice: '1',
      supplyCap: '100000',
      transferable: false,
      allowedMspIds: ['HospitalMSP'],
      purposes: ['research'],
    });
    const offeringId = expectStatus(offering, 201).data.offering.offeringId as string;
    expectStatus(await fleet.as('clearing', 'issuer1').post('/v1/token/mints', { to: 'org::HospitalMSP', amount: '10000' }), 201);
    const bought = await fetch(`${hospitalUrl}/v1/purchases`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': adminKey },
      body: JSON.stringify({ offeringId, units: '5000', payer: 'org' }),
    });
    expect(bought.status).toBe(201);
    licenseId = ((await bought.json()) as { data: { licenseId: string } }).data.licenseId;
  });

  afterAll(async () => {
    // Whatever happened, every link is back for the tests after these.
    for (const host of plan?.hosts?.list ?? []) await networkScript('hosts', 'restore', host.name).catch(() => undefined);
    await fleet?.stop();
  });

  it('runs every node on its own host: it binds only that host’s address, and its TLS certificate names the host', async () => {
    const hosts = plan.hosts?.list ?? [];
    // The operator's, every org's of the topology (one that joins later included) and the four orderers' (BFT).
    expect(hosts.map((h) => h.name)).toEqual([
      'operator.mll.test',
      ...[...plan.orgs, ...plan.candidates].map((o) => `${o.name}.mll.test`),
      ...plan.orderers.map((n) => `${n.id}.mll.test`),
    ]);
    expect(new Set(hosts.map((h) => h.ip)).size).toBe(hosts.length);
    // The hosts with nodes running: the member orgs' and the orderers' (an org that joins later has none yet).
    for (const host of [...plan.orgs.map((o) => o.host), ...plan.orderers.map((n) => n.host)]) {
      const bound = await listeners(host.ns ?? '');
      expect(bound.length).toBeGreaterThan(0);
      // Every listener is on the host's own address: none on loopback, none on every interface.
      expect(bound.filter((address) => !address.startsWith(`${host.ip}:`))).toEqual([]);
    }
    for (const node of [...plan.orgs.flatMap((o) => o.peers), ...plan.orderers]) {
      expect(node.address).toBe(`${node.host.name}:${node.port}`);
      const names = new X509Certificate(readFileSync(node.tls.cert)).subjectAltName ?? '';
      expect(names).toContain(`DNS:${node.host.name}`);
    }
  });

  it('keeps committing with the clinic’s link cut, and the clinic’s peer catches up when it is back', async () => {
    const clinic = org(plan, 'clinic');
    await networkScript('hosts', 'cut', clinic.host.name);
    // Three endorsing orgs of four are a majority of the five members: the hospital, lab and clearing endorse.
    await keepsCommitting('clinic-cut', 10);
    const others = await channelHeight('hospital', plan.channel);
    await networkScript('hosts', 'restore', clinic.host.name);
    let height = 0;
    for (let i = 0; i < 120 && height < others; i++) {
      height = await channelHeight('clinic', plan.channel).catch(() => 0);
      if (height < others) await sleep(1000);
    }
    expect(height).toBeGreaterThanOrEqual(others);
  });

  it('keeps ordering with the ordering leader’s link cut, and that orderer catches up when it is back', async () => {
    const leader = await orderingLeader(plan);
    await networkScript('hosts', 'cut', leader.host.name);
    // The three others, a BFT quorum, choose a new leader and go on.
    await keepsCommitting('leader-cut', 10);
    const others = Math.max(...(await Promise.all(plan.orderers.filter((n) => n.id !== leader.id).map((n) => ordererHeight(plan, n)))));
    expect(await ordererHeight(plan, leader)).toBe(0); // out of reach while cut
    await networkScript('hosts', 'restore', leader.host.name);
    let height = 0;
    for (let i = 0; i < 120 && height < others; i++) {
      height = await ordererHeight(plan, leader);
      if (height < others) await sleep(1000);
    }
    expect(height).toBeGreaterThanOrEqual(others);
    // And the channel still orders with all four.
    await keepsCommitting('leader-back', 3);
    // Every member's peer reaches the hospital's height, the regulator's included, whichever orderer sent it blocks.
    const behind: string[] = [];
    for (const o of plan.orgs) {
      const { height, target } = await caughtUp(o.name, 'hospital', plan.channel);
      if (height < target) behind.push(`${o.name} at ${height} of ${target}`);
    }
    expect(behind).toEqual([]);
    expect(Number((await license(licenseId)).consumedUnits)).toBeGreaterThanOrEqual(23);
  });

  it('keeps the regulator’s peer current when the orderer sending it blocks goes silent towards it: it takes them from another meanwhile', async () => {
    // An orderer's member could withhold blocks from a peer it dislikes (the regulator's, say); the peer must not depend on it.
    const { source, grew } = await blockSource(plan, 'regulator', async () => {
      await accesses('source-find', 3);
      await caughtUp('regulator', 'hospital', plan.channel);
    });
    process.stdout.write(
      `regulator's peer takes blocks from ${source.id} (bytes received from each orderer meanwhile: ${JSON.stringify(grew)})\n`,
    );
    const log = `${runtimeDir}/logs/peer0.regulator.log`;
    const logBefore = readFileSync(log, 'utf8').length;
    // Only the regulator's host loses that orderer: ordering goes on undisturbed, as when an orderer withholds
    // blocks from one peer. (Cutting the orderer's whole link also costs the orderers a view change when it leads.)
    const route = ['netns', 'exec', org(plan, 'regulator').host.ns ?? '', 'ip', 'route'];
    await run('ip', [...route, 'add', 'blackhole', `${source.host.ip}/32`]);
    try {
      await keepsCommitting('source-cut', 3);
      const committed = Date.now();
      // While its source stays cut, the regulator's peer takes the blocks from another orderer.
      const { height, target } = await caughtUp('regulator', 'hospital', plan.channel);
      const tookMs = Date.now() - committed;
      expect(height).toBeGreaterThanOrEqual(target);
      const suspicion = readFileSync(log, 'utf8').slice(logBefore);
      // The peer left that source: it suspected censorship (headers from the others ran ahead), or saw the stream fail.
      const address = `${source.host.name}:${source.port}`.replaceAll('.', '\\.');
      expect(suspicion).toMatch(
        new RegExp(`(censorship detected, block source endpoint: Address: |Failure while processing incoming blocks: .*)${address}`),
      );
      process.stdout.write(
        `regulator's peer at the hospital's height ${tookMs} ms after the accesses, its block source still out of its reach\n`,
      );
    } finally {
      await run('ip', [...route, 'del', 'blackhole', `${source.host.ip}/32`]);
    }
  });
});
