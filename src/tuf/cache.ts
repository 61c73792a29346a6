import { processAlive, writeNewFileSynced } from '../files';
import { createHash, randomBytes } from 'node:crypto';
import {
  constants as fsConstants,
  promises as fs,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CacheError } from '../errors';

/**
 * The client's cache directory:
 *
 * ```
 * roots/<N>.root.json   every root version (re-verified from the pin at open)
 * targets/<sha256>      target files by content hash (re-hashed on every read)
 * gens/<id>/            one complete, verified metadata generation:
 *                       timestamp.json, snapshot.json, targets.json,
 *                       delegated roles, gen.json
 * state.json            { latest, active }: which generations are current
 * lock                  refresh lock ({ pid, host, at }), stale when its pid is gone
 * tmp/                  temporary files (renamed into place)
 * ```
 *
 * Every write is a temp file + fsync + rename, so a reader sees a file whole
 * or not at all. A generation is built in tmp/ and renamed into gens/ before
 * state.json (itself renamed into place) points at it, so a process killed at
 * any moment leaves either the old or the new generation current, never a mix.
 * Nothing here is trusted: the client re-verifies every file it reads.
 */
export class TrustCache {
  private constructor(
    readonly dir: string,
    readonly writable: boolean,
    private readonly ephemeral: boolean,
  ) {}

