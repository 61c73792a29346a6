/**
 * Mirroring a trust repository for an air-gapped site (`tuf-notary mirror`).
 *
 * The copy is made by running the TUF client workflow from a pinned root
 * (TUF spec §5.2–5.7): every root version of the chain, timestamp, snapshot,
 * targets, every delegated targets role reachable from `targets`, and the
 * trust targets (policy, the stores it names, revocations.json) or all
 * targets. Nothing is written that did not verify, so a mirror can be carried
 * across the gap and served by a DirectorySource or any static web server;
 * the clients at the site verify it again from their own pinned root.
 *
 * The mirror directory holds exactly what DirectorySource reads:
 * `metadata/<N>.root.json`, `metadata/timestamp.json`,
 * `metadata/<N>.snapshot.json`, `metadata/<N>.<role>.json` and
 * `targets/<dir>/<sha256>.<name>` (consistent snapshots; plain names
 * otherwise). It is built beside the destination and renamed into place.
 */
import { writeNewFileSynced } from '../files';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { TargetFile } from 'tuf-js';
import {
  CacheError,
  ErrorCode,
  SourceUnavailableError,
  TufError,
  TufNotaryError,
  UsageError,
} from '../errors';
import type { SnapshotTarget } from '../trust/types';
import { resolveSource } from './client';
import { readTrustContent, type VerifiedTarget } from './content';
import type { FetchLog } from './fetcher';
import { verifyNextRoot, verifyPinnedRoot, type TrustedRoot } from './rootChain';
import { DEFAULT_LIMITS, TufSession, type TufLimits } from './session';
import type { HttpSourceOptions } from './sources/http';
import { DirectorySource } from './sources/directory';
import { isNotFound, TufSourceTooLargeError, type TufSource } from './sources/source';
import { mapTufError } from './tufErrors';

/** Options of {@link mirrorRepository}. */
export interface MirrorOptions {
  /** The pinned root.json (path or bytes) the copy is verified from. Never fetched. */
  readonly root: string | Uint8Array;
  /** The repository to copy: a URL, a directory, `oci://registry/repository`, or a TufSource. */
  readonly from: string | TufSource;
  /** The mirror directory to create or update. */
  readonly to: string;
  /** Copy every target reachable through the delegation tree, not only the trust targets. */
  readonly allTargets?: boolean;
  /** HTTP options when `from` is a URL. */
  readonly http?: Omit<HttpSourceOptions, 'url'>;
  /** TUF length and count limits (default: tuf-js's). */
  readonly limits?: Partial<TufLimits>;
  /** Called after each file is downloaded and verified (for progress lines). */
  readonly onProgress?: (progress: MirrorProgress) => void;
}

/** Progress of a running mirror. */
export interface MirrorProgress {
  /** `metadata/<name>` or `targets/<path>` just verified. */
  readonly file: string;
  /** Files verified so far. */
  readonly files: number;
  /** Bytes verified so far. */
  readonly bytes: number;
}

/** Versions a mirror directory holds. */
export interface MirrorVersions {
  readonly rootVersion: number;
  readonly timestampVersion: number;
  readonly snapshotVersion: number;
  readonly targetsVersion: number;
}

/** What {@link mirrorRepository} wrote. */
export interface MirrorResult extends MirrorVersions {
  /** The mirror directory (absolute). */
  readonly to: string;
  /** The source, as described in messages. */
  readonly source: string;
  /** Earliest expiry of the copied metadata: the mirror must be replaced before then. */
  readonly expires: Date;
  /** The role that expires first. */
  readonly expiresRole: string;
  /** Root versions copied (oldest first): clients pinned to any of them can use the mirror. */
  readonly roots: readonly number[];
  /** Metadata file names written under `metadata/`. */
  readonly metadata: readonly string[];
  /** Targets written under `targets/` (by TUF path). */
  readonly targets: readonly SnapshotTarget[];
  /** Total bytes written. */
  readonly bytes: number;
  /** Versions the directory held before, when it was an existing mirror. */
  readonly replaced?: MirrorVersions;
}

