import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  CacheError,
  ErrorCode,
  SourceUnavailableError,
  TrustError,
  TufError,
  TufNotaryError,
  UsageError,
} from '../errors';
import type { SnapshotProvenance, TrustSnapshot } from '../trust/types';
import { TrustCache, type CacheState } from './cache';
import { readTrustContent, type TrustContent, type VerifiedTarget } from './content';
import { verifyNextRoot, verifyPinnedRoot, verifyRootChain, type TrustedRoot } from './rootChain';
import { DEFAULT_LIMITS, TOP_LEVEL_FILES, TufSession, type TufLimits } from './session';
import {
  buildSnapshot,
  diffContent,
  needsApproval,
  restrictContent,
  type TrustChange,
} from './snapshot';
import { DirectorySource } from './sources/directory';
import { HttpSource, type HttpSourceOptions } from './sources/http';
import { TufSourceTooLargeError, type TufSource } from './sources/source';

/** Options of {@link TrustClient.open}. */
export interface TrustClientOptions {
  /** The pinned initial root.json: a file path or its bytes. Never fetched (no trust on first use). */
  readonly root: string | Uint8Array;
  /** Where verified metadata and targets are kept; omitted: a private temp dir removed at exit. */
  readonly cacheDir?: string;
  /** A URL (`https://…`), a directory path, or a custom {@link TufSource}. `oci://registry/repository` reads a TUF repository kept in an OCI registry (docs/registry.md). */
  readonly source: string | TufSource;
  /** `auto` (default): new trust is active after refresh(). `staged`: additions wait for apply(). */
  readonly updates?: 'auto' | 'staged';
  /** Never use the network: serve the cached, verified snapshot while unexpired. */
  readonly offline?: boolean;
  /** The clock for expiry decisions (default: system clock). tuf-js itself always uses the system clock. */
  readonly now?: () => Date;
  /** HTTP options used when `source` is a URL (timeouts, retries, proxy, extra CA, user agent). */
  readonly http?: Omit<HttpSourceOptions, 'url'>;
  /** TUF length and count limits (default: tuf-js's). */
  readonly limits?: Partial<TufLimits>;
  /** How long refresh() waits for another process's refresh of the same cache (default 60 s). */
  readonly lockTimeoutMs?: number;
}

/** What {@link TrustClient.status} reports. */
export interface TrustClientStatus {
  /** Newest root version verified from the pin. */
  readonly rootVersion: number;
  /** Versions of the newest verified metadata (0: none yet). */
  readonly timestampVersion: number;
  readonly snapshotVersion: number;
  readonly targetsVersion: number;
  /** When the active trust expires (earliest expiry of what it rests on), if any is active. */
  readonly expires?: Date;
  /** When this client last completed a refresh against the source. */
  readonly lastRefresh?: Date;
  /** Staged mode: a verified change waits for apply(). */
  readonly pending: boolean;
  /** True when the client serves cached trust without reaching the source (option or failure). */
  readonly offline: boolean;
  /** The source, as described in messages. */
  readonly source: string;
}

/** One verified repository state: its generation, content and provenance. */
interface VerifiedState {
  readonly genId?: string;
  readonly content: TrustContent;
  readonly provenance: SnapshotProvenance;
}

const MAX_CACHED_METADATA = DEFAULT_LIMITS.targetsMaxLength;

/** Resolves the `source` option into a TufSource. */
export function resolveSource(
  source: string | TufSource,
  http: Omit<HttpSourceOptions, 'url'> = {},
): TufSource {
  if (typeof source !== 'string') return source;
  if (/^oci:\/\//i.test(source)) {
    // The registry client loads only for oci:// sources (cold start).
    const { OciSource } = require('./sources/oci') as typeof import('./sources/oci');
    return new OciSource(source, http);
  }
  if (/^https?:\/\//i.test(source)) return new HttpSource({ ...http, url: source });
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    throw new UsageError(
      `source ${source}: unsupported URL scheme; use https://, http:// or a directory path`,
    );
  }
  return new DirectorySource(source);
}

