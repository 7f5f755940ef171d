#!/usr/bin/env node
/**
 * Offline checks of the cross-check's inputs; it never dials a peer.
 *
 *   node bench/caliper/check.mjs [--network FILE] [--bench FILE]
 *
 * - the Fabric binding's packages accept this Node version;
 * - the benchmark configuration passes Caliper's own validators, and every
 *   round uses fixed-load at one of the expected levels;
 * - the network configuration (when given) loads through Caliper's Fabric
 *   connector configuration: identities read into its wallet, the peer's
 *   endpoint, TLS CA and options resolve, and the chaincode is found;
 * - both workload modules load and, driven by a recording stand-in for the
 *   connector, build the requests the project benchmark sends: the calls the
 *   typed clients of @model-ledger/contract make for the same inputs.
 *
 * Needs bench/caliper/node_modules (npm ci in bench/caliper) and the built
 * contract package (npm run build -w contract at the repository root).
 */
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, 'package.json'));

const { values: opts } = parseArgs({
  options: {
    network: { type: 'string' },
    bench: { type: 'string', default: join(here, 'benchconfig.yaml') },
  },
});

const { CaliperUtils } = require('@hyperledger/caliper-core');
const { CallRecorder, requestOf } = require('./workloads/common.js');
const BenchValidator = require('@hyperledger/caliper-core/lib/common/utils/benchmark-validator');
const RoundOrchestrator = require('@hyperledger/caliper-core/lib/manager/orchestrators/round-orchestrator');

const ok = (message) => process.stdout.write(`check: ok  ${message}\n`);
const LEVELS = [1, 8, 32, 64];

// --- The Fabric binding suits this Node (fabric-gateway 1.12 and later need Node 22).
const semver = require('semver');
for (const name of ['@hyperledger/fabric-gateway', '@grpc/grpc-js', '@hyperledger/fabric-protos']) {
  const pkg = require(`${name}/package.json`);
  const range = pkg.engines?.node ?? '*';
  assert.ok(semver.satisfies(process.version, range), `${name}@${pkg.version} needs Node ${range}, this is ${process.version}`);
  ok(`${name}@${pkg.version} runs on Node ${process.version} (needs ${range})`);
}

// --- Benchmark configuration.
const bench = CaliperUtils.parseYaml(resolve(opts.bench));
BenchValidator.validateObject(bench);
const rounds = bench.test.rounds;
rounds.forEach((round, index) => RoundOrchestrator._validateRoundConfig(round, index));
assert.equal(bench.test.workers.number, 1, 'one worker, so that transactionLoad is the in-flight level');
const warn = (message) => process.stdout.write(`check: note ${message}\n`);
for (const round of rounds) {
  assert.equal(round.rateControl.type, 'fixed-load', `${round.label} uses fixed-load`);
  if (round.label === 'warmup') continue;
  const [workload, level] = round.label.split('@');
  assert.ok(['baseline', 'RecordAccess'].includes(workload), `${round.label}: a label is baseline@N or RecordAccess@N`);
  assert.equal(round.rateControl.opts.transactionLoad, Number(level), `${round.label}: transactionLoad matches the label`);
  if (round.txDuration !== 15) warn(`${round.label} runs ${round.txDuration ?? `${round.txNumber} tx`}, not the project benchmark's 15 s`);
}
for (const workload of ['baseline', 'RecordAccess']) {
  const levels = rounds.filter((r) => r.label.startsWith(`${workload}@`)).map((r) => r.rateControl.opts.transactionLoad);
  if (levels.join(',') !== LEVELS.join(','))
    warn(`${workload} runs at ${levels.join(', ')}, not the project benchmark's ${LEVELS.join(', ')}`);
}
ok(`${opts.bench}: ${rounds.length} rounds (${rounds.map((r) => r.label).join(', ')})`);

