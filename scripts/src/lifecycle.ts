/**
 * The chaincode's lifecycle on the channel, as Fabric's `peer lifecycle`
 * commands run it: package once per member org (each package names the org's
 * own chaincode server), install on the org's peers, have every org approve
 * the one definition with its own package id, and commit it under a new
 * sequence when anything changed. Each step first asks the peers whether it
 * is already done, so a rerun after an interruption picks up where it stopped.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { OrgPlan, PeerPlan, Plan } from './plan';

/** Where the lifecycle finds Fabric's binaries and writes the peer CLI's output. */
export interface LifecycleEnv {
  readonly repoRoot: string;
  /** Folder holding `peer`. */
  readonly fabricBin: string;
  /** Folder the peer CLI's output is appended to (`peer-cli.log`). */
  readonly logsDir: string;
  /** Deploy the benchmark build (adds BaselineContract). */
  readonly bench: boolean;
  /** Progress lines for the operator. */
  readonly log: (message: string) => void;
}

/** A step that failed; the message names the step and the log to read. */
export class LifecycleError extends Error {
  override name = 'LifecycleError';
}

interface Run {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** The peer CLI as an org's admin, against one of its peers. */
class PeerCli {
  constructor(
    private readonly plan: Plan,
    private readonly env: LifecycleEnv,
  ) {}

  run(org: OrgPlan, peer: PeerPlan, args: readonly string[]): Run {
    const admin = org.users.find((u) => u.type === 'admin');
    if (admin === undefined) {
      throw new LifecycleError(`org ${org.name} has no admin user in the plan`);
    }
    const out = spawnSync(join(this.env.fabricBin, 'peer'), args, {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      env: {
        ...process.env,
        FABRIC_CFG_PATH: this.plan.configDir,
        CORE_PEER_LOCALMSPID: org.mspId,
        CORE_PEER_MSPCONFIGPATH: admin.msp,
        CORE_PEER_ADDRESS: peer.address,
        CORE_PEER_TLS_ENABLED: 'true',
        CORE_PEER_TLS_ROOTCERT_FILE: peer.tls.ca,
      },
    });
    if (out.error !== undefined) {
      throw new LifecycleError(`could not run ${join(this.env.fabricBin, 'peer')}: ${out.error.message}`);
    }
    return { ok: out.status === 0, stdout: out.stdout, stderr: out.stderr };
  }

  /** Runs a command whose output goes to peer-cli.log; fails with `what` when it fails. */
  logged(org: OrgPlan, peer: PeerPlan, args: readonly string[], what: string): void {
    const run = this.run(org, peer, args);
    appendFileSync(join(this.env.logsDir, 'peer-cli.log'), `$ peer ${args.join(' ')}\n${run.stdout}${run.stderr}`);
    if (!run.ok) {
      throw new LifecycleError(`${what} failed; see ${join(this.env.logsDir, 'peer-cli.log')}`);
    }
  }

