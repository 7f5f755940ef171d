/**
 * The web console (console/) in a real browser: Debian's Chromium driven by
 * playwright-core, against the console that the start command's own API
 * instances serve at /console, signed in with the demo keys `up` issued.
 *
 * As the regulator it filters accesses, opens an access's proof and sees
 * every check pass, and downloads a CSV whose rows are the API's records. As
 * a practitioner it sees its licence's remaining units drop after an
 * inference, through the live feed and without a reload. Each main view is
 * saved as a screenshot in `<runtime>-results/console/`.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { committed, createClient, ok, type LedgerClient, type Schemas } from '@model-ledger/client';
import { ApiFleet, startApiFleet } from '../support/api';
import { channelHeight, sha256, sleep } from '../support/ledger';
import { loadPlan, runtimeDir } from '../support/network';
import { labModel, meteredOffering } from '../support/story';

const CHROMIUM = process.env.MLL_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join(`${runtimeDir}-results`, 'console');
const ACCESSES = 4;

/** The start command's instance of ORG and its demo user's key. */
function demoInstance(org: string): { url: string; key: string } {
  const url = (loadPlan().orgs.find((o) => o.name === org) as unknown as { api: { url: string } }).api.url;
  const key = readFileSync(join(runtimeDir, 'api', 'demo-keys.tsv'), 'utf8')
    .split('\n')
    .map((line) => line.split('\t'))
    .find(([name]) => name === org)?.[2];
  if (key === undefined) throw new Error(`no demo key of ${org} in ${runtimeDir}/api/demo-keys.tsv: run scripts/network.sh up`);
  return { url, key };
}

