/**
 * TrustRepository: builds, signs and rotates a TUF repository in memory and
 * writes it as a servable directory. The admin side of tuf-notary
 * (`tuf-notary repo …`) and every TUF test stand on it.
 *
 * Model: each role (the four top-level roles and any delegated targets role)
 * has keys, a threshold and an expiry; each targets role has target files and
 * delegations. Changes mark roles dirty; {@link TrustRepository.publish} signs
 * new versions of the dirty roles, then a new snapshot and timestamp, and keeps
 * every published file so old versions stay servable (rollback tests,
 * consistent snapshots).
 */
import { createHash } from 'node:crypto';
import type { Metadata, Root, Targets, Snapshot, Timestamp, MetaFile } from '@tufjs/models';
import { UsageError } from '../errors';
import {
  generateRepoKey,
  type LocalRepoKey,
  type RepoKey,
  type RepoKeyType,
  type TufPublicKey,
} from './keys';
import {
  assertDelegatedRoleName,
  assertTargetPath,
  isTopLevelRole,
  metadataFileName,
  targetBlobName,
  TOP_LEVEL_ROLES,
  type TopLevelRole,
  writeRepositoryTree,
} from './layout';
import { tufModels } from './models';

/** The TUF specification version written into every role (the one @tufjs/models 4 implements). */
export const SPEC_VERSION = '1.0.31';

const DAY_MS = 86_400_000;

/** How long a freshly signed role stays valid when no explicit expiry is set. */
const DEFAULT_LIFETIME_DAYS: Readonly<Record<TopLevelRole | 'delegated', number>> = {
  root: 365,
  targets: 90,
  snapshot: 7,
  timestamp: 1,
  delegated: 90,
};

/** Per-role numbers for {@link TrustRepository.create}. */
export type TopLevelNumbers = Partial<Record<TopLevelRole, number>>;

/** Options of {@link TrustRepository.create}. */
export interface CreateRepositoryOptions {
  /** Type of every generated key (default `ed25519`, whose signatures are deterministic). */
  keyType?: RepoKeyType;
  /**
   * Supplied keys per top-level role instead of generated ones. Public-only
   * root keys (offline root) leave root version 1 unsigned: it waits in
   * {@link TrustRepository.pendingRoot} for a signing ceremony.
   */
  keys?: Partial<Record<TopLevelRole, readonly RepoKey[]>>;
  /** Signature threshold per top-level role (default 1). */
  thresholds?: TopLevelNumbers;
  /** Number of keys per top-level role (default: the role's threshold). */
  keyCounts?: TopLevelNumbers;
  /** Fixed expiry dates per role name (top-level or delegated); others get a default lifetime. */
  expires?: Partial<Record<string, Date>>;
  /** The clock used for default expiries (default: the system clock). */
  now?: () => Date;
  /**
   * Derive every generated key from this seed instead of randomly, so the same
   * calls with the same `now` give byte-identical metadata (Ed25519). Tests and
   * fixtures only.
   */
  seed?: string;
  /**
   * Record `length` and `hashes` (sha256) of each metadata file in snapshot and
   * timestamp (default true). tuf-js then checks them before signatures
   * (TUF spec §5.5.2, §5.6.2) and bounds downloads by the length.
   */
  metaHashes?: boolean;
  /** Validity period in days per role name (top-level or delegated); others get the defaults (root 365, targets 90, snapshot 7, timestamp 1, delegated 90). */
  lifetimeDays?: Partial<Record<string, number>>;
}

/** Options of {@link TrustRepository.publish}. */
export interface PublishOptions {
  /**
   * Keys with private parts usable for this publish only, by key id: an
   * offline root key brought in for a ceremony, or a publisher's own key for
   * its delegated role. They are never stored in the repository state.
   */
  signers?: readonly RepoKey[];
  /**
   * Roles whose threshold of signers is not available stay unpublished
   * (reported in `deferred`) instead of failing the whole publish. A root
   * that cannot be signed defers everything: nothing may be signed under
   * keys that no client trusts yet.
   */
  partial?: boolean;
}

/** What {@link TrustRepository.publish} signed, and what it left for later. */
export interface PublishReport {
  /** Roles that got a new version, in signing order. */
  readonly published: readonly string[];
  /** Changed roles left unsigned for lack of signers (only with `partial`). */
  readonly deferred: readonly string[];
}

/** One delegation as {@link TrustRepository.delegationsList} reports it. */
export interface DelegationInfo {
  readonly name: string;
  readonly parent: string;
  readonly paths: readonly string[];
  readonly terminating: boolean;
  readonly keyIds: readonly string[];
  readonly threshold: number;
}

/**
 * Everything a {@link TrustRepository} needs to continue where it stopped,
 * as plain JSON; file contents are referenced by SHA-256 (see
 * {@link TrustRepository.exportState}). Private keys are never part of it.
 */
export interface RepositoryState {
  readonly format: 1;
  readonly keyType: RepoKeyType;
  readonly metaHashes: boolean;
  readonly keys: Record<string, { readonly type: RepoKeyType; readonly publicKey: TufPublicKey }>;
  readonly topLevel: Record<string, { readonly keyIds: string[]; readonly threshold: number }>;
  readonly delegations: readonly DelegationInfo[];
  readonly targetsRoles: Record<
    string,
    { readonly files: Record<string, string>; readonly children: string[] }
  >;
  readonly fixedExpiry: Record<string, string>;
  readonly lifetimeDays: Record<string, number>;
  readonly dirty: readonly string[];
  readonly latest: Record<string, { readonly version: number; readonly sha256: string }>;
  readonly history: Record<string, string>;
  readonly timestamps: Record<string, string>;
  readonly previousRootKeyIds: readonly string[];
}

