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
 * A chaincode definition as one member's operator proposes it and hands it to
 * the others, who each approve it for their own org with their own package:
 * the file `scripts/network.sh chaincode define` writes.
 */
export interface ChaincodeDefinition {
  readonly channel: string;
  readonly name: string;
  /** The label of the build it was defined from: every approver must have built the same code. */
  readonly version: string;
  readonly sequence: number;
  /** The channel policy the definition refers to. */
  readonly endorsementPolicy: string;
}

/** What `peer lifecycle chaincode querycommitted -O json` answers for one chaincode. */
interface Committed {
  readonly sequence: number;
  readonly version: string;
  readonly validation_parameter?: string;
  readonly approvals?: Record<string, boolean>;
}

function definitionArgs(d: ChaincodeDefinition): string[] {
  return [
    '-C',
    d.channel,
    '-n',
    d.name,
    '--version',
    d.version,
    '--sequence',
    String(d.sequence),
    '--channel-config-policy',
    d.endorsementPolicy,
  ];
}

/** The lifecycle steps every verb is made of, each run as one org's admin against its own peer. */
class Lifecycle {
  readonly cli: PeerCli;
  readonly label: string;

  constructor(
    readonly plan: Plan,
    readonly env: LifecycleEnv,
  ) {
    this.cli = new PeerCli(plan, env);
    this.label = chaincodeLabel(plan, env.repoRoot, env.bench);
  }

  /** Packages the build for ORG's own server and installs it on ORG's peers that lack it; returns its package id. */
  install(org: OrgPlan): string {
    const pkg = packageChaincode(org, this.label);
    const id = packageId(this.plan, this.env, pkg);
    for (const peer of org.peers) {
      const installed = this.cli.json<{ installed_chaincodes?: { package_id: string }[] }>(org, peer, [
        'lifecycle',
        'chaincode',
        'queryinstalled',
        '-O',
        'json',
      ]);
      if (!(installed?.installed_chaincodes ?? []).some((c) => c.package_id === id)) {
        this.env.log(`installing ${this.label} on ${peer.id}`);
        this.cli.logged(org, peer, ['lifecycle', 'chaincode', 'install', pkg], `install on ${peer.id}`);
      }
    }
    return id;
  }

  /** The committed definition as ORG's peer holds it, or undefined when none is (or the peer cannot say). */
  committed(org: OrgPlan): Committed | undefined {
    return this.cli.json<Committed>(org, org.peers[0], [
      'lifecycle',
      'chaincode',
      'querycommitted',
      '-C',
      this.plan.channel,
      '-n',
      this.plan.chaincode.name,
      '-O',
      'json',
    ]);
  }

  /**
   * The committed sequence as ORG's peer holds it, or 0 when none is committed.
   *
   * @throws LifecycleError when the peer cannot be asked.
   */
  committedSequence(org: OrgPlan = this.plan.orgs[0]): number {
    const { name } = this.plan.chaincode;
    const run = this.cli.run(org, org.peers[0], [
      'lifecycle',
      'chaincode',
      'querycommitted',
      '-C',
      this.plan.channel,
      '-n',
      name,
      '-O',
      'json',
    ]);
    if (run.ok) {
      return (JSON.parse(run.stdout) as Committed).sequence;
    }
    if (run.stderr.includes(`namespace ${name} is not defined`)) {
      return 0;
    }
    appendFileSync(join(this.env.logsDir, 'peer-cli.log'), run.stderr);
    throw new LifecycleError(`could not read the committed chaincode definition; see ${join(this.env.logsDir, 'peer-cli.log')}`);
  }

  /** The package ORG approved for SEQUENCE, if any. */
  approvedPackage(org: OrgPlan, sequence: number): string | undefined {
    return this.cli.json<{ source?: { Type?: { LocalPackage?: { package_id?: string } } } }>(org, org.peers[0], [
      'lifecycle',
      'chaincode',
      'queryapproved',
      '-C',
      this.plan.channel,
      '-n',
      this.plan.chaincode.name,
      '--sequence',
      String(sequence),
      '-O',
      'json',
    ])?.source?.Type?.LocalPackage?.package_id;
  }

  /** Approves DEFINITION for ORG with package ID, unless ORG already has (Fabric refuses the same approval twice). */
  approve(org: OrgPlan, definition: ChaincodeDefinition, id: string): void {
    if (this.approvedPackage(org, definition.sequence) === id) {
      this.env.log(`${org.name} has already approved ${definition.name} sequence ${definition.sequence}`);
      return;
    }
    this.env.log(
      `approving ${definition.name} sequence ${definition.sequence} (${definition.version}) for ${org.name}, with its own package`,
    );
    this.cli.logged(
      org,
      org.peers[0],
      [
        'lifecycle',
        'chaincode',
        'approveformyorg',
        ...this.ordererArgs(),
        ...definitionArgs(definition),
        '--package-id',
        id,
        '--waitForEvent',
      ],
      `approval by ${org.name}`,
    );
  }

