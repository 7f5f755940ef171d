import { Context, Contract } from 'fabric-contract-api';
import { ChaincodeError, ErrorCode } from '../errors';

/**
 * What every contract of this chaincode shares: a call to a transaction the
 * contract does not have fails with a stable code, like every other error,
 * instead of the contract API's free-text message.
 */
export abstract class LedgerContract extends Contract {
  override unknownTransaction(ctx: Context): Promise<void> {
    const { fcn } = ctx.stub.getFunctionAndParameters();
    const name = fcn.includes(':') ? fcn.slice(fcn.indexOf(':') + 1) : fcn;
    return Promise.reject(
      new ChaincodeError(
        ErrorCode.NOT_FOUND,
        `${this.getName()} has no transaction ${name}; see chaincode/README.md for the transactions it has`,
      ),
    );
  }
}
