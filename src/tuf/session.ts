import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { TargetFile, Updater } from 'tuf-js';
import { ErrorCode, TufError, TufNotaryError } from '../errors';
import { createSourceFetcher, METADATA_BASE, TARGETS_BASE, type FetchLog } from './fetcher';
import type { TrustedRoot } from './rootChain';
import type { TufSource } from './sources/source';
import { mapTufError } from './tufErrors';

/** TUF length and count limits (tuf-js config names); every read is bounded by them. */
export interface TufLimits {
  readonly maxRootRotations: number;
  readonly maxDelegations: number;
  readonly rootMaxLength: number;
  readonly timestampMaxLength: number;
  readonly snapshotMaxLength: number;
  readonly targetsMaxLength: number;
}

/** tuf-js 5 defaults (config.js), which follow the TUF reference client. */
export const DEFAULT_LIMITS: TufLimits = {
  maxRootRotations: 256,
  maxDelegations: 32,
  rootMaxLength: 512_000,
  timestampMaxLength: 16_384,
  snapshotMaxLength: 2_000_000,
  targetsMaxLength: 5_000_000,
};

/** The top-level metadata files a generation keeps (delegated roles are kept too, but never reused online). */
export const TOP_LEVEL_FILES = ['timestamp.json', 'snapshot.json', 'targets.json'] as const;

/** Versions and expiry of the metadata a session trusts. */
export interface SessionState {
  readonly rootVersion: number;
  readonly timestampVersion: number;
  readonly snapshotVersion: number;
  readonly targetsVersion: number;
  /** Earliest expiry among root, timestamp, snapshot, targets and every delegated role loaded. */
  readonly expires: Date;
  /** Which role expires first (for messages). */
  readonly expiresRole: string;
  readonly consistentSnapshot: boolean;
}

interface SignedHeader {
  signed?: { version?: unknown; expires?: unknown; consistent_snapshot?: unknown };
}

/**
 * One run of tuf-js's Updater over a private working directory (tuf-js keeps
 * its state in files and an Updater refreshes only once: one session per
 * refresh). The working directory is seeded by the client with the root to
 * trust and the cached metadata it chooses; nothing tuf-js writes there is
 * trusted until the client commits it.
 */
export class TufSession {
  readonly log: FetchLog = { roots: new Map(), requests: 0 };
  private readonly updater: Updater;
  private disposed = false;

  private constructor(
    readonly workDir: string,
    readonly source: TufSource,
    readonly online: boolean,
    private readonly trustedText: string,
    limits: TufLimits,
  ) {
    const { Updater: UpdaterClass } = require('tuf-js') as typeof import('tuf-js');
    this.updater = new UpdaterClass({
      metadataDir: workDir,
      metadataBaseUrl: METADATA_BASE,
      targetBaseUrl: TARGETS_BASE,
      targetDir: path.join(workDir, 'targets'),
      fetcher: createSourceFetcher(source, this.log, online),
      // Offline: use the cached timestamp when it verifies and is unexpired (no root probe).
      forceCache: !online,
      config: { ...limits, fetchRetries: 0, prefixTargetsWithHash: true },
    });
  }