  /** Commits DEFINITION as ORG, endorsed by the first peer of each org in ENDORSERS. */
  commit(org: OrgPlan, definition: ChaincodeDefinition, endorsers: readonly OrgPlan[]): void {
    const targets = endorsers.flatMap((o) => ['--peerAddresses', o.peers[0].address, '--tlsRootCertFiles', o.peers[0].tls.ca]);
    this.env.log(`committing ${definition.name} sequence ${definition.sequence}, approved by ${endorsers.map((o) => o.name).join(', ')}`);
    this.cli.logged(
      org,
      org.peers[0],
      ['lifecycle', 'chaincode', 'commit', ...this.ordererArgs(), ...definitionArgs(definition), ...targets, '--waitForEvent'],
      'commit',
    );
  }

  /** The definition that SEQUENCE of today's build would be. */
  definition(sequence: number, version = this.label): ChaincodeDefinition {
    return {
      channel: this.plan.channel,
      name: this.plan.chaincode.name,
      version,
      sequence,
      endorsementPolicy: this.plan.chaincode.endorsementPolicy,
    };
  }

  private ordererArgs(): string[] {
    const orderer = this.plan.orderers[0];
    return ['-o', orderer.address, '--tls', '--cafile', orderer.tls.ca];
  }
}

/**
 * Deploys the built chaincode: packages and installs it for every member
 * org, and approves and commits a new sequence unless every org has already
 * approved the committed one with its current package.
 *
 * @throws LifecycleError naming the step that failed and the log to read.
 */
export function deployChaincode(plan: Plan, env: LifecycleEnv): Deployed {
  const lifecycle = new Lifecycle(plan, env);
  const ids = new Map(plan.orgs.map((org) => [org.name, lifecycle.install(org)]));
  const approvedAll = (sequence: number): boolean =>
    plan.orgs.every((org) => lifecycle.approvedPackage(org, sequence) === ids.get(org.name));
  const committed = lifecycle.committedSequence();
  // The committed definition must also name today's policy: a network from
  // before the definition referred to the channel's policy moves to it.
  if (committed > 0 && approvedAll(committed) && policyIs(lifecycle.committed(plan.orgs[0]), plan.chaincode.endorsementPolicy)) {
    env.log(`chaincode ${plan.chaincode.name} sequence ${committed} with ${lifecycle.label} is already committed`);
    return ids;
  }
  const definition = lifecycle.definition(committed + 1);
  for (const org of plan.orgs) lifecycle.approve(org, definition, ids.get(org.name) ?? '');
  lifecycle.commit(plan.orgs[0], definition, plan.orgs);
  env.log(`chaincode ${definition.name} sequence ${definition.sequence} (${definition.version}) is committed`);
  return ids;
}

/** Whether a committed definition's endorsement policy is `policy`, the channel policy it refers to. */
function policyIs(committed: Committed | undefined, policy: string): boolean {
  // An ApplicationPolicy message: a channel policy reference holds its path as plain bytes.
  return Buffer.from(committed?.validation_parameter ?? '', 'base64')
    .toString('latin1')
    .includes(policy);
}

/** ORG of the plan, a member or (for joins) a candidate. */
function anyOrg(plan: Plan, orgName: string): OrgPlan {
  const org = [...plan.orgs, ...plan.candidates].find((o) => o.name === orgName);
  if (org === undefined) {
    throw new LifecycleError(`unknown org '${orgName}'`);
  }
  return org;
}

function memberOrg(plan: Plan, orgName: string): OrgPlan {
  const org = plan.orgs.find((o) => o.name === orgName);
  if (org === undefined) {
    throw new LifecycleError(`${orgName} is not a member org of ${plan.channel} (members: ${plan.orgs.map((o) => o.name).join(', ')})`);
  }
  return org;
}

/**
 * Makes the committed chaincode available on a member org that joined after
 * it was committed, or on a peer the org added: packages it for the org's own
 * server, installs it on the org's peers and approves the committed
 * definition, unchanged, with the org's package id. Run by that org's
 * operator with its own admin; nobody else approves for it, and the
 * definition needs no new sequence because its policy is the channel's
 * (ENDORSEMENT_POLICY). Returns the org's package id.
 *
 * @throws LifecycleError when the org is unknown, no definition is committed, or a step fails.
 */
