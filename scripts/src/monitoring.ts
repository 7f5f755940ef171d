/**
 * What an operator's Prometheus scrapes, from the plan: every peer's and
 * orderer's operations endpoint and every gateway API instance's `/metrics`.
 * `scripts/network.sh monitoring` writes it to
 * `<runtime>/monitoring/prometheus.yml`; the dashboard in
 * `network/monitoring/grafana-dashboard.json` selects on the labels it gives.
 *
 * A Fabric node's operations endpoint serves TLS with the node's own TLS
 * certificate. It answers `/healthz` to anyone, but `/metrics` only to a
 * client certificate that chains to the node's own org's CA (its
 * `*_OPERATIONS_TLS_CLIENTROOTCAS`, see render.ts), and 401 otherwise. So
 * each org is a scrape job of its own, whose client certificate is that
 * org's admin's TLS pair, the one TLS client certificate every org has. The
 * API instances speak plain HTTP on their own port.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import YAML from 'yaml';
import type { OrdererOrgPlan, OrdererPlan, OrgPlan, PeerPlan, Plan, UserPlan } from './plan';

/** How often Prometheus scrapes each target, and how long one scrape may take. */
export const SCRAPE_INTERVAL = '15s';
export const SCRAPE_TIMEOUT = '10s';

/** The scrape job of every gateway API instance. */
export const API_JOB = 'gateway-api';

/** The scrape job of ORG's peers and orderers. */
export function fabricJob(org: string): string {
  return `fabric-${org}`;
}

/** What a target is; `component` rather than `kind` or `service`, which the API's and Fabric's own metrics already use. */
export type Component = 'peer' | 'orderer' | 'gateway-api';

/** The labels Prometheus gives every sample of a target, which the dashboard selects on. */
export interface TargetLabels {
  /** The org's name in the topology (`lab`, `orderer`). */
  readonly org: string;
  /** The node's id in the plan (`peer0.lab`, `orderer1`, `api.hospital`). */
  readonly node: string;
  readonly component: Component;
}

export interface StaticConfig {
  readonly targets: readonly string[];
  readonly labels: TargetLabels;
}

/** One `scrape_configs` entry, in Prometheus's own field names. */
export interface ScrapeConfig {
  readonly job_name: string;
  readonly scheme: 'http' | 'https';
  readonly metrics_path: string;
  /**
   * Whether a label the target exposes itself wins over the target's label
   * of the same name. The API labels its samples with its `org`, the same
   * value; without this Prometheus would keep both, as `org` and `exported_org`.
   */
  readonly honor_labels?: boolean;
  readonly tls_config?: {
    /** The root that signed the nodes' TLS certificates: their org's CA. */
    readonly ca_file: string;
    /** The client certificate `/metrics` demands, from the same CA. */
    readonly cert_file: string;
    readonly key_file: string;
  };
  readonly static_configs: readonly StaticConfig[];
}

export interface PrometheusConfig {
  readonly global: { readonly scrape_interval: string; readonly scrape_timeout: string };
  readonly scrape_configs: readonly ScrapeConfig[];
}

/** Where `writePrometheusConfig` writes by default: one file for the network, or one per org with --org. */
export function prometheusConfigFile(runtimeDir: string, scope?: string): string {
  return join(runtimeDir, 'monitoring', scope === undefined ? 'prometheus.yml' : `prometheus-${scope}.yml`);
}

/** An org's first admin, whose TLS pair the org's scrape job presents. */
function scrapeIdentity(org: OrgPlan | OrdererOrgPlan): UserPlan {
  const admin = org.users.find((u) => u.type === 'admin');
  if (admin === undefined) {
    throw new Error(`org ${org.name} has no admin user, whose TLS pair would authenticate the scrape of its nodes' /metrics`);
  }
  return admin;
}

