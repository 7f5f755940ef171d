/**
 * Chaincode entry point. `fabric-chaincode-node server` loads this module
 * and serves the contracts below; the first is the default contract.
 */
import { AuditContract } from './contracts/audit';
import { GovernanceContract } from './contracts/governance';
import { LicenseContract } from './contracts/license';
import { MarketContract } from './contracts/market';
import { MemberContract } from './contracts/member';
import { ModelContract } from './contracts/model';
import { OfferingContract } from './contracts/offering';
import { RoyaltyContract } from './contracts/royalty';
import { TokenContract } from './contracts/token';

export {
  AuditContract,
  GovernanceContract,
  LicenseContract,
  MarketContract,
  MemberContract,
  ModelContract,
  OfferingContract,
  RoyaltyContract,
  TokenContract,
};

/**
 * The contracts this chaincode serves, one per aggregate. The benchmark's
 * blind write is not among them: it ships only in the benchmark build
 * (`chaincode/bench`, deployed by `MLL_CHAINCODE_BENCH=1 scripts/network.sh up`),
 * so no member can call it on a production channel.
 */
export const contracts: (
  | typeof ModelContract
  | typeof OfferingContract
  | typeof TokenContract
  | typeof LicenseContract
  | typeof RoyaltyContract
  | typeof AuditContract
  | typeof MarketContract
  | typeof GovernanceContract
  | typeof MemberContract
)[] = [
  ModelContract,
  OfferingContract,
  TokenContract,
  LicenseContract,
  RoyaltyContract,
  AuditContract,
  MarketContract,
  GovernanceContract,
  MemberContract,
];
