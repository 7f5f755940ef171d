#!/usr/bin/env node
// The demo that `scripts/network.sh up` leaves on a network: the shipped
// diagnostic model registered by the lab as its model version, served by the
// lab's model server, a metered offering of it, and a licence bought by the
// hospital's demo practitioner with tokens minted by the settlement agent. It
// goes only through the gateway APIs, with the demo keys `up` issued, and the
// typed client (client/) that any API consumer uses.
//
//   node scripts/lib/demo.mjs   seeds once per network (state in <runtime>/api/demo.json),
//                               then prints how to call the model
//
// Inputs from the environment: MLL_RUNTIME_DIR (default <repo>/.runtime).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, ok } from '@model-ledger/client';

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

/** The typed client of ORG's API instance, signed in as its demo user. */
function clientOf(org) {
  const api = plan.orgs.find((o) => o.name === org)?.api;
  if (api === undefined || keys[org] === undefined) {
    fail(`no API or demo key for org ${org}; run scripts/network.sh up`);
  }
  return createClient({ baseUrl: api.url, credentials: { apiKey: keys[org].key } });
}

/** An answer's data; fails with the API's code and message, naming who asked what. */
async function data(org, what, pending) {
  try {
    return ok(await pending);
  } catch (err) {
    fail(`${what} as ${keys[org].user}@${org}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function seed() {
  const served = plan.modelServer.endpoint;
  const lab = clientOf('lab');
  const hospital = clientOf('hospital');
  const model = await data(
    'lab',
    'registering the model',
    lab.api.POST('/v1/models', {
      body: {
        name: card.name,
        description: `${card.pipeline ?? 'Logistic regression'} over the 30 Wisconsin fine-needle-aspirate features; 0 = malignant, 1 = benign`,
        task: 'tabular-classification',
        intendedUse: 'Decision support for certified practitioners; not a diagnosis on its own',
        version: card.version,
        artifactSha256: card.sha256,
        artifactUri: `file://model/${card.artifact}`,
        inferenceEndpoint: served,
        royaltyPolicy: { beneficiaries: [{ account: 'org::LabMSP', shareBps: 10000 }], resaleRoyaltyBps: 500 },
      },
    }),
  );
  const modelId = model.data.modelId;
  const offering = await data(
    'lab',
    'publishing the offering',
    lab.api.POST('/v1/offerings', {
      body: {
        modelId,
        kind: 'metered',
        unitPrice: '100',
        supplyCap: '1000000',
        transferable: true,
        requiredAttributes: { role: 'practitioner' },
        allowedMspIds: ['HospitalMSP', 'ClinicMSP'],
        purposes: ['clinical-diagnosis', 'research'],
      },
    }),
  );
  const offeringId = offering.data.offering.offeringId;
  const me = await data('hospital', 'GET /v1/me', hospital.api.GET('/v1/me'));
  await data('clearing', 'minting tokens', clientOf('clearing').api.POST('/v1/token/mints', { body: { to: me.account, amount: '10000' } }));
  const purchase = await data(
    'hospital',
    'buying a licence',
    hospital.api.POST('/v1/purchases', { body: { offeringId, units: '50', payer: 'self' } }),
  );
  return { modelId, offeringId, licenseId: purchase.data.licenseId, holder: me.account };
}

async function main() {
  let state;
  if (existsSync(stateFile)) {
    state = JSON.parse(readFileSync(stateFile, 'utf8'));
    await data(
      'lab',
      `GET /v1/models/${state.modelId}`,
      clientOf('lab').api.GET('/v1/models/{modelId}', { params: { path: { modelId: state.modelId } } }),
    );
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
