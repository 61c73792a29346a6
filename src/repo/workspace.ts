/**
 * The administrator's working repository on disk (`--repo DIR`), the state
 * behind every `tuf-notary repo …` command:
 *
 * ```
 * DIR/repository.json   the state pointer: the whole repository model (roles,
 *                       key ids, thresholds, delegations, expiry periods, every
 *                       published version) with file contents by SHA-256
 * DIR/objects/<sha256>  immutable contents: metadata versions, targets, a pending root
 * DIR/keys/<keyid>.key  private keys, PKCS#8 PEM, AES-256 encrypted with
 *                       TUF_NOTARY_PASSPHRASE when set (0600)
 * DIR/keys/<keyid>.pub  public keys (SPKI PEM)
 * ```
 *
 * Atomicity: a change writes its new objects and keys first (new names only,
 * never overwriting anything the current state uses), then replaces
 * `repository.json` with one rename. A command killed or failing before that
 * rename leaves the previous repository exactly as it was; leftovers are
 * unreferenced objects. A lock file serialises commands.
 */
import { processAlive, replaceFileAtomically } from '../files';
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { lstat, mkdir, open, readFile, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { UsageError } from '../errors';
import {
  decodeKeyFile,
  encodePrivateKey,
  encodePublicKey,
  passphraseFromEnv,
  PASSPHRASE_ENV,
} from './keyFiles';
import { generateRepoKey, type LocalRepoKey, type RepoKey, type RepoKeyType } from './keys';
import { TOP_LEVEL_ROLES, type TopLevelRole } from './layout';
import {
  TrustRepository,
  type PublishReport,
  type RepositoryState,
  type TopLevelNumbers,
} from './repository';

/** The state pointer's file name. */
export const STATE_FILE = 'repository.json';
/** Largest state or object file read. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Points in a commit where a test can stop it (fault injection). */
export type CommitStage = 'objects-written' | 'keys-written' | 'before-commit';

/** Options shared by {@link RepositoryWorkspace.init} and {@link RepositoryWorkspace.open}. */
export interface WorkspaceOptions {
  /** Passphrase for private keys (default: `TUF_NOTARY_PASSPHRASE`). */
  passphrase?: string;
  /** The clock (default: the system clock). */
  now?: () => Date;
  /** Test hook: called at each commit stage; throwing (or never returning) simulates a crash there. */
  faultHook?: (stage: CommitStage) => void | Promise<void>;
}

/** Options of {@link RepositoryWorkspace.init}. */
export interface WorkspaceInitOptions extends WorkspaceOptions {
  /** Type of generated keys (default `ecdsa`, P-256). */
  keyType?: RepoKeyType;
  /** Signature threshold per top-level role (default 1). */
  thresholds?: TopLevelNumbers;
  /** Keys generated per top-level role (default: its threshold). */
  keyCounts?: TopLevelNumbers;
  /** Validity period in days per role (defaults: root 365, targets 90, snapshot 7, timestamp 1). */
  lifetimeDays?: Partial<Record<string, number>>;
  /** Supplied keys per top-level role (private keys, or public keys for offline root keys). */
  keys?: Partial<Record<TopLevelRole, readonly RepoKey[]>>;
  /**
   * Keep root private keys out of DIR. Generated root keys are handed back
   * in {@link InitResult.offlineRootKeys} for the caller to store offline; root
   * version 1 then waits for a signing ceremony.
   */
  rootKeysOffline?: boolean;
}

/** What {@link RepositoryWorkspace.init} made. */
export interface InitResult {
  readonly workspace: RepositoryWorkspace;
  /** Generated root keys kept out of the workspace (offline root); store them safely. */
  readonly offlineRootKeys: readonly LocalRepoKey[];
}

/** The file `repository.json`. */
interface StateFile {
  readonly format: 1;
  /** Increases by one with every committed change. */
  readonly revision: number;
  readonly repository: RepositoryState;
  /** The next root version with the signatures collected so far (offline ceremony). */
  readonly pendingRoot?: string;
  /** Key ids whose private part lives elsewhere (offline root keys, publishers' keys). */
  readonly externalKeys: readonly string[];
}

/** One role as {@link RepositoryWorkspace.status} reports it. */
export interface RoleStatus {
  readonly role: string;
  readonly version: number;
  readonly expires?: Date;
  readonly lifetimeDays: number;
  readonly threshold: number;
  readonly keyIds: readonly string[];
  /** A threshold of its keys can sign here (else: offline or a publisher's key). */
  readonly signsHere: boolean;
  /** Changed but not yet signed. */
  readonly unpublished: boolean;
}

/** What {@link RepositoryWorkspace.status} reports. */
export interface WorkspaceStatus {
  readonly dir: string;
  readonly revision: number;
  readonly roles: readonly RoleStatus[];
  readonly pendingRoot?: { readonly version: number; readonly signatures: number };
  readonly targets: readonly { role: string; path: string; length: number; sha256: string }[];
  readonly delegations: ReturnType<TrustRepository['delegationsList']>;
  readonly encryptedKeys: boolean;
  readonly warnings: readonly string[];
}

const DAY_MS = 86_400_000;

/** Warn when a role has less than this share of its validity period left (capped at 30 days). */
const EXPIRY_WARNING = { share: 0.25, maxDays: 30 } as const;

/**
 * A working repository on disk. Obtain one with {@link RepositoryWorkspace.init}
 * or {@link RepositoryWorkspace.open}; change it with {@link update}, which
 * holds the lock, applies a change to the {@link TrustRepository} model and
 * commits atomically.
 */
export class RepositoryWorkspace {
  private constructor(
    /** The working repository's folder (absolute). */
    readonly dir: string,
    private file: StateFile,
    private readonly opts: WorkspaceOptions,
  ) {}

  /** The passphrase in use (option or environment), if any. */
  get passphrase(): string | undefined {
    return this.opts.passphrase ?? passphraseFromEnv();
  }

  /** The committed revision (increases with each change). */
  get revision(): number {
    return this.file.revision;
  }

  /**
   * Creates a working repository in `dir` (which must not hold one): keys for
   * the four top-level roles, root version 1 and, when the root can be signed
   * here, targets, snapshot and timestamp version 1.
   */
  static async init(dir: string, opts: WorkspaceInitOptions = {}): Promise<InitResult> {
    const abs = path.resolve(dir);
    if (await exists(path.join(abs, STATE_FILE))) {
      throw new UsageError(`${abs} already holds a repository; use another folder.`);
    }
    await mkdir(path.join(abs, 'keys'), { recursive: true });
    const keyType = opts.keyType ?? 'ecdsa';
    const keys: Partial<Record<TopLevelRole, readonly RepoKey[]>> = { ...opts.keys };
    const offlineRootKeys: LocalRepoKey[] = [];
    if (opts.rootKeysOffline && !keys.root) {
      const threshold = opts.thresholds?.root ?? 1;
      const count = opts.keyCounts?.root ?? threshold;
      for (let i = 0; i < count; i++) offlineRootKeys.push(generateRepoKey(keyType));
      keys.root = offlineRootKeys.map(publicOnly);
    } else if (opts.rootKeysOffline && keys.root) {
      keys.root = keys.root.map(publicOnly);
    }
    const repo = TrustRepository.create({
      keyType,
      ...(opts.thresholds ? { thresholds: opts.thresholds } : {}),
      ...(opts.keyCounts ? { keyCounts: opts.keyCounts } : {}),
      ...(opts.lifetimeDays ? { lifetimeDays: opts.lifetimeDays } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      keys,
    });
    const lock = await acquireLock(abs);
    try {
      const empty: StateFile = {
        format: 1,
        revision: 0,
        repository: repo.exportState().state,
        externalKeys: [],
      };
      const ws = new RepositoryWorkspace(abs, empty, opts);
      const generated = TOP_LEVEL_ROLES.flatMap((role) => repo.keys(role)).filter(isLocal);
      repo.publish({ partial: true });
      await ws.commit(repo, { newKeys: generated });
      return { workspace: ws, offlineRootKeys };
    } finally {
      await lock.release();
    }
  }

  /** Opens the working repository in `dir`. */
  static async open(dir: string, opts: WorkspaceOptions = {}): Promise<RepositoryWorkspace> {
    const abs = path.resolve(dir);
    return new RepositoryWorkspace(abs, await readStateFile(abs), opts);
  }

  /**
   * The repository model as committed, with every private key stored here
   * loaded (and decrypted) so it can sign, plus `signers` lent for this use.
   */
  async load(signers: readonly RepoKey[] = []): Promise<TrustRepository> {
    const state = this.file.repository;
    const own: RepoKey[] = [];
    for (const keyId of Object.keys(state.keys)) {
      if (this.file.externalKeys.includes(keyId)) continue;
      const file = path.join(this.dir, 'keys', `${keyId}.key`);
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text !== undefined) own.push(decodeKeyFile(text, file, this.passphrase));
    }
    const byId = new Map([...own, ...signers.filter((k) => k.signer)].map((k) => [k.keyId, k]));
    const blobs = new Map<string, Uint8Array>();
    const needed = collectShas(state);
    for (const sha of needed) blobs.set(sha, await this.object(sha));
    return TrustRepository.fromState(state, (sha) => blobs.get(sha)!, {
      signers: [...byId.values()],
      ...(this.opts.now ? { now: this.opts.now } : {}),
    });
  }

  /** The repository model without private keys (for status and reading). */
  async loadPublic(): Promise<TrustRepository> {
    const state = this.file.repository;
    const blobs = new Map<string, Uint8Array>();
    for (const sha of collectShas(state)) blobs.set(sha, await this.object(sha));
    return TrustRepository.fromState(state, (sha) => blobs.get(sha)!, {
      ...(this.opts.now ? { now: this.opts.now } : {}),
    });
  }

  /**
   * Applies `change` to the committed model under the lock, publishes what
   * can be signed here (`signers` are lent for this change: an offline root
   * key, a publisher's key) and commits atomically. A pending root blocks
   * publishing: the change is saved and published when the root is activated.
   */
  async update<T>(
    change: (repo: TrustRepository) => T | Promise<T>,
    opts: {
      signers?: readonly RepoKey[];
      newKeys?: readonly LocalRepoKey[];
      externalKeys?: readonly string[];
      publish?: (repo: TrustRepository) => PublishReport | undefined;
    } = {},
  ): Promise<{ result: T; report: PublishReport | undefined; pendingRoot: boolean }> {
    const lock = await acquireLock(this.dir);
    try {
      this.file = await readStateFile(this.dir);
      const repo = await this.load(opts.signers);
      const result = await change(repo);
      const report = opts.publish
        ? opts.publish(repo)
        : repo.publish({ partial: true, ...(opts.signers ? { signers: opts.signers } : {}) });
      await this.commit(repo, {
        ...(opts.newKeys ? { newKeys: opts.newKeys } : {}),
        ...(opts.externalKeys ? { externalKeys: opts.externalKeys } : {}),
        ...(opts.signers ? { signers: opts.signers } : {}),
      });
      return { result, report, pendingRoot: this.file.pendingRoot !== undefined };
    } finally {
      await lock.release();
    }
  }

  /** The pending root document (signatures so far), if a root change waits for signatures. */
  async pendingRoot(): Promise<Uint8Array | undefined> {
    return this.file.pendingRoot === undefined ? undefined : this.object(this.file.pendingRoot);
  }

  /**
   * Replaces the pending root document with `bytes` (more signatures) and,
   * when it now meets the thresholds, activates it and publishes everything
   * that waited for it. Returns whether the root was activated.
   */
  async savePendingRoot(
    bytes: Uint8Array,
    signers: readonly RepoKey[] = [],
  ): Promise<{ activated: boolean; version: number; report?: PublishReport }> {
    const lock = await acquireLock(this.dir);
    try {
      this.file = await readStateFile(this.dir);
      const repo = await this.load(signers);
      const version = repo.nextRootVersion();
      let activated = false;
      let report: PublishReport | undefined;
      try {
        repo.activateRoot(bytes);
        activated = true;
        report = repo.publish({ partial: true, signers });
      } catch (err) {
        if (!(err instanceof UsageError) || !/not yet signed/.test(err.message)) throw err;
      }
      await this.commit(repo, activated ? { signers } : { pendingRootBytes: bytes, signers });
      return { activated, version, ...(report ? { report } : {}) };
    } finally {
      await lock.release();
    }
  }

  /** Versions, expiry dates, keys and warnings (expiring soon, pending signatures, plain keys). */
  async status(): Promise<WorkspaceStatus> {
    const repo = await this.loadPublic();
    const now = (this.opts.now ?? (() => new Date()))();
    const changed = new Set(repo.changedRoles());
    const roleNames = [...TOP_LEVEL_ROLES, ...repo.delegationsList().map((d) => d.name)];
    const externals = new Set(this.file.externalKeys);
    const stored = await this.storedKeyIds();
    const warnings: string[] = [];
    const roles: RoleStatus[] = roleNames.map((role) => {
      const version = repo.version(role);
      const expires = version > 0 ? expiresOf(repo, role) : undefined;
      const keyIds = repo.keys(role).map((k) => k.keyId);
      const here = keyIds.filter((id) => stored.has(id) && !externals.has(id)).length;
      const threshold = repo.threshold(role);
      const lifetime = repo.lifetime(role);
      if (expires) {
        const left = expires.getTime() - now.getTime();
        const warnAt = Math.min(lifetime * EXPIRY_WARNING.share, EXPIRY_WARNING.maxDays) * DAY_MS;
        if (left <= 0) {
          warnings.push(
            `${role} v${version} EXPIRED at ${expires.toISOString()}: ${renewHint(role)}`,
          );
        } else if (left <= warnAt) {
          warnings.push(
            `${role} v${version} expires in ${formatDuration(left)} (${expires.toISOString()}): ${renewHint(role)}`,
          );
        }
      }
      if (changed.has(role) && role !== 'root') {
        warnings.push(
          `${role} has changes not signed yet: ${here >= threshold ? 'run any repo command to publish' : `sign it with tuf-notary repo sign-delegated ${role} --key KEY.pem`}`,
        );
      }
      return {
        role,
        version,
        ...(expires ? { expires } : {}),
        lifetimeDays: lifetime,
        threshold,
        keyIds,
        signsHere: here >= threshold,
        unpublished: changed.has(role),
      };
    });
    let pendingRoot: WorkspaceStatus['pendingRoot'];
    const pending = await this.pendingRoot();
    if (pending) {
      const json = JSON.parse(Buffer.from(pending).toString('utf8')) as {
        signed: { version: number };
        signatures: unknown[];
      };
      pendingRoot = { version: json.signed.version, signatures: json.signatures.length };
      warnings.push(
        `root v${pendingRoot.version} waits for signatures (${pendingRoot.signatures} so far): export it with repo export-root, sign with repo sign-root, merge with repo add-signature`,
      );
    }
    const encryptedKeys = await this.keysEncrypted(stored);
    if (!encryptedKeys && stored.size > 0) {
      warnings.push(
        `private keys in ${path.join(this.dir, 'keys')} are NOT encrypted: set ${PASSPHRASE_ENV} and run repo rotate-key, or keep DIR on an encrypted disk`,
      );
    }
    const targets = [...TOP_LEVEL_ROLES.slice(1, 2), ...repo.delegationsList().map((d) => d.name)]
      .filter((role) => repo.version(role) > 0 || role === 'targets')
      .flatMap((role) =>
        [...repo.targets(role)].map(([p, bytes]) => ({
          role,
          path: p,
          length: bytes.length,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        })),
      );
    return {
      dir: this.dir,
      revision: this.file.revision,
      roles,
      ...(pendingRoot ? { pendingRoot } : {}),
      targets,
      delegations: repo.delegationsList(),
      encryptedKeys,
      warnings,
    };
  }

  /** Writes the servable repository (`metadata/`, `targets/`) to `dir` atomically. */
  async publishTo(dir: string): Promise<TrustRepository> {
    const repo = await this.loadPublic();
    await repo.writeTo(dir);
    return repo;
  }

  // ------------------------------------------------------------ internals

  private async object(sha: string): Promise<Uint8Array> {
    if (!/^[0-9a-f]{64}$/.test(sha))
      throw new UsageError(`Bad object name ${sha} in ${STATE_FILE}.`);
    const file = path.join(this.dir, 'objects', sha);
    const bytes = await readBounded(file);
    if (createHash('sha256').update(bytes).digest('hex') !== sha) {
      throw new UsageError(`${file} is damaged (its SHA-256 does not match its name).`);
    }
    return bytes;
  }

  private async storedKeyIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const keyId of Object.keys(this.file.repository.keys)) {
      if (await exists(path.join(this.dir, 'keys', `${keyId}.key`))) ids.add(keyId);
    }
    return ids;
  }

  private async keysEncrypted(ids: ReadonlySet<string>): Promise<boolean> {
    for (const id of ids) {
      const text = await readFile(path.join(this.dir, 'keys', `${id}.key`), 'utf8');
      if (!text.includes('ENCRYPTED PRIVATE KEY')) return false;
    }
    return true;
  }

  /**
   * The pending root to keep: the one already collecting signatures while it
   * still lists the repository's keys (a later non-key change must not throw
   * signatures away), else a fresh one; undefined when root has no change.
   */
  private async nextPendingRoot(
    repo: TrustRepository,
    signers: readonly RepoKey[] = [],
  ): Promise<Uint8Array | undefined> {
    if (!repo.changedRoles().includes('root')) return undefined;
    const current = await this.pendingRoot();
    if (current) {
      const version = (
        JSON.parse(Buffer.from(current).toString('utf8')) as { signed: { version: number } }
      ).signed.version;
      if (version === repo.nextRootVersion() && repo.rootMismatch(current) === undefined) {
        return current;
      }
    }
    return repo.pendingRoot(signers);
  }

  /**
   * Writes new objects and keys, then swaps `repository.json` (the commit
   * point). Caller holds the lock.
   */
  private async commit(
    repo: TrustRepository,
    opts: {
      newKeys?: readonly RepoKey[];
      externalKeys?: readonly string[];
      signers?: readonly RepoKey[];
      pendingRootBytes?: Uint8Array;
    } = {},
  ): Promise<void> {
    const { state, blobs } = repo.exportState();
    const pending = opts.pendingRootBytes ?? (await this.nextPendingRoot(repo, opts.signers));
    let pendingSha: string | undefined;
    if (pending) {
      pendingSha = createHash('sha256').update(pending).digest('hex');
      blobs.set(pendingSha, pending);
    }
    await mkdir(path.join(this.dir, 'objects'), { recursive: true });
    for (const [sha, bytes] of blobs) {
      const file = path.join(this.dir, 'objects', sha);
      if (!(await exists(file))) await replaceFileAtomically(file, bytes, { mode: 0o644 });
    }
    await this.opts.faultHook?.('objects-written');
    for (const key of opts.newKeys ?? []) {
      if (!isLocal(key)) continue;
      const base = path.join(this.dir, 'keys', key.keyId);
      await replaceFileAtomically(
        `${base}.key`,
        encodePrivateKey(key.privateKey, this.passphrase),
        { mode: 0o600 },
      );
      await replaceFileAtomically(`${base}.pub`, encodePublicKey(key), { mode: 0o644 });
    }
    await this.opts.faultHook?.('keys-written');
    const external = new Set([...this.file.externalKeys, ...(opts.externalKeys ?? [])]);
    for (const id of [...external]) if (!(id in state.keys)) external.delete(id);
    const next: StateFile = {
      format: 1,
      revision: this.file.revision + 1,
      repository: state,
      ...(pendingSha ? { pendingRoot: pendingSha } : {}),
      externalKeys: [...external].sort(),
    };
    await this.opts.faultHook?.('before-commit');
    await replaceFileAtomically(
      path.join(this.dir, STATE_FILE),
      Buffer.from(JSON.stringify(next, null, 2) + '\n', 'utf8'),
      { mode: 0o644 },
    );
    this.file = next;
  }
}

