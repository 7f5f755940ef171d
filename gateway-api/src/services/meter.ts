/**
 * How this instance records accesses: alone when it is idle, in batches
 * under load (issue 17).
 *
 * An access that arrives while no other is being recorded goes at once, as
 * `RecordAccess`: at low load nothing waits and nothing changes. One that
 * arrives while others are in flight, on a licence whose frozen terms allow
 * batching, joins a queue that is sent as one `RecordAccessBatch` after a
 * short window, or as soon as it holds `maxBatch` accesses, with at most
 * `maxBatches` batches in flight. Each access in a batch carries its caller's
 * certificate and the caller's own signature over the request, which the
 * chaincode checks against the org's CA roots on the ledger: the gateway
 * carries the accesses, it cannot make them up. A batch the ledger
 * invalidated (a read conflict) wrote nothing and is sent again as a new
 * transaction, and one whose fate is unknown is sent again as the same
 * transaction (`fabric/writes.ts`), so neither charges twice. An access with
 * an Idempotency-Key carries it as its request id: a client's retry gets the
 * first answer whichever way it was recorded.
 */
import {
  ACCESS_REQUEST_KIND,
  accessRequestBytes,
  batchReceipts,
  LicenseClient,
  type AccessBatchInput,
  type AccessRecord,
  type AccessRequest,
  type BatchReceipt,
  type BatchResult,
  type Written,
} from '@model-ledger/contract';
import type { Logger } from 'pino';
import { ApiError, type Code } from '../errors';
import type { Config } from '../config';
import type { Session } from '../fabric/ledger';
import type { LotHints } from './lot-hints';

/** One access to record, as `RecordAccess` takes it. */
export interface AccessCall {
  readonly licenseId: string;
  readonly units: string;
  readonly purpose: string;
  readonly requestHash: string;
  /** The artifact the serving endpoint reported, checked against the active version (ARTIFACT_MISMATCH). */
  readonly servedArtifactSha256?: string;
  readonly requestId?: string;
}

/** A recorded access, with its Merkle receipt when it was recorded in a batch. */
export interface MeteredAccess extends Written<AccessRecord> {
  readonly receipt?: BatchReceipt;
}

/**
 * What the meter needs to know of a licence, which never changes: whether
 * its frozen terms let its accesses be batched, and how many units each of
 * its lots held at purchase (how far a batch's draw reaches from its start lot).
 */
export type MeteringLookup = (session: Session, licenseId: string) => Promise<{ readonly batchable: boolean; readonly lotUnits: number }>;

interface Pending {
  readonly session: Session;
  readonly call: AccessCall;
  /** Units each lot of the licence held at purchase. */
  readonly lotUnits: number;
  /** What `resolve` and `reject` settle. */
  readonly answer: Promise<MeteredAccess>;
  resolve(access: MeteredAccess): void;
  reject(err: unknown): void;
}

/** Whether two calls ask for the same access (a retry); the same request id for another is the chaincode's CONFLICT. */
function sameCall(a: AccessCall, b: AccessCall): boolean {
  return (
    a.licenseId === b.licenseId &&
    a.units === b.units &&
    a.purpose === b.purpose &&
    a.requestHash === b.requestHash &&
    a.servedArtifactSha256 === b.servedArtifactSha256
  );
}

/** Refusals that say the batch path is closed to this access, not that the access is refused: it is recorded alone instead. */
const FALL_BACK: readonly string[] = ['BATCH_NOT_PERMITTED', 'CERTIFICATE_UNTRUSTED'];

/** Licences whose metering this instance remembers (terms are frozen, so it never changes). */
const METERING_CACHE = 10_000;

export class Meter {
  /** Accesses being recorded now, alone or queued or batched. */
  private inFlight = 0;
  private batchesInFlight = 0;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly licences = new Map<string, Promise<{ readonly batchable: boolean; readonly lotUnits: number }>>();

  constructor(
    private readonly settings: Config['metering'],
    private readonly hints: LotHints,
    private readonly log: Pick<Logger, 'info' | 'warn'>,
    /** Told of each batch that committed: its size, and the accesses it recorded (the instance's metrics). */
    private readonly onBatch: (size: number, recorded: readonly AccessRecord[]) => void = () => undefined,
    private readonly lookup: MeteringLookup = async (session, licenseId) => {
      const view = await new LicenseClient(session).getLicense(licenseId);
      return { batchable: view.terms.metering === 'batch', lotUnits: Number(view.license.units) / view.license.lotCount };
    },
  ) {}