/**
 * A TUF client for trust distributed as a TUF repository (DESIGN.md): follows
 * root rotations from a pinned root, verifies timestamp, snapshot, targets and
 * delegations with tuf-js, then reads the trust policy and exactly the stores
 * it names into an immutable {@link TrustSnapshot}.
 *
 * Trust anchor: always the pinned root. Every root version is kept in the
 * cache and the chain is re-verified from the pin at each open(), so writing
 * to the cache can never move trust (tuf-js alone would trust any
 * `metadataDir/root.json`).
 */
export class TrustClient {
  private readonly limits: TufLimits;
  private readonly now: () => Date;
  private chainHead: TrustedRoot;
  private latest?: VerifiedState;
  private activeState?: VerifiedState;
  private activeSnapshot?: TrustSnapshot;
  private pendingChange?: TrustChange;
  private expiredReason?: string;
  private session?: TufSession;
  private refreshedHere = false;
  private lastRefresh?: Date;
  private offlineNow: boolean;
  private inflight?: Promise<TrustSnapshot>;

  private constructor(
    private readonly options: TrustClientOptions,
    private readonly pin: TrustedRoot,
    private readonly cache: TrustCache,
    readonly source: TufSource,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.now = options.now ?? (() => new Date());
    this.chainHead = pin;
    this.offlineNow = options.offline === true;
  }

  /**
   * Opens a client: verifies the pinned root, re-verifies the cached root
   * chain from it and, when the cache holds a verified, unexpired snapshot,
   * makes it current at once (no network).
   */
  static async open(options: TrustClientOptions): Promise<TrustClient> {
    const updates = options.updates ?? 'auto';
    if (updates !== 'auto' && updates !== 'staged') {
      throw new UsageError(`updates must be 'auto' or 'staged', not ${String(updates)}`);
    }
    const pinBytes = await readPin(options.root);
    const pin = verifyPinnedRoot(pinBytes);
    const source = resolveSource(options.source, options.http);
    const cache = await TrustCache.open(options.cacheDir);
    const client = new TrustClient(options, pin, cache, source);
    await client.loadRootChain();
    await client.loadFromCache();
    return client;
  }