  /**
   * Creates a session trusting `root`, seeded with `files` (metadata by file
   * name). Online sessions must be seeded with top-level metadata only.
   */
  static create(
    root: TrustedRoot,
    files: ReadonlyMap<string, Uint8Array>,
    source: TufSource,
    online: boolean,
    limits: TufLimits,
  ): TufSession {
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'tuf-notary-work-'));
    try {
      writeFileSync(path.join(workDir, 'root.json'), root.bytes);
      for (const [name, bytes] of files) {
        if (name === 'gen.json' || name === 'root.json') continue;
        writeFileSync(path.join(workDir, path.basename(name)), bytes);
      }
      const trusted = `root v${root.version}${describeCached(files)}`;
      return new TufSession(workDir, source, online, trusted, limits);
    } catch (err) {
      rmSync(workDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Runs the TUF client workflow (spec §5.3–5.6: root, timestamp, snapshot, targets). */
  async refresh(): Promise<void> {
    try {
      await this.updater.refresh();
    } catch (err) {
      throw this.mapError(err);
    }
  }

  /** The TUF record of `targetPath`, walking delegations (spec §5.6.7), or undefined. */
  async targetInfo(targetPath: string): Promise<TargetFile | undefined> {
    try {
      return await this.updater.getTargetInfo(targetPath);
    } catch (err) {
      throw this.mapError(err);
    }
  }

  /**
   * Checks `bytes` against the TUF record (length and every listed hash,
   * spec §5.7.3). Throws ERR_TUF_TARGET_MISMATCH.
   */
  async verifyTarget(info: TargetFile, bytes: Uint8Array): Promise<void> {
    try {
      await info.verify(Readable.from([Buffer.from(bytes)]));
    } catch (err) {
      throw new TufError(
        ErrorCode.TUF_TARGET_MISMATCH,
        `target ${info.path} from ${this.source.describe()} does not match its TUF record ` +
          `(length ${info.length}, sha256 ${info.hashes.sha256 ?? '?'}): ${err instanceof Error ? err.message : String(err)}`,
        { cause: err, details: { target: info.path, source: this.source.describe() } },
      );
    }
  }

  /** The repository path to request for a target: hash-prefixed with consistent snapshots (spec §5.7.3). */
  downloadPath(info: TargetFile): string {
    const hash = Object.values(info.hashes)[0];
    if (!this.state().consistentSnapshot || hash === undefined) return info.path;
    const slash = info.path.lastIndexOf('/');
    return slash < 0
      ? `${hash}.${info.path}`
      : `${info.path.slice(0, slash + 1)}${hash}.${info.path.slice(slash + 1)}`;
  }

  /** Every metadata file in the working directory except root.json (what a generation stores). */
  metadataFiles(): Map<string, Uint8Array> {
    const files = new Map<string, Uint8Array>();
    for (const name of readdirSync(this.workDir)) {
      if (!name.endsWith('.json') || name === 'root.json') continue;
      files.set(name, new Uint8Array(readFileSync(path.join(this.workDir, name))));
    }
    return files;
  }

  /** The trusted root's bytes as tuf-js ended with it (after rotations). */
  rootBytes(): Uint8Array {
    return new Uint8Array(readFileSync(path.join(this.workDir, 'root.json')));
  }

  /** Versions and earliest expiry of everything this session loaded. */
  state(): SessionState {
    const read = (name: string): SignedHeader['signed'] => {
      const doc = JSON.parse(readFileSync(path.join(this.workDir, name), 'utf8')) as SignedHeader;
      return doc.signed ?? {};
    };
    const root = read('root.json');
    const versions: Record<string, number> = {};
    let expires = new Date(8.64e15);
    let expiresRole = 'root';
    for (const name of readdirSync(this.workDir)) {
      if (!name.endsWith('.json')) continue;
      const signed = read(name);
      const role = decodeURIComponent(name.slice(0, -'.json'.length));
      versions[role] = Number(signed?.version);
      const when = new Date(String(signed?.expires));
      if (Number.isNaN(when.getTime())) {
        throw new TufError(ErrorCode.TUF_METADATA, `${role} metadata has no valid expiry`);
      }
      if (when < expires) {
        expires = when;
        expiresRole = role;
      }
    }
    return {
      rootVersion: versions.root ?? 0,
      timestampVersion: versions.timestamp ?? 0,
      snapshotVersion: versions.snapshot ?? 0,
      targetsVersion: versions.targets ?? 0,
      expires,
      expiresRole,
      consistentSnapshot: root?.consistent_snapshot === true,
    };
  }

  /** Removes the working directory. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    rmSync(this.workDir, { recursive: true, force: true });
  }

  private mapError(err: unknown): TufNotaryError {
    return mapTufError(err, {
      source: this.source.describe(),
      log: this.log,
      trusted: this.trustedText,
    });
  }
}

function describeCached(files: ReadonlyMap<string, Uint8Array>): string {
  const parts: string[] = [];
  for (const name of TOP_LEVEL_FILES) {
    const bytes = files.get(name);
    if (bytes === undefined) continue;
    try {
      const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as SignedHeader;
      parts.push(`${name.replace('.json', '')} v${String(doc.signed?.version)}`);
    } catch {
      // unreadable cached file: tuf-js ignores it and fetches anew
    }
  }
  return parts.length === 0 ? '' : `, cached ${parts.join(', ')}`;
}