  /**
   * Records one access of `session`'s user, alone or batched (see the
   * module's comment); `mayBatch` is the licence's metering when the caller
   * already knows it (the inference path's entitlement check says).
   *
   * @throws ApiError the chaincode's refusal of this access (FORBIDDEN, INSUFFICIENT_UNITS, …), or the ledger's.
   */
  async record(session: Session, call: AccessCall, mayBatch?: boolean): Promise<MeteredAccess> {
    if (!this.settings.batching || this.inFlight === 0) {
      return this.single(session, call);
    }
    this.inFlight += 1;
    let licence: { readonly batchable: boolean; readonly lotUnits: number };
    try {
      licence = await this.licenceOf(session, call.licenseId);
    } catch (err) {
      this.inFlight -= 1;
      throw err;
    }
    if (!(mayBatch ?? licence.batchable)) {
      this.inFlight -= 1;
      return this.single(session, call);
    }
    // The same caller's same request id already waiting (a client retrying at once): one access, answered to both.
    const twin =
      call.requestId === undefined
        ? undefined
        : this.queue.find(
            (p) => p.call.requestId === call.requestId && p.session.user.name === session.user.name && sameCall(p.call, call),
          );
    if (twin !== undefined) {
      this.inFlight -= 1;
      return twin.answer.then((access) => ({ ...access, replayed: true }));
    }
    let settle!: Pick<Pending, 'resolve' | 'reject'>;
    const answer = new Promise<MeteredAccess>((resolve, reject) => {
      settle = { resolve, reject };
    });
    const pending: Pending = { session, call, lotUnits: licence.lotUnits, answer, ...settle };
    this.queue.push(pending);
    if (this.queue.length >= this.settings.maxBatch) {
      this.flush();
    } else {
      this.timer ??= setTimeout(() => this.flush(), this.settings.windowMs);
    }
    return answer;
  }

  /** The licence's metering and lot size, asked of the ledger once however many accesses wait for it; a failed read is not kept. */
  private licenceOf(session: Session, licenseId: string): Promise<{ readonly batchable: boolean; readonly lotUnits: number }> {
    let known = this.licences.get(licenseId);
    if (known === undefined) {
      if (this.licences.size >= METERING_CACHE) {
        this.licences.clear();
      }
      known = this.lookup(session, licenseId);
      this.licences.set(licenseId, known);
      known.catch(() => this.licences.delete(licenseId));
    }
    return known;
  }

  private async single(session: Session, call: AccessCall): Promise<MeteredAccess> {
    this.inFlight += 1;
    try {
      return await new LicenseClient(session).recordAccess({ ...call, lotHint: this.hints.take(call.licenseId) });
    } finally {
      this.inFlight -= 1;
    }
  }