/** Names that cannot be delegated roles: tuf-js keeps every role in one table with the top-level ones. */
const TOP_LEVEL_NAMES: ReadonlySet<string> = new Set(['root', 'timestamp', 'snapshot', 'targets']);

/** Delegated role names a mirror stores as file names (one path segment, no surprises). */
const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What may sit in a mirror directory; anything else means the directory is not a mirror. */
const MIRROR_ENTRIES: ReadonlySet<string> = new Set(['metadata', 'targets']);

/** Bounds on reading an existing mirror's metadata for the rollback check. */
const EXISTING_MAX_BYTES = DEFAULT_LIMITS.snapshotMaxLength;
const EXISTING_MAX_FILES = 100_000;

type Store = import('tuf-js/dist/store').TrustedMetadataStore;

/** One file of the mirror being built. */
interface MirrorFile {
  readonly bytes: Uint8Array;
}

/**
 * Copies the trust repository at `options.from` into `options.to`, verifying
 * it on the way from the pinned root (TUF client workflow, spec §5). Refuses
 * to replace a mirror that holds newer metadata (ERR_TUF_ROLLBACK) and a
 * non-empty directory that is not a mirror (ERR_USAGE). Atomic: the new
 * mirror is built beside `to` and renamed into place; a failure leaves `to`
 * as it was.
 */
export async function mirrorRepository(options: MirrorOptions): Promise<MirrorResult> {
  const limits: TufLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const to = path.resolve(options.to);
  const pin = verifyPinnedRoot(await readPin(options.root, limits.rootMaxLength));
  const source = resolveSource(options.from, options.http);
  if (source instanceof DirectorySource && path.resolve(source.root) === to) {
    throw new UsageError(`--from and --to are the same directory (${to}); mirror into a new one`);
  }
  const previous = await inspectMirror(to);
  if (previous !== undefined) await precheckRollback(source, limits, previous, to);

  const metadata = new Map<string, MirrorFile>();
  const targets = new Map<string, MirrorFile>();
  const records: SnapshotTarget[] = [];
  let files = 0;
  let bytes = 0;
  const progress = (file: string, size: number): void => {
    files += 1;
    bytes += size;
    options.onProgress?.({ file, files, bytes });
  };

  const session = TufSession.create(pin, new Map(), source, true, limits);
  try {
    // Client workflow §5.3–5.6 for root, timestamp, snapshot and targets.
    await session.refresh();
    const top = session.state();
    const roots = await copyRootChain(pin, session, source, limits, metadata, progress);
    const topFiles = session.metadataFiles();
    const consistent = top.consistentSnapshot;
    // Sources see decoded names (fetcher.ts), and the mirror stores them as such.
    const named = (role: string, version: number): string =>
      consistent ? `${version}.${role}.json` : `${role}.json`;
    const topNames: [string, string][] = [
      ['timestamp.json', 'timestamp.json'],
      ['snapshot.json', named('snapshot', top.snapshotVersion)],
      ['targets.json', named('targets', top.targetsVersion)],
    ];
    for (const [workName, mirrorName] of topNames) {
      const fileBytes = topFiles.get(workName);
      if (fileBytes === undefined) {
        throw new TufError(ErrorCode.TUF_METADATA, `the TUF update produced no ${workName}`);
      }
      metadata.set(mirrorName, { bytes: fileBytes });
      progress(`metadata/${mirrorName}`, fileBytes.length);
    }

    // Client workflow §5.6 for every delegated role reachable from targets.
    const delegated = await copyDelegatedRoles(session, source, limits, named, progress);
    for (const [role, entry] of delegated) {
      metadata.set(entry.name, { bytes: entry.bytes });
      // Seed the session so target lookups verify these very bytes (no second download).
      await fs.writeFile(path.join(session.workDir, `${role}.json`), entry.bytes);
    }

    // Targets (§5.7): the trust content a client reads, validated as a client would.
    const seen = new Set<string>();
    const readTarget = async (targetPath: string): Promise<VerifiedTarget | undefined> => {
      const info = await session.targetInfo(targetPath);
      if (info === undefined) return undefined;
      const got = await downloadTarget(session, source, info);
      const where = session.downloadPath(info);
      if (!seen.has(where)) {
        seen.add(where);
        targets.set(where, { bytes: got.bytes });
        records.push(got.record);
        progress(`targets/${where}`, got.bytes.length);
      }
      return got;
    };
    await readTrustContent(readTarget, source.describe());
    if (options.allTargets === true) {
      for (const targetPath of allTargetPaths(delegated, session)) {
        await readTarget(targetPath);
      }
    }

    const final = session.state();
    const result: MirrorVersions = {
      rootVersion: final.rootVersion,
      timestampVersion: final.timestampVersion,
      snapshotVersion: final.snapshotVersion,
      targetsVersion: final.targetsVersion,
    };
    // Rollback of a mirror: never replace newer metadata with older (TUF spec §5.3.5, §5.4.3, §5.5.5).
    const current = await inspectMirror(to);
    assertNotOlder(result, current ?? previous, to);
    await writeMirror(to, metadata, targets);
    return {
      ...result,
      to,
      source: source.describe(),
      expires: final.expires,
      expiresRole: final.expiresRole,
      roots,
      metadata: [...metadata.keys()].sort(),
      targets: records,
      bytes,
      ...(current === undefined ? {} : { replaced: current }),
    };
  } finally {
    session.dispose();
  }
}

