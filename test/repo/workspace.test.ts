/**
 * RepositoryWorkspace: the working repository on disk. Atomic changes (a
 * fault in the middle, a process killed in the middle), keys encrypted at
 * rest, offline root signing with a threshold of 2, expiry warnings.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  addStore,
  PASSPHRASE_ENV,
  RepositoryWorkspace,
  signRootDocument,
  type CommitStage,
  type LocalRepoKey,
} from '../../src/repo';
import { UsageError } from '../../src/errors';

const ACME_ROOT = readFileSync(
  path.resolve(__dirname, '..', '..', 'tuf-fixtures', 'keys', 'notary', 'acme-rockets', 'root.crt'),
);

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'tuf-notary-ws-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const store = { type: 'ca', name: 'acme-rockets' } as const;

/** Every file under `dir` with its bytes, for before/after comparisons of the committed state. */
function stateOf(dir: string): string {
  return readFileSync(path.join(dir, 'repository.json'), 'utf8');
}

describe('every change is atomic on disk', () => {
  test.each<CommitStage>(['objects-written', 'keys-written', 'before-commit'])(
    'a failure at %s leaves the previous repository intact and usable',
    async (stage) => {
      const dir = path.join(tempDir(), 'r');
      await RepositoryWorkspace.init(dir, { passphrase: 'pw' });
      const before = stateOf(dir);
      const failing = await RepositoryWorkspace.open(dir, {
        passphrase: 'pw',
        faultHook: (s) => {
          if (s === stage) throw new Error(`crash at ${s}`);
        },
      });
      await expect(failing.update((repo) => addStore(repo, store, ACME_ROOT))).rejects.toThrow(
        `crash at ${stage}`,
      );
      expect(stateOf(dir)).toBe(before);
      expect(existsSync(path.join(dir, '.lock'))).toBe(false);
      const again = await RepositoryWorkspace.open(dir, { passphrase: 'pw' });
      const status = await again.status();
      expect(status.targets).toEqual([]);
      expect(status.roles.find((r) => r.role === 'targets')?.version).toBe(1);
      await again.update((repo) => addStore(repo, store, ACME_ROOT));
      expect((await again.status()).targets.map((t) => t.path)).toEqual([
        'truststore/x509/ca/acme-rockets.pem',
      ]);
    },
  );

  test('a process killed in the middle of a change leaves the previous repository; the stale lock is taken over', async () => {
    const dir = path.join(tempDir(), 'r');
    await RepositoryWorkspace.init(dir, { passphrase: 'pw' });
    const before = stateOf(dir);
    const marker = path.join(tempDir(), 'reached');
    const certFile = path.join(tempDir(), 'acme.pem');
    writeFileSync(certFile, ACME_ROOT);
    const src = path.resolve(__dirname, '..', '..', 'src', 'repo', 'index.ts');
    const script = `
      const swc = require(${JSON.stringify(require.resolve('@swc/core'))});
      require.extensions['.ts'] = (m, f) => {
        const { code } = swc.transformFileSync(f, { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } });
        m._compile(code, f);
      };
      const fs = require('node:fs');
      const repo = require(${JSON.stringify(src)});
      (async () => {
        const ws = await repo.RepositoryWorkspace.open(${JSON.stringify(dir)}, {
          passphrase: 'pw',
          faultHook: (stage) => stage === 'before-commit'
            ? (fs.writeFileSync(${JSON.stringify(marker)}, 'x'), new Promise(() => setInterval(() => {}, 1000)))
            : undefined,
        });
        await ws.update((r) => repo.addStore(r, { type: 'ca', name: 'acme-rockets' }, fs.readFileSync(${JSON.stringify(certFile)})));
      })();
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: 'inherit' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Wait (event-driven poll, no timing assertion) until the child is stuck right before its commit.
    while (!existsSync(marker)) {
      if (child.exitCode !== null) throw new Error('child exited early');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(path.join(dir, '.lock'))).toBe(true);
    expect(stateOf(dir)).toBe(before);
    const ws = await RepositoryWorkspace.open(dir, { passphrase: 'pw' });
    expect((await ws.status()).targets).toEqual([]);
    await ws.update((repo) => addStore(repo, store, ACME_ROOT));
    expect((await ws.status()).targets).toHaveLength(1);
  }, 30_000);
});

describe('private keys at rest', () => {
  test('with a passphrase, key files are encrypted PKCS#8 and readable only with it', async () => {
    const dir = path.join(tempDir(), 'r');
    await RepositoryWorkspace.init(dir, { passphrase: 'correct horse' });
    const keyFiles = readdirSync(path.join(dir, 'keys')).filter((f) => f.endsWith('.key'));
    expect(keyFiles).toHaveLength(4);
    for (const f of keyFiles) {
      expect(readFileSync(path.join(dir, 'keys', f), 'utf8')).toContain(
        'BEGIN ENCRYPTED PRIVATE KEY',
      );
    }
    const saved = process.env[PASSPHRASE_ENV];
    delete process.env[PASSPHRASE_ENV];
    try {
      const none = await RepositoryWorkspace.open(dir);
      await expect(none.update((repo) => addStore(repo, store, ACME_ROOT))).rejects.toThrow(
        /is encrypted: set TUF_NOTARY_PASSPHRASE/,
      );
      const wrong = await RepositoryWorkspace.open(dir, { passphrase: 'wrong' });
      await expect(wrong.update((repo) => addStore(repo, store, ACME_ROOT))).rejects.toThrow(
        /wrong passphrase/,
      );
      // Reading the status needs no key.
      expect((await none.status()).encryptedKeys).toBe(true);
    } finally {
      if (saved !== undefined) process.env[PASSPHRASE_ENV] = saved;
    }
  });

  test('without a passphrase, keys are plain and status says so', async () => {
    const dir = path.join(tempDir(), 'r');
    const saved = process.env[PASSPHRASE_ENV];
    delete process.env[PASSPHRASE_ENV];
    try {
      const { workspace } = await RepositoryWorkspace.init(dir);
      const status = await workspace.status();
      expect(status.encryptedKeys).toBe(false);
      expect(status.warnings.join('\n')).toMatch(/NOT encrypted/);
    } finally {
      if (saved !== undefined) process.env[PASSPHRASE_ENV] = saved;
    }
  });
});

describe('offline root keys: threshold 2, signatures merged', () => {
  test('root v1 is pending until two of three offline keys signed it; no root key is in DIR', async () => {
    const dir = path.join(tempDir(), 'r');
    const { workspace, offlineRootKeys } = await RepositoryWorkspace.init(dir, {
      passphrase: 'pw',
      rootKeysOffline: true,
      thresholds: { root: 2 },
      keyCounts: { root: 3 },
    });
    expect(offlineRootKeys).toHaveLength(3);
    const stored = readdirSync(path.join(dir, 'keys'));
    for (const k of offlineRootKeys) expect(stored).not.toContain(`${k.keyId}.key`);
    expect((await workspace.status()).pendingRoot).toEqual({ version: 1, signatures: 0 });
    const [a, b] = offlineRootKeys as [LocalRepoKey, LocalRepoKey, LocalRepoKey];
    const once = signRootDocument((await workspace.pendingRoot())!, a);
    expect((await workspace.savePendingRoot(once)).activated).toBe(false);
    expect((await workspace.status()).pendingRoot).toEqual({ version: 1, signatures: 1 });
    const twice = signRootDocument((await workspace.pendingRoot())!, b);
    const done = await workspace.savePendingRoot(twice);
    expect(done).toMatchObject({ activated: true, version: 1 });
    expect(done.report?.published).toEqual(['targets', 'snapshot', 'timestamp']);
    const status = await workspace.status();
    expect(status.pendingRoot).toBeUndefined();
    expect(status.roles.map((r) => r.version)).toEqual([1, 1, 1, 1]);
  });

  test('a root signed by one key of a threshold-2 root cannot be activated', async () => {
    const dir = path.join(tempDir(), 'r');
    const { workspace, offlineRootKeys } = await RepositoryWorkspace.init(dir, {
      passphrase: 'pw',
      rootKeysOffline: true,
      thresholds: { root: 2 },
      keyCounts: { root: 2 },
    });
    const repo = await workspace.load();
    expect(() =>
      repo.activateRoot(signRootDocument(repo.pendingRoot()!, offlineRootKeys[0]!)),
    ).toThrow(UsageError);
  });
});

describe('status warns before expiry', () => {
  test('a timestamp with less than a quarter of its period left is reported', async () => {
    const t0 = new Date('2030-01-01T00:00:00Z');
    const dir = path.join(tempDir(), 'r');
    await RepositoryWorkspace.init(dir, { passphrase: 'pw', now: () => t0 });
    const later = await RepositoryWorkspace.open(dir, {
      passphrase: 'pw',
      now: () => new Date(t0.getTime() + 20 * 3_600_000),
    });
    const warnings = (await later.status()).warnings.join('\n');
    expect(warnings).toMatch(/timestamp v1 expires in 4 h/);
    expect(warnings).not.toMatch(/targets v1/);
    const expired = await RepositoryWorkspace.open(dir, {
      passphrase: 'pw',
      now: () => new Date(t0.getTime() + 8 * 86_400_000),
    });
    expect((await expired.status()).warnings.join('\n')).toMatch(/snapshot v1 EXPIRED/);
  });
});