async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/console/`);
  await page.fill('input[name=secret]', key);
  await page.click('button[type=submit]');
  await page.getByTestId('who').waitFor();
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe('the web console in a real browser', () => {
  const tag = `${process.pid}-${Date.now()}`;
  let browser: Browser;
  let fleet: ApiFleet;
  let licenseId: string;
  let modelId: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM}: install Debian's (apt-get install chromium), or set MLL_CHROMIUM to its path`);
    }
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });

    // A model of the lab, a licence of the hospital's practitioner, and a few accesses to audit.
    fleet = await startApiFleet({ orgs: ['lab', 'hospital', 'clearing'] });
    const as = (org: 'lab' | 'hospital' | 'clearing', user: string): LedgerClient => {
      const caller = fleet.as(org, user);
      return createClient({ baseUrl: caller.url, credentials: { apiKey: caller.key } });
    };
    const engineer = await as('lab', 'engineer1').me();
    const body = labModel({ slug: 'console', description: 'A model audited in the console', run: tag, engineerAccount: engineer.account });
    modelId = committed(await as('lab', 'admin').api.POST('/v1/models', { body: body as unknown as Schemas['NewModel'] })).data.modelId;
    const offeringId = committed(
      await as('lab', 'admin').api.POST('/v1/offerings', {
        body: { modelId, ...meteredOffering({ unitPrice: '7', allowedMspIds: ['HospitalMSP'] }) },
      }),
    ).data.offering.offeringId;
    committed(await as('clearing', 'issuer1').api.POST('/v1/token/mints', { body: { to: 'org::HospitalMSP', amount: '700' } }));
    licenseId = committed(await as('hospital', 'admin').api.POST('/v1/purchases', { body: { offeringId, units: '10', payer: 'org' } })).data
      .licenseId;
    const practitioner = as('hospital', 'practitioner1');
    let lastBlock = 0n;
    for (let i = 0; i < ACCESSES; i++) {
      const access = committed(
        await practitioner.api.POST('/v1/licenses/{licenseId}/accesses', {
          params: { path: { licenseId } },
          body: { purpose: 'research', requestHash: sha256(`console-${tag}-${i}`) },
        }),
      );
      lastBlock = BigInt(access.transaction.blockNumber);
    }
    // One more block, so that the newest access's header is chained to a next one; then wait for the regulator's peer.
    committed(await as('clearing', 'issuer1').api.POST('/v1/token/mints', { body: { to: 'org::HospitalMSP', amount: '1' } }));
    const plan = loadPlan();
    for (let i = 0; i < 100 && BigInt(await channelHeight('regulator', plan.channel)) < lastBlock + 2n; i++) await sleep(200);
  });

  afterAll(async () => {
    await browser?.close();
    await fleet?.stop();
  });

  it('lets the regulator filter accesses, prove one with every check passed, and export the CSV the API holds', async () => {
    const regulator = demoInstance('regulator');
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const failures: string[] = [];
    page.on('pageerror', (err) => failures.push(err.message));
    page.on('requestfailed', (request) => {
      // Only the instance itself may be asked for anything: no CDN, fonts or analytics.
      if (!request.url().startsWith(regulator.url)) failures.push(`outside request ${request.url()}`);
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(regulator.url)) failures.push(`outside request ${request.url()}`);
    });
    await signIn(page, regulator.url, regulator.key);
    expect(await page.getByTestId('who').textContent()).toContain('auditor1@regulator');

    // Accesses by licence.
    await page.selectOption('select[name=by]', 'licenseId');
    await page.fill('input[name=value]', licenseId);
    await page.click('[data-testid=access-filter] button[type=submit]');
    await page
      .getByTestId('access-count')
      .filter({ hasText: `${ACCESSES} accesses` })
      .waitFor();
    expect(await page.locator('[data-testid=access-table] tbody tr').count()).toBe(ACCESSES);
    await shot(page, 'regulator-accesses');

    // The CSV of that filter: its rows are the API's records, in order.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-csv]')]);
    const file = join(SHOTS, 'accesses.csv');
    await download.saveAs(file);
    expect(download.suggestedFilename()).toBe('audit-accesses.csv');
    const rows = parseCsv<Record<string, string>>(readFileSync(file, 'utf8'), { columns: true });
    const api = createClient({ baseUrl: regulator.url, credentials: { apiKey: regulator.key } });
    const records: Schemas['AccessRecord'][] = [];
    for await (const access of api.items('/v1/audit/accesses', { query: { licenseId } })) records.push(access);
    expect(rows.map((r) => r.accessId)).toEqual(records.map((r) => r.accessId));
    expect(rows).toHaveLength(ACCESSES);

    // The proof of the first access in the table: every check passes.
    await page.locator('[data-testid=proof-link]').first().click();
    await page.getByTestId('proof-checks').waitFor({ timeout: 30_000 });
    const checks = page.getByTestId('proof-check');
    expect(await checks.count()).toBeGreaterThanOrEqual(4);
    expect(await checks.evaluateAll((items) => items.map((li) => li.getAttribute('data-passed')))).toEqual(
      Array(await checks.count()).fill('true'),
    );
    expect(await page.getByTestId('proof-checks').locator('h2').textContent()).toBe('Checks: all passed');
    await shot(page, 'regulator-proof');

    // The other views render without an error box.
    for (const [view, testId] of [
      ['royalties', 'royalty-table'],
      ['market', 'trades'],
      ['me', 'me-attributes'],
    ] as const) {
      await page.goto(`${regulator.url}/console/#/${view}`);
      await page.getByTestId(testId).waitFor();
      expect({ view, errors: await page.locator('.error').count() }).toEqual({ view, errors: 0 });
      await shot(page, `regulator-${view}`);
    }
    // An API refusal shows its code and message: a proof of a transaction that does not exist.
    await page.goto(`${regulator.url}/console/#/proof/${'0'.repeat(64)}`);
    await page.locator('.error').waitFor();
    expect(await page.locator('.error').getAttribute('data-code')).toBe('NOT_FOUND');
    expect(failures).toEqual([]);
    await context.close();
  });

  it('shows a practitioner its licence’s remaining units drop after an inference, live, without a reload', async () => {
    const hospital = demoInstance('hospital');
    const demo = JSON.parse(readFileSync(join(runtimeDir, 'api', 'demo.json'), 'utf8')) as { modelId: string; licenseId: string };
    const request = JSON.parse(readFileSync(join(runtimeDir, 'api', 'demo-infer.json'), 'utf8')) as Schemas['InferenceRequest'];
    const client = createClient({ baseUrl: hospital.url, credentials: { apiKey: hospital.key } });
    const before = ok(await client.api.GET('/v1/licenses/{licenseId}', { params: { path: { licenseId: demo.licenseId } } })).remainingUnits;

    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await signIn(page, hospital.url, hospital.key);
    await page.goto(`${hospital.url}/console/#/licences`);
    const row = page.locator('[data-testid=licence-table] tbody tr', { has: page.getByText(demo.licenseId, { exact: true }) });
    await row
      .getByTestId('remaining-units')
      .filter({ hasText: new RegExp(`^${before}$`) })
      .waitFor();
    await shot(page, 'member-licences');

    // The feed must be following the ledger before the inference commits, or the view has nothing to refresh on.
    await page.locator('[data-testid=feed][data-live=true]').waitFor();
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    const answer = await client.infer(demo.modelId, request);
    expect(answer.receipt.remainingUnits).toBe(String(Number(before) - 1));
    await row
      .getByTestId('remaining-units')
      .filter({ hasText: new RegExp(`^${Number(before) - 1}$`) })
      .waitFor({ timeout: 30_000 });
    expect(navigations).toEqual([]);
    expect(Number(((await page.getByTestId('feed').textContent()) ?? '').replace(/\D+/g, ''))).toBeGreaterThan(0);
    await shot(page, 'member-licences-after-inference');

    for (const [view, testId] of [
      ['me', 'me-attributes'],
      ['statement', 'payments'],
      ['proposals', 'proposals'],
    ] as const) {
      await page.goto(`${hospital.url}/console/#/${view}`);
      await page.getByTestId(testId).waitFor();
      expect({ view, errors: await page.locator('.error').count() }).toEqual({ view, errors: 0 });
      await shot(page, `member-${view}`);
    }
    await context.close();
  });

  it('shows the lab its models, versions, offerings and royalty statement', async () => {
    const lab = demoInstance('lab');
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await signIn(page, lab.url, lab.key);
    await page.goto(`${lab.url}/console/#/models`);
    await page.getByTestId('models').getByText(modelId.slice(0, 10)).first().waitFor();
    expect(await page.locator('.error').count()).toBe(0);
    await shot(page, 'owner-models');
    await page.close();
  });

  it('answers a wrong key with the API’s code on the sign-in page, and pages that do not exist with 404', async () => {
    const regulator = demoInstance('regulator');
    const page = await browser.newPage();
    await page.goto(`${regulator.url}/console/`);
    await page.fill('input[name=secret]', 'mll_0000000000000000_not-a-key');
    await page.click('button[type=submit]');
    await page.locator('.error').waitFor();
    expect(await page.locator('.error').getAttribute('data-code')).toBe('UNAUTHENTICATED');
    expect((await page.goto(`${regulator.url}/console/assets/nothing.js`))?.status()).toBe(404);
    await page.close();
  });
});