/** The pinned root's bytes, bounded by the root length limit. */
async function readPin(root: string | Uint8Array, maxLength: number): Promise<Uint8Array> {
  if (typeof root !== 'string') return root;
  try {
    const stat = await fs.stat(root);
    if (stat.size > maxLength) {
      throw new UsageError(`pinned root ${root} is larger than ${maxLength} bytes`);
    }
    return new Uint8Array(await fs.readFile(root));
  } catch (err) {
    if (err instanceof TufNotaryError) throw err;
    throw new UsageError(`cannot read the pinned root ${root}: ${String(err)}`, { cause: err });
  }
}

/**
 * Every root version of the chain: the pin, each newer root tuf-js verified
 * (re-checked here link by link, spec §5.3.4–5.3.5), and the older roots the
 * source still has that chain to the pin, so that clients pinned to an older
 * root can follow the rotations from the mirror too.
 */
async function copyRootChain(
  pin: TrustedRoot,
  session: TufSession,
  source: TufSource,
  limits: TufLimits,
  metadata: Map<string, MirrorFile>,
  progress: (file: string, size: number) => void,
): Promise<number[]> {
  const finalVersion = session.state().rootVersion;
  const chain: TrustedRoot[] = [pin];
  let head = pin;
  for (let v = pin.version + 1; v <= finalVersion; v += 1) {
    const bytes = v === finalVersion ? session.rootBytes() : session.log.roots.get(v);
    if (bytes === undefined) {
      throw new TufError(ErrorCode.TUF_METADATA, `root v${v} was verified but not kept`);
    }
    head = verifyNextRoot(head, bytes, `root v${v} from ${source.describe()}`);
    chain.push(head);
  }
  // Older roots: each must be the root whose keys signed its successor.
  let next = pin;
  for (let v = pin.version - 1; v >= 1; v -= 1) {
    let bytes: Uint8Array;
    try {
      bytes = await source.fetchMetadata(`${v}.root.json`, limits.rootMaxLength);
    } catch (err) {
      if (isNotFound(err)) break;
      throw err;
    }
    const older = verifyPinnedRoot(bytes);
    if (older.version !== v) {
      throw new TufError(
        ErrorCode.TUF_METADATA,
        `${source.describe()}: ${v}.root.json holds root version ${older.version}`,
      );
    }
    verifyNextRoot(older, next.bytes, `root v${next.version} (successor of ${v}.root.json)`);
    chain.unshift(older);
    next = older;
  }
  for (const root of chain) {
    const name = `${root.version}.root.json`;
    metadata.set(name, { bytes: root.bytes });
    progress(`metadata/${name}`, root.bytes.length);
  }
  return chain.map((r) => r.version);
}