/** Options of {@link TrustRepository.delegate}. */
export interface DelegateOptions {
  /** Target path patterns the role is trusted for (TUF spec §4.5 "paths", shell-style per segment). */
  paths: string[];
  /** The role's keys, or how many to generate (default 1). */
  keys?: readonly RepoKey[] | number;
  threshold?: number;
  /** A terminating delegation stops the search for targets it matches (TUF spec §5.6.7.2.1). */
  terminating?: boolean;
  /** The delegating targets role (default `targets`). */
  parent?: string;
}

/** Options of {@link TrustRepository.rotateKeys}. */
export interface RotateKeysOptions {
  /** The new keys, or how many to generate (default: as many as now). */
  keys?: readonly RepoKey[] | number;
  /** The new threshold (default: unchanged, capped at the new key count). */
  threshold?: number;
}

/** A role's trusted keys and threshold. */
interface KeySet {
  keys: RepoKey[];
  threshold: number;
}

/** A targets role (top-level `targets` or a delegated one). */
interface TargetsRole {
  files: Map<string, Uint8Array>;
  /** Names of roles this one delegates to, in delegation (priority) order. */
  children: string[];
}

/** What a delegator records about a delegated role. */
interface Delegation extends KeySet {
  parent: string;
  paths: string[];
  terminating: boolean;
}

/** One published metadata file. */
interface Published {
  version: number;
  bytes: Uint8Array;
}

/**
 * An in-memory TUF repository that signs with local keys. Not safe for
 * concurrent use; every method but {@link TrustRepository.writeTo} is synchronous.
 */
export class TrustRepository {
  private readonly now: () => Date;
  private readonly keyType: RepoKeyType;
  private readonly seed: string | undefined;
  private readonly metaHashes: boolean;
  private keyCounter = 0;

  private readonly topLevel = new Map<TopLevelRole, KeySet>();
  private readonly delegations = new Map<string, Delegation>();
  private readonly targetsRoles = new Map<string, TargetsRole>();
  private readonly fixedExpiry = new Map<string, Date>();
  private readonly lifetimeDays = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private readonly nextVersionOverride = new Map<string, number>();
  private readonly signingOverride = new Map<string, RepoKey[]>();

  /** Latest published version per role. */
  private readonly latest = new Map<string, Published>();
  /** Every published file: `N.<role>.json`, `timestamp.json`, `targets/…`. */
  private readonly history = new Map<string, Uint8Array>();
  private readonly timestamps = new Map<number, Uint8Array>();
  /** Root keys of the last published root: they must sign the next root (TUF spec §5.3.4). */
  private previousRootKeys: RepoKey[] = [];
  /** Keys lent to the publish in progress (see {@link PublishOptions.signers}). */
  private extraSigners = new Map<string, RepoKey>();
  /** During a partial publish or a ceremony: sign with the keys that can, skip the others. */
  private allowMissingSigners = false;

  private constructor(opts: CreateRepositoryOptions) {
    this.now = opts.now ?? (() => new Date());
    this.keyType = opts.keyType ?? 'ed25519';
    this.seed = opts.seed;
    this.metaHashes = opts.metaHashes ?? true;
    for (const [role, date] of Object.entries(opts.expires ?? {})) {
      if (date) this.fixedExpiry.set(role, date);
    }
    for (const [role, days] of Object.entries(opts.lifetimeDays ?? {})) {
      if (days !== undefined) this.setLifetime(role, days, { mark: false });
    }
  }

  /**
   * Creates a repository with fresh keys for the four top-level roles and signs
   * root version 1 (consistent snapshots on). Call {@link publish} to sign
   * targets, snapshot and timestamp.
   */
  static create(opts: CreateRepositoryOptions = {}): TrustRepository {
    const repo = new TrustRepository(opts);
    for (const role of TOP_LEVEL_ROLES) {
      const threshold = opts.thresholds?.[role] ?? 1;
      const supplied = opts.keys?.[role];
      const count = supplied ?? opts.keyCounts?.[role] ?? threshold;
      repo.topLevel.set(role, repo.keySet(role, count, threshold));
    }
    repo.targetsRoles.set('targets', { files: new Map(), children: [] });
    repo.dirty.add('root');
    repo.dirty.add('targets');
    if (repo.rootSignable()) repo.publishRoot();
    return repo;
  }

