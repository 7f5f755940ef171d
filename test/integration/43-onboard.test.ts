/**
 * Onboarding a member org into the running channel, and removing it, the way
 * a consortium does it (issue 15, §3). The pharmaceutical company `pharma`
 * (topology: founding false) starts its CA and peer on its own, exports its
 * definition, and a member proposes the config update. Admins of the member
 * orgs sign it, each with its own key: two signatures of five orgs are
 * refused, three are committed. Pharma's peer then fetches the genesis block
 * from the orderers, joins and catches up; pharma approves the committed
 * chaincode with its own package, and its API instance starts. Its owner
 * registers a model, its users and the hospital's buy and use licences,
 * royalties flow to it, and the chaincode's majority now counts it. Removed
 * again, it reads no new blocks and endorses nothing, and its records stay
 * auditable.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning } from '../support/faults';
import type { Json } from '../support/api';
import { caughtUp, channelHeight, rejection, sha256 } from '../support/ledger';
import { Connections, issueApiKey, loadPlan, networkScript, runtimeDir } from '../support/network';
import { labModel, meteredOffering } from '../support/story';
import { settled } from '../support/transport';

/** The JSON body of RESPONSE, which must have STATUS (or the error names what it had). */
async function expectStatus(response: Response, status: number): Promise<Json> {
  const body = (await response.json()) as Json;
  if (response.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${response.status}: ${JSON.stringify(body)}`);
  }
  return body;
}

/** A caller of ORG's running API instance with KEY. */
function caller(org: string, key: string) {
  const url = (): string => {
    const plan = loadPlan() as unknown as { orgs: { name: string; api: { url: string } }[] };
    const found = plan.orgs.find((o) => o.name === org);
    if (found === undefined) throw new Error(`${org} is not a member org of the plan`);
    return found.api.url;
  };
  const send = (method: string, path: string, body?: object, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${url()}${path}`, {
      method,
      headers: { 'X-API-Key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return {
    get: async (path: string): Promise<Json> => expectStatus(await send('GET', path), 200),
    post: async (path: string, body: object, status = 201): Promise<Json> =>
      expectStatus(
        await send('POST', path, body, { 'Idempotency-Key': `onboard-${sha256(JSON.stringify([path, body])).slice(0, 32)}` }),
        status,
      ),
  };
}

describe('a new member org joins the running channel, and leaves it', () => {
  const tag = `${process.pid}-${Date.now()}`;
  const exchange = join(runtimeDir, 'exchange', `onboard-${tag}`);
  const definition = join(exchange, 'pharma.org.json');
  const addition = join(exchange, 'add-pharma.update.pb');
  const removal = join(exchange, 'remove-pharma.update.pb');
  const connections = new Connections();
  const timings: Record<string, number> = {};
  let started = 0;
  let pharmaModel = '';
  let pharmaAccess = '';
  const channel = loadPlan().channel;

  beforeAll(() => {
    mkdirSync(exchange, { recursive: true });
    if (loadPlan().orgs.some((o) => o.name === 'pharma')) {
      throw new Error(
        'pharma is already a member of this network; run this test on a network where it is not (scripts/network.sh clean, then up)',
      );
    }
  });

  afterAll(async () => {
    connections.closeAll();
    // Whatever happened above, pharma's processes stop: the tests after this one run without it.
    await networkScript('down', '--org', 'pharma');
    writeFileSync(`${runtimeDir}-results/onboarding.json`, `${JSON.stringify(timings, null, 2)}\n`);
  });

  it('starts pharma on its own (up --org pharma): its CA and peer run, and the orderers serve it no blocks', async () => {
    started = Date.now();
    await networkScript('up', '--org', 'pharma');
    expect(['ca.pharma', 'peer0.pharma'].filter((node) => !isRunning(node))).toEqual([]);
    // Not joined, and the orderers refuse it the genesis block it would join with.
    expect(existsSync(join(runtimeDir, 'channel', 'joined', 'peer0.pharma'))).toBe(false);
    await rejection(() => networkScript('peer', 'pharma', 'channel', 'getinfo', '-c', channel));
    await rejection(() =>
      networkScript('peer', 'pharma', 'channel', 'fetch', '0', join(exchange, 'refused.block'), '-c', channel, ...ordererArgs()),
    );
  });

  it("exports pharma's definition: its MSP with CA and TLS roots, its policies and anchor peer", async () => {
    await networkScript('org', 'export', 'pharma', definition);
    const org = JSON.parse(readFileSync(definition, 'utf8')) as Json;
    expect(org.values.MSP.value.config.name).toBe('PharmaMSP');
    expect(org.values.MSP.value.config.root_certs).toHaveLength(1);
    expect(org.values.MSP.value.config.tls_root_certs).toHaveLength(1);
    expect(org.values.AnchorPeers.value.anchor_peers[0].port).toBe(loadPlanCandidate().peers[0].port);
    expect(Object.keys(org.policies).sort()).toEqual(['Admins', 'ChaincodeEndorsement', 'Endorsement', 'Readers', 'Writers']);
  });

  it('refuses the update signed by two of the five member orgs (MAJORITY Admins needs three), and nothing changes', async () => {
    await networkScript('org', 'add-proposal', definition, addition, '--org', 'lab');
    await networkScript('org', 'sign', addition, '--org', 'lab');
    const refused = await rejection(() => networkScript('org', 'submit', addition, '--org', 'hospital'));
    expect(refused).toContain('the orderers refused the update');
    expect(refused).toContain("2 sub-policies were satisfied, but this policy requires 3 of the 'Admins' sub-policies");
    expect(loadPlan().orgs.map((o) => o.name)).not.toContain('pharma');
    // The orderers still serve pharma nothing.
    await rejection(() =>
      networkScript('peer', 'pharma', 'channel', 'fetch', '0', join(exchange, 'refused.block'), '-c', channel, ...ordererArgs()),
    );
  });

  it("refuses a signature by pharma's own admin: only members sign", async () => {
    const refused = await rejection(() => networkScript('org', 'sign', addition, '--org', 'pharma'));
    expect(refused).toContain('pharma is not a member of channel');
  });

  it('commits the update once a third member (the clinic) has signed, and pharma joins, catches up and approves the chaincode', async () => {
    await networkScript('org', 'sign', addition, '--org', 'clinic');
    await networkScript('org', 'submit', addition, '--org', 'hospital');
    expect(loadPlan().orgs.map((o) => o.name)).toContain('pharma');
    await networkScript('up', '--org', 'pharma');
    const { height, target } = await caughtUp('pharma', 'hospital', channel);
    expect(height).toBeGreaterThanOrEqual(target);
    const committed = JSON.parse(
      await networkScript(
        'peer',
        'pharma',
        'lifecycle',
        'chaincode',
        'querycommitted',
        '-C',
        channel,
        '-n',
        loadPlan().chaincode.name,
        '-O',
        'json',
      ),
    ) as Json;
    expect(committed.approvals.PharmaMSP).toBe(true);
    timings.joinedMs = Date.now() - started;
  });

  it("registers pharma's model; pharma's practitioner and the hospital's buy and use licences, and royalties flow to pharma", async () => {
    const pharmaAdmin = caller('pharma', await issueApiKey('pharma', 'admin'));
    const pharmaPractitioner = caller('pharma', await issueApiKey('pharma', 'practitioner1'));
    const hospitalAdmin = caller('hospital', await issueApiKey('hospital', 'admin'));
    const hospitalPractitioner = caller('hospital', await issueApiKey('hospital', 'practitioner1'));
    const issuer = caller('clearing', await issueApiKey('clearing', 'issuer1'));
    const auditor = caller('regulator', await issueApiKey('regulator', 'auditor1'));

    const me = await pharmaAdmin.get('/v1/me');
    expect(me).toMatchObject({ org: 'pharma', mspId: 'PharmaMSP' });
    const model = labModel({ slug: 'pharma-toxicity', description: "Pharma's toxicity screen", run: tag, engineerAccount: me.account });
    const registered = await pharmaAdmin.post('/v1/models', {
      ...model,
      royaltyPolicy: { beneficiaries: [{ account: 'org::PharmaMSP', shareBps: 10000 }], resaleRoyaltyBps: 500 },
    });
    pharmaModel = registered.data.modelId;
    expect(registered.data.ownerMspId).toBe('PharmaMSP');
    const offering = await pharmaAdmin.post('/v1/offerings', {
      modelId: pharmaModel,
      ...meteredOffering({ unitPrice: '10', allowedMspIds: ['PharmaMSP', 'HospitalMSP'] }),
    });
    const offeringId = offering.data.offering.offeringId;

    await issuer.post('/v1/token/mints', { to: 'org::PharmaMSP', amount: '100' });
    await issuer.post('/v1/token/mints', { to: 'org::HospitalMSP', amount: '100' });
    const own = await pharmaAdmin.post('/v1/purchases', { offeringId, units: '3', payer: 'org' });
    const bought = await hospitalAdmin.post('/v1/purchases', { offeringId, units: '2', payer: 'org' });

    const accruedBefore = BigInt((await auditor.get('/v1/accounts/org::PharmaMSP/royalties')).unclaimed);
    const access = await pharmaPractitioner.post(`/v1/licenses/${own.data.licenseId}/accesses`, {
      purpose: 'research',
      requestHash: sha256(`pharma-access-${tag}`),
    });
    timings.firstAccessMs = Date.now() - started;
    pharmaAccess = access.data.accessId;
    expect(access.data).toMatchObject({ callerMspId: 'PharmaMSP', units: '1', amount: '10' });
    await hospitalPractitioner.post(`/v1/licenses/${bought.data.licenseId}/accesses`, {
      purpose: 'clinical-diagnosis',
      requestHash: sha256(`hospital-access-${tag}`),
    });
    expect((await auditor.get(`/v1/licenses/${own.data.licenseId}`)).remainingUnits).toBe('2');
    expect(BigInt((await auditor.get('/v1/accounts/org::PharmaMSP/royalties')).unclaimed) - accruedBefore).toBe(20n);
  });

  it("counts pharma in the chaincode's majority, and pins pharma's treasury to pharma's own peer", async () => {
    const pharmaAdmin = connections.as('pharma', 'admin');
    const issuer = connections.as('clearing', 'issuer1');
    const balance = async (account: string): Promise<bigint> => BigInt((await issuer.ledger.token.getBalance(account)).amount);
    const before = await balance('org::PharmaMSP');
    // The four founding endorsers together, without pharma: the treasury key needs pharma's peer.
    const theft = await settled(
      pharmaAdmin
        .ledgerWith({ endorsingOrganizations: ['LabMSP', 'HospitalMSP', 'ClinicMSP', 'ClearingMSP'] })
        .token.transfer({ from: 'org', to: 'org::HospitalMSP', amount: '1' }),
    );
    expect(theft.status).toBe('ENDORSEMENT_POLICY_FAILURE');
    expect(await balance('org::PharmaMSP')).toBe(before);
    // Pharma with three founders: four of the six member orgs, the channel's
    // majority now, and each key's owner with two founders besides.
    const payment = await settled(
      pharmaAdmin
        .ledgerWith({ endorsingOrganizations: ['PharmaMSP', 'LabMSP', 'HospitalMSP', 'ClinicMSP'] })
        .token.transfer({ from: 'org', to: 'org::HospitalMSP', amount: '1' }),
    );
    expect(payment.status).toBe('VALID');
    expect(await balance('org::PharmaMSP')).toBe(before - 1n);
  });

  it('removes pharma once four of the six members sign: its peer reads no new blocks, it endorses nothing, and its records stay auditable', async () => {
    await networkScript('org', 'remove-proposal', 'pharma', removal, '--org', 'clearing');
    await networkScript('org', 'sign', removal, '--org', 'clearing');
    await networkScript('org', 'sign', removal, '--org', 'lab');
    // With six members the majority is four: three signatures are refused.
    const refused = await rejection(() => networkScript('org', 'submit', removal, '--org', 'clinic'));
    expect(refused).toContain("3 sub-policies were satisfied, but this policy requires 4 of the 'Admins' sub-policies");
    expect(loadPlan().orgs.map((o) => o.name)).toContain('pharma');
    await networkScript('org', 'sign', removal, '--org', 'hospital');
    await networkScript('org', 'submit', removal, '--org', 'clinic');
    expect(loadPlan().orgs.map((o) => o.name)).not.toContain('pharma');

    const pharmaHeight = await channelHeight('pharma', channel);
    const issuer = connections.as('clearing', 'issuer1');
    await issuer.ledger.token.mint({ to: 'org::HospitalMSP', amount: '1', requestId: `after-removal-${tag}` });
    expect(await channelHeight('hospital', channel)).toBeGreaterThan(pharmaHeight);
    expect(await channelHeight('pharma', channel)).toBe(pharmaHeight);

    // Endorsement by pharma's peer no longer counts.
    const hospitalAdmin = connections.as('hospital', 'admin');
    const withRemoved = await rejection(() =>
      hospitalAdmin
        .ledgerWith({ endorsingOrganizations: ['PharmaMSP', 'LabMSP', 'HospitalMSP'] })
        .token.transfer({ from: 'org', to: 'org::LabMSP', amount: '1' }),
    );
    expect(withRemoved).toBeTruthy();

    // The regulator still reads pharma's model and access from its own peer.
    const auditor = caller('regulator', await issueApiKey('regulator', 'auditor1'));
    expect((await auditor.get(`/v1/models/${pharmaModel}`)).model.ownerMspId).toBe('PharmaMSP');
    expect((await auditor.get(`/v1/accesses/${pharmaAccess}`)).callerMspId).toBe('PharmaMSP');
    console.log(
      `onboarding pharma: joined ${(timings.joinedMs / 1000).toFixed(1)} s, first committed access ${(timings.firstAccessMs / 1000).toFixed(1)} s after its first step`,
    );
  });
});

/** The peer CLI's arguments for the first orderer, over TLS. */
function ordererArgs(): string[] {
  const orderer = loadPlan().orderers[0];
  return ['-o', orderer.address, '--tls', '--cafile', orderer.tls.ca];
}

/** Pharma's plan entry, wherever it is (a candidate before it joins). */
function loadPlanCandidate(): { peers: { port: number }[] } {
  const plan = loadPlan() as unknown as { orgs: Json[]; candidates?: Json[] };
  const found = [...plan.orgs, ...(plan.candidates ?? [])].find((o) => o.name === 'pharma');
  if (found === undefined) throw new Error('no org pharma in the plan');
  return found as { peers: { port: number }[] };
}
