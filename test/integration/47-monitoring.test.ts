/**
 * Operators' dashboards on the running network. `scripts/network.sh
 * monitoring` writes a Prometheus configuration that promtool accepts and
 * that names every peer, orderer and API instance of the plan; a Prometheus
 * started on it scrapes each of them, and each is up; and every query of the
 * Grafana dashboard (network/monitoring/grafana-dashboard.json) runs on that
 * Prometheus and names only metrics that the targets it selects expose.
 *
 * The test only reads the network: its Prometheus and its API instance
 * listen on free ports, and everything they write is in a temporary folder.
 * promtool and prometheus (Debian: apt-get install prometheus) are required;
 * without them the test fails and says so.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { PrometheusConfig, ScrapeConfig } from '@model-ledger/network-tools';
import YAML from 'yaml';
import { loadConfig } from '../../gateway-api/src/config';
import { start, type Running } from '../../gateway-api/src/server';
import { loadPlan, networkScript, repoRoot, runtimeDir, type Plan } from '../support/network';

const run = promisify(execFile);

const DASHBOARD = join(repoRoot, 'network', 'monitoring', 'grafana-dashboard.json');
/** How long Prometheus may take to scrape every target once: the generated interval (15 s) and then some. */
const FIRST_SCRAPE_MS = 60_000;
/** The dashboard's datasource, a template variable, so that it imports into any Grafana. */
const DATASOURCE = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };

/** One target as the plan says it must be scraped. */
interface Expected {
  readonly job: string;
  readonly node: string;
  readonly org: string;
  readonly component: string;
  readonly address: string;
}

interface Target {
  readonly labels: Record<string, string>;
  readonly scrapeUrl: string;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
}

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: unknown;
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly targets?: { refId: string; expr: string; datasource?: unknown }[];
}

interface Dashboard {
  readonly panels: Panel[];
  readonly templating: { list: { name: string; type: string; query: unknown; datasource?: unknown }[] };
}

/** What a metric name in a query must be exposed by: the targets of one component, or any. */
interface MetricUse {
  readonly name: string;
  readonly component?: string;
}

/** Fails the run, saying what to install, when a command is missing. */
async function requireCommand(command: string): Promise<void> {
  try {
    await run('bash', ['-c', `command -v ${command}`]);
  } catch {
    throw new Error(
      `${command} is not installed: the monitoring test needs promtool and prometheus. Install them (Debian: apt-get install prometheus; .ci/run does), then stop the service the package may start (systemctl disable --now prometheus).`,
    );
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Every target the plan's network has: each org's peers and orderers, and its API instance. */
function expectedTargets(plan: Plan): Expected[] {
  const fabric = [
    ...(plan.ordererOrg === null ? [] : plan.ordererOrg.orderers),
    ...plan.orgs.flatMap((org) => [...org.peers, ...org.orderers]),
  ].map((n) => ({ job: `fabric-${n.org}`, node: n.id, org: n.org, component: n.kind, address: `${n.host.name}:${n.opsPort}` }));
  const apis = plan.orgs.map((org) => ({
    job: 'gateway-api',
    node: org.api.id,
    org: org.name,
    component: 'gateway-api',
    address: new URL(org.api.url).host,
  }));
  return [...fabric, ...apis].sort((a, b) => a.node.localeCompare(b.node));
}

/** The targets a configuration names, as `Expected`s. */
function configuredTargets(config: PrometheusConfig): Expected[] {
  return config.scrape_configs
    .flatMap((job) =>
      job.static_configs.flatMap((group) =>
        group.targets.map((address) => ({
          job: job.job_name,
          node: group.labels.node,
          org: group.labels.org,
          component: group.labels.component,
          address,
        })),
      ),
    )
    .sort((a, b) => a.node.localeCompare(b.node));
}

/** GETs a Fabric node's /metrics as its scrape job does, or with no client certificate. */
function scrapeFabric(address: string, job: ScrapeConfig, withClientCertificate = true): Promise<{ status: number; text: string }> {
  const tls = job.tls_config;
  if (tls === undefined) throw new Error(`job ${job.job_name} has no tls_config`);
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host,
        port,
        path: job.metrics_path,
        ca: readFileSync(tls.ca_file),
        ...(withClientCertificate ? { cert: readFileSync(tls.cert_file), key: readFileSync(tls.key_file) } : {}),
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${address} in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * The metric names a Prometheus text exposition declares: every sample's
 * name, and every family its TYPE lines declare (a histogram's or summary's
 * with its _bucket, _sum and _count), also those with no sample yet.
 */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE ([A-Za-z_:][A-Za-z0-9_:]*) (\w+)$/.exec(line);
    if (type !== null) {
      names.add(type[1]);
      if (type[2] === 'histogram') ['_bucket', '_sum', '_count'].forEach((suffix) => names.add(type[1] + suffix));
      if (type[2] === 'summary') ['_sum', '_count'].forEach((suffix) => names.add(type[1] + suffix));
      continue;
    }
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]/.exec(line);
    if (sample !== null) names.add(sample[1]);
  }
  return names;
}