  /**
   * Restores a repository saved with {@link exportState}. `blob(sha256)`
   * returns the bytes of a referenced file; `signers` are the keys whose
   * private parts are at hand (by key id); other keys stay public-only.
   */
  static fromState(
    state: RepositoryState,
    blob: (sha256: string) => Uint8Array,
    opts: { signers?: readonly RepoKey[]; now?: () => Date } = {},
  ): TrustRepository {
    if ((state as { format?: unknown }).format !== 1) {
      throw new UsageError('Unsupported repository state format: upgrade tuf-notary.');
    }
    const repo = new TrustRepository({
      keyType: state.keyType,
      metaHashes: state.metaHashes,
      ...(opts.now ? { now: opts.now } : {}),
    });
    const signing = new Map((opts.signers ?? []).map((k) => [k.keyId, k]));
    const keyOf = (keyId: string): RepoKey => {
      const own = signing.get(keyId);
      if (own) return own;
      const listed = state.keys[keyId];
      if (!listed) throw new UsageError(`Repository state names unknown key ${keyId}.`);
      return { keyId, type: listed.type, publicKey: listed.publicKey };
    };
    for (const role of TOP_LEVEL_ROLES) {
      const set = state.topLevel[role];
      if (!set) throw new UsageError(`Repository state has no role "${role}".`);
      repo.topLevel.set(role, repo.keySet(role, set.keyIds.map(keyOf), set.threshold));
    }
    for (const d of state.delegations) {
      repo.delegations.set(d.name, {
        ...repo.keySet(d.name, d.keyIds.map(keyOf), d.threshold),
        parent: d.parent,
        paths: [...d.paths],
        terminating: d.terminating,
      });
    }
    for (const [role, t] of Object.entries(state.targetsRoles)) {
      const files = new Map(Object.entries(t.files).map(([p, sha]) => [p, blob(sha)]));
      repo.targetsRoles.set(role, { files, children: [...t.children] });
    }
    for (const [role, date] of Object.entries(state.fixedExpiry)) {
      repo.fixedExpiry.set(role, new Date(date));
    }
    for (const [role, days] of Object.entries(state.lifetimeDays)) {
      repo.lifetimeDays.set(role, days);
    }
    for (const role of state.dirty) repo.dirty.add(role);
    for (const [role, l] of Object.entries(state.latest)) {
      repo.latest.set(role, { version: l.version, bytes: blob(l.sha256) });
    }
    for (const [name, sha] of Object.entries(state.history)) repo.history.set(name, blob(sha));
    for (const [version, sha] of Object.entries(state.timestamps)) {
      repo.timestamps.set(Number(version), blob(sha));
    }
    repo.previousRootKeys = state.previousRootKeyIds.map(keyOf);
    return repo;
  }

  /**
   * The repository as JSON-able state plus the file contents it references
   * (by SHA-256): everything but private keys. {@link fromState} restores it.
   */
  exportState(): { state: RepositoryState; blobs: Map<string, Uint8Array> } {
    const blobs = new Map<string, Uint8Array>();
    const ref = (bytes: Uint8Array): string => {
      const sha = createHash('sha256').update(bytes).digest('hex');
      blobs.set(sha, bytes);
      return sha;
    };
    const keys: Record<string, { type: RepoKeyType; publicKey: TufPublicKey }> = {};
    const ids = (list: readonly RepoKey[]): string[] =>
      list.map((k) => {
        keys[k.keyId] = { type: k.type, publicKey: k.publicKey };
        return k.keyId;
      });
    const topLevel: Record<string, { keyIds: string[]; threshold: number }> = {};
    for (const [role, set] of this.topLevel) {
      topLevel[role] = { keyIds: ids(set.keys), threshold: set.threshold };
    }
    const delegations = [...this.delegations].map(([name, d]) => ({
      name,
      parent: d.parent,
      paths: [...d.paths],
      terminating: d.terminating,
      keyIds: ids(d.keys),
      threshold: d.threshold,
    }));
    const targetsRoles: Record<string, { files: Record<string, string>; children: string[] }> = {};
    for (const [role, t] of this.targetsRoles) {
      const files: Record<string, string> = {};
      for (const [p, bytes] of t.files) files[p] = ref(bytes);
      targetsRoles[role] = { files, children: [...t.children] };
    }
    const state: RepositoryState = {
      format: 1,
      keyType: this.keyType,
      metaHashes: this.metaHashes,
      keys,
      topLevel,
      delegations,
      targetsRoles,
      fixedExpiry: Object.fromEntries(
        [...this.fixedExpiry].map(([role, d]) => [role, d.toISOString()]),
      ),
      lifetimeDays: Object.fromEntries(this.lifetimeDays),
      dirty: [...this.dirty],
      latest: Object.fromEntries(
        [...this.latest].map(([role, p]) => [role, { version: p.version, sha256: ref(p.bytes) }]),
      ),
      history: Object.fromEntries([...this.history].map(([name, b]) => [name, ref(b)])),
      timestamps: Object.fromEntries([...this.timestamps].map(([v, b]) => [String(v), ref(b)])),
      previousRootKeyIds: ids(this.previousRootKeys),
    };
    return { state, blobs };
  }

  // ---------------------------------------------------------------- keys

  /** Generates a key of `type` (default: the repository's key type), derived from the seed if any. */
  generateKey(type: RepoKeyType = this.keyType): LocalRepoKey {
    const label = `key-${this.keyCounter++}`;
    return generateRepoKey(type, this.seed === undefined ? undefined : { seed: this.seed, label });
  }

  /** The keys currently trusted for `role` (top-level or delegated). */
  keys(role: string): readonly RepoKey[] {
    return [...this.keySetOf(role).keys];
  }

  /** The signature threshold currently set for `role`. */
  threshold(role: string): number {
    return this.keySetOf(role).threshold;
  }

