/**
 * Load and faults on the real consortium, through the hospital's own API
 * process (the one `scripts/network.sh up` runs): 64 accesses in flight on
 * one licence, back-to-back asynchronous writes to one account, and four
 * faults under a load of concurrent accesses, each with its own
 * Idempotency-Key:
 *
 * 1. the ordering leader (the Raft leader, or with BFT the consenters' leader),
 *    found from the orderers' own metrics, is killed (SIGKILL);
 * 2. one member org's chaincode server is killed: the gateway endorses with the others;
 * 3. the hospital's peer, the one its API instance uses, is killed;
 * 4. the hospital's API instance is killed mid-request.
 *
 * Each killed node is started again by `scripts/network.sh up`, which starts
 * only what is down. After each fault: every acknowledged access is on the
 * ledger; every unanswered one, retried with its key, is charged at most
 * once; the licence's consumed units equal the distinct accesses; its escrow
 * and the beneficiaries' accruals conserve value; and no answer was a 5xx but
 * 503 or 504. The acknowledged rate per 5 s and the longest stretch without
 * one are printed, and kept in `<runtime>-results/faults.json`, with a
 * timeline chart of each fault (acknowledged/s, the kill and the restart
 * marked) in `faults.png` beside it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { ApiCaller, ApiFleet, allPages, apiReads, expectStatus, Json, startApiFleet } from '../support/api';
import { Attempt, kill, longestGap, postAccess, orderingLeader, ratePerWindow, underLoad } from '../support/faults';
import { sleep } from '../support/ledger';
import { loadPlan, networkScript, org, Plan, runtimeDir } from '../support/network';
import { labModel } from '../support/story';
import { KeyStore } from '../../gateway-api/src/auth/keys';
import { Palette, renderChart } from '../../bench/src/chart';

/** Units of each licence: more than any load here consumes. */
const UNITS = 5000n;
const UNIT_PRICE = 1n;
const WORKERS = 12;
const WINDOW_MS = 5000;

interface FaultReport {
  readonly fault: string;
  /** When the node was killed, when `up` began and when `up` had it back, ms after the load began. */
  readonly injectedAtMs: number;
  readonly healStartedAtMs: number;
  readonly healedAtMs: number;
  /**
   * Acknowledged accesses per second while `up` restarted the node, over the
   * same before the kill: what restarting one node costs the live network.
   */
  readonly rateDuringRestart: number;
  /** Acknowledged accesses in each second of the load. */
  readonly perSecond: number[];
  readonly attempts: number;
  readonly acknowledged: number;
  readonly retried: number;
  readonly perWindow: number[];
  readonly longestGapMs: number;
  readonly statuses: Record<string, number>;
}