/**
 * Walks the whole delegation tree from `targets` breadth-first and verifies
 * each delegated role as the client workflow does (spec §5.6.1–5.6.5:
 * snapshot length/hash, delegator's keys and threshold, snapshot version,
 * expiry), with tuf-js's own trusted-metadata state machine. Bounded by the
 * number of roles the snapshot lists.
 */
async function copyDelegatedRoles(
  session: TufSession,
  source: TufSource,
  limits: TufLimits,
  named: (role: string, version: number) => string,
  progress: (file: string, size: number) => void,
): Promise<Map<string, { name: string; bytes: Uint8Array }>> {
  const { TrustedMetadataStore } =
    require('tuf-js/dist/store') as typeof import('tuf-js/dist/store');
  const log: FetchLog = { roots: new Map(), requests: 0 };
  const fail = (err: unknown): TufNotaryError =>
    mapTufError(err, { source: source.describe(), log, trusted: 'the mirror being built' });
  const work = session.metadataFiles();
  const buf = (name: string): Buffer => Buffer.from(work.get(name) ?? new Uint8Array());
  let store: Store;
  try {
    store = new TrustedMetadataStore(Buffer.from(session.rootBytes()));
    store.updateTimestamp(buf('timestamp.json'));
    store.updateSnapshot(buf('snapshot.json'), true);
    store.updateDelegatedTargets(buf('targets.json'), 'targets', 'root');
  } catch (err) {
    throw fail(err);
  }
  const snapshotMeta = store.snapshot?.signed.meta ?? {};
  const maxRoles = Object.keys(snapshotMeta).length;
  const out = new Map<string, { name: string; bytes: Uint8Array }>();
  const queue: { role: string; parent: string }[] = childRoles(store, 'targets');
  while (queue.length > 0) {
    const { role, parent } = queue.shift()!;
    if (store.getRole(role) !== undefined) continue; // first delegator wins, as in tuf-js
    if (TOP_LEVEL_NAMES.has(role) || !ROLE_NAME.test(role)) {
      throw new TufError(
        ErrorCode.TUF_METADATA,
        `${parent} delegates to a role named "${role.slice(0, 80)}", which a mirror cannot store ` +
          '(a top-level role name, or not letters, digits, ".", "_" and "-")',
      );
    }
    if (out.size >= maxRoles) {
      throw new TufError(
        ErrorCode.TUF_METADATA,
        `the delegation tree has more roles than the ${maxRoles} the snapshot lists`,
      );
    }
    const meta = snapshotMeta[`${role}.json`];
    if (meta === undefined) {
      throw new TufError(
        ErrorCode.TUF_METADATA,
        `${parent} delegates to ${role} but the snapshot does not list ${role}.json (spec §5.6.1)`,
      );
    }
    const name = named(role, meta.version);
    log.lastName = name;
    log.requests += 1;
    let bytes: Uint8Array;
    try {
      bytes = await source.fetchMetadata(name, meta.length ?? limits.targetsMaxLength);
      store.updateDelegatedTargets(Buffer.from(bytes), role, parent);
    } catch (err) {
      log.lastFailure = err;
      throw fail(err);
    }
    out.set(role, { name, bytes });
    progress(`metadata/${name}`, bytes.length);
    queue.push(...childRoles(store, role));
  }
  return out;
}

/** The roles `role` delegates to, in delegation order (named roles or succinct hash bins). */
function childRoles(store: Store, role: string): { role: string; parent: string }[] {
  const delegations = store.getRole(role)?.signed.delegations;
  if (delegations === undefined) return [];
  const names = delegations.roles
    ? Object.keys(delegations.roles)
    : [...(delegations.succinctRoles?.getRoles() ?? [])];
  return names.map((name) => ({ role: name, parent: role }));
}