  /**
   * Replaces the keys (and optionally the threshold) of `role`. For a
   * top-level role this makes a new root version, which {@link publish} signs
   * with the previous root's keys and the new ones (TUF spec §5.3.4); for a
   * delegated role the delegator gets a new version. The role itself is
   * re-signed with its new keys at the next publish.
   */
  rotateKeys(role: string, opts: RotateKeysOptions = {}): readonly RepoKey[] {
    const current = this.keySetOf(role);
    const keys = opts.keys ?? current.keys.length;
    const count = typeof keys === 'number' ? keys : keys.length;
    const threshold = opts.threshold ?? Math.min(current.threshold, count);
    const next = this.keySet(role, keys, threshold);
    current.keys = next.keys;
    current.threshold = next.threshold;
    this.markKeysChanged(role);
    return [...next.keys];
  }

  // ------------------------------------------------------------ contents

  /** Adds or replaces target `path` in targets role `role` (default `targets`). */
  setTarget(targetPath: string, bytes: Uint8Array, opts: { role?: string } = {}): void {
    const role = opts.role ?? 'targets';
    assertTargetPath(targetPath);
    const targetsRole = this.targetsRoleOf(role);
    const delegation = this.delegations.get(role);
    if (delegation && !this.delegatedRole(role, delegation).isDelegatedPath(targetPath)) {
      throw new UsageError(
        `Target "${targetPath}" is outside the paths delegated to role "${role}" (${delegation.paths.join(', ')}): a client would never look for it there.`,
        { details: { role, path: targetPath } },
      );
    }
    targetsRole.files.set(targetPath, Uint8Array.from(bytes));
    this.dirty.add(role);
  }

  /** Removes target `path` from targets role `role` (default `targets`). */
  removeTarget(targetPath: string, opts: { role?: string } = {}): void {
    const role = opts.role ?? 'targets';
    if (!this.targetsRoleOf(role).files.delete(targetPath)) {
      throw new UsageError(`Role "${role}" has no target "${targetPath}".`, {
        details: { role, path: targetPath },
      });
    }
    this.dirty.add(role);
  }

  /** The targets of `role` (default `targets`) as they will be published: path → bytes. */
  targets(role = 'targets'): ReadonlyMap<string, Uint8Array> {
    return new Map(this.targetsRoleOf(role).files);
  }

  // ---------------------------------------------------------- delegation

  /**
   * Delegates `paths` to a new targets role `name` (TUF spec §4.5
   * "delegations"). Returns the role's keys (generated when a count is given).
   */
  delegate(name: string, opts: DelegateOptions): readonly RepoKey[] {
    assertDelegatedRoleName(name);
    if (this.targetsRoles.has(name)) {
      throw new UsageError(`Role "${name}" already exists; revoke it first to redefine it.`, {
        details: { role: name },
      });
    }
    const parent = opts.parent ?? 'targets';
    const parentRole = this.targetsRoleOf(parent);
    if (opts.paths.length === 0) {
      throw new UsageError(`Delegation "${name}" needs at least one path pattern.`);
    }
    for (const pattern of opts.paths) assertTargetPath(pattern);
    const keySet = this.keySet(name, opts.keys ?? 1, opts.threshold ?? 1);
    const delegation: Delegation = {
      ...keySet,
      parent,
      paths: [...opts.paths],
      terminating: opts.terminating ?? false,
    };
    this.delegations.set(name, delegation);
    this.targetsRoles.set(name, { files: new Map(), children: [] });
    parentRole.children.push(name);
    this.dirty.add(parent);
    this.dirty.add(name);
    return [...keySet.keys];
  }

  /**
   * Removes delegated role `name` (and whatever it delegated further) from its
   * delegator. Its last metadata stays listed in snapshots (TUF spec §5.5.5).
   */
  revokeDelegation(name: string): void {
    const delegation = this.delegations.get(name);
    if (!delegation) {
      throw new UsageError(`There is no delegated role "${name}".`, { details: { role: name } });
    }
    const parent = this.targetsRoleOf(delegation.parent);
    parent.children = parent.children.filter((child) => child !== name);
    this.dirty.add(delegation.parent);
    // The role's last version stays in `latest`, so snapshots keep listing it:
    // TUF spec §5.5.5 requires every targets file a client's trusted snapshot
    // lists to stay listed (tuf-js: "Missing file … in new snapshot"), and a
    // later delegation of the same name continues its version numbers.
    const drop = (role: string): void => {
      for (const child of this.targetsRoles.get(role)?.children ?? []) drop(child);
      this.delegations.delete(role);
      this.targetsRoles.delete(role);
      this.dirty.delete(role);
    };
    drop(name);
  }

  // -------------------------------------------------------------- expiry

  /** Sets the expiry of `role` for every version signed from now on; marks it changed. */
  setExpires(role: string, date: Date): void {
    this.keySetOf(role);
    this.fixedExpiry.set(role, date);
    this.dirty.add(role);
  }

  /**
   * Sets how many days each new version of `role` stays valid (replacing a
   * fixed date set for it); marks it changed unless `mark` is false.
   */
  setLifetime(role: string, days: number, opts: { mark?: boolean } = {}): void {
    if (!Number.isFinite(days) || days <= 0 || days > 36_600) {
      throw new UsageError(
        `Validity period of role "${role}" must be a positive number of days (at most 36600), got ${days}.`,
        { details: { role } },
      );
    }
    this.lifetimeDays.set(role, days);
    this.fixedExpiry.delete(role);
    if (opts.mark !== false) this.dirty.add(role);
  }

  /** The validity period (days) new versions of `role` get. */
  lifetime(role: string): number {
    return (
      this.lifetimeDays.get(role) ??
      DEFAULT_LIFETIME_DAYS[isTopLevelRole(role) ? role : 'delegated']
    );
  }

