import { ContractName } from '@model-ledger/contract';
import type { OrgRootRecord } from '@model-ledger/contract';
import { Context, Info, Transaction } from 'fabric-contract-api';
import { Role } from '../config';
import { ChaincodeError, ErrorCode } from '../errors';
import { Events } from '../events';
import { certificateFingerprint, isSelfSignedCa, issuedBy, parseCertificate } from '../domain/attestation';
import { requireMspId, requirePemCertificate } from '../domain/validation';
import { requireWriter } from '../ledger/authz';
import { MAX_ROOTS_PER_ORG, findRoot, rootsOf, saveRoot } from '../ledger/roots';
import { Tx } from '../ledger/tx';
import { LedgerContract } from './base';
import { result } from './result';

/**
 * Member orgs' trust anchors on the ledger. The chaincode cannot read the
 * channel's configuration, where each org's MSP lists its CA roots, yet it
 * must check the certificates of batched accesses (issue 17) against them.
 * So each org registers its roots here when it joins, and every endorser
 * checks the registration against what Fabric's MSP already validated: the
 * registering admin's own certificate, which the channel's configuration of
 * that org admitted, must be issued by the root. A member cannot register a
 * root for another org, nor a root its own channel MSP does not trust, and
 * the chaincode's majority endorsement policy covers the first write.
 */
@Info({ title: ContractName.member, description: 'Registers member orgs\u2019 CA roots for checks the chaincode makes itself' })
export class MemberContract extends LedgerContract {
  constructor() {
    super(ContractName.member);
  }

  /**
   * Registers a CA root of the caller's org: a self-signed CA certificate
   * (PEM) that issued the caller's own certificate. Role admin. Registering
   * a root already registered changes nothing and answers the record.
   * Returns the OrgRootRecord.
   *
   * @throws ChaincodeError INVALID_ARGUMENT when it is not a self-signed CA
   *   certificate; CERTIFICATE_UNTRUSTED when it did not issue the caller's
   *   certificate or has expired; CONFLICT past the roots an org may register;
   *   FORBIDDEN for anyone but an admin of a member org.
   */
  @Transaction()
  async RegisterOrgRoot(ctx: Context, certificatePem: string): Promise<string> {
    const tx = new Tx(ctx);
    const caller = tx.caller;
    requireWriter(caller, 'register a CA root of its org', [Role.admin]);
    const root = parseCertificate(requirePemCertificate('certificate', certificatePem), ErrorCode.INVALID_ARGUMENT, 'certificate');
    if (!isSelfSignedCa(root)) {
      throw new ChaincodeError(ErrorCode.INVALID_ARGUMENT, 'certificate must be a self-signed CA certificate (a root)');
    }
    const own = tx.creatorCertificate;
    if (own === '' || !issuedBy(parseCertificate(own, ErrorCode.CERTIFICATE_UNTRUSTED, "the caller's certificate"), root)) {
      throw new ChaincodeError(
        ErrorCode.CERTIFICATE_UNTRUSTED,
        `the root did not issue the caller's certificate; an admin registers only a root of ${caller.mspId} that issued its own certificate`,
      );
    }
    const now = tx.now;
    if (Date.parse(root.validTo) < Date.parse(now)) {
      throw new ChaincodeError(ErrorCode.CERTIFICATE_UNTRUSTED, `the root expired at ${root.validTo}`);
    }
    const fingerprint = certificateFingerprint(root);
    const existing = await findRoot(tx, caller.mspId, fingerprint);
    if (existing !== undefined) {
      return result(existing);
    }
    if ((await rootsOf(tx, caller.mspId)).length >= MAX_ROOTS_PER_ORG) {
      throw new ChaincodeError(ErrorCode.CONFLICT, `${caller.mspId} has registered ${MAX_ROOTS_PER_ORG} roots, the most an org may`);
    }
    const record: OrgRootRecord = {
      docType: 'orgRoot',
      mspId: caller.mspId,
      fingerprint,
      certificate: root.toString(),
      subject: root.subject.split('\n').join(', '),
      validTo: new Date(Date.parse(root.validTo)).toISOString(),
      registeredBy: caller.account,
      registeredAt: now,
      txId: tx.txId,
    };
    await saveRoot(tx, record);
    tx.emit(Events.OrgRootRegistered, record);
    return result(record);
  }

  /** Lists the CA roots registered for an org. Anyone on the channel. */
  @Transaction(false)
  async ListOrgRoots(ctx: Context, mspId: string): Promise<string> {
    const tx = new Tx(ctx);
    return result(await rootsOf(tx, requireMspId('mspId', mspId)));
  }
}