  /** Sends what is queued, up to a batch, if a batch may be in flight; the rest waits for the next. */
  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0 || this.batchesInFlight >= this.settings.maxBatches) {
      return;
    }
    const batch = this.queue.splice(0, this.settings.maxBatch);
    this.batchesInFlight += 1;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.batchesInFlight -= 1;
      this.inFlight -= batch.length;
      // What queued meanwhile waited for this batch already: it goes now.
      if (this.queue.length > 0) this.flush();
    };
    void this.send(batch, release).finally(release);
    if (this.queue.length > 0) {
      this.timer = setTimeout(() => this.flush(), this.settings.windowMs);
    }
  }

  /**
   * Signs every access as its caller, submits the batch as the caller whose
   * request's deadline comes first, and settles each access's promise.
   * `committed` is called once the ledger has answered, before the records
   * are read back: the next batch need not wait for that read.
   */
  private async send(batch: readonly Pending[], committed: () => void): Promise<void> {
    // Submitted by the caller whose request ends first, under its deadline: the batch keeps no caller past its own.
    const submitter = batch.reduce((first, p) =>
      (p.session.deadline ?? Infinity) < (first.session.deadline ?? Infinity) ? p : first,
    ).session;
    let result: Written<BatchResult>;
    try {
      result = await new LicenseClient(submitter).recordAccessBatch(this.batchInput(batch));
    } catch (err) {
      committed();
      for (const pending of batch) pending.reject(err);
      return;
    }
    committed();
    const { data, transactionId, blockNumber } = result;
    // The answer names each recorded access; the records, and their receipts, come from the batch's record.
    let records: readonly AccessRecord[] = [];
    let receipts: readonly BatchReceipt[] = [];
    if (data.recorded > 0) {
      try {
        const record = await new LicenseClient(submitter).getAccessBatch(transactionId);
        records = record.accesses;
        receipts = batchReceipts(record);
        this.onBatch(batch.length, records);
      } catch (err) {
        // Committed, but unreadable here: the accesses stand; each caller learns of the failure and its transaction.
        for (const [i, pending] of batch.entries()) {
          const outcome = data.outcomes.find((o) => o.index === i);
          if (outcome?.status === 'recorded') pending.reject(err);
        }
      }
    }
    for (const outcome of data.outcomes) {
      const pending = batch[outcome.index];
      if (outcome.status === 'refused') {
        if (FALL_BACK.includes(outcome.code)) {
          this.fallBack(pending, outcome.code, outcome.message);
        } else {
          pending.reject(new ApiError(outcome.code as Code, outcome.message, transactionId));
        }
        continue;
      }
      if (outcome.status === 'replayed') {
        pending.resolve({ data: outcome.access, result: new Uint8Array(), transactionId, blockNumber });
      } else if (records[outcome.position] !== undefined) {
        pending.resolve({
          data: records[outcome.position],
          result: new Uint8Array(),
          transactionId,
          blockNumber,
          receipt: receipts[outcome.position],
        });
      }
    }
  }

  /** An access the batch path could not take: recorded alone, and its licence is not batched again. */
  private fallBack(pending: Pending, code: string, message: string): void {
    if (code === 'BATCH_NOT_PERMITTED') {
      this.licences.set(pending.call.licenseId, Promise.resolve({ batchable: false, lotUnits: pending.lotUnits }));
    } else {
      this.log.warn({ code, licenseId: pending.call.licenseId }, `an access could not be batched, recorded alone instead: ${message}`);
    }
    this.single(pending.session, pending.call).then(
      (access) => pending.resolve(access),
      (err: unknown) => pending.reject(err),
    );
  }

  private batchInput(batch: readonly Pending[]): AccessBatchInput {
    const certificates: string[] = [];
    const signedAt = new Date().toISOString();
    // One start lot per licence for the whole batch: its accesses draw from that lot, then the next ones, as
    // many as their units need, and the next batch's start lot is past them, so concurrent batches share none.
    const units = new Map<string, { units: number; lotUnits: number }>();
    for (const { call, lotUnits } of batch) {
      const entry = units.get(call.licenseId) ?? { units: 0, lotUnits };
      entry.units += Number(call.units);
      units.set(call.licenseId, entry);
    }
    const lots = new Map<string, number>();
    const lotOf = (licenseId: string): number => {
      let hint = lots.get(licenseId);
      if (hint === undefined) {
        const need = units.get(licenseId) ?? { units: 1, lotUnits: 1 };
        hint = Number(this.hints.takeSpan(licenseId, Math.ceil(need.units / Math.max(1, Math.floor(need.lotUnits))) + 1));
        lots.set(licenseId, hint);
      }
      return hint;
    };
    const accesses = batch.map(({ session, call }) => {
      const certificate = Buffer.from(session.user.identity.credentials).toString('utf8');
      let index = certificates.indexOf(certificate);
      if (index < 0) index = certificates.push(certificate) - 1;
      const request: AccessRequest = {
        kind: ACCESS_REQUEST_KIND,
        mspId: session.user.mspId,
        licenseId: call.licenseId,
        units: call.units,
        purpose: call.purpose,
        requestHash: call.requestHash,
        ...(call.requestId === undefined ? {} : { requestId: call.requestId }),
        signedAt,
        ...(call.servedArtifactSha256 === undefined ? {} : { artifactSha256: call.servedArtifactSha256 }),
      };
      // As Fabric signs (ECDSA over the SHA-256 of the bytes), natively: a batch signs hundreds.
      const signature = session.user.signMessage(accessRequestBytes(request)).toString('base64');
      return { certificate: index, request, signature, lotHint: lotOf(call.licenseId) };
    });
    return { certificates, accesses };
  }
}
