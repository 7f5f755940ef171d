/**
 * The benchmark build of the chaincode: every production contract plus
 * `BaselineContract`, the blind write `npm run bench` measures the network's
 * own limit with. The production build (`src/`) never compiles this folder;
 * `scripts/network.sh up` serves it only when `MLL_CHAINCODE_BENCH=1`.
 */
import { contracts as production } from '../src';
import { BaselineContract } from './baseline';

export * from '../src';
export { BaselineContract };

/** The production contracts and the baseline write. */
export const contracts = [...production, BaselineContract];
