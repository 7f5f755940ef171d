/**
 * Who may do what is decided by the `role` attribute a member org's CA
 * writes into each certificate. The chaincode, the gateway and the network
 * scripts all read the roles from here.
 */

/** The certificate attribute that carries a caller's role. */
export const ROLE_ATTRIBUTE = 'role';

/** Roles a certificate's `role` attribute may carry. */
export const Role = {
  admin: 'admin',
  engineer: 'engineer',
  practitioner: 'practitioner',
  issuer: 'issuer',
  regulator: 'regulator',
} as const;

/** One of the known roles. */
export type Role = (typeof Role)[keyof typeof Role];

/** Every role, in declaration order. */
export const ROLES: readonly Role[] = Object.values(Role);
