#!/usr/bin/env node
/**
 * Prepares the hot licence the Caliper RecordAccess workload spends, the way
 * bench/src/main.ts prepares its own, and writes its id to a JSON file:
 *
 *   1. lab admin registers a model paying 70 % to the lab's treasury and 30 %
 *      to lab engineer1;
 *   2. lab admin publishes a metered offering of it, price 1 a unit, for
 *      HospitalMSP practitioners, purpose clinical-diagnosis;
 *   3. clearing issuer1 mints the price into the hospital treasury;
 *   4. hospital admin buys the units for the treasury, payer 'org'.
 *
 *   node bench/caliper/setup-licence.mjs [--plan FILE] [--out FILE] [--units 100000]
 *   node bench/caliper/setup-licence.mjs --status [--out FILE]   # the licence's counters now
 *
 * It uses the repository's own @hyperledger/fabric-gateway and @grpc/grpc-js
 * (the root node_modules), not Caliper's binding, and calls the chaincode
 * through the typed clients of @model-ledger/contract (built into
 * contract/dist). Defaults: the plan of $MLL_RUNTIME_DIR (or <repo>/.runtime)
 * and <runtime>/caliper/licence.json.
 */
import { createPrivateKey, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const runtimeDir = resolve(process.env.MLL_RUNTIME_DIR ?? join(repoRoot, '.runtime'));
// Resolve the client libraries from the repository root, whatever the cwd.
const requireFromRoot = createRequire(join(repoRoot, 'package.json'));
const grpc = requireFromRoot('@grpc/grpc-js');
const { connect, signers, StatusCode } = requireFromRoot('@hyperledger/fabric-gateway');
const { LedgerClient } = requireFromRoot('@model-ledger/contract');

const { values: opts } = parseArgs({
  options: {
    plan: { type: 'string', default: join(runtimeDir, 'plan.json') },
    out: { type: 'string', default: join(runtimeDir, 'caliper', 'licence.json') },
    units: { type: 'string', default: '100000' },
    status: { type: 'boolean', default: false },
  },
});

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const log = (message) => process.stdout.write(`[setup-licence ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const deadline = (ms) => () => ({ deadline: Date.now() + ms });

if (!existsSync(opts.plan)) {
  process.stderr.write(`setup-licence: no network plan at ${opts.plan}; start the network first (bash scripts/network.sh up)\n`);
  process.exit(1);
}
const plan = JSON.parse(readFileSync(opts.plan, 'utf8'));

/** One gRPC channel per peer, one Gateway per identity, as bench/src/fabric.ts does; `as` gives the identity's typed clients. */
class Clients {
  constructor() {
    this.channels = new Map();
    this.gateways = [];
  }

  as(orgName, userName) {
    const org = plan.orgs.find((o) => o.name === orgName);
    if (!org) throw new Error(`unknown org ${orgName}`);
    const user = org.users.find((u) => u.name === userName);
    if (!user) throw new Error(`unknown user ${userName} of org ${orgName}`);
    const peer = org.peers[0];
    let channel = this.channels.get(peer.id);
    if (!channel) {
      channel = new grpc.Client(peer.address, grpc.credentials.createSsl(readFileSync(peer.tls.ca)));
      this.channels.set(peer.id, channel);
    }
    const gateway = connect({
      client: channel,
      identity: { mspId: org.mspId, credentials: readFileSync(join(user.msp, 'signcerts', 'cert.pem')) },
      signer: signers.newPrivateKeySigner(createPrivateKey(readFileSync(join(user.msp, 'keystore', 'key.pem')))),
      evaluateOptions: deadline(30_000),
      endorseOptions: deadline(30_000),
      submitOptions: deadline(30_000),
      commitStatusOptions: deadline(60_000),
    });
    this.gateways.push(gateway);
    const network = gateway.getNetwork(plan.channel);
    const label = `${userName}@${orgName}`;
    const contract = (call) => network.getContract(plan.chaincode.name, call.contract);
    const failed = (call, err) => {
      const details = (err.details ?? []).map((d) => `${d.mspId ?? d.address}: ${d.message}`).join(' | ');
      return new Error(`${call.contract}:${call.transaction} as ${label} failed: ${err.message}${details ? ` | ${details}` : ''}`);
    };
    // The typed clients' transport: a write waits for its commit status and fails unless it is valid.
    return new LedgerClient({
      async evaluate(call) {
        try {
          return await contract(call).evaluateTransaction(call.transaction, ...call.args);
        } catch (err) {
          throw failed(call, err);
        }
      },
      async submit(call) {
        try {
          const transaction = await contract(call)
            .newProposal(call.transaction, { arguments: [...call.args] })
            .endorse();
          const status = await (await transaction.submit()).getStatus();
          if (!status.successful) {
            const code = Object.keys(StatusCode).find((name) => StatusCode[name] === status.code) ?? String(status.code);
            throw new Error(`transaction ${status.transactionId} committed invalid: ${code}`);
          }
          return { result: transaction.getResult(), transactionId: status.transactionId, blockNumber: status.blockNumber };
        } catch (err) {
          throw failed(call, err);
        }
      },
    });
  }

  close() {
    for (const gateway of this.gateways) gateway.close();
    for (const channel of this.channels.values()) channel.close();
  }
}

function writeJson(file, value) {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  const tmp = `${resolve(file)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, resolve(file));
}

async function status(clients) {
  const saved = JSON.parse(readFileSync(opts.out, 'utf8'));
  const admin = clients.as('hospital', 'admin');
  const now = await admin.license.getLicense(saved.licenseId);
  const summary = {
    licenseId: saved.licenseId,
    units: now.license.units,
    consumedUnits: now.consumedUnits,
    remainingUnits: now.remainingUnits,
    movedUnits: now.movedUnits,
    readAt: new Date().toISOString(),
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

async function setup(clients) {
  const units = BigInt(opts.units);
  if (units <= 0n) throw new Error('--units must be positive');
  const run = `caliper-${Date.now()}`;
  const labAdmin = clients.as('lab', 'admin');
  const engineer = clients.as('lab', 'engineer1');
  const issuer = clients.as('clearing', 'issuer1');
  const hospitalAdmin = clients.as('hospital', 'admin');

  const engineerAccount = (await engineer.token.whoAmI()).account;
  const royaltyPolicy = JSON.stringify({
    beneficiaries: [
      { account: 'org::LabMSP', shareBps: 7000 },
      { account: engineerAccount, shareBps: 3000 },
    ],
    resaleRoyaltyBps: 500,
  });
  const unitPrice = 1n;
  const offeringTerms = JSON.stringify({
    kind: 'metered',
    unitPrice: unitPrice.toString(),
    supplyCap: '1000000000',
    transferable: true,
    requiredAttributes: { role: 'practitioner' },
    allowedMspIds: ['HospitalMSP'],
    purposes: ['clinical-diagnosis'],
  });

  log(`registering model hot-${run}`);
  const { modelId } = (
    await labAdmin.model.registerModel({
      name: `hot-${run}`,
      description: 'Caliper cross-check model',
      task: 'tabular-classification',
      intendedUse: 'Benchmark only',
      version: '1',
      artifactSha256: sha256(`hot-${run}`),
      artifactUri: 'https://models.lab.example/bench.onnx',
      inferenceEndpoint: 'https://serving.lab.example/v2/models/bench',
      royaltyPolicy,
    })
  ).data;
  const { offeringId } = (await labAdmin.offering.publishOffering(modelId, offeringTerms)).data.offering;
  log(`model ${modelId}, offering ${offeringId}`);

  const price = units * unitPrice;
  await issuer.token.mint({ to: 'org::HospitalMSP', amount: price.toString(), requestId: `${run}-mint` });
  log(`minted ${price} into org::HospitalMSP`);

  const purchase = await hospitalAdmin.license.purchaseLicense({
    offeringId,
    units: units.toString(),
    payer: 'org',
    requestId: `${run}-licence`,
  });
  const { licenseId } = purchase.data;
  const read = await hospitalAdmin.license.getLicense(licenseId);
  const licence = {
    licenseId,
    modelId,
    offeringId,
    units: read.license.units,
    lotCount: read.license.lotCount,
    remainingUnits: read.remainingUnits,
    holder: read.license.holder,
    channel: plan.channel,
    chaincode: plan.chaincode.name,
    run,
    createdAt: new Date().toISOString(),
  };
  writeJson(opts.out, licence);
  log(`licence ${licenseId}: ${licence.units} units in ${licence.lotCount} lots; wrote ${resolve(opts.out)}`);
}

const clients = new Clients();
try {
  await (opts.status ? status(clients) : setup(clients));
} catch (err) {
  process.stderr.write(`setup-licence: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  clients.close();
}