/**
 * The metrics a PromQL expression reads, with the component its selector
 * names if any. Not a parser: enough for the dashboard's own queries, whose
 * label values hold no braces.
 */
function metricUses(expr: string): MetricUse[] {
  const uses: MetricUse[] = [];
  let rest = expr.replace(/\b([A-Za-z_:][A-Za-z0-9_:]*)\s*\{([^}]*)\}/g, (_all, name: string, matchers: string) => {
    uses.push({ name, component: /component="([^"]*)"/.exec(matchers)?.[1] });
    return ' ';
  });
  rest = rest
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ');
  const keywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset']);
  for (const match of rest.matchAll(/\b[A-Za-z_:][A-Za-z0-9_:]*\b(?!\s*\()/g)) {
    if (!keywords.has(match[0])) uses.push({ name: match[0] });
  }
  return uses;
}

/** A dashboard query with Grafana's variables replaced as the dashboard would on this network. */
function asQuery(expr: string, plan: Plan): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '1h')
    .replaceAll('$channel', plan.channel)
    .replaceAll('$org', '.*');
}

/** Every query of the dashboard: each panel target's, and each query variable's label_values selector. */
function dashboardQueries(dashboard: Dashboard): { where: string; expr: string }[] {
  const panels = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr })));
  const variables = dashboard.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => {
      const query = typeof v.query === 'string' ? v.query : (v.query as { query: string }).query;
      const selector = /^label_values\((.*),\s*\w+\)$/.exec(query)?.[1];
      if (selector === undefined) throw new Error(`variable ${v.name}'s query is not label_values(SELECTOR, LABEL): ${query}`);
      return { where: `variable ${v.name}`, expr: selector };
    });
  return [...panels, ...variables];
}