describe('load and faults through the hospital\u2019s API process', () => {
  const run = `${process.pid}-${Date.now()}`;
  const reports: FaultReport[] = [];
  let plan: Plan;
  let fleet: ApiFleet;
  let labAdmin: ApiCaller;
  let issuer: ApiCaller;
  let auditor: ApiCaller;
  let offeringId: string;
  let engineerAccount: string;
  /** The hospital's API process and keys issued into its key file. */
  let hospitalUrl: string;
  let adminKey: string;
  /** One key per worker: an instance limits each key to MLL_API_RATE_LIMIT requests a minute. */
  let practitionerKeys: string[];

  const { balance, accrued, license } = apiReads(() => auditor);

  const hospital = async (method: string, path: string, body?: object, key = adminKey): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${hospitalUrl}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', 'X-API-Key': key },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Json };
  };

  const buyLicense = async (): Promise<string> => {
    const bought = await hospital('POST', '/v1/purchases', { offeringId, units: UNITS.toString(), payer: 'org' });
    expect(bought.status).toBe(201);
    return bought.body.data.licenseId as string;
  };

  beforeAll(async () => {
    plan = loadPlan();
    hospitalUrl = org(plan, 'hospital').api.url;
    const keys = new KeyStore(`${runtimeDir}/api/hospital-keys.json`, 'hospital');
    adminKey = keys.issue('admin').key;
    practitionerKeys = Array.from({ length: WORKERS }, () => keys.issue('practitioner1').key);
    fleet = await startApiFleet({ orgs: ['lab', 'clearing', 'regulator'] });
    labAdmin = fleet.as('lab', 'admin');
    issuer = fleet.as('clearing', 'issuer1');
    auditor = fleet.as('regulator', 'auditor1');
    engineerAccount = expectStatus(await fleet.as('lab', 'engineer1').get('/v1/me'), 200).account;
    const model = labModel({ slug: 'faults', description: 'A model under load and faults', run, engineerAccount });
    const modelId = expectStatus(await labAdmin.post('/v1/models', model), 201).data.modelId;
    const offering = await labAdmin.post('/v1/offerings', {
      modelId,
      kind: 'metered',
      unitPrice: UNIT_PRICE.toString(),
      supplyCap: '100000',
      transferable: false,
      allowedMspIds: ['HospitalMSP'],
      purposes: ['research'],
    });
    offeringId = expectStatus(offering, 201).data.offering.offeringId;
    expectStatus(await issuer.post('/v1/token/mints', { to: 'org::HospitalMSP', amount: '100000' }), 201);
  });

  afterAll(async () => {
    await fleet?.stop();
    mkdirSync(`${runtimeDir}-results`, { recursive: true });
    writeFileSync(`${runtimeDir}-results/faults.json`, `${JSON.stringify(reports, null, 2)}\n`);
    if (reports.length > 0) {
      writeFileSync(`${runtimeDir}-results/faults.png`, timelineChart(reports));
    }
  });

  /**
   * Retries every access that did not end 201 with its own key until it
   * does, then checks the licence against the ledger: each key charged at
   * most once, consumed units equal to the distinct accesses, value conserved.
   */
  const settleAndCheck = async (
    fault: string,
    licenseId: string,
    attempts: Attempt[],
    before: { lab: bigint; engineer: bigint },
    timing: { injectedAtMs: number; healStartedAtMs: number; healedAtMs: number },
  ): Promise<void> => {
    const options = { url: hospitalUrl, apiKeys: practitionerKeys, licenseId, workers: 1, keyPrefix: '', timeoutMs: 40_000 };
    const last = new Map<string, Attempt>();
    for (const attempt of attempts) {
      const seen = last.get(attempt.key);
      if (seen === undefined || seen.status !== 201) last.set(attempt.key, attempt);
    }
    // Retried as a client would after the fault: a few at a time, each with its own key, until each is answered 201.
    let retried = 0;
    const pending = [...last.entries()].filter(([, attempt]) => attempt.status !== 201);
    const retryOne = async ([key, attempt]: [string, Attempt], worker: number): Promise<void> => {
      let current = attempt;
      for (let i = 0; current.status !== 201 && i < 10; i++) {
        retried++;
        current = await postAccess(options, key, Date.now(), worker);
        if (current.status !== 201) await sleep(500);
      }
      expect({ key, status: current.status, code: current.code }).toEqual({ key, status: 201, code: undefined });
      last.set(key, current);
    };
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, worker) => {
        for (let next = pending.shift(); next !== undefined; next = pending.shift()) await retryOne(next, worker);
      }),
    );

    const acknowledged = attempts.filter((a) => a.status === 201);
    const onLedger = await allPages(auditor, `/v1/audit/accesses?licenseId=${licenseId}`);
    const ids = new Set(onLedger.map((a) => a.accessId as string));
    // Every access the API acknowledged committed.
    expect(acknowledged.filter((a) => !ids.has(a.accessId as string)).map((a) => a.key)).toEqual([]);
    // Each key charged at most once: one access per request hash, and one per key the load sent.
    const hashes = onLedger.map((a) => a.requestHash as string);
    expect(new Set(hashes).size).toBe(hashes.length);
    expect(hashes.length).toBe(last.size);
    // Units: what the licence consumed is exactly the distinct accesses.
    const held = await license(licenseId);
    expect(BigInt(held.consumedUnits as string)).toBe(BigInt(onLedger.length));
    expect(BigInt(held.remainingUnits as string)).toBe(UNITS - BigInt(onLedger.length));
    // Value: the escrow left is the units left, and the beneficiaries accrued exactly what was released (70/30).
    expect(BigInt(held.escrow as string)).toBe(BigInt(held.remainingUnits as string) * UNIT_PRICE);
    const released = BigInt(onLedger.length) * UNIT_PRICE;
    const accruedNow = (await accrued('org::LabMSP')) - before.lab + ((await accrued(engineerAccount)) - before.engineer);
    expect(accruedNow).toBe(released);
    // No 5xx but 503 and 504.
    const statuses: Record<string, number> = {};
    for (const a of attempts) statuses[String(a.status)] = (statuses[String(a.status)] ?? 0) + 1;
    expect(attempts.filter((a) => a.status >= 500 && a.status !== 503 && a.status !== 504).map((a) => `${a.status} ${a.code}`)).toEqual([]);

    const ratePer = (from: number, to: number): number =>
      acknowledged.filter((a) => a.answeredAt >= from && a.answeredAt < to).length / Math.max(0.001, (to - from) / 1000);
    const report: FaultReport = {
      fault,
      ...timing,
      rateDuringRestart:
        Math.round((ratePer(timing.healStartedAtMs, timing.healedAtMs) / Math.max(0.001, ratePer(1000, timing.injectedAtMs))) * 100) / 100,
      perSecond: ratePerWindow(attempts, 1000),
      attempts: attempts.length,
      acknowledged: acknowledged.length,
      retried,
      perWindow: ratePerWindow(attempts, WINDOW_MS),
      longestGapMs: longestGap(attempts),
      statuses,
    };
    reports.push(report);
    process.stdout.write(
      `fault "${fault}": ${report.acknowledged}/${report.attempts} acknowledged under load, ${retried} retried with their keys; ` +
        `acknowledged per ${WINDOW_MS / 1000} s: [${report.perWindow.join(', ')}]; longest stretch without one: ${report.longestGapMs} ms; ` +
        `rate while up restarted it ${report.rateDuringRestart}x the rate before the kill; ` +
        `statuses ${JSON.stringify(statuses)}\n`,
    );
  };

  /** A fault under load: kill at 4 s, start what is down again at `healAt`, keep the load 5 s more. */
  const faultUnderLoad = async (
    fault: string,
    slug: string,
    inject: () => Promise<void> | void,
    healAfterMs: number,
  ): Promise<Attempt[]> => {
    const licenseId = await buyLicense();
    const before = { lab: await accrued('org::LabMSP'), engineer: await accrued(engineerAccount) };
    const options = {
      url: hospitalUrl,
      apiKeys: practitionerKeys,
      licenseId,
      workers: WORKERS,
      keyPrefix: `${slug}-${run}`,
      timeoutMs: 40_000,
    };
    const timing = { injectedAtMs: 0, healStartedAtMs: 0, healedAtMs: 0 };
    const attempts = await underLoad(options, async (elapsed) => {
      await sleep(4000);
      await inject();
      timing.injectedAtMs = elapsed();
      await sleep(healAfterMs);
      timing.healStartedAtMs = elapsed();
      await networkScript('up');
      timing.healedAtMs = elapsed();
      process.stdout.write(`fault "${fault}": injected at ${timing.injectedAtMs} ms, healed by ${timing.healedAtMs} ms\n`);
      await sleep(5000);
    });
    await settleAndCheck(fault, licenseId, attempts, before, timing);
    return attempts;
  };

  it('takes 64 accesses in flight on one licence with no 5xx, each charged once', async () => {
    const licenseId = await buyLicense();
    const options = { url: hospitalUrl, apiKeys: practitionerKeys, licenseId, workers: 1, keyPrefix: '', timeoutMs: 60_000 };
    const started = Date.now();
    const attempts = await Promise.all(Array.from({ length: 64 }, (_, i) => postAccess(options, `burst-${run}-${i}`, started, i)));
    expect(attempts.filter((a) => a.status !== 201).map((a) => `${a.status} ${a.code}`)).toEqual([]);
    expect(new Set(attempts.map((a) => a.accessId)).size).toBe(64);
    expect((await license(licenseId)).consumedUnits).toBe('64');
  });

  it('commits back-to-back asynchronous writes to one account, retrying their read conflicts under the same request', async () => {
    const account = `org::async-${run}`;
    const mints = [];
    for (let i = 1; i <= 4; i++) {
      mints.push(await issuer.post('/v1/token/mints', { to: account, amount: String(i) }, { Prefer: 'respond-async' }));
    }
    expect(mints.map((m) => m.status)).toEqual([202, 202, 202, 202]);
    for (const mint of mints) {
      let status;
      for (let i = 0; i < 200; i++) {
        status = await issuer.get(String(mint.headers.location));
        if (status.status !== 404) break;
        await sleep(100);
      }
      expect(status?.status).toBe(200);
      expect(status?.body).toMatchObject({ valid: true, validationCode: 'VALID' });
    }
    expect(await balance(account)).toBe(10n);
  });

  it('loses nothing when the ordering leader is killed under load', async () => {
    await faultUnderLoad(
      `${plan.ordering.consensus} leader killed`,
      'leader',
      async () => {
        const leader = await orderingLeader(plan);
        kill(leader.id);
      },
      8000,
    );
  });

  it('keeps committing when one member org\u2019s chaincode server is killed: the gateway endorses with the other orgs', async () => {
    const attempts = await faultUnderLoad('clinic chaincode server killed', 'chaincode', () => void kill('chaincode.clinic'), 8000);
    // Between the kill (4 s) and the restart (12 s and later), accesses still committed.
    expect(attempts.filter((a) => a.status === 201 && a.answeredAt > 5000 && a.answeredAt < 12_000).length).toBeGreaterThan(0);
  });

  it('loses nothing when the hospital\u2019s own peer is killed under load', async () => {
    await faultUnderLoad('hospital peer killed', 'peer', () => void kill('peer0.hospital'), 6000);
  });

  it('loses nothing when the hospital\u2019s API instance is killed mid-request, and the client retries with the same keys', async () => {
    await faultUnderLoad('hospital API killed', 'api', () => void kill('api.hospital'), 2000);
  });
});

/** One panel per fault: acknowledged accesses per second, with the kill and the restart as vertical lines. */
function timelineChart(reports: readonly FaultReport[]): Buffer {
  const panels = reports.map((report) => {
    const top = Math.max(1, ...report.perSecond);
    const marker = (label: string, atMs: number, color: (typeof Palette)[number]) => ({
      label,
      color,
      dash: 6,
      points: [
        [atMs / 1000, 0],
        [atMs / 1000, top],
      ] as const,
    });
    return {
      title: report.fault,
      xLabel: 'seconds since the load began',
      yLabel: 'accesses acknowledged per second',
      series: [
        { label: `acknowledged/s (${WORKERS} workers)`, color: Palette[0], points: report.perSecond.map((n, i) => [i, n] as const) },
        marker('killed', report.injectedAtMs, Palette[1]),
        marker('started again by network.sh up', report.healedAtMs, Palette[2]),
      ],
    };
  });
  return renderChart(`Faults under load, ${new Date().toISOString().slice(0, 10)}`, panels);
}
