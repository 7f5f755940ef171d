/**
 * The certificates a network's runtime folder holds, and how long each has
 * left: what `scripts/network.sh certs` lists and `status` sums up per org,
 * so that an operator renews a certificate before it expires.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** What a certificate is for. */
export type CertificateUse = 'signing' | 'tls' | 'ca' | 'ca-tls';

/** One certificate of one org's node, user or CA. */
export interface CertificateInfo {
  /** The org's folder name (`orderer` for the ordering org). */
  readonly org: string;
  /** The node or user it belongs to (`peer0`, `admin`, `registrar`), or `ca` for the CA's own. */
  readonly holder: string;
  readonly use: CertificateUse;
  /** Its subject's common name. */
  readonly subject: string;
  /** ISO time it expires. */
  readonly notAfter: string;
  /** Whole days from `now` to its expiry; negative once expired. */
  readonly daysLeft: number;
  /** Relative to the runtime folder. */
  readonly path: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function subdirs(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
}

/**
 * Every certificate under `runtimeDir` that a node, user or CA presents: the
 * signing and TLS certificates of each org's nodes and users
 * (`crypto/<org>/{nodes,users}/<name>/{msp/signcerts,tls}/cert.pem`), the CA
 * registrar's, and each CA's own root and TLS certificates
 * (`ca/<org>/{ca-cert,tls-cert}.pem`). Copies of CA roots inside MSP folders
 * are the same certificates and are left out. Soonest expiry first.
 */
export function certificates(runtimeDir: string, now: Date = new Date()): CertificateInfo[] {
  const found: CertificateInfo[] = [];
  const add = (org: string, holder: string, use: CertificateUse, file: string): void => {
    if (!existsSync(file)) return;
    const cert = new X509Certificate(readFileSync(file));
    const notAfter = new Date(cert.validTo);
    found.push({
      org,
      holder,
      use,
      subject: /CN=([^\n,]+)/.exec(cert.subject)?.[1] ?? cert.subject,
      notAfter: notAfter.toISOString(),
      daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS),
      path: relative(runtimeDir, file),
    });
  };
  const crypto = join(runtimeDir, 'crypto');
  for (const org of subdirs(crypto)) {
    for (const group of ['nodes', 'users']) {
      for (const name of subdirs(join(crypto, org, group))) {
        add(org, name, 'signing', join(crypto, org, group, name, 'msp', 'signcerts', 'cert.pem'));
        add(org, name, 'tls', join(crypto, org, group, name, 'tls', 'cert.pem'));
      }
    }
  }
  const cas = join(runtimeDir, 'ca');
  for (const org of subdirs(cas)) {
    add(org, 'ca', 'ca', join(cas, org, 'ca-cert.pem'));
    add(org, 'ca', 'ca-tls', join(cas, org, 'tls-cert.pem'));
    add(org, 'registrar', 'signing', join(cas, org, 'registrar', 'msp', 'signcerts', 'cert.pem'));
  }
  return found.sort((a, b) => a.notAfter.localeCompare(b.notAfter) || a.org.localeCompare(b.org) || a.path.localeCompare(b.path));
}