// --- Network configuration, through Caliper's own loader.
if (opts.network) {
  const ConnectorConfigurationFactory = require('@hyperledger/caliper-fabric/lib/connector-configuration/ConnectorConfigurationFactory');
  const WalletFacadeFactory = require('@hyperledger/caliper-fabric/lib/connector-versions/peer-gateway/WalletFacadeFactory');
  const networkFile = resolve(opts.network);
  const raw = CaliperUtils.parseYaml(networkFile);
  assert.equal(raw.version, '2.0.0');
  assert.equal(raw.caliper.blockchain, 'fabric');
  const config = await new ConnectorConfigurationFactory().create(networkFile, new WalletFacadeFactory());
  assert.equal(config.isMutualTLS(), false, 'the peer-gateway connector refuses mutual TLS');
  const wallet = config.getWalletFacade();
  for (const mspId of config.getOrganizations()) {
    const profile = await config.getConnectionProfileDefinitionForOrganization(mspId);
    const peers = profile.getPeersListForOrganization(mspId);
    assert.ok(peers.length > 0, `${mspId} has a peer`);
    const peer = peers[0];
    const endpoint = profile.getGrpcEndPointForPeer(peer);
    assert.ok(profile.isTLSRequiredForEndpoint(peer), `${peer} is reached over TLS`);
    const ca = await profile.getTlsCACertsForPeer(peer);
    assert.match(String(ca), /^-----BEGIN CERTIFICATE-----/);
    const grpcOptions = profile.getGrpcOptionsForPeer(peer);
    const aliases = await config.getAliasNamesForOrganization(mspId);
    for (const alias of aliases) {
      const identity = await wallet.export(alias);
      assert.equal(identity.mspid, mspId);
      assert.match(identity.certificate, /^-----BEGIN CERTIFICATE-----/);
      createPrivateKey(identity.privateKey); // throws unless it is a usable key
    }
    ok(
      `${mspId}: peer ${endpoint} (TLS name ${grpcOptions['ssl-target-name-override'] ?? 'from the address'}), identities ${aliases.join(', ')}`,
    );
  }
  for (const channel of config.getAllChannelNames()) {
    for (const contract of config.getContractDefinitionsForChannelName(channel)) {
      assert.deepEqual(config.getContractDetailsForContractId(contract.id), { channel, id: contract.id });
      ok(`contract ${contract.id} on channel ${channel}`);
    }
  }
}

// --- Workload modules, against a recording stand-in for the connector.
const scratch = mkdtempSync(join(tmpdir(), 'caliper-check-'));
try {
  const licenceFile = join(scratch, 'licence.json');
  writeFileSync(licenceFile, JSON.stringify({ licenseId: 'L-0123456789abcdef', lotCount: 256 }));
  const drive = async (module, args, calls) => {
    const sent = [];
    const adapter = { sendRequests: async (request) => sent.push(request) };
    const workload = require(join(here, module)).createWorkloadModule();
    await workload.initializeWorkloadModule(0, 1, 0, args, adapter, {});
    for (let i = 0; i < calls; i += 1) await workload.submitTransaction();
    return sent;
  };

  // What bench/src/main.ts sends, as the typed clients build it.
  const calls = new CallRecorder();
  const fields = (r) => ({ contractFunction: r.contractFunction, contractArguments: r.contractArguments });

  const baseline = await drive('workloads/baseline.js', undefined, 12);
  for (const [i, r] of baseline.entries()) {
    assert.equal(r.contractId, 'licensing');
    assert.equal(r.readOnly, false);
    assert.equal(r.invokerMspId, 'HospitalMSP');
    assert.equal(r.invokerIdentity, i % 2 === 0 ? 'practitioner1' : 'practitioner2');
    assert.deepEqual(fields(r), requestOf(calls.callOf((ledger) => ledger.baseline.put(`${'v'.repeat(100)}${i % 10}`))));
  }
  ok(
    `baseline: ${baseline.length} requests ${baseline[0].contractFunction}(${baseline[0].contractArguments.map((a) => `${a.length} chars`).join(', ')}), practitioners alternating`,
  );

  // Each call's request hash is random: the expected call takes the hash from where the client puts it.
  const access = (i, requestHash) => (ledger) =>
    ledger.license.recordAccess({
      licenseId: 'L-0123456789abcdef',
      units: '1',
      purpose: 'clinical-diagnosis',
      requestHash,
      lotHint: String(i % 256),
    });
  const hashAt = calls.callOf(access(0, 'the request hash')).args.indexOf('the request hash');
  assert.ok(hashAt >= 0, 'the RecordAccess call carries the request hash');
  const accesses = await drive('workloads/record-access.js', { licenceFile, lotHints: 256 }, 600);
  const hashes = new Set();
  for (const [i, r] of accesses.entries()) {
    assert.equal(r.contractId, 'licensing');
    assert.equal(r.readOnly, false);
    assert.equal(r.invokerIdentity, i % 2 === 0 ? 'practitioner1' : 'practitioner2');
    assert.ok(r.contractArguments.every((a) => typeof a === 'string'));
    const hash = r.contractArguments[hashAt];
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.deepEqual(fields(r), requestOf(calls.callOf(access(i, hash))));
    hashes.add(hash);
  }
  assert.equal(hashes.size, accesses.length, 'request hashes are unique');
  ok(
    `RecordAccess: ${accesses.length} requests ${accesses[0].contractFunction} as the licence client builds them, unique hashes, lot hints 0..255 round robin`,
  );

  await assert.rejects(drive('workloads/record-access.js', { licenceFile: join(scratch, 'missing.json') }, 1), /cannot read the licence/);
  ok('RecordAccess refuses to start without a licence file');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