  /** Marks `role` changed, so the next publish signs a new version of it (e.g. to renew its expiry). */
  touch(role: string): void {
    this.keySetOf(role);
    this.dirty.add(role);
  }

  /** Roles changed since the last publish. */
  changedRoles(): string[] {
    return [...this.dirty];
  }

  /** Every delegated targets role, in delegation order. */
  delegationsList(): DelegationInfo[] {
    return [...this.delegations].map(([name, d]) => ({
      name,
      parent: d.parent,
      paths: [...d.paths],
      terminating: d.terminating,
      keyIds: d.keys.map((k) => k.keyId),
      threshold: d.threshold,
    }));
  }

  // ------------------------------------------------------------- publish

  /**
   * Signs a new version of every role changed since the last publish (root
   * only when it changed), then a new snapshot listing every targets role and
   * a new timestamp (TUF spec §4.4, §4.6).
   */
  publish(opts: PublishOptions = {}): PublishReport {
    const published: string[] = [];
    const deferred: string[] = [];
    this.extraSigners = lent(opts.signers);
    this.allowMissingSigners = opts.partial === true;
    try {
      if (this.dirty.has('root')) {
        if (opts.partial && !this.rootSignable()) {
          return { published, deferred: [...this.dirty] };
        }
        this.publishRoot();
        published.push('root');
      }
      for (const role of this.targetsRoles.keys()) {
        if (!this.dirty.has(role)) continue;
        if (opts.partial && !this.signable(role)) {
          deferred.push(role);
          continue;
        }
        this.publishTargets(role);
        published.push(role);
      }
      this.publishSnapshot();
      this.publishTimestamp();
      published.push('snapshot', 'timestamp');
      for (const role of [...this.dirty]) if (!deferred.includes(role)) this.dirty.delete(role);
      return { published, deferred };
    } finally {
      this.extraSigners = new Map();
      this.allowMissingSigners = false;
    }
  }

  /**
   * Signs a new snapshot and timestamp only (the cron job of `repo refresh`):
   * no other role changes, so only the snapshot and timestamp keys are needed.
   */
  refreshTimestamps(): void {
    this.publishSnapshot();
    this.publishTimestamp();
    this.dirty.delete('snapshot');
    this.dirty.delete('timestamp');
  }

  /**
   * The next root version, signed by whichever of the required keys (the
   * current root's and the new one's, TUF spec §5.3.4) can sign here or are
   * in `signers`: the document an offline-root ceremony passes around.
   * Undefined when root has not changed.
   */
  pendingRoot(signers: readonly RepoKey[] = []): Uint8Array | undefined {
    if (!this.dirty.has('root')) return undefined;
    this.extraSigners = lent(signers);
    this.allowMissingSigners = true;
    try {
      return this.buildRoot(this.nextRootVersion()).bytes;
    } finally {
      this.extraSigners = new Map();
      this.allowMissingSigners = false;
    }
  }

  /** The version the next root will have. */
  nextRootVersion(): number {
    return this.nextVersionOverride.get('root') ?? this.version('root') + 1;
  }

  /**
   * Activates a root signed elsewhere (the end of an offline ceremony): it
   * must be the next version, list exactly the keys and thresholds the
   * repository has now, and carry a threshold of signatures of the previous
   * root's keys and of its own (TUF spec §5.3.4). Throws a UsageError saying
   * what is missing otherwise.
   */
  activateRoot(bytes: Uint8Array): void {
    if (!this.dirty.has('root')) {
      throw new UsageError('No root change is waiting for signatures.');
    }
    const next = this.nextRootVersion();
    const candidate = parseRootMetadata(bytes);
    if (candidate.signed.version !== next) {
      throw new UsageError(
        `This root is version ${candidate.signed.version}, but the repository waits for version ${next}.`,
      );
    }
    const mismatch = this.rootMismatch(bytes);
    if (mismatch) {
      throw new UsageError(
        `This root does not list the keys or threshold the repository has for role "${mismatch}": it was made before a later change. Export the pending root again and collect its signatures.`,
        { details: { role: mismatch } },
      );
    }
    const trusted = this.latest.get('root');
    const delegators: [string, ReturnType<typeof parseRootMetadata>][] = [['new root', candidate]];
    if (trusted) delegators.unshift(['previous root', parseRootMetadata(trusted.bytes)]);
    for (const [label, delegator] of delegators) {
      try {
        delegator.verifyDelegate('root', candidate);
      } catch (cause) {
        const threshold = delegator.signed.roles['root']?.threshold ?? 1;
        throw new UsageError(
          `Root version ${next} is not yet signed by ${threshold} key(s) of the ${label}: collect more signatures (repo sign-root, repo add-signature).`,
          { cause, details: { version: next, threshold } },
        );
      }
    }
    this.nextVersionOverride.delete('root');
    this.record('root', next, Uint8Array.from(bytes));
    this.previousRootKeys = [...this.keySetOf('root').keys];
    this.dirty.delete('root');
  }

  /**
   * The first top-level role whose keys or threshold in root document
   * `bytes` differ from the repository's, or undefined when all match.
   */
  rootMismatch(bytes: Uint8Array): TopLevelRole | undefined {
    const candidate = parseRootMetadata(bytes);
    const ids = (list: readonly string[]): string => [...list].sort().join(',');
    return TOP_LEVEL_ROLES.find((role) => {
      const listed = candidate.signed.roles[role];
      const set = this.keySetOf(role);
      return (
        !listed ||
        listed.threshold !== set.threshold ||
        ids(listed.keyIDs) !== ids(set.keys.map((k) => k.keyId))
      );
    });
  }

