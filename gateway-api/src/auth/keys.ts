/**
 * API keys of one org, stored hashed in a JSON file readable only by its
 * owner. A key reads `mll_<id>_<secret>`: the id finds the entry, and the
 * sha256 of the secret must match. Secrets are 256 random bits, so a fast
 * hash is enough: there is nothing to brute-force.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One issued key, as stored. */
export interface StoredKey {
  readonly id: string;
  /** The enrolled Fabric user of this org that the key signs as. */
  readonly user: string;
  /** sha256 of the secret, hex. */
  readonly sha256: string;
  readonly createdAt: string;
}

interface KeyFile {
  readonly version: 1;
  readonly org: string;
  readonly keys: readonly StoredKey[];
}

const KEY_FORMAT = /^mll_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

const digest = (secret: string): Buffer => createHash('sha256').update(secret).digest();

export class KeyStore {
  private cached: { mtimeMs: number; file: KeyFile } | undefined;

  constructor(
    readonly path: string,
    readonly org: string,
  ) {}

  /**
   * Issues a new key for `user` and returns it. Only its hash is stored, so
   * this is the one time the key can be seen.
   */
  issue(user: string, now: Date = new Date()): { key: string; id: string } {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const entry: StoredKey = { id, user, sha256: digest(secret).toString('hex'), createdAt: now.toISOString() };
    this.write({ version: 1, org: this.org, keys: [...this.read().keys, entry] });
    return { key: `mll_${id}_${secret}`, id };
  }

  /** Removes a key; returns whether it existed. */
  revoke(id: string): boolean {
    const file = this.read();
    const keys = file.keys.filter((k) => k.id !== id);
    this.write({ ...file, keys });
    return keys.length !== file.keys.length;
  }

  list(): readonly StoredKey[] {
    return this.read().keys;
  }

  /** The entry a presented key belongs to, or undefined for any unknown or malformed key. */
  verify(presented: string): StoredKey | undefined {
    const match = KEY_FORMAT.exec(presented);
    if (match === null) {
      return undefined;
    }
    const entry = this.read().keys.find((k) => k.id === match[1]);
    if (entry === undefined) {
      return undefined;
    }
    return timingSafeEqual(digest(match[2]), Buffer.from(entry.sha256, 'hex')) ? entry : undefined;
  }

  /** Reads the file, again only when it changed, so keys issued by the CLI apply at once. */
  private read(): KeyFile {
    if (!existsSync(this.path)) {
      return { version: 1, org: this.org, keys: [] };
    }
    const { mtimeMs } = statSync(this.path);
    if (this.cached === undefined || this.cached.mtimeMs !== mtimeMs) {
      const file = JSON.parse(readFileSync(this.path, 'utf8')) as KeyFile;
      if (file.org !== this.org) {
        throw new Error(`${this.path} holds the keys of org ${file.org}, not ${this.org}`);
      }
      this.cached = { mtimeMs, file };
    }
    return this.cached.file;
  }

  private write(file: KeyFile): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, this.path);
    this.cached = undefined;
  }
}