/** Every target path listed by `targets` or a delegated role (looked up through the delegation walk later). */
function allTargetPaths(
  delegated: ReadonlyMap<string, { bytes: Uint8Array }>,
  session: TufSession,
): string[] {
  const paths = new Set<string>();
  const docs = [
    session.metadataFiles().get('targets.json'),
    ...[...delegated.values()].map((d) => d.bytes),
  ];
  for (const doc of docs) {
    if (doc === undefined) continue;
    const parsed = JSON.parse(Buffer.from(doc).toString('utf8')) as {
      signed?: { targets?: Record<string, unknown> };
    };
    for (const p of Object.keys(parsed.signed?.targets ?? {})) paths.add(p);
  }
  return [...paths];
}

/** Downloads one target and checks it against its TUF record (spec §5.7.3). */
async function downloadTarget(
  session: TufSession,
  source: TufSource,
  info: TargetFile,
): Promise<VerifiedTarget> {
  const sha256 = info.hashes.sha256;
  if (sha256 === undefined) {
    throw new TufError(
      ErrorCode.TUF_METADATA,
      `target ${info.path} has no sha256 hash in its TUF metadata; tuf-notary requires one`,
    );
  }
  const bytes = await source
    .fetchTarget(session.downloadPath(info), info.length)
    .catch((err: unknown) => {
      if (err instanceof TufSourceTooLargeError) {
        throw new TufError(
          ErrorCode.TUF_TARGET_MISMATCH,
          `target ${info.path} from ${source.describe()} is longer than the ${info.length} bytes its TUF metadata records`,
          { cause: err, details: { target: info.path } },
        );
      }
      if (err instanceof TufNotaryError) throw err;
      throw new SourceUnavailableError(
        `cannot read target ${info.path} from ${source.describe()}: ${String(err)}`,
        { cause: err },
      );
    });
  await session.verifyTarget(info, bytes);
  return { record: { path: info.path, sha256, length: info.length }, bytes };
}

interface SignedVersion {
  signed?: { version?: unknown; meta?: Record<string, { version?: unknown } | undefined> };
}

/**
 * The versions an existing mirror at `dir` holds, or undefined when `dir` is
 * absent or empty. Throws ERR_USAGE for a directory that is not a mirror, so
 * that `--to` can never wipe unrelated files. The files are not verified:
 * they only stop an older copy from replacing them (fail closed).
 */