// ---------------------------------------------------------------- helpers

function isLocal(key: RepoKey): key is LocalRepoKey {
  return 'privateKey' in key && key.signer !== undefined;
}

function publicOnly(key: RepoKey): RepoKey {
  return { keyId: key.keyId, type: key.type, publicKey: key.publicKey };
}

function collectShas(state: RepositoryState): Set<string> {
  const shas = new Set<string>();
  for (const t of Object.values(state.targetsRoles))
    for (const s of Object.values(t.files)) shas.add(s);
  for (const l of Object.values(state.latest)) shas.add(l.sha256);
  for (const s of Object.values(state.history)) shas.add(s);
  for (const s of Object.values(state.timestamps)) shas.add(s);
  return shas;
}

function expiresOf(repo: TrustRepository, role: string): Date | undefined {
  try {
    const expires = repo.rawMetadata(role).signed['expires'];
    return typeof expires === 'string' ? new Date(expires) : undefined;
  } catch {
    return undefined;
  }
}

function renewHint(role: string): string {
  if (role === 'timestamp' || role === 'snapshot') return 'run tuf-notary repo refresh (cron)';
  if (role === 'root') return 'run tuf-notary repo refresh --renew root (needs the root keys)';
  return `run tuf-notary repo refresh --renew ${role}`;
}

