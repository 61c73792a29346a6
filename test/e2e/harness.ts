/**
 * End-to-end harness: an administrator's trust repository driven with
 * `tuf-notary repo …`, published into a directory that a real HTTP server on
 * 127.0.0.1 serves, deployers driven with `tuf-notary init/refresh/verify/…`,
 * and publishers whose Notary signatures are made with the test signer and
 * written to files. Every command is a real child process of the built CLI
 * (test/helpers/cliProcess.ts).
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliExpect, cliJson, runCli, type CliResult } from '../helpers/cliProcess';
import {
  createCertificate,
  generateKey,
  KeyUsage,
  OID,
  type TestChain,
  type TestKeyType,
} from '../helpers/pki';
import { startStaticServer, type StaticServer } from '../helpers/server';
import { signJws } from '../helpers/signer';

/** The passphrase every e2e repository encrypts its keys with. */
export const PASSPHRASE = 'e2e correct horse battery staple';
const ENV = { TUF_NOTARY_PASSPHRASE: PASSPHRASE };
const DAY = 86_400_000;

const tempDirs: string[] = [];

/** A temp dir removed by {@link cleanup}. */
export function tempDir(prefix = 'tuf-notary-e2e-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes every temp dir. */
export function cleanup(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A publisher's own TUF signing key (ECDSA P-256) as PEM files: PKCS#8 private, SPKI public. */
export function tufKeyFiles(name: string): { privateFile: string; publicFile: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const dir = tempDir(`tuf-notary-e2e-key-${name}-`);
  const privateFile = path.join(dir, `${name}-tuf.key`);
  const publicFile = path.join(dir, `${name}-tuf.pub`);
  writeFileSync(privateFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  writeFileSync(publicFile, publicKey.export({ format: 'pem', type: 'spki' }));
  return { privateFile, publicFile };
}

/** One policy statement, written as the Notary Project trust policy JSON. */
export interface Statement {
  name: string;
  scopes: string[];
  stores: string[];
  level?: 'strict' | 'permissive' | 'audit' | 'skip';
  identities?: string[];
}

/** A Notary Project OCI trust policy document. */
export function policyDoc(statements: readonly Statement[]): Record<string, unknown> {
  return {
    version: '1.0',
    trustPolicies: statements.map((s) => ({
      name: s.name,
      registryScopes: s.scopes,
      signatureVerification: { level: s.level ?? 'strict' },
      trustStores: s.stores,
      trustedIdentities: s.identities ?? ['*'],
    })),
  };
}

/**
 * The deployer's administrators: a working repository (`--repo`), a publish
 * directory served over HTTP on 127.0.0.1, and the pinned root.
 */
export class Admin {
  readonly repoDir: string;
  readonly publishDir: string;
  readonly work: string;

  private constructor(
    readonly server: StaticServer,
    work: string,
  ) {
    this.work = work;
    this.repoDir = path.join(work, 'repo');
    this.publishDir = path.join(work, 'published');
  }

  /** `repo init` + a first publish; the server serves the published directory. */
  static async create(initArgs: readonly string[] = []): Promise<Admin> {
    const work = tempDir('tuf-notary-e2e-admin-');
    const publishDir = path.join(work, 'published');
    mkdirSync(publishDir);
    const server = await startStaticServer(publishDir);
    const admin = new Admin(server, work);
    await admin.repo('init', ...initArgs);
    return admin;
  }

  /** The HTTP URL clients use as `--source`. */
  get url(): string {
    return this.server.url;
  }

  /** The root deployers pin: `published/metadata/1.root.json`. */
  get pinnedRoot(): string {
    return path.join(this.publishDir, 'metadata', '1.root.json');
  }

  /** Runs `tuf-notary repo SUB ARGS --repo DIR` and requires exit code 0. */
  repo(sub: string, ...args: string[]): Promise<CliResult> {
    return cliExpect(['repo', sub, ...args, '--repo', this.repoDir], 0, { env: ENV });
  }

  /** Runs `tuf-notary repo SUB ARGS --repo DIR` and returns whatever happened. */
  tryRepo(sub: string, ...args: string[]): Promise<CliResult> {
    return runCli(['repo', sub, ...args, '--repo', this.repoDir], { env: ENV });
  }

  /** `repo set-policy` from statements. */
  async setPolicy(statements: readonly Statement[]): Promise<void> {
    const file = path.join(this.work, `policy-${Date.now()}-${Math.random()}.json`);
    writeFileSync(file, JSON.stringify(policyDoc(statements), null, 2));
    await this.repo('set-policy', file);
  }

  /** `repo add-store TYPE:NAME CERTS.pem` with the given PEM bundle. */
  async addStore(store: string, pem: string, ...extra: string[]): Promise<void> {
    const file = path.join(this.work, `${store.replace(':', '-')}-${Date.now()}.pem`);
    writeFileSync(file, pem);
    await this.repo('add-store', store, file, ...extra);
  }

  /** `repo status --json`. */
  async status(): Promise<RepoStatusJson> {
    return cliJson<RepoStatusJson>(['repo', 'status', '--repo', this.repoDir], 0, { env: ENV });
  }

  /** The key ids of `role` in the working repository. */
  async keyIds(role: string): Promise<string[]> {
    const s = await this.status();
    const found = s.roles.find((r) => r.role === role);
    if (!found) throw new Error(`repo status lists no role ${role}`);
    return found.keyIds;
  }

  /** `repo publish --to` the served directory. */
  async publish(): Promise<void> {
    await this.repo('publish', '--to', this.publishDir);
  }

  /** Stops the server. */
  close(): Promise<void> {
    return this.server.close();
  }
}

/** A deployer machine: a cache directory initialised against a source. */
export class Deployer {
  readonly cache: string;

  constructor(name = 'deployer') {
    this.cache = path.join(tempDir(`tuf-notary-e2e-${name}-`), 'cache');
  }

  /** `init --root ROOT --source SOURCE --cache DIR [--staged]`; returns its JSON. */
  init(root: string, source: string, opts: { staged?: boolean } = {}): Promise<InitJson> {
    return cliJson<InitJson>([
      'init',
      '--root',
      root,
      '--source',
      source,
      '--cache',
      this.cache,
      ...(opts.staged ? ['--staged'] : []),
    ]);
  }

  /** `refresh --cache DIR --json`, expecting exit code `expected`. */
  refresh(expected = 0): Promise<StatusJson & { error?: { code: string } }> {
    return cliJson(['refresh', '--cache', this.cache], expected);
  }

  /** `status --cache DIR --json`. */
  status(): Promise<StatusJson> {
    return cliJson<StatusJson>(['status', '--cache', this.cache]);
  }

  /** `trust --cache DIR --json`. */
  trust(expected = 0): Promise<TrustJson> {
    return cliJson<TrustJson>(['trust', '--cache', this.cache], expected);
  }

  /** `pending --cache DIR --json`. */
  pending(): Promise<PendingJson> {
    return cliJson<PendingJson>(['pending', '--cache', this.cache]);
  }

  /** `apply --cache DIR --json`. */
  apply(): Promise<{ applied: boolean }> {
    return cliJson(['apply', '--cache', this.cache]);
  }

  /** `verify REF --envelope FILE --cache DIR --json`: exit code and the outcome (or error). */
  async verify(signature: Signature): Promise<VerifyResult> {
    const result = await runCli([
      'verify',
      signature.reference,
      '--envelope',
      signature.file,
      '--cache',
      this.cache,
      '--json',
    ]);
    let json: VerifyJson = {};
    try {
      json = JSON.parse(result.stdout) as VerifyJson;
    } catch {
      throw new Error(
        `verify printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`,
      );
    }
    return { code: result.code, ok: json.ok === true, errorCode: json.error?.code, json };
  }

  /** The store names (`ca:acme`) of the active trust. */
  async stores(): Promise<string[]> {
    const t = await this.trust();
    return t.stores.map((s) => `${s.type}:${s.name}`).sort();
  }
}

/** A publisher: a Notary code-signing chain (root CA → intermediate → leaf). */
export class Publisher {
  private count = 0;

  private constructor(
    readonly name: string,
    readonly chain: TestChain,
  ) {}

  /**
   * A publisher named `name`: a root CA (keys `keyType`, default ec-p384,
   * valid until `rootNotAfter`, default ten years), an intermediate and a
   * code-signing leaf, all meeting the Notary Project certificate requirements.
   */
  static async create(
    name: string,
    opts: { keyType?: TestKeyType; rootNotAfter?: Date } = {},
  ): Promise<Publisher> {
    const keyType = opts.keyType ?? 'ec-p384';
    const rootNotAfter = opts.rootNotAfter ?? new Date(Date.now() + 3650 * DAY);
    const inner = new Date(Math.min(rootNotAfter.getTime() - DAY, Date.now() + 365 * DAY));
    const tag = Math.random().toString(36).slice(2, 8);
    const [rootKey, intermediateKey, leafKey] = await Promise.all([
      generateKey(keyType),
      generateKey(keyType),
      generateKey(keyType === 'ec-p384' ? 'ec-p256' : keyType),
    ]);
    const root = await createCertificate({
      subject: `C=US,ST=WA,O=${name},CN=${name} Root ${tag}`,
      key: rootKey,
      basicConstraints: { ca: true },
      keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
      notAfter: rootNotAfter,
    });
    const intermediate = await createCertificate({
      subject: `C=US,ST=WA,O=${name},CN=${name} Intermediate ${tag}`,
      key: intermediateKey,
      issuer: { cert: root, key: rootKey },
      basicConstraints: { ca: true, pathLength: 0 },
      keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
      notAfter: inner,
    });
    const leaf = await createCertificate({
      subject: `C=US,ST=WA,L=Seattle,O=${name},CN=${name} Signer`,
      key: leafKey,
      issuer: { cert: intermediate, key: intermediateKey },
      basicConstraints: false,
      keyUsage: KeyUsage.digitalSignature,
      extKeyUsage: [OID.codeSigning],
      notAfter: inner,
    });
    return new Publisher(name, { root, rootKey, intermediate, intermediateKey, leaf, leafKey });
  }

  /** The root CA certificate (PEM): what goes into a trust store. */
  get rootPem(): string {
    return this.chain.root.pem;
  }

  /** SHA-256 fingerprint of the root CA certificate. */
  get rootFingerprint(): string {
    return this.chain.root.sha256;
  }

  /** Signs a new artifact in `repository` (e.g. `registry.example.com/shared/app`); the JWS is written to a file. */
  sign(repository: string): Signature {
    this.count += 1;
    const digest =
      'sha256:' +
      createHash('sha256')
        .update(`${this.name} artifact ${this.count} ${Math.random()}`)
        .digest('hex');
    const envelope = signJws({
      chain: this.chain,
      targetArtifact: {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest,
        size: 1234,
      },
    });
    const file = path.join(tempDir('tuf-notary-e2e-sig-'), `${this.name}-${this.count}.jws.sig`);
    writeFileSync(file, envelope);
    return { reference: `${repository}@${digest}`, file, publisher: this.name };
  }
}

/** What `repo status --json` prints (the parts the scenarios read). */
export interface RepoStatusJson {
  roles: { role: string; version: number; keyIds: string[]; threshold: number; expires?: string }[];
  warnings: string[];
}

/** A signature written to a file, for `verify --envelope`. */
export interface Signature {
  readonly reference: string;
  readonly file: string;
  readonly publisher: string;
}

/** What `init --json` prints. */
export interface InitJson {
  cache: string;
  status: StatusJson;
  provenance: { rootVersion: number; snapshotVersion: number };
}

/** What `status --json` prints. */
export interface StatusJson {
  rootVersion: number;
  timestampVersion: number;
  snapshotVersion: number;
  targetsVersion: number;
  expires?: string;
  pending: boolean;
  offline: boolean;
  source: string;
}

/** What `trust --json` prints (the parts the scenarios read). */
export interface TrustJson {
  policy: { trustPolicies: { name: string; registryScopes: string[]; trustStores: string[] }[] };
  stores: { type: string; name: string; certificates: { fingerprint: string }[] }[];
  revocations: string[];
  provenance: { rootVersion: number; snapshotVersion: number };
}

/** What `pending --json` prints. */
export interface PendingJson {
  pending: {
    addedCertificates: { store: string; fingerprint: string }[];
    removedCertificates: { store: string; fingerprint: string }[];
    policyChanged: boolean;
  } | null;
}

/** What `verify --json` prints (an outcome, or `{ error }` when trust was refused). */
export interface VerifyJson {
  ok?: boolean;
  error?: { code: string; message: string };
  checks?: { check: string; result: string; error?: { code: string } }[];
}

/** A verification's exit code, verdict and error code. */
export interface VerifyResult {
  code: number;
  ok: boolean;
  errorCode: string | undefined;
  json: VerifyJson;
}
