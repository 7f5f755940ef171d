/**
 * The block checks a proof rests on (src/proof/block.ts), on blocks built
 * here: the header's DER bytes against OpenSSL's own encoder, the data hash
 * and the header chain passing on honest blocks and failing on tampered ones,
 * and a transaction found by id with the peers' validation code.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { common, msp, peer } from '@hyperledger/fabric-protos';
import { blockHashes, headerBytes, headerHash, proofChecks, transactionInBlock } from '../src/proof/block';

const cert = readFileSync(join(__dirname, 'fixtures', 'member-cert.pem'));

/** OpenSSL's DER for the header fields, from an asn1parse generator config. */
function opensslHeader(number: number, previous: Buffer, data: Buffer): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'mll-der-'));
  writeFileSync(
    join(dir, 'header.cnf'),
    `asn1=SEQUENCE:header\n[header]\nnumber=INTEGER:${number}\nprevious=FORMAT:HEX,OCTETSTRING:${previous.toString('hex')}\ndata=FORMAT:HEX,OCTETSTRING:${data.toString('hex')}\n`,
  );
  execFileSync('openssl', ['asn1parse', '-genconf', join(dir, 'header.cnf'), '-out', join(dir, 'header.der'), '-noout']);
  return readFileSync(join(dir, 'header.der'));
}

function header(number: number, previous: Uint8Array, data: Uint8Array): common.BlockHeader {
  const h = new common.BlockHeader();
  h.setNumber(number);
  h.setPreviousHash(previous);
  h.setDataHash(data);
  return h;
}

/** An envelope of a configuration-type transaction with TXID, created by the fixture's member. */
function envelope(txId: string): Uint8Array {
  const channelHeader = new common.ChannelHeader();
  channelHeader.setTxId(txId);
  channelHeader.setType(common.HeaderType.CONFIG);
  const creator = new msp.SerializedIdentity();
  creator.setMspid('HospitalMSP');
  creator.setIdBytes(cert);
  const signatureHeader = new common.SignatureHeader();
  signatureHeader.setCreator(creator.serializeBinary());
  const h = new common.Header();
  h.setChannelHeader(channelHeader.serializeBinary());
  h.setSignatureHeader(signatureHeader.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(h);
  const env = new common.Envelope();
  env.setPayload(payload.serializeBinary());
  env.setSignature(randomBytes(70));
  return env.serializeBinary();
}

/** A block of envelopes for TXIDS, its data hash computed as an orderer does, its validation codes in the metadata. */
function block(number: number, previous: Uint8Array, txIds: string[], codes: number[]): common.Block {
  const envelopes = txIds.map(envelope);
  const data = new common.BlockData();
  data.setDataList(envelopes);
  const b = new common.Block();
  b.setHeader(header(number, previous, createHash('sha256').update(Buffer.concat(envelopes)).digest()));
  b.setData(data);
  const metadata = new common.BlockMetadata();
  metadata.setMetadataList([new Uint8Array(), new Uint8Array(), Uint8Array.from(codes), new Uint8Array(), new Uint8Array()]);
  b.setMetadata(metadata);
  return b;
}

describe('the block checks of a proof', () => {
  it('encode the header exactly as OpenSSL does, whatever the block number', () => {
    for (const number of [0, 1, 127, 128, 255, 256, 65_535, 8_388_608, 2 ** 40]) {
      const previous = randomBytes(32);
      const data = randomBytes(32);
      expect(headerBytes(header(number, previous, data)).toString('hex')).toBe(opensslHeader(number, previous, data).toString('hex'));
    }
  });

  it('pass on an honest block and its successor, and find the transaction with its validation code', () => {
    const first = block(7, randomBytes(32), ['tx-a', 'tx-b'], [peer.TxValidationCode.VALID, peer.TxValidationCode.MVCC_READ_CONFLICT]);
    const second = block(8, headerHash(first.getHeader() as common.BlockHeader), ['tx-c'], [peer.TxValidationCode.VALID]);
    expect(proofChecks(first, second, 'tx-a').map((c) => [c.name, c.passed])).toEqual([
      ['dataHash', true],
      ['headerChain', true],
      ['transactionInBlock', true],
      ['valid', true],
    ]);
    expect(transactionInBlock(first, 'tx-b')).toMatchObject({
      index: 1,
      validationCode: 'MVCC_READ_CONFLICT',
      valid: false,
      creator: { mspId: 'HospitalMSP' },
    });
    expect(transactionInBlock(first, 'tx-b')?.creator.subject).toMatch(/CN=/);
    expect(proofChecks(first, second, 'tx-b').find((c) => c.name === 'valid')?.passed).toBe(false);
    expect(proofChecks(first, second, 'tx-z').find((c) => c.name === 'transactionInBlock')?.passed).toBe(false);
  });

  it('fail on a block whose transactions changed, on a successor that names another block, and on the newest block', () => {
    const first = block(7, randomBytes(32), ['tx-a'], [peer.TxValidationCode.VALID]);
    const second = block(8, headerHash(first.getHeader() as common.BlockHeader), ['tx-c'], [peer.TxValidationCode.VALID]);
    const data = first.getData() as common.BlockData;
    data.setDataList([envelope('tx-a'), ...data.getDataList_asU8().slice(1)]);
    expect(blockHashes(first).computedDataHash).not.toBe(blockHashes(first).dataHash);
    expect(proofChecks(first, second, 'tx-a').find((c) => c.name === 'dataHash')?.passed).toBe(false);

    const stranger = block(8, randomBytes(32), ['tx-c'], [peer.TxValidationCode.VALID]);
    expect(proofChecks(first, stranger, 'tx-a').find((c) => c.name === 'headerChain')?.passed).toBe(false);
    // The orderers' copy of a block carries no validation codes: validity is not checked on it.
    const ordererCopy = block(9, randomBytes(32), ['tx-d'], []);
    expect(transactionInBlock(ordererCopy, 'tx-d')?.validationCode).toBe('NOT_RECORDED');
    expect(proofChecks(ordererCopy, undefined, 'tx-d').map((c) => c.name)).toEqual(['dataHash', 'headerChain', 'transactionInBlock']);
    expect(proofChecks(first, undefined, 'tx-a').find((c) => c.name === 'headerChain')).toMatchObject({
      passed: false,
      detail: expect.stringMatching(/newest/),
    });
  });
});
