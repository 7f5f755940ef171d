/**
 * The documents stored on the ledger. Their shapes are part of the contract
 * with every client, so they are declared once, in `@model-ledger/contract`.
 */
export type * from '@model-ledger/contract';