  /** Opens (creating when possible) `dir`, or a private temp dir removed at exit when `dir` is undefined. */
  static async open(dir: string | undefined): Promise<TrustCache> {
    if (dir === undefined) {
      const tmp = mkdtempSync(path.join(os.tmpdir(), 'tuf-notary-'));
      const cache = new TrustCache(tmp, true, true);
      process.once('exit', () => cache.removeNow());
      await cache.ensureLayout();
      return cache;
    }
    const resolved = path.resolve(dir);
    let writable = true;
    try {
      await fs.mkdir(resolved, { recursive: true });
      await fs.access(resolved, fsConstants.W_OK);
      await new TrustCache(resolved, true, false).ensureLayout();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EROFS' && code !== 'EACCES' && code !== 'EPERM') {
        throw new CacheError(`cannot use cache directory ${resolved}: ${String(err)}`, {
          cause: err,
        });
      }
      writable = false;
    }
    return new TrustCache(resolved, writable, false);
  }

  private async ensureLayout(): Promise<void> {
    for (const sub of ['roots', 'targets', 'gens', 'tmp']) {
      await fs.mkdir(path.join(this.dir, sub), { recursive: true });
    }
  }

  /** Removes an ephemeral cache (in-memory client); no-op for a real cache dir. */
  removeNow(): void {
    if (this.ephemeral) rmSync(this.dir, { recursive: true, force: true });
  }

  private readIfPresent(file: string, maxLength: number): Uint8Array | undefined {
    try {
      const bytes = readFileSync(file);
      return bytes.length > maxLength ? undefined : new Uint8Array(bytes);
    } catch {
      return undefined;
    }
  }

  /** Bytes of cached root version `version`, unverified. */
  readRoot(version: number, maxLength: number): Uint8Array | undefined {
    return this.readIfPresent(path.join(this.dir, 'roots', `${version}.root.json`), maxLength);
  }

  /** Stores a (verified) root version. */
  async writeRoot(version: number, bytes: Uint8Array): Promise<void> {
    await this.writeAtomic(path.join(this.dir, 'roots', `${version}.root.json`), bytes);
  }

  /** Drops a cached root that failed verification, so it is fetched again. */
  async dropRoot(version: number): Promise<void> {
    if (!this.writable) return;
    await fs.rm(path.join(this.dir, 'roots', `${version}.root.json`), { force: true });
  }

  /** Target bytes stored under `sha256`, only when they still hash to it (else dropped). */
  async readTarget(sha256: string, length: number): Promise<Uint8Array | undefined> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    const file = path.join(this.dir, 'targets', sha256);
    const bytes = this.readIfPresent(file, length);
    if (bytes === undefined) return undefined;
    if (bytes.length === length && createHash('sha256').update(bytes).digest('hex') === sha256)
      return bytes;
    if (this.writable) await fs.rm(file, { force: true }).catch(() => undefined);
    return undefined;
  }

  /** Stores verified target bytes by content hash; best effort on a read-only cache. */
  async writeTarget(sha256: string, bytes: Uint8Array): Promise<void> {
    if (!this.writable || !/^[0-9a-f]{64}$/.test(sha256)) return;
    await this.writeAtomic(path.join(this.dir, 'targets', sha256), bytes).catch(() => undefined);
  }

  /** The current `{ latest, active }` generation ids, if any. */
  readState(): CacheState | undefined {
    const bytes = this.readIfPresent(path.join(this.dir, 'state.json'), 4096);
    if (bytes === undefined) return undefined;
    try {
      const state = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<CacheState>;
      if (isGenId(state.latest) && isGenId(state.active))
        return { latest: state.latest, active: state.active };
    } catch {
      // a damaged state file is the same as none: the next refresh rewrites it
    }
    return undefined;
  }

  /** The files of generation `id` (metadata by file name, plus gen.json), unverified. */
  readGeneration(id: string, maxLength: number): Map<string, Uint8Array> | undefined {
    if (!isGenId(id)) return undefined;
    const dir = path.join(this.dir, 'gens', id);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return undefined;
    }
    const files = new Map<string, Uint8Array>();
    for (const name of names.slice(0, 1024)) {
      const bytes = this.readIfPresent(path.join(dir, name), maxLength);
      if (bytes !== undefined) files.set(name, bytes);
    }
    return files;
  }

  /**
   * Writes a new generation and points state.json at it, atomically. Call
   * under {@link withLock}. Generations no longer referenced are removed.
   */
  async commit(
    files: ReadonlyMap<string, Uint8Array>,
    state: (id: string) => CacheState,
  ): Promise<string> {
    const id = `${Date.now().toString(36)}-${process.pid}-${randomBytes(4).toString('hex')}`;
    const staging = path.join(this.dir, 'tmp', `gen-${id}`);
    try {
      await fs.mkdir(staging);
      for (const [name, bytes] of files) {
        await writeNewFileSynced(path.join(staging, safeName(name)), bytes);
      }
      await fsyncDir(staging);
      await fs.rename(staging, path.join(this.dir, 'gens', id));
    } catch (err) {
      // Full disk or lost permission half-way: drop the partial generation.
      await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
      if (err instanceof CacheError) throw err;
      throw cacheWriteError(this.dir, err);
    }
    await fsyncDir(path.join(this.dir, 'gens'));
    const next = state(id);
    await this.writeAtomic(path.join(this.dir, 'state.json'), Buffer.from(JSON.stringify(next)));
    await this.collect(next);
    return id;
  }

  /** Points state.json at existing generations (staged apply). */
  async setState(state: CacheState): Promise<void> {
    await this.writeAtomic(path.join(this.dir, 'state.json'), Buffer.from(JSON.stringify(state)));
    await this.collect(state);
  }

  /** Removes unreferenced generations and old temp files (left by killed processes). */
  private async collect(state: CacheState): Promise<void> {
    const keep = new Set([state.latest, state.active]);
    for (const id of await fs.readdir(path.join(this.dir, 'gens')).catch(() => [] as string[])) {
      if (!keep.has(id))
        await fs.rm(path.join(this.dir, 'gens', id), { recursive: true, force: true });
    }
    const tmp = path.join(this.dir, 'tmp');
    const cutoff = Date.now() - 10 * 60_000;
    for (const name of await fs.readdir(tmp).catch(() => [] as string[])) {
      const stat = await fs.stat(path.join(tmp, name)).catch(() => undefined);
      if (stat !== undefined && stat.mtimeMs < cutoff) {
        await fs.rm(path.join(tmp, name), { recursive: true, force: true });
      }
    }
  }

  /** temp file in tmp/ + fsync + rename + fsync of the folder. */
  async writeAtomic(file: string, bytes: Uint8Array): Promise<void> {
    const tmp = path.join(
      this.dir,
      'tmp',
      `${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}`,
    );
    try {
      await writeNewFileSynced(tmp, bytes);
      await fs.rename(tmp, file);
      await fsyncDir(path.dirname(file));
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw cacheWriteError(this.dir, err);
    }
  }

  /**
   * Runs `fn` holding the cache's refresh lock. The lock is a file created
   * with O_EXCL holding `{ pid, host, at }`; a lock whose process is gone (same
   * host) or older than `staleMs` is taken over by renaming it away first, so
   * two waiters cannot both remove it. Correctness does not rest on the lock
   * alone: generations are never shared and state.json is replaced atomically.
   */
  async withLock<T>(fn: () => Promise<T>, timeoutMs = 60_000, staleMs = 10 * 60_000): Promise<T> {
    if (!this.writable) {
      throw new CacheError(
        `cache directory ${this.dir} is read-only: a refresh needs write access. ` +
          'The cached trust is still served until it expires; make the directory writable to update it.',
        { details: { cacheDir: this.dir } },
      );
    }
    const lockFile = path.join(this.dir, 'lock');
    const token = JSON.stringify({
      pid: process.pid,
      host: os.hostname(),
      at: Date.now(),
      nonce: randomBytes(6).toString('hex'),
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let handle: fs.FileHandle | undefined;
      try {
        handle = await fs.open(lockFile, 'wx');
        await handle.writeFile(token);
        await handle.sync();
        await handle.close();
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') {
          // Created but not written (full disk): close it and remove the
          // empty lock, or every later refresh would wait for it to go stale.
          if (handle !== undefined) {
            await handle.close().catch(() => undefined);
            await fs.rm(lockFile, { force: true }).catch(() => undefined);
          }
          throw cacheWriteError(this.dir, err);
        }
      }
      await this.breakStaleLock(lockFile, staleMs);
      if (Date.now() > deadline) {
        throw new CacheError(
          `timed out after ${timeoutMs} ms waiting for the refresh lock ${lockFile}`,
          {
            details: { lockFile },
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 50));
    }
    try {
      return await fn();
    } finally {
      // Remove the lock only if it is still ours.
      const content = await fs.readFile(lockFile, 'utf8').catch(() => undefined);
      if (content === token) await fs.rm(lockFile, { force: true });
    }
  }

  private async breakStaleLock(lockFile: string, staleMs: number): Promise<void> {
    const content = await fs.readFile(lockFile, 'utf8').catch(() => undefined);
    if (content === undefined) return;
    let owner: { pid?: number; host?: string; at?: number } = {};
    try {
      owner = JSON.parse(content) as typeof owner;
    } catch {
      // A lock file being written right now is empty for an instant; give it time.
      const stat = await fs.stat(lockFile).catch(() => undefined);
      if (stat === undefined || Date.now() - stat.mtimeMs < 5_000) return;
    }
    const dead =
      owner.host === os.hostname() && typeof owner.pid === 'number' && !processAlive(owner.pid);
    const old = typeof owner.at === 'number' && Date.now() - owner.at > staleMs;
    if (!dead && !old && owner.pid !== undefined) return;
    const aside = path.join(
      this.dir,
      'tmp',
      `stale-lock.${process.pid}.${randomBytes(6).toString('hex')}`,
    );
    try {
      await fs.rename(lockFile, aside);
    } catch {
      return; // someone else took it over first
    }
    const taken = await fs.readFile(aside, 'utf8').catch(() => undefined);
    if (taken !== content) {
      // We moved a fresh lock by accident: put it back unless a new one exists.
      await fs.link(aside, lockFile).catch(() => undefined);
    }
    await fs.rm(aside, { force: true });
  }
}

/** Which generations state.json points at. */
export interface CacheState {
  readonly latest: string;
  readonly active: string;
}

function isGenId(id: unknown): id is string {
  return typeof id === 'string' && /^[0-9a-z]+-\d+-[0-9a-f]{8}$/.test(id);
}

function safeName(name: string): string {
  if (!/^[A-Za-z0-9._%-]+$/.test(name) || name.startsWith('.')) {
    throw new CacheError(`refusing to write cache file named "${name}"`);
  }
  return name;
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r').catch(() => undefined);
  if (handle === undefined) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

function cacheWriteError(dir: string, err: unknown): CacheError {
  const code = (err as NodeJS.ErrnoException).code;
  const readOnly = code === 'EROFS' || code === 'EACCES' || code === 'EPERM';
  return new CacheError(
    readOnly
      ? `cache directory ${dir} is not writable (${code}); the cached trust is still served until it expires`
      : `cannot write to cache directory ${dir}: ${String(err)}`,
    { cause: err, details: { cacheDir: dir } },
  );
}
