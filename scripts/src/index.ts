/**
 * The network layer's types and functions: the topology and its validation,
 * the resolved plan every consumer reads, and what `up` renders from it.
 */
export * from './topology';
export * from './plan';
export { chaincodeServerEnv, CHAINCODE_LOG_LEVELS, configtx, ordererEnv, peerEnv, render } from './render';
export type { NodeEnv } from './render';
export { certificates } from './certs';
export type { CertificateInfo, CertificateUse } from './certs';
export { compose } from './compose';
export { chaincodeLabel, deployChaincode, LifecycleError, packageChaincode } from './lifecycle';
export type { Deployed, LifecycleEnv } from './lifecycle';
export { caAttrs, MAX_BULK_USERS, newUser, newUsers, recordUser, recordUsers, UserRequestError } from './users';
export type { NewUser } from './users';
export {
  API_JOB,
  fabricJob,
  prometheusConfig,
  prometheusConfigFile,
  SCRAPE_INTERVAL,
  SCRAPE_TIMEOUT,
  writePrometheusConfig,
} from './monitoring';
export type { Component, PrometheusConfig, ScrapeConfig, StaticConfig, TargetLabels } from './monitoring';