/** The scrape job of one org's peers and orderers. */
function fabricScrape(org: OrgPlan | OrdererOrgPlan, nodes: readonly (PeerPlan | OrdererPlan)[]): ScrapeConfig {
  const admin = scrapeIdentity(org);
  return {
    job_name: fabricJob(org.name),
    scheme: 'https',
    metrics_path: '/metrics',
    // The admin's TLS folder holds all three: its pair, and the org's root that signed it and the nodes' certificates.
    tls_config: { ca_file: admin.tls.ca, cert_file: admin.tls.cert, key_file: admin.tls.key },
    static_configs: nodes.map((n) => ({
      targets: [`${n.host.name}:${n.opsPort}`],
      labels: { org: org.name, node: n.id, component: n.kind },
    })),
  };
}

/**
 * The Prometheus configuration that scrapes the network of `plan`: a job
 * per org for its peers and orderers (`fabric-<org>`), and one job for the
 * API instances (`gateway-api`). Every target is labelled with its `org`,
 * `node` and `component`. The peers in service count (a spare peer once
 * `add-peer` added it), and the channel's member orgs; with `scope`, only
 * that org's nodes and API instance (an org outside the channel, being
 * onboarded, too), as its own operator, who holds only its own keys, would
 * scrape them.
 *
 * @throws Error when `scope` names no org of the plan, or an org has no admin.
 */
export function prometheusConfig(plan: Plan, scope?: string): PrometheusConfig {
  const inScope = (name: string): boolean => scope === undefined || scope === name;
  const orgs = [...plan.orgs, ...(scope === undefined ? [] : plan.candidates)].filter((org) => inScope(org.name));
  const ordererOrg = plan.ordererOrg !== null && inScope(plan.ordererOrg.name) ? plan.ordererOrg : null;
  if (scope !== undefined && orgs.length === 0 && ordererOrg === null) {
    const known = [plan.ordererOrg?.name, ...plan.orgs.map((o) => o.name), ...plan.candidates.map((o) => o.name)];
    throw new Error(`unknown org '${scope}' (known: ${known.filter((n) => n !== undefined).join(' ')})`);
  }
  const scrapes: ScrapeConfig[] = [];
  if (ordererOrg !== null) {
    scrapes.push(fabricScrape(ordererOrg, ordererOrg.orderers));
  }
  for (const org of orgs) {
    // With BFT the org runs an orderer too; its operations endpoint trusts the same CA.
    scrapes.push(fabricScrape(org, [...org.peers, ...org.orderers]));
  }
  if (orgs.length > 0) {
    scrapes.push({
      job_name: API_JOB,
      scheme: 'http',
      metrics_path: '/metrics',
      honor_labels: true,
      static_configs: orgs.map((org) => ({
        targets: [new URL(org.api.url).host],
        labels: { org: org.name, node: org.api.id, component: 'gateway-api' },
      })),
    });
  }
  return {
    global: { scrape_interval: SCRAPE_INTERVAL, scrape_timeout: SCRAPE_TIMEOUT },
    scrape_configs: scrapes,
  };
}

/**
 * Writes `prometheusConfig(plan, scope)` to `file` (by default
 * `prometheusConfigFile`), readable by its owner only, since it names the
 * admins' TLS keys. The files it names stay where the runtime folder keeps
 * them, so a renewed certificate is scraped with at once.
 *
 * @returns the file written.
 */
export function writePrometheusConfig(plan: Plan, scope?: string, file = prometheusConfigFile(plan.runtimeDir, scope)): string {
  const header = [
    `# Written by scripts/network.sh monitoring${scope === undefined ? '' : ` --org ${scope}`} from ${join(plan.runtimeDir, 'plan.json')}.`,
    '# Write it again after add-peer or a change of the channel members; network/README.md ("Dashboards") says how to use it.',
    '',
  ].join('\n');
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, header + YAML.stringify(prometheusConfig(plan, scope)), { mode: 0o600 });
  return file;
}
