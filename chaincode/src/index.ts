/**
 * Chaincode entry point. `fabric-chaincode-node server` loads this module
 * and serves the contracts below; the first is the default contract.
 */
import { AuditContract } from './contracts/audit';
import { BaselineContract } from './contracts/baseline';
import { GovernanceContract } from './contracts/governance';
import { LicenseContract } from './contracts/license';
import { MarketContract } from './contracts/market';
import { ModelContract } from './contracts/model';
import { OfferingContract } from './contracts/offering';
import { RoyaltyContract } from './contracts/royalty';
import { TokenContract } from './contracts/token';

export {
  AuditContract,
  BaselineContract,
  GovernanceContract,
  LicenseContract,
  MarketContract,
  ModelContract,
  OfferingContract,
  RoyaltyContract,
  TokenContract,
};

/** The contracts this chaincode serves, one per aggregate. */
export const contracts: (
  | typeof ModelContract
  | typeof OfferingContract
  | typeof TokenContract
  | typeof LicenseContract
  | typeof RoyaltyContract
  | typeof AuditContract
  | typeof MarketContract
  | typeof GovernanceContract
  | typeof BaselineContract
)[] = [
  ModelContract,
  OfferingContract,
  TokenContract,
  LicenseContract,
  RoyaltyContract,
  AuditContract,
  MarketContract,
  GovernanceContract,
  BaselineContract,
];
