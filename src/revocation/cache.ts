/**
 * Caches of the revocation stage. Memory: verified answers keyed by
 * issuer+serial (OCSP) or URL (CRL), each kept until its nextUpdate and never
 * past it. Disk (optional): the raw DER response or CRL, written atomically
 * (temporary file + rename) under a size bound; what is read back is
 * re-verified from scratch, so the disk cache is never trusted.
 * {@link InFlight} makes concurrent checks of the same key share one request.
 */
import { replaceFileAtomically } from '../files';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';

/** An entry valid until `expires`. */
interface Timed<T> {
  readonly value: T;
  readonly expires: Date;
}

/** Most entries a memory cache keeps; the oldest inserted go first. */
const MAX_MEMORY_ENTRIES = 10_000;

/** A memory cache whose entries expire at their own nextUpdate. */
export class ExpiringCache<T> {
  private readonly map = new Map<string, Timed<T>>();

  /** The value for `key` if it is still valid at `now`. */
  get(key: string, now: Date): T | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (now > hit.expires) {
      this.map.delete(key);
      return undefined;
    }
    return hit.value;
  }

  /** Stores `value` until `expires`. */
  set(key: string, value: T, expires: Date): void {
    this.map.delete(key);
    if (this.map.size >= MAX_MEMORY_ENTRIES) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(key, { value, expires });
  }

  /** Forgets everything. */
  clear(): void {
    this.map.clear();
  }
}

/** Shares one pending promise per key between concurrent callers. */
export class InFlight<T> {
  private readonly pending = new Map<string, Promise<T>>();

  /** Runs `start` unless a run for `key` is pending, then returns that run's promise. */
  run(key: string, start: () => Promise<T>): Promise<T> {
    const existing = this.pending.get(key);
    if (existing) return existing;
    const promise = start().finally(() => this.pending.delete(key));
    this.pending.set(key, promise);
    return promise;
  }
}

/**
 * Raw DER files under `dir/<kind>/<sha256(key)>.der`. Failures to read or
 * write are swallowed: the cache is an optimisation, and the network (or
 * `unknown`) is the fallback.
 */
export class DiskCache {
  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  private file(kind: 'ocsp' | 'crl', key: string): string {
    return path.join(this.dir, kind, `${createHash('sha256').update(key).digest('hex')}.der`);
  }

  /** The stored bytes for `key`, or undefined. */
  async read(kind: 'ocsp' | 'crl', key: string, maxBytes: number): Promise<Uint8Array | undefined> {
    const file = this.file(kind, key);
    try {
      const info = await stat(file);
      if (!info.isFile() || info.size > maxBytes) return undefined;
      return await readFile(file);
    } catch {
      return undefined;
    }
  }

  /** Stores `bytes` for `key` atomically, then trims the cache to its size bound. */
  async write(kind: 'ocsp' | 'crl', key: string, bytes: Uint8Array): Promise<void> {
    if (bytes.byteLength > this.maxBytes) return;
    const file = this.file(kind, key);
    try {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await replaceFileAtomically(file, bytes, { mode: 0o600 });
      await this.trim();
    } catch {
      // A cache that cannot be written only costs a later refetch.
    }
  }

  /** Deletes the least recently written files until the total fits `maxBytes`. */
  private async trim(): Promise<void> {
    const files: { file: string; size: number; mtime: number }[] = [];
    for (const kind of ['ocsp', 'crl']) {
      const sub = path.join(this.dir, kind);
      const names = await readdir(sub).catch(() => [] as string[]);
      for (const name of names) {
        if (!name.endsWith('.der')) continue;
        const info = await stat(path.join(sub, name)).catch(() => undefined);
        if (info?.isFile())
          files.push({ file: path.join(sub, name), size: info.size, mtime: info.mtimeMs });
      }
    }
    let total = files.reduce((n, f) => n + f.size, 0);
    files.sort((a, b) => a.mtime - b.mtime);
    for (const f of files) {
      if (total <= this.maxBytes) break;
      await rm(f.file, { force: true }).catch(() => undefined);
      total -= f.size;
    }
  }
}