export function joinChaincode(plan: Plan, env: LifecycleEnv, orgName: string): string {
  const org = anyOrg(plan, orgName);
  const lifecycle = new Lifecycle(plan, env);
  const committed = lifecycle.committed(org);
  if (committed === undefined) {
    throw new LifecycleError(
      `${org.peers[0].id} sees no committed definition of ${plan.chaincode.name} on ${plan.channel}: is ${orgName} a member, and has its peer caught up?`,
    );
  }
  const id = lifecycle.install(org);
  lifecycle.approve(org, lifecycle.definition(committed.sequence, committed.version), id);
  return id;
}

/**
 * The next definition of the chaincode, from the org's own view of the
 * ledger and its own build: the committed sequence plus one.
 */
export function defineChaincode(plan: Plan, env: LifecycleEnv, orgName: string): ChaincodeDefinition {
  const lifecycle = new Lifecycle(plan, env);
  return lifecycle.definition(lifecycle.committedSequence(memberOrg(plan, orgName)) + 1);
}

/**
 * Approves DEFINITION for one org with its own package, after checking it as
 * that org's operator would: the channel and chaincode it knows, the policy
 * its topology gives (a definition whose policy someone weakened is refused),
 * the next sequence, and the very code it built itself (the version is the
 * label of a build). Installs the org's package on its peers first. Returns
 * the org's package id.
 *
 * @throws LifecycleError naming what does not match, or the step that failed.
 */
export function approveDefinition(plan: Plan, env: LifecycleEnv, orgName: string, definition: ChaincodeDefinition): string {
  const org = memberOrg(plan, orgName);
  const lifecycle = new Lifecycle(plan, env);
  const mine = lifecycle.definition(definition.sequence);
  const mismatches = [
    definition.channel !== mine.channel && `channel ${definition.channel}, not ${mine.channel}`,
    definition.name !== mine.name && `chaincode ${definition.name}, not ${mine.name}`,
    definition.endorsementPolicy !== mine.endorsementPolicy &&
      `endorsement policy ${JSON.stringify(definition.endorsementPolicy)}, not ${mine.endorsementPolicy}`,
    definition.version !== mine.version &&
      `version ${definition.version}, but ${orgName} built ${mine.version} (another build of the code)`,
  ].filter((m): m is string => typeof m === 'string');
  const committed = lifecycle.committedSequence(org);
  if (definition.sequence !== committed + 1 && definition.sequence !== committed) {
    mismatches.push(`sequence ${definition.sequence}, but ${committed} is committed`);
  }
  if (mismatches.length > 0) {
    throw new LifecycleError(`${orgName} refuses the definition: it names ${mismatches.join('; ')}`);
  }
  const id = lifecycle.install(org);
  lifecycle.approve(org, mine, id);
  return id;
}

/**
 * Commits DEFINITION as one member, once a majority of the member orgs has
 * approved it (the channel's LifecycleEndorsement, MAJORITY Endorsement, which
 * every peer checks again when it validates the commit). The commit is
 * endorsed by a peer of each approving org. Returns the orgs that approved.
 *
 * @throws LifecycleError when too few have approved, or the commit fails.
 */
export function commitDefinition(plan: Plan, env: LifecycleEnv, orgName: string, definition: ChaincodeDefinition): string[] {
  const org = memberOrg(plan, orgName);
  const lifecycle = new Lifecycle(plan, env);
  const readiness = lifecycle.cli.json<{ approvals?: Record<string, boolean> }>(org, org.peers[0], [
    'lifecycle',
    'chaincode',
    'checkcommitreadiness',
    ...definitionArgs(definition),
    '-O',
    'json',
  ]);
  if (readiness?.approvals === undefined) {
    throw new LifecycleError(
      `${org.peers[0].id} could not check the definition's approvals; is sequence ${definition.sequence} the next one?`,
    );
  }
  const approving = plan.orgs.filter((o) => readiness.approvals?.[o.mspId] === true);
  const needed = Math.floor(plan.orgs.length / 2) + 1;
  if (approving.length < needed) {
    throw new LifecycleError(
      `${approving.length} of the ${plan.orgs.length} member orgs approved ${definition.name} sequence ${definition.sequence} (${approving.map((o) => o.name).join(', ') || 'none'}); a majority, ${needed}, must before it can be committed`,
    );
  }
  lifecycle.commit(org, definition, approving);
  return approving.map((o) => o.name);
}

/** The package ORG approved for the committed definition, which its chaincode server must serve; undefined if none. */
export function committedPackage(plan: Plan, env: LifecycleEnv, orgName: string): string | undefined {
  const org = anyOrg(plan, orgName);
  const lifecycle = new Lifecycle(plan, env);
  const committed = lifecycle.committedSequence(org);
  return committed === 0 ? undefined : lifecycle.approvedPackage(org, committed);
}