  /** Runs a TUF update and returns the active snapshot. Concurrent calls share one run. */
  refresh(): Promise<TrustSnapshot> {
    this.inflight ??= this.doRefresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** The active snapshot; throws ERR_TRUST_EXPIRED once anything it rests on has expired. */
  current(): TrustSnapshot {
    const snapshot = this.activeSnapshot;
    if (snapshot !== undefined) {
      if (this.now() < snapshot.provenance.expires) return snapshot;
      throw new TrustError(
        ErrorCode.TRUST_EXPIRED,
        `the active trust expired at ${snapshot.provenance.expires.toISOString()} (TUF metadata it rests on); ` +
          `refresh() from ${this.source.describe()} to continue`,
        { details: { expires: snapshot.provenance.expires.toISOString() } },
      );
    }
    if (this.expiredReason !== undefined) {
      throw new TrustError(ErrorCode.TRUST_EXPIRED, this.expiredReason);
    }
    throw new TrustError(
      ErrorCode.TRUST_INCOMPLETE,
      `no verified trust yet: call refresh() to fetch it from ${this.source.describe()}`,
    );
  }

  /** Versions, expiry and mode of the client. */
  status(): TrustClientStatus {
    const p = this.latest?.provenance;
    return {
      rootVersion: Math.max(this.chainHead.version, p?.rootVersion ?? 0),
      timestampVersion: p?.timestampVersion ?? 0,
      snapshotVersion: p?.snapshotVersion ?? 0,
      targetsVersion: p?.targetsVersion ?? 0,
      ...(this.activeSnapshot === undefined
        ? {}
        : { expires: this.activeSnapshot.provenance.expires }),
      ...(this.lastRefresh === undefined ? {} : { lastRefresh: this.lastRefresh }),
      pending: this.pendingChange !== undefined,
      offline: this.offlineNow,
      source: this.source.describe(),
    };
  }

  /** Staged mode: the verified change waiting for apply(), if any. */
  pending(): TrustChange | undefined {
    return this.pendingChange;
  }

  /** Staged mode: activates the pending change. Never activates content older than the active one. */
  async apply(): Promise<TrustSnapshot> {
    await this.inflight?.catch(() => undefined);
    const next = this.latest;
    if (this.pendingChange === undefined || next === undefined) return this.current();
    const active = this.activeState;
    if (active !== undefined && isOlder(next.provenance, active.provenance)) {
      throw new TufError(
        ErrorCode.TUF_ROLLBACK,
        `refusing to apply snapshot v${next.provenance.snapshotVersion} over active v${active.provenance.snapshotVersion}`,
      );
    }
    if (this.now() >= next.provenance.expires) {
      throw new TrustError(
        ErrorCode.TRUST_EXPIRED,
        `the pending trust expired at ${next.provenance.expires.toISOString()}; refresh() first`,
      );
    }
    if (next.genId !== undefined && this.cache.writable) {
      await this.cache.withLock(
        () => this.cache.setState({ latest: next.genId!, active: next.genId! }),
        this.options.lockTimeoutMs,
      );
    }
    this.activate(next, next);
    return this.current();
  }

  /**
   * Verified bytes of any target of the repository (e.g. a sigstore
   * trusted_root.json), updating TUF metadata first if this client has not.
   */
  async target(targetPath: string): Promise<Uint8Array> {
    if (!this.refreshedHere && this.options.offline !== true) {
      try {
        await this.refresh();
      } catch (err) {
        // Unreachable source: fall back to the cached, verified metadata.
        if (
          !(err instanceof TufNotaryError && err.code === ErrorCode.TUF_UNAVAILABLE) ||
          this.session === undefined
        ) {
          throw err;
        }
      }
    }
    const session = this.session;
    const latest = this.latest;
    if (session === undefined || latest === undefined) {
      throw new SourceUnavailableError(
        `no verified TUF metadata to look up ${targetPath}: refresh() first`,
      );
    }
    if (this.now() >= latest.provenance.expires) {
      throw new TrustError(
        ErrorCode.TRUST_EXPIRED,
        `the TUF metadata expired at ${latest.provenance.expires.toISOString()}; refresh() before reading ${targetPath}`,
      );
    }
    const found = await this.readTarget(session, targetPath);
    if (found === undefined) {
      throw new SourceUnavailableError(
        `${targetPath} is not a target of the trust repository at ${this.source.describe()} (targets v${latest.provenance.targetsVersion})`,
        { details: { target: targetPath } },
      );
    }
    return found.bytes;
  }

  /** Releases the working directory (and the cache dir of an in-memory client). */
  async close(): Promise<void> {
    await this.inflight?.catch(() => undefined);
    this.session?.dispose();
    this.session = undefined;
    this.cache.removeNow();
  }

  // ---------------------------------------------------------------- internals

  /** Re-verifies the cached root chain from the pin (TUF spec §5.3.4–5.3.5 per link). */
  private async loadRootChain(): Promise<void> {
    const { chain, broken } = verifyRootChain(
      this.pin,
      (v) => this.cache.readRoot(v, this.limits.rootMaxLength),
      this.limits.maxRootRotations * 64,
    );
    if (broken !== undefined) await this.cache.dropRoot(broken.version).catch(() => undefined);
    this.chainHead = chain[chain.length - 1] ?? this.pin;
    if (
      this.cache.writable &&
      this.cache.readRoot(this.pin.version, this.limits.rootMaxLength) === undefined
    ) {
      await this.cache.writeRoot(this.pin.version, this.pin.bytes).catch(() => undefined);
    }
  }

  private rootFor(version: number): TrustedRoot | undefined {
    if (version === this.pin.version) return this.pin;
    if (version < this.pin.version || version > this.chainHead.version) return undefined;
    const { chain } = verifyRootChain(this.pin, (v) =>
      v <= version ? this.cache.readRoot(v, this.limits.rootMaxLength) : undefined,
    );
    const root = chain[chain.length - 1];
    return root?.version === version ? root : undefined;
  }

  /**
   * Makes the cached generations current after re-verifying them offline:
   * signatures from the chain-verified root, versions, expiry, target hashes.
   * A generation that fails is ignored (re-fetched by the next refresh).
   */
  private async loadFromCache(): Promise<void> {
    const state = this.cache.readState();
    this.expiredReason = undefined;
    if (state === undefined) return;
    const latest = await this.verifyGeneration(state.latest);
    if (latest === undefined) return;
    const active =
      state.active === state.latest ? latest : await this.verifyGeneration(state.active, false);
    this.replaceSession(latest.session);
    if (active !== latest) active?.session.dispose();
    this.latest = latest.state;
    if (active === undefined) {
      this.activate(latest.state, latest.state);
      return;
    }
    this.activate(active.state, latest.state);
  }

  private async verifyGeneration(
    id: string,
    keepSession = true,
  ): Promise<{ state: VerifiedState; session: TufSession } | undefined> {
    const files = this.cache.readGeneration(id, MAX_CACHED_METADATA);
    if (files === undefined) return undefined;
    const genMeta = parseGenMeta(files.get('gen.json'));
    if (genMeta === undefined) return undefined;
    const root = this.rootFor(genMeta.rootVersion);
    if (root === undefined) return undefined;
    const session = TufSession.create(root, files, this.source, false, this.limits);
    try {
      const unverified = session.state();
      if (this.now() >= unverified.expires || this.now() >= root.expires) {
        this.expiredReason =
          `the cached trust expired at ${unverified.expires.toISOString()} (${unverified.expiresRole}); ` +
          `refresh() from ${this.source.describe()} to continue`;
        session.dispose();
        return undefined;
      }
      await session.refresh();
      const content = await readTrustContent(
        (p) => this.readTarget(session, p, false),
        this.source.describe(),
      );
      const s = session.state();
      const provenance = { ...versionsOf(s), expires: s.expires, targets: content.targets };
      this.lastRefresh = genMeta.fetchedAt;
      if (!keepSession) session.dispose();
      return { state: { genId: id, content, provenance }, session };
    } catch (err) {
      session.dispose();
      if (err instanceof TufNotaryError && err.code === ErrorCode.TUF_EXPIRED) {
        this.expiredReason = `the cached trust has expired: ${err.message}`;
      }
      return undefined;
    }
  }

  private replaceSession(session: TufSession | undefined): void {
    if (this.session !== session) this.session?.dispose();
    this.session = session;
  }

  /** Sets the active snapshot: `active` content restricted by `latest` (staged), or `latest` itself. */
  private activate(active: VerifiedState, latest: VerifiedState): void {
    this.latest = latest;
    if (active === latest || active.genId === latest.genId) {
      this.activeState = latest;
      this.activeSnapshot = buildSnapshot(latest.content, latest.provenance);
      this.pendingChange = undefined;
      return;
    }
    const change = diffContent(
      active.content,
      latest.content,
      active.provenance,
      latest.provenance,
    );
    const restricted = restrictContent(active.content, latest.content);
    const revocationTarget = latest.provenance.targets.filter((t) => t.path === 'revocations.json');
    const provenance: SnapshotProvenance = {
      ...active.provenance,
      expires: new Date(
        Math.min(active.provenance.expires.getTime(), latest.provenance.expires.getTime()),
      ),
      targets: [
        ...active.provenance.targets.filter((t) => t.path !== 'revocations.json'),
        ...revocationTarget,
      ],
    };
    this.activeState = active;
    this.activeSnapshot = buildSnapshot(restricted, provenance);
    this.pendingChange = change;
  }

  private async doRefresh(): Promise<TrustSnapshot> {
    if (this.options.offline === true) {
      await this.loadRootChain();
      await this.loadFromCache();
      return this.current();
    }
    try {
      const snapshot = await this.cache.withLock(
        () => this.refreshLocked(),
        this.options.lockTimeoutMs,
      );
      this.offlineNow = false;
      this.refreshedHere = true;
      return snapshot;
    } catch (err) {
      if (err instanceof TufNotaryError && err.code === ErrorCode.TUF_UNAVAILABLE)
        this.offlineNow = true;
      throw err;
    }
  }

  private async refreshLocked(): Promise<TrustSnapshot> {
    // Another process may have advanced the cache: start from what it holds.
    await this.loadRootChain();
    const state = this.cache.readState();
    if (state !== undefined && state.latest !== this.latest?.genId) await this.loadFromCache();
    const seedFiles = new Map<string, Uint8Array>();
    const seedGen =
      state === undefined
        ? undefined
        : this.cache.readGeneration(state.latest, MAX_CACHED_METADATA);
    // Only top-level metadata is reused: tuf-js 5 would trust a cached
    // delegated role whichever delegator reaches it, so delegated roles are
    // always re-fetched and verified against their delegator.
    for (const name of TOP_LEVEL_FILES) {
      const bytes = seedGen?.get(name);
      if (bytes !== undefined) seedFiles.set(name, bytes);
    }
    const session = TufSession.create(this.chainHead, seedFiles, this.source, true, this.limits);
    try {
      await session.refresh();
      const s = session.state();
      const latest = this.latest;
      // Nothing new (same root and timestamp): the verified content stands,
      // no target is read (TUF needs only the root probe and the timestamp).
      if (
        latest !== undefined &&
        s.rootVersion === latest.provenance.rootVersion &&
        s.timestampVersion === latest.provenance.timestampVersion &&
        s.snapshotVersion === latest.provenance.snapshotVersion
      ) {
        this.replaceSession(session);
        this.lastRefresh = this.now();
        return this.current();
      }
      const content = await readTrustContent(
        (p) => this.readTarget(session, p),
        this.source.describe(),
      );
      const after = session.state();
      if (this.now() >= after.expires) {
        throw new TufError(
          ErrorCode.TUF_EXPIRED,
          `${after.expiresRole} metadata from ${this.source.describe()} expired at ${after.expires.toISOString()}`,
        );
      }
      const provenance: SnapshotProvenance = {
        ...versionsOf(after),
        expires: after.expires,
        targets: content.targets,
      };
      await this.storeRoots(session, after.rootVersion);
      const fetchedAt = this.now();
      const files = session.metadataFiles();
      files.set(
        'gen.json',
        Buffer.from(
          JSON.stringify({ rootVersion: after.rootVersion, fetchedAt: fetchedAt.toISOString() }),
        ),
      );
      const next: VerifiedState = { content, provenance };
      const staged = this.options.updates === 'staged' && this.activeState !== undefined;
      const change = staged
        ? diffContent(this.activeState!.content, content, this.activeState!.provenance, provenance)
        : undefined;
      const keepActive =
        change !== undefined && needsApproval(change) && this.activeState?.genId !== undefined;
      const genId = await this.cache.commit(files, (id): CacheState => ({
        latest: id,
        active: keepActive ? this.activeState!.genId! : id,
      }));
      const committed: VerifiedState = { ...next, genId };
      this.replaceSession(session);
      this.lastRefresh = fetchedAt;
      this.activate(keepActive ? this.activeState! : committed, committed);
      return this.current();
    } catch (err) {
      if (this.session !== session) session.dispose();
      throw err;
    }
  }

  /** Keeps every root version tuf-js verified on the way (for re-verification at open). */
  private async storeRoots(session: TufSession, finalVersion: number): Promise<void> {
    let head = this.chainHead;
    for (let v = head.version + 1; v <= finalVersion; v += 1) {
      const bytes = v === finalVersion ? session.rootBytes() : session.log.roots.get(v);
      if (bytes === undefined) break;
      head = verifyNextRoot(head, bytes, `root v${v} from ${this.source.describe()}`);
      await this.cache.writeRoot(v, bytes);
    }
    this.chainHead = head;
  }

  /** Resolves and reads one target through `session`, from the content-addressed cache when it still verifies. */
  private async readTarget(
    session: TufSession,
    targetPath: string,
    online = true,
  ): Promise<VerifiedTarget | undefined> {
    const info = await session.targetInfo(targetPath);
    if (info === undefined) return undefined;
    const sha256 = info.hashes.sha256;
    if (sha256 === undefined) {
      throw new TufError(
        ErrorCode.TUF_METADATA,
        `target ${targetPath} has no sha256 hash in its TUF metadata; tuf-notary requires one`,
      );
    }
    const record = { path: targetPath, sha256, length: info.length };
    const cached = await this.cache.readTarget(sha256, info.length);
    if (cached !== undefined) {
      await session.verifyTarget(info, cached);
      return { record, bytes: cached };
    }
    if (!online) {
      throw new SourceUnavailableError(
        `target ${targetPath} is not in the cache and the client is offline`,
      );
    }
    const bytes = await this.source
      .fetchTarget(session.downloadPath(info), info.length)
      .catch((err: unknown) => {
        if (err instanceof TufSourceTooLargeError) {
          throw new TufError(
            ErrorCode.TUF_TARGET_MISMATCH,
            `target ${targetPath} from ${this.source.describe()} is longer than the ${info.length} bytes its TUF metadata records`,
            { cause: err, details: { target: targetPath } },
          );
        }
        if (err instanceof TufNotaryError) throw err;
        throw new SourceUnavailableError(
          `cannot read target ${targetPath} from ${this.source.describe()}: ${String(err)}`,
          { cause: err },
        );
      });
    await session.verifyTarget(info, bytes);
    await this.cache.writeTarget(sha256, bytes);
    return { record, bytes };
  }
}

function versionsOf(s: {
  rootVersion: number;
  timestampVersion: number;
  snapshotVersion: number;
  targetsVersion: number;
}) {
  return {
    rootVersion: s.rootVersion,
    timestampVersion: s.timestampVersion,
    snapshotVersion: s.snapshotVersion,
    targetsVersion: s.targetsVersion,
  };
}

function isOlder(a: SnapshotProvenance, b: SnapshotProvenance): boolean {
  return (
    a.snapshotVersion < b.snapshotVersion ||
    a.timestampVersion < b.timestampVersion ||
    a.targetsVersion < b.targetsVersion
  );
}

function parseGenMeta(
  bytes: Uint8Array | undefined,
): { rootVersion: number; fetchedAt: Date } | undefined {
  if (bytes === undefined) return undefined;
  try {
    const meta = JSON.parse(Buffer.from(bytes).toString('utf8')) as {
      rootVersion?: unknown;
      fetchedAt?: unknown;
    };
    const fetchedAt = new Date(String(meta.fetchedAt));
    if (!Number.isSafeInteger(meta.rootVersion) || Number.isNaN(fetchedAt.getTime()))
      return undefined;
    return { rootVersion: meta.rootVersion as number, fetchedAt };
  } catch {
    return undefined;
  }
}

async function readPin(root: string | Uint8Array): Promise<Uint8Array> {
  if (typeof root !== 'string') return root;
  try {
    const stat = await fs.stat(root);
    if (stat.size > DEFAULT_LIMITS.rootMaxLength) {
      throw new UsageError(
        `pinned root ${root} is larger than ${DEFAULT_LIMITS.rootMaxLength} bytes`,
      );
    }
    return new Uint8Array(await fs.readFile(path.resolve(root)));
  } catch (err) {
    if (err instanceof TufNotaryError) throw err;
    throw new UsageError(`cannot read the pinned root ${root}: ${String(err)}`, { cause: err });
  }
}

/** sha256 hex of bytes (exported for tests of the cache layout). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export { CacheError };