  /** True when a threshold of `role`'s keys can sign here (own private parts, or lent `signers`). */
  canSign(role: string, signers: readonly RepoKey[] = []): boolean {
    this.extraSigners = lent(signers);
    try {
      return role === 'root' ? this.rootSignable() : this.signable(role);
    } finally {
      this.extraSigners = new Map();
    }
  }

  /** Every published file: `N.root.json`, `N.<role>.json`, `timestamp.json` (latest) and `targets/<dir>/<sha256>.<name>`. */
  files(): Map<string, Uint8Array> {
    return new Map(this.history);
  }

  /** The latest published version of `role`, or 0 if it was never published. */
  version(role: string): number {
    return this.latest.get(role)?.version ?? 0;
  }

  /** Bytes of root version `version` (default 1): what a client pins. */
  rootBytes(version = 1): Uint8Array {
    return this.fileBytes(metadataFileName('root', version));
  }

  /** Versions of every timestamp published so far, oldest first. */
  timestampVersions(): number[] {
    return [...this.timestamps.keys()].sort((a, b) => a - b);
  }

  /** Bytes of timestamp version `version` (default: the latest). */
  timestampBytes(version?: number): Uint8Array {
    const bytes =
      version === undefined ? this.history.get('timestamp.json') : this.timestamps.get(version);
    if (!bytes) {
      throw new UsageError(`No timestamp version ${version ?? 'yet'}: call publish() first.`);
    }
    return Uint8Array.from(bytes);
  }

  /**
   * Writes a servable repository root (`metadata/`, `targets/`) to `dir`
   * atomically (see {@link writeRepositoryTree}). `timestampVersion` serves an
   * older timestamp as `timestamp.json` (rollback tests).
   */
  async writeTo(dir: string, opts: { timestampVersion?: number } = {}): Promise<void> {
    if (!this.history.has('timestamp.json')) {
      throw new UsageError('Nothing to write yet: call publish() first.');
    }
    const tree = new Map<string, Uint8Array>();
    for (const [name, bytes] of this.history) {
      tree.set(name.startsWith('targets/') ? name : `metadata/${name}`, bytes);
    }
    if (opts.timestampVersion !== undefined) {
      tree.set('metadata/timestamp.json', this.timestampBytes(opts.timestampVersion));
    }
    await writeRepositoryTree(dir, tree);
  }

  // ---------------------------------------------------------- test hooks

  /**
   * Test hook: sign `role` with exactly `keys` (e.g. below threshold, or a
   * key the role does not trust) from the next publish on, instead of its own
   * keys; `undefined` goes back to normal. Marks the role changed.
   */
  signWith(role: string, keys: readonly RepoKey[] | undefined): void {
    this.keySetOf(role);
    if (keys) this.signingOverride.set(role, [...keys]);
    else this.signingOverride.delete(role);
    this.dirty.add(role);
  }

