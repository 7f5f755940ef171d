#!/usr/bin/env node
/**
 * Writes the Caliper network configuration (format 2.0.0, peer-gateway
 * connector) for the running consortium, from the plan `scripts/network.sh up`
 * resolved (`<runtime>/plan.json`). The output holds absolute paths into the
 * runtime directory, so it is generated on every run and never committed.
 *
 *   node bench/caliper/network-config.mjs [--plan FILE] [--out FILE]
 *        [--org hospital] [--users practitioner1,practitioner2]
 *
 * Defaults: the plan of $MLL_RUNTIME_DIR (or <repo>/.runtime), output to
 * <runtime>/caliper/networkconfig.json, the hospital org, and every user of
 * that org whose role is `practitioner` (the callers of both workloads).
 * Caliper reads the file with a YAML parser, which takes JSON as it is.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const runtimeDir = resolve(process.env.MLL_RUNTIME_DIR ?? join(repoRoot, '.runtime'));

const { values: opts } = parseArgs({
  options: {
    plan: { type: 'string', default: join(runtimeDir, 'plan.json') },
    out: { type: 'string', default: join(runtimeDir, 'caliper', 'networkconfig.json') },
    org: { type: 'string', default: 'hospital' },
    users: { type: 'string' },
  },
});

function fail(message) {
  process.stderr.write(`network-config: ${message}\n`);
  process.exit(1);
}

function mustExist(file, what) {
  if (!existsSync(file)) fail(`${what} not found at ${file}`);
  return file;
}

/**
 * The TLS name to verify the peer under. The peer is dialled by IP; Node
 * warns when an IP is used as the TLS server name, so prefer a DNS name from
 * the certificate's subjectAltName (the native network issues `localhost`
 * next to 127.0.0.1). Undefined when the certificate names no host.
 */
function tlsNameFor(peer) {
  if (!peer.tls?.cert || !existsSync(peer.tls.cert)) return undefined;
  const san = new X509Certificate(readFileSync(peer.tls.cert)).subjectAltName ?? '';
  const dns = san
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4));
  return dns.includes('localhost') ? 'localhost' : dns[0];
}

const plan = JSON.parse(readFileSync(mustExist(opts.plan, 'network plan (start the network first: bash scripts/network.sh up)'), 'utf8'));
const org = (plan.orgs ?? []).find((o) => o.name === opts.org);
if (org === undefined) fail(`org ${opts.org} is not in ${opts.plan}`);

const wanted = opts.users
  ? opts.users
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean)
  : org.users.filter((u) => u.attrs?.role === 'practitioner').map((u) => u.name);
if (wanted.length === 0) fail(`no users selected in org ${org.name}`);

const certificates = wanted.map((name) => {
  const user = org.users.find((u) => u.name === name);
  if (user === undefined) fail(`user ${name} is not in org ${org.name}`);
  return {
    name,
    clientSignedCert: { path: mustExist(join(user.msp, 'signcerts', 'cert.pem'), `certificate of ${name}`) },
    clientPrivateKey: { path: mustExist(join(user.msp, 'keystore', 'key.pem'), `private key of ${name}`) },
  };
});

if (!org.peers?.length) fail(`org ${org.name} has no peers in the plan`);
// The peer-gateway connector talks to the first peer of the org only; that
// peer's gateway endorses on the other orgs' peers through discovery.
const peers = org.peers.map((peer) => {
  const entry = { endpoint: peer.address, tlsCACerts: { path: mustExist(peer.tls.ca, `TLS CA of ${peer.id}`) } };
  const tlsName = tlsNameFor(peer);
  if (tlsName !== undefined) entry.grpcOptions = { 'ssl-target-name-override': tlsName };
  return entry;
});

const config = {
  name: `model-ledger-${plan.channel}`,
  version: '2.0.0',
  caliper: {
    blockchain: 'fabric',
    sutOptions: { mutualTls: false },
  },
  channels: [{ channelName: plan.channel, contracts: [{ id: plan.chaincode.name }] }],
  organizations: [{ mspid: org.mspId, identities: { certificates }, peers }],
};

mkdirSync(dirname(resolve(opts.out)), { recursive: true });
const tmp = `${resolve(opts.out)}.${process.pid}.tmp`;
writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`);
renameSync(tmp, resolve(opts.out));
process.stdout.write(
  `network-config: wrote ${resolve(opts.out)} (${org.mspId} via ${peers.map((p) => p.endpoint).join(', ')}; ` +
    `identities ${wanted.join(', ')}; channel ${plan.channel}, chaincode ${plan.chaincode.name})\n`,
);