describe('operators’ dashboards', () => {
  let plan: Plan;
  let folder: string | undefined;
  let configFile: string;
  let config: PrometheusConfig;
  let prometheus: ChildProcess | undefined;
  let prometheusUrl: string;
  let targets: Target[] = [];
  let api: Running | undefined;

  beforeAll(async () => {
    await requireCommand('promtool');
    await requireCommand('prometheus');
    plan = loadPlan();
    const dir = mkdtempSync(join(runtimeDir, 'monitoring-test-'));
    folder = dir;
    configFile = join(dir, 'prometheus.yml');
    const written = await networkScript('monitoring', configFile);
    expect(written.trim()).toBe(configFile);
    config = YAML.parse(readFileSync(configFile, 'utf8')) as PrometheusConfig;

    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    const log = openSync(join(dir, 'prometheus.log'), 'a');
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
      ],
      { stdio: ['ignore', log, log] },
    );
    const deadline = Date.now() + FIRST_SCRAPE_MS;
    for (;;) {
      if (prometheus.exitCode !== null) {
        throw new Error(
          `prometheus exited with ${prometheus.exitCode}:\n${readFileSync(join(dir, 'prometheus.log'), 'utf8').slice(-4000)}`,
        );
      }
      const answer = await fetch(`${prometheusUrl}/api/v1/targets?state=active`).catch(() => undefined);
      if (answer?.ok === true) {
        targets = ((await answer.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
        // Every target up; a scrape that failed once on a loaded machine gets until the deadline to succeed.
        if (targets.length > 0 && targets.every((t) => t.health === 'up')) break;
      }
      if (Date.now() > deadline) {
        throw new Error(`prometheus had not scraped every target once after ${FIRST_SCRAPE_MS} ms: ${JSON.stringify(targets)}`);
      }
      await sleep(500);
    }

    // An API instance of this checkout, on the running network: what the
    // instances `up` started expose depends on when they were built.
    api = await start(
      loadConfig({
        MLL_API_ORG: 'regulator',
        MLL_RUNTIME_DIR: runtimeDir,
        MLL_API_PORT: String(await freePort()),
        MLL_API_KEYS_FILE: join(dir, 'regulator-keys.json'),
        MLL_API_EVENTS_CHECKPOINT_FILE: join(dir, 'regulator-events.checkpoint.json'),
        MLL_API_LOG_LEVEL: process.env.MLL_API_LOG_LEVEL ?? 'silent',
      }),
    );
  });

  afterAll(async () => {
    await api?.close();
    if (prometheus !== undefined && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });

  it('writes a configuration that promtool accepts, naming every peer, orderer and API instance of the plan', async () => {
    const { stdout } = await run('promtool', ['check', 'config', configFile]);
    expect(stdout).toMatch(/SUCCESS/);
    expect(configuredTargets(config)).toEqual(expectedTargets(plan));
    // Each org's nodes are verified against the org's CA and scraped with its admin's TLS pair.
    for (const job of config.scrape_configs.filter((j) => j.job_name.startsWith('fabric-'))) {
      const org = job.job_name.slice('fabric-'.length);
      const members = [...(plan.ordererOrg === null ? [] : [plan.ordererOrg]), ...plan.orgs];
      const owner = members.find((o) => o.name === org);
      const admin = owner?.users.find((u) => u.type === 'admin');
      expect({ job: job.job_name, scheme: job.scheme, tls: job.tls_config }).toEqual({
        job: job.job_name,
        scheme: 'https',
        tls: { ca_file: admin?.tls.ca, cert_file: admin?.tls.cert, key_file: admin?.tls.key },
      });
      for (const file of Object.values(job.tls_config ?? {})) expect(existsSync(file)).toBe(true);
    }
  });

  it('needs the TLS client certificate it names: a Fabric node answers /metrics only with one from its org', async () => {
    const job = config.scrape_configs.find((j) => j.job_name === `fabric-${plan.orgs[0].name}`) as ScrapeConfig;
    const address = job.static_configs[0].targets[0];
    expect((await scrapeFabric(address, job, false)).status).toBe(401);
    expect((await scrapeFabric(address, job)).status).toBe(200);
  });

  it('has Prometheus scrape every target, each up', () => {
    const seen = targets
      .map((t) => ({
        job: t.labels.job,
        node: t.labels.node,
        org: t.labels.org,
        component: t.labels.component,
        address: new URL(t.scrapeUrl).host,
        health: t.health,
        lastError: t.lastError,
      }))
      .sort((a, b) => a.node.localeCompare(b.node));
    expect(seen).toEqual(expectedTargets(plan).map((e) => ({ ...e, health: 'up', lastError: '' })));
  });

  it('ships a dashboard whose every panel and variable reads the datasource variable, laid out on the grid', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    const variable = dashboard.templating.list.find((v) => v.name === 'DS_PROMETHEUS');
    expect(variable).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) expect(v.datasource).toEqual(DATASOURCE);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
      if (panel.type === 'row') continue;
      expect({ title: panel.title, datasource: panel.datasource }).toEqual({ title: panel.title, datasource: DATASOURCE });
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const t of panel.targets ?? []) {
        expect({ panel: panel.title, datasource: t.datasource, expr: t.expr.length > 0 }).toEqual({
          panel: panel.title,
          datasource: DATASOURCE,
          expr: true,
        });
      }
    }
    // Nothing names a datasource by a uid of one Grafana.
    const uids = [...readFileSync(DASHBOARD, 'utf8').matchAll(/"uid": "([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(uids)).toEqual(new Set(['${DS_PROMETHEUS}', 'model-ledger-operations']));
  });

  it('charts only metrics that the targets its queries select expose', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    const exposed: Record<string, Set<string>> = { peer: new Set(), orderer: new Set(), 'gateway-api': new Set() };
    for (const job of config.scrape_configs.filter((j) => j.job_name.startsWith('fabric-'))) {
      for (const group of job.static_configs) {
        const { status, text } = await scrapeFabric(group.targets[0], job);
        expect({ node: group.labels.node, status }).toEqual({ node: group.labels.node, status: 200 });
        exposedNames(text).forEach((name) => exposed[group.labels.component].add(name));
      }
    }
    const answer = await fetch(`${api?.url}/metrics`);
    expect(answer.status).toBe(200);
    exposedNames(await answer.text()).forEach((name) => exposed['gateway-api'].add(name));
    const everywhere = new Set(Object.values(exposed).flatMap((names) => [...names]));

    const missing: string[] = [];
    for (const { where, expr } of dashboardQueries(dashboard)) {
      for (const use of metricUses(expr)) {
        // up is Prometheus's own series, one per target.
        if (use.name === 'up') continue;
        const names = use.component === undefined ? everywhere : exposed[use.component];
        if (names?.has(use.name) !== true) missing.push(`${where}: ${use.name}${use.component === undefined ? '' : ` (${use.component})`}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('runs every dashboard query on that Prometheus: block height per peer and every target up', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    type Answer = { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    const query = async (expr: string): Promise<Answer> => {
      const response = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query: asQuery(expr, plan) }).toString()}`);
      return (await response.json()) as Answer;
    };
    const failed: string[] = [];
    for (const { where, expr } of dashboardQueries(dashboard)) {
      const answer = await query(expr);
      if (answer.status !== 'success') failed.push(`${where}: ${answer.error ?? answer.status}`);
    }
    expect(failed).toEqual([]);

    const byTitle = (title: string): string => {
      const panel = dashboard.panels.find((p) => p.title === title);
      if (panel?.targets === undefined) throw new Error(`the dashboard has no panel "${title}"`);
      return panel.targets[0].expr;
    };
    const heights = (await query(byTitle('Block height per peer'))).data?.result ?? [];
    const peers = plan.orgs.flatMap((org) => org.peers.map((n) => n.id)).sort();
    expect(heights.map((r) => r.metric.node).sort()).toEqual(peers);
    for (const r of heights) expect(Number(r.value[1])).toBeGreaterThan(0);
    const up = (await query(byTitle('Targets up'))).data?.result ?? [];
    expect(Object.fromEntries(up.map((r) => [r.metric.node, r.value[1]]))).toEqual(
      Object.fromEntries(expectedTargets(plan).map((e) => [e.node, '1'])),
    );
  });
});
