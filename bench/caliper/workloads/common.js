'use strict';
/**
 * What both workloads share: the hospital callers, taken in turn, and one
 * submit through Caliper's Fabric connector (endorse, submit, wait for the
 * commit status; an invalidated transaction counts as failed).
 *
 * Round arguments (all optional):
 *   mspId      the callers' MSP (default HospitalMSP)
 *   invokers   identity names in the network configuration (default practitioner1, practitioner2)
 *   contractId the chaincode (default $MLL_CALIPER_CONTRACT, else licensing)
 */
const { WorkloadModuleBase } = require('@hyperledger/caliper-core');

class HospitalSubmitWorkload extends WorkloadModuleBase {
    async initializeWorkloadModule(workerIndex, totalWorkers, roundIndex, roundArguments, sutAdapter, sutContext) {
        await super.initializeWorkloadModule(workerIndex, totalWorkers, roundIndex, roundArguments, sutAdapter, sutContext);
        const args = roundArguments || {};
        this.mspId = args.mspId || 'HospitalMSP';
        this.invokers = Array.isArray(args.invokers) && args.invokers.length > 0 ? args.invokers.map(String) : ['practitioner1', 'practitioner2'];
        this.contractId = args.contractId || process.env.MLL_CALIPER_CONTRACT || 'licensing';
        /** Calls this worker has issued in this round. */
        this.issued = 0;
    }

    /**
     * Sends one transaction. It must be called without an await before it in
     * submitTransaction: the connector counts the call as submitted when
     * sendRequests starts, and the fixed-load controller reads that count.
     * @param {string} contractFunction Contract:Function
     * @param {string[]} contractArguments string arguments
     * @param {number} n this worker's sequence number of the call
     * @return {Promise<object>} Caliper's TxStatus
     */
    submit(contractFunction, contractArguments, n) {
        return this.sutAdapter.sendRequests({
            contractId: this.contractId,
            contractFunction,
            contractArguments,
            invokerMspId: this.mspId,
            invokerIdentity: this.invokers[n % this.invokers.length],
            readOnly: false,
        });
    }
}

module.exports = { HospitalSubmitWorkload };
