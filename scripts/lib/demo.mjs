#!/usr/bin/env node
// The demo that `scripts/network.sh up` leaves on a network: the shipped
// diagnostic model registered by the lab as its model version, served by the
// lab's model server, a metered offering of it, and a licence bought by the
// hospital's demo practitioner with tokens minted by the settlement agent. It
// goes only through the gateway APIs, with the demo keys `up` issued.
//
//   node scripts/lib/demo.mjs   seeds once per network (state in <runtime>/api/demo.json),
//                               then prints how to call the model
//
// Inputs from the environment: MLL_RUNTIME_DIR (default <repo>/.runtime).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const runtimeDir = resolve(process.env.MLL_RUNTIME_DIR ?? join(repoRoot, '.runtime'));
const stateFile = join(runtimeDir, 'api', 'demo.json');
const requestFile = join(runtimeDir, 'api', 'demo-infer.json');

function fail(message) {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(1);
}

const plan = JSON.parse(readFileSync(join(runtimeDir, 'plan.json'), 'utf8'));
const card = JSON.parse(readFileSync(join(repoRoot, 'model', 'model.json'), 'utf8'));
const sample = JSON.parse(readFileSync(join(repoRoot, 'model', 'heldout-samples.json'), 'utf8')).samples[0];
const keys = Object.fromEntries(
  readFileSync(join(runtimeDir, 'api', 'demo-keys.tsv'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split('\t'))
    .map(([org, user, key]) => [org, { user, key }]),
);

/** Calls ORG's API as its demo user; fails with the API's error unless the status is one of `ok`. */
async function call(org, method, path, body, ok = [200, 201]) {
  const api = plan.orgs.find((o) => o.name === org)?.api;
  if (api === undefined || keys[org] === undefined) {
    fail(`no API or demo key for org ${org}; run scripts/network.sh up`);
  }
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { 'X-API-Key': keys[org].key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!ok.includes(response.status)) {
    fail(`${method} ${path} as ${keys[org].user}@${org} answered ${response.status}: ${JSON.stringify(answer.error ?? answer)}`);
  }
  return { status: response.status, body: answer };
}

async function seed() {
  const served = plan.modelServer.endpoint;
  const model = await call('lab', 'POST', '/v1/models', {
    name: card.name,
    description: `${card.pipeline ?? 'Logistic regression'} over the 30 Wisconsin fine-needle-aspirate features; 0 = malignant, 1 = benign`,
    task: 'tabular-classification',
    intendedUse: 'Decision support for certified practitioners; not a diagnosis on its own',
    version: card.version,
    artifactSha256: card.sha256,
    artifactUri: `file://model/${card.artifact}`,
    inferenceEndpoint: served,
    royaltyPolicy: { beneficiaries: [{ account: 'org::LabMSP', shareBps: 10000 }], resaleRoyaltyBps: 500 },
  });
  const modelId = model.body.data.modelId;
  const offering = await call('lab', 'POST', '/v1/offerings', {
    modelId,
    kind: 'metered',
    unitPrice: '100',
    supplyCap: '1000000',
    transferable: true,
    requiredAttributes: { role: 'practitioner' },
    allowedMspIds: ['HospitalMSP', 'ClinicMSP'],
    purposes: ['clinical-diagnosis', 'research'],
  });
  const offeringId = offering.body.data.offering.offeringId;
  const me = await call('hospital', 'GET', '/v1/me');
  await call('clearing', 'POST', '/v1/token/mints', { to: me.body.account, amount: '10000' });
  const purchase = await call('hospital', 'POST', '/v1/purchases', { offeringId, units: '50', payer: 'self' });
  return { modelId, offeringId, licenseId: purchase.body.data.licenseId, holder: me.body.account };
}

async function main() {
  let state;
  if (existsSync(stateFile)) {
    state = JSON.parse(readFileSync(stateFile, 'utf8'));
    await call('lab', 'GET', `/v1/models/${state.modelId}`);
  } else {
    process.stderr.write(`[demo] registering ${card.name} v${card.version} and selling the hospital a licence\n`);
    state = await seed();
    writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  }
  const body = {
    parameters: { licenseId: state.licenseId, purpose: 'clinical-diagnosis' },
    inputs: [{ name: 'input', shape: [1, sample.input.length], datatype: 'FP32', data: sample.input }],
  };
  writeFileSync(requestFile, `${JSON.stringify(body)}\n`);
  const hospital = plan.orgs.find((o) => o.name === 'hospital').api.url;
  process.stdout.write(
    `\nDemo: model ${state.modelId} (${card.name} v${card.version}), licence ${state.licenseId} of ${keys.hospital.user}@hospital.\n` +
      `Run it under the licence (one held-out sample; expected label ${sample.expectedLabel}):\n` +
      `  curl -s -X POST ${hospital}/v1/models/${state.modelId}/infer -H "X-API-Key: ${keys.hospital.key}" \\\n` +
      `       -H 'content-type: application/json' -d @${requestFile}\n`,
  );
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