  /**
   * Test hook: the next published version of `role` is `version` (may be
   * lower than the current one, for rollback tests). Marks the role changed.
   */
  bumpVersion(role: string, version: number): void {
    this.keySetOf(role);
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new UsageError(`Version must be a positive integer, got ${version}.`);
    }
    this.nextVersionOverride.set(role, version);
    this.dirty.add(role);
  }

  /**
   * Test hook: the parsed JSON (`{ signed, signatures }`) of the latest
   * published `role` (or of `version`), a fresh copy to tamper with.
   */
  rawMetadata(
    role: string,
    version?: number,
  ): { signed: Record<string, unknown>; signatures: unknown[] } {
    const name =
      role === 'timestamp' ? undefined : metadataFileName(role, version ?? this.version(role));
    const bytes = name ? this.fileBytes(name) : this.timestampBytes(version);
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as {
      signed: Record<string, unknown>;
      signatures: unknown[];
    };
  }

  /**
   * Test hook: signs an arbitrary (e.g. tampered) `signed` object with `keys`
   * (default: the keys of the role named by its `_type`) and returns the file bytes.
   */
  signRaw(signed: Record<string, unknown>, keys?: readonly RepoKey[]): Uint8Array {
    const { Metadata } = tufModels();
    const type = signed['_type'];
    if (type !== 'root' && type !== 'targets' && type !== 'snapshot' && type !== 'timestamp') {
      throw new UsageError(`Cannot sign metadata of type ${String(type)}.`);
    }
    // A deep copy, so the caller's object and the signed one are independent.
    const data = JSON.parse(JSON.stringify({ signed, signatures: [] })) as Parameters<
      typeof Root.fromJSON
    >[0];
    const metadata = Metadata.fromJSON(type as never, data) as Metadata<
      Root | Targets | Snapshot | Timestamp
    >;
    return this.encode(metadata, keys ?? this.keySetOf(type).keys);
  }

  /**
   * Test hook: replaces (or adds) a published file — metadata by name
   * (`2.targets.json`, `timestamp.json`) or a target blob (`targets/…`) — in
   * what {@link files} returns and {@link writeTo} writes. Pass `undefined` to delete it.
   */
  replaceFile(name: string, bytes: Uint8Array | undefined): void {
    if (bytes) this.history.set(name, Uint8Array.from(bytes));
    else this.history.delete(name);
  }

  // ------------------------------------------------------------ internals

  private keySet(role: string, keys: readonly RepoKey[] | number, threshold: number): KeySet {
    const list =
      typeof keys === 'number' ? Array.from({ length: keys }, () => this.generateKey()) : [...keys];
    const ids = new Set(list.map((k) => k.keyId));
    if (list.length === 0 || ids.size !== list.length) {
      throw new UsageError(`Role "${role}" needs at least one key, each listed once.`, {
        details: { role },
      });
    }
    if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > list.length) {
      throw new UsageError(
        `Threshold ${threshold} for role "${role}" must be between 1 and its ${list.length} key(s).`,
        { details: { role, threshold } },
      );
    }
    return { keys: list, threshold };
  }

  private keySetOf(role: string): KeySet {
    const set = isTopLevelRole(role) ? this.topLevel.get(role) : this.delegations.get(role);
    if (!set) {
      throw new UsageError(`Unknown role "${role}": use a top-level role or delegate() it first.`, {
        details: { role },
      });
    }
    return set;
  }

  private targetsRoleOf(role: string): TargetsRole {
    const found = this.targetsRoles.get(role);
    if (!found) {
      throw new UsageError(`"${role}" is not a targets role of this repository.`, {
        details: { role },
      });
    }
    return found;
  }

  /** After a key change: who lists the keys gets a new version, and the role is re-signed. */
  private markKeysChanged(role: string): void {
    const delegation = this.delegations.get(role);
    this.dirty.add(delegation ? delegation.parent : 'root');
    this.dirty.add(role);
  }

  private delegatedRole(name: string, d: Delegation) {
    const { DelegatedRole } = tufModels();
    return new DelegatedRole({
      name,
      keyIDs: d.keys.map((k) => k.keyId),
      threshold: d.threshold,
      terminating: d.terminating,
      paths: d.paths,
    });
  }

  private expiresFor(role: string): string {
    const fixed = this.fixedExpiry.get(role);
    const days = this.lifetime(role);
    const date = fixed ?? new Date(this.now().getTime() + days * DAY_MS);
    // TUF spec §4.2: expires is ISO 8601 "YYYY-MM-DDTHH:MM:SSZ" (no fractions).
    return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private nextVersion(role: string): number {
    const override = this.nextVersionOverride.get(role);
    this.nextVersionOverride.delete(role);
    return override ?? this.version(role) + 1;
  }

  private toModelKey(key: RepoKey) {
    const { Key } = tufModels();
    const pub: TufPublicKey = key.publicKey;
    return new Key({
      keyID: key.keyId,
      keyType: pub.keytype,
      scheme: pub.scheme,
      keyVal: { public: pub.keyval.public },
    });
  }

  private signersFor(role: string, defaults: readonly RepoKey[]): readonly RepoKey[] {
    return this.signingOverride.get(role) ?? defaults;
  }

  private encode(
    metadata: Metadata<Root | Targets | Snapshot | Timestamp>,
    keys: readonly RepoKey[],
  ): Uint8Array {
    const { Signature } = tufModels();
    metadata.signatures = {};
    for (const key of keys) {
      const signer = key.signer ?? this.extraSigners.get(key.keyId)?.signer;
      if (!signer && this.allowMissingSigners) continue;
      if (!signer) {
        throw new UsageError(
          `Key ${key.keyId} has no private part here: it cannot sign. Provide a key with a signer.`,
          { details: { keyId: key.keyId } },
        );
      }
      metadata.sign(
        (data) =>
          new Signature({
            keyID: signer.keyId,
            sig: Buffer.from(signer.sign(data)).toString('hex'),
          }),
      );
    }
    return Buffer.from(JSON.stringify(metadata.toJSON(), null, 2) + '\n', 'utf8');
  }

  private record(role: string, version: number, bytes: Uint8Array): void {
    this.history.set(metadataFileName(role, version), bytes);
    this.latest.set(role, { version, bytes });
  }

  private buildRoot(version: number): { bytes: Uint8Array } {
    const { Metadata, Root, Role } = tufModels();
    const keys: Record<string, ReturnType<TrustRepository['toModelKey']>> = {};
    const roles: Record<string, InstanceType<typeof Role>> = {};
    for (const role of TOP_LEVEL_ROLES) {
      const set = this.keySetOf(role);
      for (const key of set.keys) keys[key.keyId] = this.toModelKey(key);
      roles[role] = new Role({ keyIDs: set.keys.map((k) => k.keyId), threshold: set.threshold });
    }
    const root = new Root({
      version,
      specVersion: SPEC_VERSION,
      expires: this.expiresFor('root'),
      consistentSnapshot: true,
      keys,
      roles,
    });
    // TUF spec §5.3.4: a new root must be signed by a threshold of the old root's
    // keys and of its own; signing with both sets satisfies both.
    const current = this.keySetOf('root').keys;
    const byId = new Map([...this.previousRootKeys, ...current].map((k) => [k.keyId, k]));
    return { bytes: this.encode(new Metadata(root), this.signersFor('root', [...byId.values()])) };
  }

  private publishRoot(): void {
    const version = this.nextVersion('root');
    const { bytes } = this.buildRoot(version);
    this.record('root', version, bytes);
    this.previousRootKeys = [...this.keySetOf('root').keys];
    this.dirty.delete('root');
  }

  /** A threshold of `keys` can sign here (own private part, or lent for this publish). */
  private enoughSigners(keys: readonly RepoKey[], threshold: number): boolean {
    const able = keys.filter((k) => k.signer ?? this.extraSigners.get(k.keyId)?.signer);
    return able.length >= threshold;
  }

  private signable(role: string): boolean {
    if (this.signingOverride.has(role)) return true;
    const set = this.keySetOf(role);
    return this.enoughSigners(set.keys, set.threshold);
  }

  private rootSignable(): boolean {
    if (this.signingOverride.has('root')) return true;
    const set = this.keySetOf('root');
    const trusted = this.latest.get('root');
    const previousThreshold = trusted
      ? (parseRootMetadata(trusted.bytes).signed.roles['root']?.threshold ?? 1)
      : 0;
    return (
      this.enoughSigners(set.keys, set.threshold) &&
      this.enoughSigners(this.previousRootKeys, previousThreshold)
    );
  }

  private publishTargets(role: string): void {
    const { Metadata, Targets, TargetFile, Delegations } = tufModels();
    const state = this.targetsRoleOf(role);
    const targets: Record<string, InstanceType<typeof TargetFile>> = {};
    for (const [targetPath, bytes] of [...state.files].sort(([a], [b]) => a.localeCompare(b))) {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      targets[targetPath] = new TargetFile({
        path: targetPath,
        length: bytes.length,
        hashes: { sha256 },
      });
      this.history.set(targetBlobName(targetPath, sha256), bytes);
    }
    let delegations: InstanceType<typeof Delegations> | undefined;
    if (state.children.length > 0) {
      const keys: Record<string, ReturnType<TrustRepository['toModelKey']>> = {};
      const roles: Record<string, ReturnType<TrustRepository['delegatedRole']>> = {};
      for (const child of state.children) {
        const d = this.delegations.get(child)!;
        for (const key of d.keys) keys[key.keyId] = this.toModelKey(key);
        roles[child] = this.delegatedRole(child, d);
      }
      delegations = new Delegations({ keys, roles });
    }
    const version = this.nextVersion(role);
    const signed = new Targets({
      version,
      specVersion: SPEC_VERSION,
      expires: this.expiresFor(role),
      targets,
      delegations,
    });
    this.record(
      role,
      version,
      this.encode(new Metadata(signed), this.signersFor(role, this.keySetOf(role).keys)),
    );
  }

  private metaFile(version: number, bytes: Uint8Array): MetaFile {
    const { MetaFile } = tufModels();
    if (!this.metaHashes) return new MetaFile({ version });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return new MetaFile({ version, length: bytes.length, hashes: { sha256 } });
  }

  private publishSnapshot(): void {
    const { Metadata, Snapshot } = tufModels();
    const meta: Record<string, MetaFile> = {};
    // Every targets role ever published, revoked ones included (see revokeDelegation).
    const roles = [...this.latest.keys()].filter((r) => r === 'targets' || !isTopLevelRole(r));
    for (const role of roles.sort()) {
      const published = this.latest.get(role)!;
      meta[`${role}.json`] = this.metaFile(published.version, published.bytes);
    }
    const version = this.nextVersion('snapshot');
    const signed = new Snapshot({
      version,
      specVersion: SPEC_VERSION,
      expires: this.expiresFor('snapshot'),
      meta,
    });
    this.record(
      'snapshot',
      version,
      this.encode(
        new Metadata(signed),
        this.signersFor('snapshot', this.keySetOf('snapshot').keys),
      ),
    );
  }

  private publishTimestamp(): void {
    const { Metadata, Timestamp } = tufModels();
    const snapshot = this.latest.get('snapshot')!;
    const version = this.nextVersion('timestamp');
    const signed = new Timestamp({
      version,
      specVersion: SPEC_VERSION,
      expires: this.expiresFor('timestamp'),
      snapshotMeta: this.metaFile(snapshot.version, snapshot.bytes),
    });
    const bytes = this.encode(
      new Metadata(signed),
      this.signersFor('timestamp', this.keySetOf('timestamp').keys),
    );
    this.timestamps.set(version, bytes);
    this.history.set('timestamp.json', bytes);
    this.latest.set('timestamp', { version, bytes });
  }

  private fileBytes(name: string): Uint8Array {
    const bytes = this.history.get(name);
    if (!bytes) {
      throw new UsageError(`The repository has no ${name} (not published yet?).`, {
        details: { file: name },
      });
    }
    return Uint8Array.from(bytes);
  }
}

/** Keys lent for one operation, by key id (those without a private part are useless and dropped). */
function lent(signers: readonly RepoKey[] | undefined): Map<string, RepoKey> {
  return new Map((signers ?? []).filter((k) => k.signer).map((k) => [k.keyId, k]));
}

/** Parses root metadata bytes with @tufjs/models; a UsageError when they are not a root. */
export function parseRootMetadata(bytes: Uint8Array): Metadata<Root> {
  const { Metadata, MetadataKind } = tufModels();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new UsageError('This file is not JSON root metadata.', { cause });
  }
  const type = (json as { signed?: { _type?: unknown } } | null)?.signed?._type;
  if (type !== 'root') {
    throw new UsageError(`Expected root metadata, got ${JSON.stringify(type ?? null)}.`);
  }
  try {
    return Metadata.fromJSON(MetadataKind.Root, json as never);
  } catch (cause) {
    throw new UsageError(`Malformed root metadata: ${(cause as Error).message}`, { cause });
  }
}
