/**
 * The chaincode's contract with its clients, declared once: the error codes,
 * the roles, the records and views the transactions return, and one typed
 * client per chaincode contract that owns the transaction names, the argument
 * order and the decoding.
 */
export * from './codes';
export * from './roles';
export * from './records';
export * from './views';
export * from './client';
export * from './canonical';
export * from './merkle';
export * from './batch';