  /** Runs a query that answers JSON, or undefined when it fails. */
  json<T>(org: OrgPlan, peer: PeerPlan, args: readonly string[]): T | undefined {
    const run = this.run(org, peer, args);
    return run.ok ? (JSON.parse(run.stdout) as T) : undefined;
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * The chaincode's label: the topology's label, `-bench` for the benchmark
 * build, and a hash of the built code (the contract package's too, which it
 * runs) and the chaincode's own exactly pinned dependencies; not the root
 * lockfile, which changes with every other workspace's dependencies.
 */
export function chaincodeLabel(plan: Plan, repoRoot: string, bench: boolean): string {
  const built = [join(repoRoot, 'chaincode', bench ? 'dist-bench' : 'dist'), join(repoRoot, 'contract', 'dist')];
  const files = built
    .flatMap(filesUnder)
    .filter((f) => f.endsWith('.js'))
    .sort((a, b) => Buffer.compare(Buffer.from(relative(repoRoot, a)), Buffer.from(relative(repoRoot, b))));
  const hash = createHash('sha256').update(readFileSync(join(repoRoot, 'chaincode', 'package.json')));
  for (const file of files) hash.update(readFileSync(file));
  return `${plan.chaincode.label}${bench ? '-bench' : ''}_${hash.digest('hex').slice(0, 12)}`;
}

function tarGz(cwd: string, files: readonly string[], out: string): void {
  // The package id is a hash of these bytes: build them reproducibly, so that an
  // unchanged chaincode keeps its package id and `up` does not upgrade it.
  const tar = spawnSync('tar', ['-C', cwd, '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', ...files]);
  const gz = spawnSync('gzip', ['-n'], { input: tar.stdout, maxBuffer: 64 << 20 });
  if (tar.status !== 0 || gz.status !== 0) {
    throw new LifecycleError(`could not pack ${files.join(', ')} in ${cwd}: ${String(tar.stderr)}${String(gz.stderr)}`);
  }
  writeFileSync(out, gz.stdout);
}

/**
 * An org's ccaas package: its connection.json points the org's peers at the
 * org's own chaincode server, over TLS checked against the org's own CA.
 * Returns the package file.
 */
export function packageChaincode(org: OrgPlan, label: string): string {
  const server = org.chaincodeServer;
  const work = join(server.dir, label);
  mkdirSync(join(work, 'src'), { recursive: true });
  const connection = {
    address: server.address,
    dial_timeout: '10s',
    tls_required: true,
    client_auth_required: false,
    root_cert: readFileSync(server.tls.ca, 'utf8'),
  };
  writeFileSync(join(work, 'src', 'connection.json'), JSON.stringify(connection, null, 2) + '\n');
  writeFileSync(join(work, 'metadata.json'), JSON.stringify({ type: 'ccaas', label }, null, 2) + '\n');
  tarGz(join(work, 'src'), ['connection.json'], join(work, 'code.tar.gz'));
  const pkg = join(work, `${label}.tar.gz`);
  tarGz(work, ['metadata.json', 'code.tar.gz'], pkg);
  return pkg;
}

/** A package's id, as the peers compute it. */
function packageId(plan: Plan, env: LifecycleEnv, pkg: string): string {
  const out = spawnSync(join(env.fabricBin, 'peer'), ['lifecycle', 'chaincode', 'calculatepackageid', pkg], {
    encoding: 'utf8',
    env: { ...process.env, FABRIC_CFG_PATH: plan.configDir },
  });
  if (out.status !== 0) {
    throw new LifecycleError(`could not compute the package id of ${pkg}: ${out.stderr}`);
  }
  return out.stdout.trim();
}

/** What `deploy` leaves running: each member org's package id, which its chaincode server must serve. */
export type Deployed = ReadonlyMap<string, string>;

/**
 * Deploys the built chaincode: packages and installs it for every member
 * org, and approves and commits a new sequence unless every org has already
 * approved the committed one with its current package.
 *
 * @throws LifecycleError naming the step that failed and the log to read.
 */
export function deployChaincode(plan: Plan, env: LifecycleEnv): Deployed {
  const cli = new PeerCli(plan, env);
  const { name, endorsementPolicy: policy } = plan.chaincode;
  const channel = plan.channel;
  const label = chaincodeLabel(plan, env.repoRoot, env.bench);
  const ids = new Map<string, string>();
  for (const org of plan.orgs) {
    const pkg = packageChaincode(org, label);
    const id = packageId(plan, env, pkg);
    ids.set(org.name, id);
    for (const peer of org.peers) {
      const installed = cli.json<{ installed_chaincodes?: { package_id: string }[] }>(org, peer, [
        'lifecycle',
        'chaincode',
        'queryinstalled',
        '-O',
        'json',
      ]);
      if (!(installed?.installed_chaincodes ?? []).some((c) => c.package_id === id)) {
        env.log(`installing ${label} on ${peer.id}`);
        cli.logged(org, peer, ['lifecycle', 'chaincode', 'install', pkg], `install on ${peer.id}`);
      }
    }
  }

  const first = plan.orgs[0];
  const approved = (org: OrgPlan, sequence: number): boolean =>
    cli.json<{ source?: { Type?: { LocalPackage?: { package_id?: string } } } }>(org, org.peers[0], [
      'lifecycle',
      'chaincode',
      'queryapproved',
      '-C',
      channel,
      '-n',
      name,
      '--sequence',
      String(sequence),
      '-O',
      'json',
    ])?.source?.Type?.LocalPackage?.package_id === ids.get(org.name);

  const committed = committedSequence(cli, plan, env);
  // The committed definition must also name today's policy: a network from
  // before the definition referred to the channel's policy moves to it.
  if (committed > 0 && plan.orgs.every((org) => approved(org, committed)) && committedPolicyIs(cli, plan, policy)) {
    env.log(`chaincode ${name} sequence ${committed} with ${label} is already committed`);
    return ids;
  }
  const sequence = committed + 1;
  const orderer = plan.ordererOrg.orderers[0];
  const ordererArgs = ['-o', orderer.address, '--tls', '--cafile', orderer.tls.ca];
  // What approvals and the commit must agree on: the chaincode definition.
  const definition = ['-C', channel, '-n', name, '--version', label, '--sequence', String(sequence), '--channel-config-policy', policy];
  for (const org of plan.orgs) {
    // A rerun after an interrupted deploy: Fabric refuses the same approval twice.
    if (approved(org, sequence)) {
      env.log(`${org.name} has already approved ${name} sequence ${sequence}`);
      continue;
    }
    env.log(`approving ${name} sequence ${sequence} for ${org.name}, with its own package`);
    const approve = [
      'lifecycle',
      'chaincode',
      'approveformyorg',
      ...ordererArgs,
      ...definition,
      '--package-id',
      ids.get(org.name) ?? '',
      '--waitForEvent',
    ];
    cli.logged(org, org.peers[0], approve, `approval by ${org.name}`);
  }
  const targets = plan.orgs.flatMap((org) => ['--peerAddresses', org.peers[0].address, '--tlsRootCertFiles', org.peers[0].tls.ca]);
  env.log(`committing ${name} sequence ${sequence}`);
  cli.logged(
    first,
    first.peers[0],
    ['lifecycle', 'chaincode', 'commit', ...ordererArgs, ...definition, ...targets, '--waitForEvent'],
    'commit',
  );
  env.log(`chaincode ${name} sequence ${sequence} (${label}) is committed`);
  return ids;
}

/** Whether the committed definition's endorsement policy is `policy`, the channel policy it refers to. */
function committedPolicyIs(cli: PeerCli, plan: Plan, policy: string): boolean {
  const org = plan.orgs[0];
  const committed = cli.json<{ validation_parameter?: string }>(org, org.peers[0], [
    'lifecycle',
    'chaincode',
    'querycommitted',
    '-C',
    plan.channel,
    '-n',
    plan.chaincode.name,
    '-O',
    'json',
  ]);
  // An ApplicationPolicy message: a channel policy reference holds its path as plain bytes.
  return Buffer.from(committed?.validation_parameter ?? '', 'base64')
    .toString('latin1')
    .includes(policy);
}

/**
 * Makes the committed chaincode available on a member org that joined after
 * it was committed: packages it for the org's own server, installs it on the
 * org's peers and approves the committed definition, unchanged, with the
 * org's package id. Run by that org's operator with its own admin; nobody
 * else approves for it, and the definition needs no new sequence because its
 * policy is the channel's (ENDORSEMENT_POLICY). Returns the org's package id.
 *
 * @throws LifecycleError when the org is unknown, no definition is committed, or a step fails.
 */
export function joinChaincode(plan: Plan, env: LifecycleEnv, orgName: string): string {
  const org = [...plan.orgs, ...plan.candidates].find((o) => o.name === orgName);
  if (org === undefined) {
    throw new LifecycleError(`unknown org '${orgName}'`);
  }
  const cli = new PeerCli(plan, env);
  const { name } = plan.chaincode;
  const peer = org.peers[0];
  const committed = cli.json<{ sequence: number; version: string; validation_parameter?: string }>(org, peer, [
    'lifecycle',
    'chaincode',
    'querycommitted',
    '-C',
    plan.channel,
    '-n',
    name,
    '-O',
    'json',
  ]);
  if (committed === undefined) {
    throw new LifecycleError(
      `${peer.id} sees no committed definition of ${name} on ${plan.channel}: is ${orgName} a member, and has its peer caught up?`,
    );
  }
  const label = chaincodeLabel(plan, env.repoRoot, env.bench);
  const pkg = packageChaincode(org, label);
  const id = packageId(plan, env, pkg);
  for (const p of org.peers) {
    const installed = cli.json<{ installed_chaincodes?: { package_id: string }[] }>(org, p, [
      'lifecycle',
      'chaincode',
      'queryinstalled',
      '-O',
      'json',
    ]);
    if (!(installed?.installed_chaincodes ?? []).some((c) => c.package_id === id)) {
      env.log(`installing ${label} on ${p.id}`);
      cli.logged(org, p, ['lifecycle', 'chaincode', 'install', pkg], `install on ${p.id}`);
    }
  }
  const approved = cli.json<{ source?: { Type?: { LocalPackage?: { package_id?: string } } } }>(org, peer, [
    'lifecycle',
    'chaincode',
    'queryapproved',
    '-C',
    plan.channel,
    '-n',
    name,
    '--sequence',
    String(committed.sequence),
    '-O',
    'json',
  ]);
  if (approved?.source?.Type?.LocalPackage?.package_id === id) {
    env.log(`${orgName} has already approved ${name} sequence ${committed.sequence}`);
    return id;
  }
  const orderer = plan.ordererOrg.orderers[0];
  env.log(`approving the committed ${name} sequence ${committed.sequence} (${committed.version}) for ${orgName}, with its own package`);
  cli.logged(
    org,
    peer,
    [
      'lifecycle',
      'chaincode',
      'approveformyorg',
      '-o',
      orderer.address,
      '--tls',
      '--cafile',
      orderer.tls.ca,
      '-C',
      plan.channel,
      '-n',
      name,
      '--version',
      committed.version,
      '--sequence',
      String(committed.sequence),
      '--channel-config-policy',
      plan.chaincode.endorsementPolicy,
      '--package-id',
      id,
      '--waitForEvent',
    ],
    `approval by ${orgName}`,
  );
  return id;
}

/** The committed sequence of the chaincode, or 0 when none is committed. */
function committedSequence(cli: PeerCli, plan: Plan, env: LifecycleEnv): number {
  const org = plan.orgs[0];
  const run = cli.run(org, org.peers[0], [
    'lifecycle',
    'chaincode',
    'querycommitted',
    '-C',
    plan.channel,
    '-n',
    plan.chaincode.name,
    '-O',
    'json',
  ]);
  if (run.ok) {
    return (JSON.parse(run.stdout) as { sequence: number }).sequence;
  }
  if (run.stderr.includes(`namespace ${plan.chaincode.name} is not defined`)) {
    return 0;
  }
  appendFileSync(join(env.logsDir, 'peer-cli.log'), run.stderr);
  throw new LifecycleError(`could not read the committed chaincode definition; see ${join(env.logsDir, 'peer-cli.log')}`);
}
