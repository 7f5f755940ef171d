'use strict';
/**
 * What both workloads share: the hospital callers, taken in turn, and one
 * submit through Caliper's Fabric connector (endorse, submit, wait for the
 * commit status; an invalidated transaction counts as failed).
 *
 * The contract, the transaction and its arguments in the chaincode's order
 * come from the typed clients of @model-ledger/contract (the repository's
 * contract package, built into contract/dist), as for `npm run bench`: a
 * workload calls a client method on a transport that records the call
 * instead of sending it, and hands the call to Caliper.
 *
 * Round arguments (all optional):
 *   mspId      the callers' MSP (default HospitalMSP)
 *   invokers   identity names in the network configuration (default practitioner1, practitioner2)
 *   contractId the chaincode (default $MLL_CALIPER_CONTRACT, else licensing)
 */
const { WorkloadModuleBase } = require('@hyperledger/caliper-core');
const { LedgerClient } = require('@model-ledger/contract');

/**
 * The typed clients over a transport that records each call and sends
 * nothing. A client method hands its call to the transport before its first
 * await, so the call is known as soon as the method returns; the promise the
 * method returns never settles and is dropped.
 */
class CallRecorder {
  constructor() {
    this.last = undefined;
    const record = (call) => {
      this.last = call;
      return new Promise(() => {});
    };
    this.ledger = new LedgerClient({ evaluate: record, submit: record });
  }

  /**
   * The call a typed client method makes.
   * @param {function(LedgerClient): Promise<unknown>} use calls one client method, e.g. (ledger) => ledger.baseline.put(value)
   * @return {{contract: string, transaction: string, args: string[]}} the Call
   */
  callOf(use) {
    this.last = undefined;
    use(this.ledger);
    const call = this.last;
    this.last = undefined;
    if (call === undefined) {
      throw new Error('the client method made no call');
    }
    return call;
  }
}

/**
 * Caliper's request fields for a call: the Fabric contract API dispatches a
 * function named `Contract:Transaction` to that contract of the chaincode.
 * @param {{contract: string, transaction: string, args: readonly string[]}} call a Call of the typed clients
 * @return {{contractFunction: string, contractArguments: string[]}} the fields of sendRequests
 */
function requestOf(call) {
  return { contractFunction: `${call.contract}:${call.transaction}`, contractArguments: [...call.args] };
}

class HospitalSubmitWorkload extends WorkloadModuleBase {
  async initializeWorkloadModule(workerIndex, totalWorkers, roundIndex, roundArguments, sutAdapter, sutContext) {
    await super.initializeWorkloadModule(workerIndex, totalWorkers, roundIndex, roundArguments, sutAdapter, sutContext);
    const args = roundArguments || {};
    this.mspId = args.mspId || 'HospitalMSP';
    this.invokers =
      Array.isArray(args.invokers) && args.invokers.length > 0 ? args.invokers.map(String) : ['practitioner1', 'practitioner2'];
    this.contractId = args.contractId || process.env.MLL_CALIPER_CONTRACT || 'licensing';
    this.calls = new CallRecorder();
    /** Calls this worker has issued in this round. */
    this.issued = 0;
  }

  /**
   * Sends one write of the typed clients. It must be called without an
   * await before it in submitTransaction: the connector counts the call as
   * submitted when sendRequests starts, and the fixed-load controller reads
   * that count.
   * @param {function(LedgerClient): Promise<unknown>} use calls one client method with the call's arguments
   * @param {number} n this worker's sequence number of the call
   * @return {Promise<object>} Caliper's TxStatus
   */
  submit(use, n) {
    return this.sutAdapter.sendRequests({
      contractId: this.contractId,
      ...requestOf(this.calls.callOf(use)),
      invokerMspId: this.mspId,
      invokerIdentity: this.invokers[n % this.invokers.length],
      readOnly: false,
    });
  }
}

module.exports = { HospitalSubmitWorkload, CallRecorder, requestOf };
