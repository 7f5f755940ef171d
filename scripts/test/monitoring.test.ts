/**
 * The Prometheus configuration `scripts/network.sh monitoring` writes from
 * the plan: a job per org whose TLS client certificate that org's nodes
 * accept on /metrics, one job for the API instances, every target labelled
 * the way the dashboard selects it; for Raft and BFT, the whole network or
 * one org.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { buildPlan, prometheusConfig, readTopology, writePrometheusConfig } from '../src';
import type { Plan, PrometheusConfig } from '../src';

const repoRoot = resolve(__dirname, '../..');
const topology = readTopology(repoRoot);

/** `job node component org address` for every target, sorted. */
function targets(config: PrometheusConfig): string[] {
  return config.scrape_configs
    .flatMap((job) =>
      job.static_configs.flatMap((group) =>
        group.targets.map((address) => [job.job_name, group.labels.node, group.labels.component, group.labels.org, address].join(' ')),
      ),
    )
    .sort();
}

function adminTls(plan: Plan, org: string): { ca_file: string; cert_file: string; key_file: string } {
  const owner = [...(plan.ordererOrg === null ? [] : [plan.ordererOrg]), ...plan.orgs, ...plan.candidates].find((o) => o.name === org);
  const admin = owner?.users.find((u) => u.type === 'admin');
  if (admin === undefined) throw new Error(`no admin in ${org}`);
  return { ca_file: admin.tls.ca, cert_file: admin.tls.cert, key_file: admin.tls.key };
}

describe('the Prometheus configuration', () => {
  it('with Raft, scrapes the ordering org’s orderers, every member’s peers and API instance, each org with its own admin’s TLS pair', () => {
    const plan = buildPlan(topology, '/run', 0, 'raft');
    const config = prometheusConfig(plan);
    expect(config.global).toEqual({ scrape_interval: '15s', scrape_timeout: '10s' });
    expect(config.scrape_configs.map((j) => j.job_name)).toEqual([
      'fabric-orderer',
      'fabric-lab',
      'fabric-hospital',
      'fabric-clinic',
      'fabric-clearing',
      'fabric-regulator',
      'gateway-api',
    ]);
    expect(targets(config)).toEqual(
      [
        'fabric-orderer orderer0 orderer orderer 127.0.0.1:9443',
        'fabric-orderer orderer1 orderer orderer 127.0.0.1:9444',
        'fabric-orderer orderer2 orderer orderer 127.0.0.1:9445',
        'fabric-lab peer0.lab peer lab 127.0.0.1:9446',
        'fabric-hospital peer0.hospital peer hospital 127.0.0.1:9447',
        'fabric-clinic peer0.clinic peer clinic 127.0.0.1:9450',
        'fabric-clearing peer0.clearing peer clearing 127.0.0.1:9448',
        'fabric-regulator peer0.regulator peer regulator 127.0.0.1:9449',
        'gateway-api api.lab gateway-api lab 127.0.0.1:3001',
        'gateway-api api.hospital gateway-api hospital 127.0.0.1:3002',
        'gateway-api api.clinic gateway-api clinic 127.0.0.1:3003',
        'gateway-api api.clearing gateway-api clearing 127.0.0.1:3004',
        'gateway-api api.regulator gateway-api regulator 127.0.0.1:3005',
      ].sort(),
    );
    for (const job of config.scrape_configs.filter((j) => j.job_name !== 'gateway-api')) {
      expect(job).toMatchObject({
        scheme: 'https',
        metrics_path: '/metrics',
        tls_config: adminTls(plan, job.job_name.slice('fabric-'.length)),
      });
    }
    expect(config.scrape_configs.at(-1)).toMatchObject({ scheme: 'http', metrics_path: '/metrics', honor_labels: true });
    expect(config.scrape_configs.at(-1)?.tls_config).toBeUndefined();
  });

  it('with BFT, scrapes each member’s own orderer in its org’s job, and shifts with the port offset', () => {
    const plan = buildPlan(topology, '/run', 100, 'bft');
    const config = prometheusConfig(plan);
    expect(config.scrape_configs.map((j) => j.job_name)).not.toContain('fabric-orderer');
    const lab = config.scrape_configs.find((j) => j.job_name === 'fabric-lab');
    expect(lab?.static_configs.map((g) => [g.labels.node, g.labels.component, g.targets[0]])).toEqual([
      ['peer0.lab', 'peer', '127.0.0.1:9546'],
      ['orderer0.lab', 'orderer', '127.0.0.1:9553'],
    ]);
    expect(targets(config).filter((t) => t.includes(' orderer '))).toHaveLength(4);
  });

  it('in the namespaced run, names each target by its host, as its TLS certificate does', () => {
    const config = prometheusConfig(buildPlan(topology, '/run', 0, 'bft', true));
    expect(targets(config).filter((t) => t.includes(' lab '))).toEqual([
      'fabric-lab orderer0.lab orderer lab orderer0.lab.mll.test:9453',
      'fabric-lab peer0.lab peer lab lab.mll.test:9446',
      'gateway-api api.lab gateway-api lab lab.mll.test:3001',
    ]);
  });

  it('for one org, names only its nodes and API instance; an org being onboarded too, an unknown one is refused', () => {
    const plan = buildPlan(topology, '/run', 0, 'raft');
    expect(targets(prometheusConfig(plan, 'hospital'))).toEqual([
      'fabric-hospital peer0.hospital peer hospital 127.0.0.1:9447',
      'gateway-api api.hospital gateway-api hospital 127.0.0.1:3002',
    ]);
    expect(targets(prometheusConfig(plan, 'orderer'))).toHaveLength(3);
    expect(targets(prometheusConfig(plan, 'pharma'))).toEqual([
      'fabric-pharma peer0.pharma peer pharma 127.0.0.1:9451',
      'gateway-api api.pharma gateway-api pharma 127.0.0.1:3006',
    ]);
    // A candidate is not in the whole network's until it joins the channel.
    expect(targets(prometheusConfig(plan)).some((t) => t.includes('pharma'))).toBe(false);
    expect(() => prometheusConfig(plan, 'nobody')).toThrow(/unknown org 'nobody'/);
  });

  it('is written under the runtime folder, readable by its owner only', () => {
    const runtimeDir = mkdtempSync(join(tmpdir(), 'mll-monitoring-'));
    try {
      const plan = buildPlan(topology, runtimeDir, 0, 'raft');
      const file = writePrometheusConfig(plan);
      expect(file).toBe(join(runtimeDir, 'monitoring', 'prometheus.yml'));
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(YAML.parse(readFileSync(file, 'utf8'))).toEqual(prometheusConfig(plan));
      expect(writePrometheusConfig(plan, 'lab')).toBe(join(runtimeDir, 'monitoring', 'prometheus-lab.yml'));
    } finally {
      rmSync(runtimeDir, { recursive: true, force: true });
    }
  });
});