function formatDuration(ms: number): string {
  const hours = ms / 3_600_000;
  return hours < 48 ? `${Math.max(1, Math.round(hours))} h` : `${Math.round(hours / 24)} days`;
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}

async function readBounded(file: string): Promise<Uint8Array> {
  const stat = await lstat(file).catch(() => undefined);
  if (!stat?.isFile())
    throw new UsageError(`${file} is missing: the working repository is damaged.`);
  if (stat.size > MAX_FILE_BYTES)
    throw new UsageError(`${file} is larger than ${MAX_FILE_BYTES} bytes.`);
  return readFile(file);
}

async function readStateFile(dir: string): Promise<StateFile> {
  const file = path.join(dir, STATE_FILE);
  if (!(await exists(file))) {
    throw new UsageError(
      `${dir} is not a tuf-notary working repository (no ${STATE_FILE}); create one with: tuf-notary repo init --repo ${dir}`,
    );
  }
  let parsed: StateFile;
  try {
    parsed = JSON.parse(Buffer.from(await readBounded(file)).toString('utf8')) as StateFile;
  } catch (cause) {
    if (cause instanceof UsageError) throw cause;
    throw new UsageError(`${file} is not valid JSON: the working repository is damaged.`, {
      cause,
    });
  }
  if (parsed.format !== 1 || typeof parsed.revision !== 'number' || !parsed.repository) {
    throw new UsageError(`${file} has an unknown format: upgrade tuf-notary.`);
  }
  return { ...parsed, externalKeys: parsed.externalKeys ?? [] };
}

/** A lock file holding the owner's pid; a lock left by a dead process is taken over. */
async function acquireLock(dir: string): Promise<{ release(): Promise<void> }> {
  const file = path.join(dir, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(
        file,
        fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY,
        0o600,
      );
      await handle.writeFile(String(process.pid));
      await handle.close();
      return { release: () => rm(file, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (
        Number.isSafeInteger(owner) &&
        owner > 0 &&
        owner !== process.pid &&
        processAlive(owner)
      ) {
        throw new UsageError(
          `${dir} is locked by process ${owner} (another tuf-notary repo command); wait for it to finish.`,
        );
      }
      // Stale (the owner died mid-command): its half-done change was never committed.
      await rm(file, { force: true });
    }
  }
  throw new UsageError(`Could not lock ${dir}; remove ${file} if no repo command is running.`);
}
