/**
 * Proof of a record from the block (GET /v1/audit/proofs/{transactionId}):
 * the regulator proves a practitioner's access from the block its own peer
 * holds, and every check passes; so do a purchase, a trade, a royalty claim
 * and a governance execution. Then `npm run -w gateway-api verify` repeats
 * the checks offline on the blocks as Fabric's own `peer channel fetch` writes
 * them, and fails when the record, the block's transactions or the chain are
 * tampered with. A member proves its own org's transactions only.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { common } from '@hyperledger/fabric-protos';
import { ApiCaller, ApiFleet, expectError, expectStatus, Json, startApiFleet } from '../support/api';
import { channelHeight, sha256, sleep } from '../support/ledger';
import { loadPlan, networkScript, Plan, repoRoot } from '../support/network';
import { labModel, meteredOffering } from '../support/story';

const run = promisify(execFile);

/** Runs the offline verifier on files; its exit code and output. */
async function verify(...files: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run('node', [join(repoRoot, 'gateway-api', 'dist', 'cli', 'verify.js'), ...files]);
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('proof of a record from the block', () => {
  const tag = `${process.pid}-${Date.now()}`;
  const dir = mkdtempSync(join(tmpdir(), 'mll-proof-'));
  let plan: Plan;
  let api: ApiFleet;
  let auditor: ApiCaller;
  let practitioner: ApiCaller;
  let licenseId: string;
  let accessTx: string;
  let proof: Json;
  /** The other kinds of record, each by the transaction that wrote it. */
  const written: Record<'purchase' | 'trade' | 'claim' | 'proposal' | 'refund', string> = {
    purchase: '',
    trade: '',
    claim: '',
    proposal: '',
    refund: '',
  };
  let proposalId: string;
  let votingEndsAt: number;
  let labAdmin: ApiCaller;

  /** Block NUMBER as the regulator's peer serves it to Fabric's own client, in a file. */
  const fetchBlock = async (number: string, name: string): Promise<string> => {
    const file = join(dir, name);
    const orderer = plan.orderers[0];
    await networkScript(
      'peer',
      'regulator',
      'channel',
      'fetch',
      number,
      file,
      '-c',
      plan.channel,
      '-o',
      orderer.address,
      '--tls',
      '--cafile',
      orderer.tls.ca,
    );
    return file;
  };

  /** Block NUMBER as the regulator's own peer holds it, validation codes included (qscc, through Fabric's peer CLI), in a file. */
  const fetchPeerBlock = async (number: string, name: string): Promise<string> => {
    const file = join(dir, name);
    const query = JSON.stringify({ Args: ['GetBlockByNumber', plan.channel, number] });
    const hex = await networkScript('peer', 'regulator', 'chaincode', 'query', '-C', plan.channel, '-n', 'qscc', '-c', query, '--hex');
    writeFileSync(file, Buffer.from(hex.trim(), 'hex'));
    return file;
  };

  beforeAll(async () => {
    plan = loadPlan();
    api = await startApiFleet();
    auditor = api.as('regulator', 'auditor1');
    practitioner = api.as('hospital', 'practitioner1');
    labAdmin = api.as('lab', 'admin');
    const hospitalAdmin = api.as('hospital', 'admin');
    const clinicAdmin = api.as('clinic', 'admin');
    const engineerAccount = expectStatus(await api.as('lab', 'engineer1').get('/v1/me'), 200).account as string;
    const modelId = expectStatus(
      await labAdmin.post(
        '/v1/models',
        labModel({ slug: 'proven', description: 'A model whose accesses are proven', run: tag, engineerAccount }),
      ),
      201,
    ).data.modelId as string;
    const offeringId = expectStatus(
      await labAdmin.post('/v1/offerings', {
        modelId,
        ...meteredOffering({ unitPrice: '10', allowedMspIds: ['HospitalMSP', 'ClinicMSP'] }),
        transferable: true,
      }),
      201,
    ).data.offering.offeringId as string;
    for (const to of ['org::HospitalMSP', 'org::ClinicMSP']) {
      expectStatus(await api.as('clearing', 'issuer1').post('/v1/token/mints', { to, amount: '1000' }), 201);
    }
    const bought = expectStatus(await hospitalAdmin.post('/v1/purchases', { offeringId, units: '10', payer: 'org' }), 201);
    licenseId = bought.data.licenseId as string;
    written.purchase = bought.transaction.id as string;
    // A second licence, whose units the hospital lists and the clinic buys one of.
    const resold = expectStatus(await hospitalAdmin.post('/v1/purchases', { offeringId, units: '4', payer: 'org' }), 201).data
      .licenseId as string;
    const listingId = expectStatus(await hospitalAdmin.post('/v1/listings', { licenseId: resold, units: '2', askUnitPrice: '12' }), 201)
      .data.listingId as string;
    written.trade = expectStatus(await clinicAdmin.post(`/v1/listings/${listingId}/trades`, { units: '1', payer: 'org' }), 201).transaction
      .id as string;
    // A proposal the hospital's units carry, executed once its vote closes (60 s, the shortest a policy allows).
    const proposal = expectStatus(
      await labAdmin.post('/v1/proposals', {
        modelId,
        change: { kind: 'setOfferingStatus', offeringId, status: 'paused' },
        description: 'Pause the proven offering',
        votingSeconds: 60,
        proposer: 'org',
      }),
      201,
    ).data;
    proposalId = proposal.proposalId as string;
    votingEndsAt = Date.parse(proposal.votingEndsAt as string);
    expectStatus(await hospitalAdmin.post(`/v1/proposals/${proposalId}/votes`, { choice: 'yes', voter: 'org' }), 201);
    const access = await practitioner.post(`/v1/licenses/${licenseId}/accesses`, {
      purpose: 'clinical-diagnosis',
      requestHash: sha256(`proven-${tag}`),
    });
    accessTx = expectStatus(access, 201).transaction.id as string;
    // One more block after the access's, so that its header hash is chained; then wait until the regulator's peer has both.
    const after = expectStatus(
      await practitioner.post(`/v1/licenses/${licenseId}/accesses`, { purpose: 'clinical-diagnosis', requestHash: sha256(`after-${tag}`) }),
      201,
    );
    const needed = BigInt(after.transaction.blockNumber as string) + 1n;
    for (let i = 0; i < 100 && BigInt(await channelHeight('regulator', plan.channel)) < needed; i++) await sleep(200);
  });

  afterAll(async () => {
    await api?.stop();
  });

  it('proves a practitioner’s access to the regulator: the block’s hashes, the call, its writes, and the record’s bytes', async () => {
    proof = expectStatus(await auditor.get(`/v1/audit/proofs/${accessTx}`), 200);
    expect(proof.checks.map((c: Json) => [c.name, c.passed])).toEqual([
      ['dataHash', true],
      ['headerChain', true],
      ['transactionInBlock', true],
      ['valid', true],
      ['recordBytes', true],
    ]);
    expect(proof.block.computedDataHash).toBe(proof.block.dataHash);
    expect(proof.nextBlock.previousHash).toBe(proof.block.headerHash);
    expect(proof.transaction).toMatchObject({
      transactionId: accessTx,
      validationCode: 'VALID',
      valid: true,
      creator: { mspId: 'HospitalMSP' },
    });
    expect(proof.transaction.creator.subject).toContain('CN=practitioner1');
    expect(proof.transaction.chaincode.function).toMatch(/RecordAccess$/);
    expect(proof.transaction.chaincode.args).toContain(licenseId);
    // Endorsed by a majority of the members, each with its own peer.
    const endorsers = new Set(proof.transaction.endorsers.map((e: Json) => e.mspId as string));
    expect(endorsers.size).toBeGreaterThanOrEqual(3);
    expect(proof.transaction.writes.map((w: Json) => w.key)).toContain(`access/${accessTx}`);
    // The record is the one GET /v1/accesses/{id} serves.
    expect(proof.record).toMatchObject({ kind: 'access', id: accessTx, key: `access/${accessTx}` });
    expect(proof.record.value).toEqual(expectStatus(await auditor.get(`/v1/accesses/${accessTx}`), 200));
  });

  it('proves a purchase, a trade, a royalty claim, a refund and a governance execution the same way', async () => {
    // The lab refunds one access by hand, as the model owner may when its model did not deliver.
    const refunded = expectStatus(
      await practitioner.post(`/v1/licenses/${licenseId}/accesses`, {
        purpose: 'clinical-diagnosis',
        requestHash: sha256(`refunded-${tag}`),
      }),
      201,
    ).data.accessId as string;
    written.refund = expectStatus(await labAdmin.post(`/v1/accesses/${refunded}/refund`, { reason: 'the model did not answer' }), 201)
      .transaction.id as string;
    // Accruals are claimable after the chaincode's settlement lag (5 s); the vote closes after 60 s.
    await sleep(6000);
    written.claim = expectStatus(await labAdmin.post('/v1/royalty-claims', { beneficiary: 'org' }), 201).transaction.id as string;
    await sleep(Math.max(0, votingEndsAt - Date.now() + 3000));
    written.proposal = expectStatus(await labAdmin.post(`/v1/proposals/${proposalId}/execution`, {}), 201).transaction.id as string;
    // A block after the last, so that every header is chained; then the regulator's peer must hold it.
    const after = expectStatus(
      await practitioner.post(`/v1/licenses/${licenseId}/accesses`, { purpose: 'clinical-diagnosis', requestHash: sha256(`last-${tag}`) }),
      201,
    );
    const needed = BigInt(after.transaction.blockNumber as string) + 1n;
    for (let i = 0; i < 100 && BigInt(await channelHeight('regulator', plan.channel)) < needed; i++) await sleep(200);
    for (const [kind, tx] of Object.entries(written)) {
      const p = expectStatus(await auditor.get(`/v1/audit/proofs/${tx}`), 200);
      expect({ kind, checks: p.checks.filter((c: Json) => !c.passed) }).toEqual({ kind, checks: [] });
      expect({ kind, recordKind: p.record?.kind, checks: p.checks.length }).toEqual({ kind, recordKind: kind, checks: 5 });
      expect(p.transaction.writes.map((w: Json) => w.key)).toContain(p.record.key);
    }
  });

  it('lets a member prove its own org’s transactions only, and answers 404 for one the ledger does not hold', async () => {
    expectStatus(await practitioner.get(`/v1/audit/proofs/${accessTx}`), 200);
    const refused = expectError(await api.as('clinic', 'practitioner1').get(`/v1/audit/proofs/${accessTx}`), 403, 'FORBIDDEN');
    expect(refused.message).toMatch(/created by HospitalMSP/);
    expectError(await auditor.get(`/v1/audit/proofs/${'0'.repeat(64)}`), 404, 'NOT_FOUND');
  });

  it('checks offline, from the blocks Fabric’s own client fetched, and fails on a tampered record, block or chain', async () => {
    const number = proof.block.number as string;
    const block = await fetchBlock(number, 'block.pb');
    const next = await fetchBlock((BigInt(number) + 1n).toString(), 'next.pb');
    const proofFile = join(dir, 'proof.json');
    writeFileSync(proofFile, JSON.stringify(proof));
    // The orderers' copy: every check but validity, which only a peer's copy records.
    const good = await verify(proofFile, block, next);
    expect(good).toMatchObject({ code: 0 });
    expect(good.out).toContain('all 4 checks passed');
    expect(good.out).toMatch(/NOTE valid: .* the orderers' copy/);
    // The regulator's peer's own copy, validation codes and all.
    const peerCopy = await verify(proofFile, await fetchPeerBlock(number, 'peer-block.pb'), next);
    expect(peerCopy).toMatchObject({ code: 0 });
    expect(peerCopy.out).toContain("PASS valid: the peers' validation code: VALID");
    expect(peerCopy.out).toContain('all 5 checks passed');

    // The record as someone might claim it: one unit more.
    const forged = join(dir, 'forged.json');
    writeFileSync(forged, JSON.stringify({ ...proof, record: { ...proof.record, value: { ...proof.record.value, units: '2' } } }));
    const refusedRecord = await verify(forged, block, next);
    expect(refusedRecord.code).toBe(1);
    expect(refusedRecord.out).toMatch(/FAIL recordBytes/);

    // A block whose transaction bytes were changed after the orderers cut it.
    const parsed = common.Block.deserializeBinary(readFileSync(block));
    const data = parsed.getData() as common.BlockData;
    const envelopes = data.getDataList_asU8().map((d) => Uint8Array.from(d));
    const last = envelopes[0];
    last[last.length - 1] ^= 0xff;
    data.setDataList(envelopes);
    const tampered = join(dir, 'tampered.pb');
    writeFileSync(tampered, parsed.serializeBinary());
    const refusedBlock = await verify(proofFile, tampered, next);
    expect(refusedBlock.code).toBe(1);
    expect(refusedBlock.out).toMatch(/FAIL dataHash/);

    // A "next" block that is not the next one.
    const other = await fetchBlock('1', 'other.pb');
    const refusedChain = await verify(proofFile, block, other);
    expect(refusedChain.code).toBe(1);
    expect(refusedChain.out).toMatch(/FAIL headerChain/);
  });
});