export async function inspectMirror(dir: string): Promise<MirrorVersions | undefined> {
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read the mirror directory ${dir}: ${String(err)}`, { cause: err });
  }
  if (entries.length === 0) return undefined;
  const stranger = entries.find((e) => !MIRROR_ENTRIES.has(e));
  if (stranger !== undefined || !entries.includes('metadata')) {
    throw new UsageError(
      `${dir} is not a tuf-notary mirror (it holds ${stranger ?? 'no metadata/ folder'}); ` +
        'give an empty or new directory, or an earlier mirror',
    );
  }
  const metaDir = path.join(dir, 'metadata');
  const names = await fs.readdir(metaDir);
  if (names.length > EXISTING_MAX_FILES) {
    throw new UsageError(`${metaDir} holds more than ${EXISTING_MAX_FILES} files; not a mirror`);
  }
  const read = async (name: string): Promise<SignedVersion | undefined> => {
    const file = path.join(metaDir, name);
    try {
      const stat = await fs.lstat(file);
      if (!stat.isFile() || stat.size > EXISTING_MAX_BYTES) return undefined;
      return JSON.parse(await fs.readFile(file, 'utf8')) as SignedVersion;
    } catch {
      return undefined;
    }
  };
  const version = (doc: unknown): number => {
    const v = Number(doc);
    return Number.isSafeInteger(v) && v > 0 ? v : 0;
  };
  const rootVersion = Math.max(
    0,
    ...names.map((n) => /^(\d+)\.root\.json$/.exec(n)?.[1]).map((v) => version(v)),
  );
  const timestamp = await read('timestamp.json');
  const timestampVersion = version(timestamp?.signed?.version);
  const snapshotVersion = version(timestamp?.signed?.meta?.['snapshot.json']?.version);
  const snapshot =
    (await read(`${snapshotVersion}.snapshot.json`)) ?? (await read('snapshot.json'));
  const targetsVersion = version(snapshot?.signed?.meta?.['targets.json']?.version);
  return { rootVersion, timestampVersion, snapshotVersion, targetsVersion };
}

/**
 * Refuses early when the source's timestamp claims older versions than the
 * existing mirror holds. The claim is unverified, but refusing on it is safe
 * (fail closed), and it names the real problem — an older copy — even when
 * that copy has also expired by now. The verified versions are compared again
 * before anything is written.
 */
async function precheckRollback(
  source: TufSource,
  limits: TufLimits,
  existing: MirrorVersions,
  to: string,
): Promise<void> {
  let doc: SignedVersion | undefined;
  try {
    const bytes = await source.fetchMetadata('timestamp.json', limits.timestampMaxLength);
    doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as SignedVersion;
  } catch {
    return; // the TUF workflow reports an unreadable timestamp precisely
  }
  const claimed = (v: unknown): number => (Number.isSafeInteger(Number(v)) ? Number(v) : 0);
  assertNotOlder(
    {
      ...existing,
      timestampVersion: claimed(doc?.signed?.version),
      snapshotVersion: claimed(doc?.signed?.meta?.['snapshot.json']?.version),
    },
    existing,
    to,
  );
}

/** Which versions are compared, in the order TUF updates them (spec §5.3–5.6). */
const COMPARED: readonly (keyof MirrorVersions)[] = [
  'rootVersion',
  'timestampVersion',
  'snapshotVersion',
  'targetsVersion',
];

/** Throws ERR_TUF_ROLLBACK when `next` is older than `existing` in any role. */
export function assertNotOlder(
  next: MirrorVersions,
  existing: MirrorVersions | undefined,
  dir: string,
): void {
  if (existing === undefined) return;
  const older = COMPARED.find((k) => next[k] < existing[k]);
  if (older === undefined) return;
  const role = older.replace('Version', '');
  throw new TufError(
    ErrorCode.TUF_ROLLBACK,
    `refusing to replace the mirror at ${dir}: it holds ${role} v${existing[older]} and the source offers only ` +
      `v${next[older]} (an older repository or a replayed copy); mirror from a source that is at least as new, ` +
      'or remove the directory first if you really mean to go back',
    { details: { role, existing: existing[older], offered: next[older], dir } },
  );
}

/**
 * Writes the mirror beside `to` and renames it into place. An existing mirror
 * is moved aside first and removed after the new one is in place; if the
 * second rename fails the old mirror is put back.
 */
async function writeMirror(
  to: string,
  metadata: ReadonlyMap<string, MirrorFile>,
  targets: ReadonlyMap<string, MirrorFile>,
): Promise<void> {
  const parent = path.dirname(to);
  await fs.mkdir(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const staging = path.join(parent, `.${path.basename(to)}.mirror-${tag}`);
  const aside = path.join(parent, `.${path.basename(to)}.old-${tag}`);
  try {
    await fs.mkdir(path.join(staging, 'metadata'), { recursive: true, mode: 0o755 });
    await fs.mkdir(path.join(staging, 'targets'), { recursive: true, mode: 0o755 });
    for (const [name, file] of metadata) {
      await writeNewFileSynced(path.join(staging, 'metadata', name), file.bytes);
    }
    for (const [rel, file] of targets) {
      const dest = path.join(staging, 'targets', ...rel.split('/'));
      await fs.mkdir(path.dirname(dest), { recursive: true, mode: 0o755 });
      await writeNewFileSynced(dest, file.bytes);
    }
    let movedAside = false;
    try {
      await fs.rename(to, aside);
      movedAside = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      await fs.rename(staging, to);
    } catch (err) {
      if (movedAside) await fs.rename(aside, to).catch(() => undefined);
      throw err;
    }
    if (movedAside) await fs.rm(aside, { recursive: true, force: true });
  } catch (err) {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    if (err instanceof TufNotaryError) throw err;
    throw new CacheError(`cannot write the mirror ${to}: ${String(err)}`, { cause: err });
  }
}
