/**
 * `tuf-notary repo …`: the administrator's commands over a working trust
 * repository (DESIGN.md "CLI"; docs/admin-guide.md). Thin: each command
 * parses its flags and calls src/repo (RepositoryWorkspace and the admin
 * operations), then says what happened and what to do next.
 */
import { readFile, writeFile, mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors';
import {
  addStore,
  decodeKeyFile,
  decodePrivateKeyFile,
  encodePrivateKey,
  encodePublicKey,
  fingerprintsOf,
  generateRepoKey,
  mergeRootSignatures,
  parseRootMetadata,
  parseStoreId,
  passphraseFromEnv,
  PASSPHRASE_ENV,
  publicRepoKey,
  removeStore,
  revokeCertificates,
  rootKeys,
  RepositoryWorkspace,
  setPolicy,
  signRootDocument,
  TOP_LEVEL_ROLES,
  type PublishReport,
  type RepoKey,
  type RepoKeyType,
  type TopLevelRole,
} from '../repo';
import { parseBlobTrustPolicy, parseOciTrustPolicy } from '../policy';
import { need, type Command, type Parsed } from './command';
import { EXIT, table, when } from './output';

const repoOption = { repo: { type: 'string' } } as const;

function positional(args: Parsed, index: number, what: string): string {
  const v = args.positionals[index];
  if (v === undefined || v === '') throw new UsageError(`${what} is required`);
  return v;
}

function keyTypeOf(args: Parsed): RepoKeyType | undefined {
  const t = args.values['key-type'];
  if (t === undefined) return undefined;
  if (t !== 'ecdsa' && t !== 'ed25519') {
    throw new UsageError(`--key-type must be ecdsa or ed25519, not ${String(t)}`);
  }
  return t;
}

function positiveInt(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--${flag} must be a positive integer, not ${String(value)}`);
  }
  return n;
}

/** `--expires role=DAYS` (repeatable). */
function lifetimes(args: Parsed): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of list(args.values['expires'])) {
    const [role, days] = item.split('=');
    const n = Number(days);
    if (!role || !(n > 0)) {
      throw new UsageError(`--expires takes ROLE=DAYS (e.g. timestamp=1), not "${item}"`);
    }
    out[role] = n;
  }
  return out;
}

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? (value as string[]) : [String(value)]).flatMap((v) =>
    v.split(',').filter((s) => s !== ''),
  );
}

/** Reads an input file; a missing or unreadable one is a usage error naming it. */
async function readInput(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (cause) {
    throw new UsageError(`Cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
}

async function readKey(file: string): Promise<RepoKey> {
  return decodeKeyFile((await readInput(file)).toString('utf8'), file, passphraseFromEnv());
}

async function readPrivateKey(file: string): Promise<RepoKey> {
  return decodePrivateKeyFile((await readInput(file)).toString('utf8'), file, passphraseFromEnv());
}

async function open(args: Parsed): Promise<RepositoryWorkspace> {
  return RepositoryWorkspace.open(need(args, 'repo'));
}

/** What a change did, for people: signed roles, what still waits, and the next step. */
function changeText(
  dir: string,
  headline: string,
  r: { report: PublishReport | undefined; pendingRoot: boolean },
): string {
  const lines = [headline];
  if (r.pendingRoot) {
    lines.push(
      '',
      'A new root version waits for root key signatures; nothing is published until it is active:',
      `  tuf-notary repo export-root --repo ${dir} --out root-pending.json   (carry it to each key holder)`,
      "  tuf-notary repo sign-root --file root-pending.json --key ROOT.key    (on the key holder's machine)",
      `  tuf-notary repo add-signature root-pending.json --repo ${dir}         (merge; activates at the threshold)`,
    );
  } else if (r.report) {
    lines.push(`Signed: ${r.report.published.join(', ') || 'nothing'}`);
    if (r.report.deferred.length > 0) {
      lines.push(
        `Waiting for the publisher's signature: ${r.report.deferred.join(', ')} (tuf-notary repo sign-delegated ROLE --key KEY.pem --repo ${dir})`,
      );
    }
    lines.push('', `Next: tuf-notary repo publish --repo ${dir} --to SITE-DIR|oci://REG/REPO`);
  }
  return lines.join('\n');
}

function changeJson(r: { report: PublishReport | undefined; pendingRoot: boolean }, extra: object) {
  return {
    ...extra,
    published: r.report?.published ?? [],
    deferred: r.report?.deferred ?? [],
    pendingRoot: r.pendingRoot,
  };
}

function warnPlainKeys(args: Parsed, wroteKeys: boolean): void {
  if (wroteKeys && passphraseFromEnv() === undefined) {
    process.stderr.write(
      `WARNING: private keys were written UNENCRYPTED: set ${PASSPHRASE_ENV} to encrypt them (AES-256) at rest.\n`,
    );
  }
  void args;
}

/** The `repo` subcommands by name. */
export const repoCommands: Readonly<Record<string, Command>> = {
  init: {
    summary: 'create a working trust repository: keys, root, targets, snapshot, timestamp',
    usage:
      'tuf-notary repo init --repo DIR [--threshold N] [--keys N] [--key-type ecdsa|ed25519] ' +
      '[--expires ROLE=DAYS]… [--root-keys-offline --root-keys-out DIR | --root-key PUBLIC.pem…] ' +
      '[--key-file ROLE=PRIVATE.pem]… [--json]',
    example: 'TUF_NOTARY_PASSPHRASE=… tuf-notary repo init --repo ./trust-admin --key-type ecdsa',
    options: {
      ...repoOption,
      threshold: { type: 'string' },
      keys: { type: 'string' },
      'key-type': { type: 'string' },
      expires: { type: 'string', multiple: true },
      'root-keys-offline': { type: 'boolean' },
      'root-keys-out': { type: 'string' },
      'root-key': { type: 'string', multiple: true },
      'key-file': { type: 'string', multiple: true },
    },
    async run(args) {
      const dir = path.resolve(need(args, 'repo'));
      const threshold = positiveInt(args.values.threshold, 'threshold') ?? 1;
      const count = positiveInt(args.values.keys, 'keys') ?? threshold;
      const offline = args.values['root-keys-offline'] === true;
      const keys: Partial<Record<TopLevelRole, RepoKey[]>> = {};
      for (const item of list(args.values['key-file'])) {
        const [role, file] = item.split('=');
        if (!role || !file || !(TOP_LEVEL_ROLES as readonly string[]).includes(role)) {
          throw new UsageError(`--key-file takes ROLE=FILE with a top-level role, not "${item}"`);
        }
        (keys[role as TopLevelRole] ??= []).push(await readKey(file));
      }
      const rootKeyFiles = list(args.values['root-key']);
      if (rootKeyFiles.length > 0) {
        keys.root = [...(keys.root ?? []), ...(await Promise.all(rootKeyFiles.map(readKey)))];
      }
      const out = args.values['root-keys-out'];
      if (offline && !keys.root && typeof out !== 'string') {
        throw new UsageError(
          '--root-keys-offline needs --root-keys-out DIR (where the generated root keys go, e.g. a USB stick) or --root-key PUBLIC.pem for keys made elsewhere',
        );
      }
      const keyType = keyTypeOf(args);
      const { workspace, offlineRootKeys } = await RepositoryWorkspace.init(dir, {
        ...(keyType ? { keyType } : {}),
        thresholds: { root: threshold },
        keyCounts: { root: keys.root?.length ?? count },
        lifetimeDays: lifetimes(args),
        keys,
        rootKeysOffline: offline || (keys.root?.some((k) => !k.signer) ?? false),
      });
      const written: string[] = [];
      if (offlineRootKeys.length > 0 && typeof out === 'string') {
        await mkdir(out, { recursive: true });
        for (const key of offlineRootKeys) {
          const base = path.join(path.resolve(out), `root-${key.keyId.slice(0, 12)}`);
          await writeFile(`${base}.key`, encodePrivateKey(key.privateKey, passphraseFromEnv()), {
            mode: 0o600,
            flag: 'wx',
          });
          await writeFile(`${base}.pub`, encodePublicKey(key), { flag: 'wx' });
          written.push(`${base}.key`);
        }
      }
      warnPlainKeys(args, true);
      const status = await workspace.status();
      const pending = status.pendingRoot !== undefined;
      const text = [
        `Created working repository ${dir}`,
        '',
        table(
          ['role', 'version', 'threshold', 'keys', 'signs here'],
          status.roles.map((r) => [
            r.role,
            String(r.version),
            String(r.threshold),
            String(r.keyIds.length),
            r.signsHere ? 'yes' : 'no (offline)',
          ]),
        ),
        ...(written.length
          ? [
              '',
              'Offline root keys (move them off this machine now):',
              ...written.map((w) => `  ${w}`),
            ]
          : []),
        '',
        pending
          ? `Root v1 waits for signatures: tuf-notary repo sign-root --repo ${dir} --key ROOT.key (or export-root / add-signature for separate key holders).`
          : `Next: tuf-notary repo add-store ca:NAME CERTS.pem --repo ${dir}; tuf-notary repo set-policy trustpolicy.oci.json --repo ${dir}; tuf-notary repo publish --repo ${dir} --to SITE-DIR`,
      ].join('\n');
      args.out(text, { repo: dir, ...status, offlineRootKeyFiles: written });
      return EXIT.ok;
    },
  },
  'set-policy': {
    summary: 'validate and publish a trust policy (trustpolicy.oci.json, or --blob)',
    usage: 'tuf-notary repo set-policy FILE --repo DIR [--blob] [--json]',
    example: 'tuf-notary repo set-policy trustpolicy.oci.json --repo ./trust-admin',
    options: { ...repoOption, blob: { type: 'boolean' } },
    async run(args) {
      const file = positional(args, 0, 'FILE');
      const bytes = await readInput(file);
      const ws = await open(args);
      const blob = args.values.blob === true;
      const r = await ws.update((repo) => setPolicy(repo, bytes, { blob }));
      args.out(
        changeText(
          ws.dir,
          `Policy ${blob ? 'trustpolicy.blob.json' : 'trustpolicy.oci.json'}: ${r.result.statements} statement(s), stores ${r.result.stores.join(', ') || '-'}`,
          r,
        ),
        changeJson(r, r.result),
      );
      return EXIT.ok;
    },
  },
  'add-store': {
    summary: 'add or replace a named trust store (root certificates of a publisher or TSA)',
    usage:
      'tuf-notary repo add-store TYPE:NAME CERTS.pem --repo DIR [--role ROLE] [--key PUBLISHER.key] [--json]',
    example: 'tuf-notary repo add-store ca:acme-rockets acme-root.pem --repo ./trust-admin',
    options: { ...repoOption, role: { type: 'string' }, key: { type: 'string' } },
    async run(args) {
      const store = parseStoreId(positional(args, 0, 'TYPE:NAME'));
      const pem = await readInput(positional(args, 1, 'CERTS.pem'));
      const signers =
        typeof args.values.key === 'string' ? [await readPrivateKey(args.values.key)] : [];
      const ws = await open(args);
      const role = args.values.role;
      const r = await ws.update(
        (repo) => addStore(repo, store, pem, typeof role === 'string' ? { role } : {}),
        { signers },
      );
      const rows = r.result.certificates.map((c) => [c.subject, when(c.notAfter), c.fingerprint]);
      args.out(
        changeText(
          ws.dir,
          `Store ${store.type}:${store.name} (${r.result.path}, role ${r.result.role}):\n${table(['subject', 'not after', 'sha256'], rows)}`,
          r,
        ),
        changeJson(r, {
          store: `${store.type}:${store.name}`,
          role: r.result.role,
          path: r.result.path,
          certificates: r.result.certificates.map((c) => ({
            subject: c.subject,
            notAfter: c.notAfter,
            fingerprint: c.fingerprint,
          })),
        }),
      );
      return EXIT.ok;
    },
  },
  'remove-store': {
    summary: 'stop distributing a trust store (give the new policy too if it names the store)',
    usage:
      'tuf-notary repo remove-store TYPE:NAME --repo DIR [--policy FILE] [--blob-policy FILE] [--json]',
    example:
      'tuf-notary repo remove-store ca:acme-rockets --repo ./trust-admin --policy trustpolicy-without-acme.json',
    options: { ...repoOption, policy: { type: 'string' }, 'blob-policy': { type: 'string' } },
    async run(args) {
      const store = parseStoreId(positional(args, 0, 'TYPE:NAME'));
      const policy =
        typeof args.values.policy === 'string' ? await readInput(args.values.policy) : undefined;
      const blobPolicy =
        typeof args.values['blob-policy'] === 'string'
          ? await readInput(args.values['blob-policy'])
          : undefined;
      const ws = await open(args);
      const r = await ws.update((repo) => {
        // The new policies first (validated against the stores as they will be), then the removal.
        const removed = removeStoreWithPolicies(repo, store, policy, blobPolicy);
        return removed;
      });
      args.out(
        changeText(ws.dir, `Removed store ${store.type}:${store.name} (${r.result.path})`, r),
        changeJson(r, { store: `${store.type}:${store.name}`, ...r.result }),
      );
      return EXIT.ok;
    },
  },
  'revoke-cert': {
    summary: 'deny a certificate everywhere, at once, even offline (revocations.json)',
    usage: 'tuf-notary repo revoke-cert CERT.pem|FINGERPRINT --repo DIR [--reason R] [--json]',
    example:
      'tuf-notary repo revoke-cert acme-root.pem --repo ./trust-admin --reason keyCompromise',
    options: { ...repoOption, reason: { type: 'string' } },
    async run(args) {
      const what = positional(args, 0, 'CERT.pem or FINGERPRINT');
      const fingerprints = /^[0-9a-fA-F:]{64,95}$/.test(what)
        ? fingerprintsOf(what)
        : fingerprintsOf(await readInput(what));
      const ws = await open(args);
      const reason = args.values.reason;
      const r = await ws.update((repo) =>
        revokeCertificates(repo, fingerprints, typeof reason === 'string' ? { reason } : {}),
      );
      args.out(
        changeText(
          ws.dir,
          `Revoked ${r.result.added.length} certificate(s) (${r.result.total} in revocations.json):\n${fingerprints.map((f) => `  ${f}${r.result.added.includes(f) ? '' : ' (already revoked)'}`).join('\n')}`,
          r,
        ),
        changeJson(r, { fingerprints, ...r.result }),
      );
      return EXIT.ok;
    },
  },
  delegate: {
    summary: "delegate target paths (a publisher's stores) to a role signed by the publisher's key",
    usage:
      'tuf-notary repo delegate ROLE --paths GLOB[,GLOB] --key PUBLIC.pem[,…] --repo DIR [--threshold N] [--json]',
    example:
      "tuf-notary repo delegate acme --paths 'truststore/x509/*/acme*.pem' --key acme-tuf.pub --repo ./trust-admin",
    options: {
      ...repoOption,
      paths: { type: 'string', multiple: true },
      key: { type: 'string', multiple: true },
      threshold: { type: 'string' },
    },
    async run(args) {
      const role = positional(args, 0, 'ROLE');
      const paths = list(args.values.paths);
      const keyFiles = list(args.values.key);
      if (paths.length === 0) throw new UsageError('--paths is required');
      if (keyFiles.length === 0) throw new UsageError('--key PUBLIC.pem is required');
      // Only the public half is kept: the publisher signs with the private one.
      const keys = (await Promise.all(keyFiles.map(readKey))).map((k) =>
        publicRepoKey(encodePublicKey(k)),
      );
      const threshold = positiveInt(args.values.threshold, 'threshold') ?? 1;
      const ws = await open(args);
      const r = await ws.update((repo) => repo.delegate(role, { paths, keys, threshold }), {
        externalKeys: keys.map((k) => k.keyId),
      });
      args.out(
        changeText(
          ws.dir,
          `Delegated ${paths.join(', ')} to role ${role} (keys ${keys.map((k) => k.keyId.slice(0, 12)).join(', ')}, threshold ${threshold}).\nThe publisher adds its stores with: tuf-notary repo add-store TYPE:NAME CERTS.pem --repo DIR --key ${role}.key`,
          r,
        ),
        changeJson(r, { role, paths, keyIds: keys.map((k) => k.keyId), threshold }),
      );
      return EXIT.ok;
    },
  },
  undelegate: {
    summary: 'remove a delegated role (stop consuming that publisher)',
    usage: 'tuf-notary repo undelegate ROLE --repo DIR [--json]',
    example: 'tuf-notary repo undelegate acme --repo ./trust-admin',
    options: { ...repoOption },
    async run(args) {
      const role = positional(args, 0, 'ROLE');
      const ws = await open(args);
      const r = await ws.update((repo) => repo.revokeDelegation(role));
      args.out(changeText(ws.dir, `Removed delegation ${role}.`, r), changeJson(r, { role }));
      return EXIT.ok;
    },
  },
  'sign-delegated': {
    summary: "publisher: sign your delegated role's pending changes with your own key",
    usage: 'tuf-notary repo sign-delegated ROLE --key PRIVATE.pem --repo DIR [--json]',
    example: 'tuf-notary repo sign-delegated acme --key acme-tuf.key --repo ./trust-admin',
    options: { ...repoOption, key: { type: 'string' } },
    async run(args) {
      const role = positional(args, 0, 'ROLE');
      const key = await readPrivateKey(need(args, 'key'));
      const ws = await open(args);
      const r = await ws.update(
        (repo) => {
          if (!repo.keys(role).some((k) => k.keyId === key.keyId)) {
            throw new UsageError(`${need(args, 'key')} is not a key of role ${role}.`);
          }
          repo.touch(role);
        },
        { signers: [key] },
      );
      args.out(changeText(ws.dir, `Signed role ${role}.`, r), changeJson(r, { role }));
      return EXIT.ok;
    },
  },
  'rotate-key': {
    summary: 'give a role a new key (top-level: new root version signed by old and new keys)',
    usage:
      'tuf-notary repo rotate-key ROLE --repo DIR [--key-type ecdsa|ed25519] [--key-file PRIVATE-OR-PUBLIC.pem] ' +
      '[--replace KEYID] [--threshold N] [--json]',
    example: 'tuf-notary repo rotate-key timestamp --repo ./trust-admin --key-type ed25519',
    options: {
      ...repoOption,
      'key-type': { type: 'string' },
      'key-file': { type: 'string' },
      replace: { type: 'string' },
      threshold: { type: 'string' },
    },
    async run(args) {
      const role = positional(args, 0, 'ROLE');
      const ws = await open(args);
      const file = args.values['key-file'];
      const keyType = keyTypeOf(args);
      const delegated = !(TOP_LEVEL_ROLES as readonly string[]).includes(role);
      if (delegated && typeof file !== 'string') {
        throw new UsageError(
          `Role ${role} is a publisher's delegated role: give the publisher's new PUBLIC key with --key-file.`,
        );
      }
      const read = typeof file === 'string' ? await readKey(file) : undefined;
      const supplied = read && delegated ? publicRepoKey(encodePublicKey(read)) : read;
      const newKey = supplied ?? generateRepoKey(keyType ?? 'ecdsa');
      const replace = args.values.replace;
      const threshold = positiveInt(args.values.threshold, 'threshold');
      const external = !newKey.signer || delegated;
      const r = await ws.update(
        (repo) => {
          const current = repo.keys(role);
          let keys: RepoKey[];
          if (typeof replace === 'string') {
            const kept = current.filter((k) => !k.keyId.startsWith(replace));
            if (kept.length !== current.length - 1) {
              throw new UsageError(`--replace ${replace} matches no single key of role ${role}.`);
            }
            keys = [...kept, newKey];
          } else {
            keys = [newKey];
          }
          return repo.rotateKeys(role, { keys, ...(threshold ? { threshold } : {}) });
        },
        {
          ...(newKey.signer && !external ? { newKeys: [newKey as never] } : {}),
          ...(external ? { externalKeys: [newKey.keyId] } : {}),
        },
      );
      if (newKey.signer && !external) warnPlainKeys(args, true);
      args.out(
        changeText(
          ws.dir,
          `Role ${role} now uses key ${newKey.keyId.slice(0, 12)} (${newKey.type}).`,
          r,
        ),
        changeJson(r, { role, keyId: newKey.keyId, keyIds: r.result.map((k) => k.keyId) }),
      );
      return EXIT.ok;
    },
  },
  refresh: {
    summary: 'sign a new snapshot and timestamp (cron), and renew roles expiring soon',
    usage: 'tuf-notary repo refresh --repo DIR [--renew ROLE[,ROLE]] [--json]',
    example:
      '*/30 * * * * tuf-notary repo refresh --repo /srv/trust-admin && tuf-notary repo publish --repo /srv/trust-admin --to /srv/www/trust',
    options: { ...repoOption, renew: { type: 'string', multiple: true } },
    async run(args) {
      const ws = await open(args);
      const before = await ws.status();
      const renew = new Set(list(args.values.renew));
      // Roles this repository can sign that have less than a quarter of their period left are renewed too.
      for (const role of before.roles) {
        if (
          !role.signsHere ||
          !role.expires ||
          role.role === 'timestamp' ||
          role.role === 'snapshot'
        )
          continue;
        if (role.expires.getTime() - Date.now() < role.lifetimeDays * 0.25 * 86_400_000)
          renew.add(role.role);
      }
      const r = await ws.update(
        (repo) => {
          for (const role of renew) repo.touch(role);
          return [...renew];
        },
        {
          publish: (repo) => {
            if (renew.size > 0 || repo.changedRoles().length > 0)
              return repo.publish({ partial: true });
            repo.refreshTimestamps();
            return { published: ['snapshot', 'timestamp'], deferred: [] };
          },
        },
      );
      args.out(
        changeText(
          ws.dir,
          `Refreshed${r.result.length ? ` (renewed ${r.result.join(', ')})` : ''}.`,
          r,
        ),
        changeJson(r, { renewed: r.result }),
      );
      return EXIT.ok;
    },
  },
  status: {
    summary: 'versions, expiry dates, keys, stores and warnings of a working repository',
    usage: 'tuf-notary repo status --repo DIR [--json]',
    example: 'tuf-notary repo status --repo ./trust-admin',
    options: { ...repoOption },
    async run(args) {
      const ws = await open(args);
      const s = await ws.status();
      const text = [
        `Working repository ${s.dir} (revision ${s.revision}; keys ${s.encryptedKeys ? 'encrypted' : 'NOT encrypted'})`,
        '',
        table(
          [
            'role',
            'version',
            'expires',
            'period',
            'threshold',
            'keys',
            'signs here',
            'unsigned changes',
          ],
          s.roles.map((r) => [
            r.role,
            String(r.version),
            when(r.expires),
            `${r.lifetimeDays} d`,
            String(r.threshold),
            r.keyIds.map((k) => k.slice(0, 8)).join(','),
            r.signsHere ? 'yes' : 'no',
            r.unpublished ? 'yes' : '-',
          ]),
        ),
        '',
        s.targets.length
          ? table(
              ['target', 'role', 'bytes', 'sha256'],
              s.targets.map((t) => [t.path, t.role, String(t.length), t.sha256.slice(0, 16)]),
            )
          : 'No targets yet: add stores and a policy.',
        ...(s.warnings.length
          ? ['', ...s.warnings.map((w) => `warning: ${w}`)]
          : ['', 'No warnings.']),
      ].join('\n');
      args.out(text, s);
      return EXIT.ok;
    },
  },
  publish: {
    summary:
      'write the servable repository to a directory (for a web server or mirror) or a registry',
    usage: 'tuf-notary repo publish --repo DIR --to DIR|oci://REG/REPO [--plain-http] [--json]',
    example: 'tuf-notary repo publish --repo ./trust-admin --to /srv/www/trust',
    options: { ...repoOption, to: { type: 'string' }, 'plain-http': { type: 'boolean' } },
    async run(args) {
      const to = need(args, 'to');
      const ws = await open(args);
      const pending = await ws.pendingRoot();
      if (to.startsWith('oci://')) {
        const { publishRepositoryToOci } = await import('../registry');
        const staging = await mkdtemp(path.join(tmpdir(), 'tuf-notary-publish-'));
        try {
          const site = path.join(staging, 'site');
          await ws.publishTo(site);
          args.progress(`Pushing to ${to} …`);
          const result = await publishRepositoryToOci(site, to, {
            plainHttp: args.values['plain-http'] === true,
          });
          args.out(
            `Published ${result.metadata.length} metadata file(s) and ${result.targets} target(s) to ${to}.${pending ? '\nNote: a pending root is not published until it is signed.' : ''}`,
            { to, ...result, pendingRoot: pending !== undefined },
          );
        } finally {
          await rm(staging, { recursive: true, force: true });
        }
        return EXIT.ok;
      }
      const dest = path.resolve(to);
      const repo = await ws.publishTo(dest);
      args.out(
        [
          `Published to ${dest}: root v${repo.version('root')}, targets v${repo.version('targets')}, snapshot v${repo.version('snapshot')}, timestamp v${repo.version('timestamp')}.`,
          `Deployers pin ${path.join(dest, 'metadata', '1.root.json')}:`,
          `  tuf-notary init --root root.json --source URL-OR-DIR --cache DIR`,
          ...(pending ? ['Note: a pending root is not published until it is signed.'] : []),
        ].join('\n'),
        {
          to: dest,
          root: path.join(dest, 'metadata', '1.root.json'),
          versions: Object.fromEntries(TOP_LEVEL_ROLES.map((r) => [r, repo.version(r)])),
          pendingRoot: pending !== undefined,
        },
      );
      return EXIT.ok;
    },
  },
  'export-root': {
    summary: 'write the root version waiting for signatures, to carry to the key holders',
    usage: 'tuf-notary repo export-root --repo DIR --out FILE [--json]',
    example: 'tuf-notary repo export-root --repo ./trust-admin --out /media/usb/root-pending.json',
    options: { ...repoOption, out: { type: 'string' } },
    async run(args) {
      const ws = await open(args);
      const bytes = await ws.pendingRoot();
      if (!bytes) throw new UsageError('No root version waits for signatures.');
      const out = path.resolve(need(args, 'out'));
      await writeFile(out, bytes);
      const root = parseRootMetadata(bytes);
      args.out(
        `Wrote root v${root.signed.version} (${Object.keys(root.signatures).length} signature(s)) to ${out}.\nEach key holder runs: tuf-notary repo sign-root --file ${path.basename(out)} --key ROOT.key`,
        { out, version: root.signed.version, signatures: Object.keys(root.signatures) },
      );
      return EXIT.ok;
    },
  },
  'sign-root': {
    summary: 'key holder: sign the pending root (in a working repository, or an exported file)',
    usage: 'tuf-notary repo sign-root --key ROOT.key (--repo DIR | --file ROOT.json) [--json]',
    example:
      'tuf-notary repo sign-root --file /media/usb/root-pending.json --key /media/usb/root-1.key',
    options: { ...repoOption, key: { type: 'string' }, file: { type: 'string' } },
    async run(args) {
      const key = await readPrivateKey(need(args, 'key'));
      const file = args.values.file;
      if (typeof file === 'string') {
        const signed = signRootDocument(await readInput(file), key as never);
        await writeFile(file, signed);
        const root = parseRootMetadata(signed);
        args.out(
          `Signed root v${root.signed.version} in ${file} with key ${key.keyId.slice(0, 12)} (${Object.keys(root.signatures).length} signature(s)). Return the file to the administrator (repo add-signature).`,
          { file, keyId: key.keyId, signatures: Object.keys(root.signatures) },
        );
        return EXIT.ok;
      }
      const ws = await open(args);
      const pending = await ws.pendingRoot();
      if (!pending) throw new UsageError('No root version waits for signatures.');
      return finishRoot(args, ws, signRootDocument(pending, key as never), [key]);
    },
  },
  'add-signature': {
    summary: 'merge the signatures of a signed root copy; activates the root at the threshold',
    usage: 'tuf-notary repo add-signature ROOT.json --repo DIR [--json]',
    example: 'tuf-notary repo add-signature /media/usb/root-pending.json --repo ./trust-admin',
    options: { ...repoOption },
    async run(args) {
      const file = positional(args, 0, 'ROOT.json');
      const ws = await open(args);
      const pending = await ws.pendingRoot();
      if (!pending) throw new UsageError('No root version waits for signatures.');
      const repo = await ws.loadPublic();
      const known = rootKeys(pending);
      if (repo.version('root') > 0) {
        for (const [id, k] of rootKeys(repo.rootBytes(repo.version('root')))) known.set(id, k);
      }
      const merged = mergeRootSignatures(pending, await readInput(file), known);
      return finishRoot(args, ws, merged.bytes, []);
    },
  },
};

async function finishRoot(
  args: Parsed,
  ws: RepositoryWorkspace,
  bytes: Uint8Array,
  signers: RepoKey[],
): Promise<number> {
  const r = await ws.savePendingRoot(bytes, signers);
  const count = Object.keys(parseRootMetadata(bytes).signatures).length;
  args.out(
    r.activated
      ? changeText(ws.dir, `Root v${r.version} is active (${count} signature(s)).`, {
          report: r.report,
          pendingRoot: false,
        })
      : `Root v${r.version} has ${count} signature(s); more are needed before it becomes active.`,
    {
      version: r.version,
      activated: r.activated,
      signatures: count,
      published: r.report?.published ?? [],
    },
  );
  return EXIT.ok;
}

/** remove-store with optional replacement policies, in one change. */
function removeStoreWithPolicies(
  repo: Parameters<typeof removeStore>[0],
  store: ReturnType<typeof parseStoreId>,
  policy: Uint8Array | undefined,
  blobPolicy: Uint8Array | undefined,
): { role: string; path: string } {
  // Stage the new policies first so the removal check sees them; set-policy's
  // store check runs again afterwards against the repository without the store.
  if (policy) setPolicyUnchecked(repo, policy, false);
  if (blobPolicy) setPolicyUnchecked(repo, blobPolicy, true);
  const removed = removeStore(repo, store);
  if (policy) setPolicy(repo, policy);
  if (blobPolicy) setPolicy(repo, blobPolicy, { blob: true });
  return removed;
}

/** Stages a policy validated by the verifier's parser, before the store check (see removeStoreWithPolicies). */
function setPolicyUnchecked(
  repo: Parameters<typeof removeStore>[0],
  bytes: Uint8Array,
  blob: boolean,
): void {
  if (blob) parseBlobTrustPolicy(bytes);
  else parseOciTrustPolicy(bytes);
  repo.setTarget(blob ? 'trustpolicy.blob.json' : 'trustpolicy.oci.json', bytes);
}
