/**
 * `tuf-notary repo …` driven in-process through main(): every command, with
 * a TrustClient pinned to the published 1.root.json (DirectorySource on the
 * published folder) checking that each change reaches deployers.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { X509Certificate, createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main';
import { DirectorySource, TrustClient } from '../../src/tuf';
import { ociPolicy } from '../helpers/trustStores';

const NOTARY_KEYS = path.resolve(__dirname, '..', '..', 'tuf-fixtures', 'keys', 'notary');
const ACME_ROOT = path.join(NOTARY_KEYS, 'acme-rockets', 'root.crt');
const WABBIT_ROOT = path.join(NOTARY_KEYS, 'wabbit-networks', 'root.crt');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest
    .spyOn(console, 'log')
    .mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = jest
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    stderr.mockRestore();
  }
}

async function ok(...argv: string[]): Promise<string> {
  const r = await run(...argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} -> ${r.code}\n${r.out}\n${r.err}`);
  return r.out;
}

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'tuf-notary-repo-cli-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function writePolicy(dir: string, name: string, stores: string[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(ociPolicy(stores)));
  return file;
}

function fingerprint(pemFile: string): string {
  return createHash('sha256')
    .update(new X509Certificate(readFileSync(pemFile)).raw)
    .digest('hex');
}

/** A deployer: a TrustClient pinned to the published 1.root.json. */
async function deployer(site: string, cache: string) {
  return TrustClient.open({
    root: readFileSync(path.join(site, 'metadata', '1.root.json')),
    source: new DirectorySource(site),
    cacheDir: cache,
  });
}

describe('an administrator runs a repository from nothing; a pinned deployer follows each change', () => {
  const work = tempDir();
  const repo = path.join(work, 'admin');
  const site = path.join(work, 'site');
  const cache = path.join(work, 'cache');

  test('init creates four roles, with a warning when keys are stored unencrypted', async () => {
    const r = await run('repo', 'init', '--repo', repo, '--key-type', 'ecdsa');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/root\s+1\s+1\s+1\s+yes/);
    expect(r.err).toContain('UNENCRYPTED');
    expect(readdirSync(path.join(repo, 'keys')).filter((f) => f.endsWith('.key'))).toHaveLength(4);
  });

  test('set-policy refuses a policy naming a store the repository lacks (ERR_TRUST_INCOMPLETE)', async () => {
    const r = await run(
      'repo',
      'set-policy',
      writePolicy(work, 'p0.json', ['ca:acme-rockets']),
      '--repo',
      repo,
      '--json',
    );
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error.code).toBe('ERR_TRUST_INCOMPLETE');
  });

  test('set-policy refuses an invalid policy before signing (ERR_POLICY_INVALID)', async () => {
    const bad = path.join(work, 'bad.json');
    writeFileSync(bad, JSON.stringify({ version: '1.0', trustPolicies: [{ name: 'x' }] }));
    const r = await run('repo', 'set-policy', bad, '--repo', repo, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error.code).toBe('ERR_POLICY_INVALID');
  });

  test('add-store refuses a file that is not a valid store', async () => {
    const bad = path.join(work, 'not-a-cert.pem');
    writeFileSync(bad, 'hello');
    const r = await run('repo', 'add-store', 'ca:broken', bad, '--repo', repo);
    expect(r.code).not.toBe(0);
  });

  test('add-store, set-policy and publish: the deployer sees the store and the policy', async () => {
    const added = JSON.parse(
      await ok('repo', 'add-store', 'ca:acme-rockets', ACME_ROOT, '--repo', repo, '--json'),
    );
    expect(added.certificates[0].fingerprint).toBe(fingerprint(ACME_ROOT));
    await ok(
      'repo',
      'set-policy',
      writePolicy(work, 'p1.json', ['ca:acme-rockets']),
      '--repo',
      repo,
    );
    const published = JSON.parse(
      await ok('repo', 'publish', '--repo', repo, '--to', site, '--json'),
    );
    expect(published.root).toBe(path.join(site, 'metadata', '1.root.json'));
    const client = await deployer(site, cache);
    try {
      const snapshot = await client.refresh();
      expect(snapshot.stores.list().map((s) => `${s.type}:${s.name}`)).toEqual(['ca:acme-rockets']);
      expect(snapshot.policy.trustPolicies[0]!.trustStores).toEqual(['ca:acme-rockets']);
    } finally {
      await client.close();
    }
  });

  test('revoke-cert (file or fingerprint) reaches the deployer in revocations.json', async () => {
    await ok(
      'repo',
      'revoke-cert',
      WABBIT_ROOT,
      '--repo',
      repo,
      '--reason',
      'cessationOfOperation',
    );
    const r = await run('repo', 'revoke-cert', 'zz', '--repo', repo);
    expect(r.code).toBe(2);
    await ok('repo', 'revoke-cert', fingerprint(ACME_ROOT), '--repo', repo);
    await ok('repo', 'publish', '--repo', repo, '--to', site);
    const client = await deployer(site, cache);
    try {
      const snapshot = await client.refresh();
      expect([...snapshot.revocations].sort()).toEqual(
        [fingerprint(ACME_ROOT), fingerprint(WABBIT_ROOT)].sort(),
      );
    } finally {
      await client.close();
    }
  });

  test('remove-store is refused while the policy names it, and done together with the new policy', async () => {
    await ok('repo', 'add-store', 'ca:wabbit-networks', WABBIT_ROOT, '--repo', repo);
    await ok(
      'repo',
      'set-policy',
      writePolicy(work, 'p2.json', ['ca:acme-rockets', 'ca:wabbit-networks']),
      '--repo',
      repo,
    );
    const refused = await run('repo', 'remove-store', 'ca:acme-rockets', '--repo', repo, '--json');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.out).error.code).toBe('ERR_TRUST_INCOMPLETE');
    await ok(
      'repo',
      'remove-store',
      'ca:acme-rockets',
      '--repo',
      repo,
      '--policy',
      writePolicy(work, 'p3.json', ['ca:wabbit-networks']),
    );
    await ok('repo', 'publish', '--repo', repo, '--to', site);
    const client = await deployer(site, cache);
    try {
      const snapshot = await client.refresh();
      expect(snapshot.stores.list().map((s) => s.name)).toEqual(['wabbit-networks']);
    } finally {
      await client.close();
    }
  });

  test("delegate + a publisher's own key: the store is signed by the publisher's role", async () => {
    const keys = tempDir();
    // The publisher makes its own TUF key pair with openssl-compatible PEM (node:crypto here).
    const { generateKeyPairSync } = await import('node:crypto');
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(
      path.join(keys, 'acme.key'),
      pair.privateKey.export({ format: 'pem', type: 'pkcs8' }),
    );
    writeFileSync(
      path.join(keys, 'acme.pub'),
      pair.publicKey.export({ format: 'pem', type: 'spki' }),
    );
    const d = JSON.parse(
      await ok(
        'repo',
        'delegate',
        'acme',
        '--paths',
        'truststore/x509/*/acme*.pem',
        '--key',
        path.join(keys, 'acme.pub'),
        '--repo',
        repo,
        '--json',
      ),
    );
    expect(d.published).toContain('targets');
    // Staged without the publisher's key: waits for its signature.
    const staged = JSON.parse(
      await ok('repo', 'add-store', 'ca:acme-new', ACME_ROOT, '--repo', repo, '--json'),
    );
    expect(staged.role).toBe('acme');
    expect(staged.deferred).toEqual(['acme']);
    const status = JSON.parse(await ok('repo', 'status', '--repo', repo, '--json'));
    expect(status.warnings.join('\n')).toContain('sign-delegated acme');
    // The publisher signs; then the policy may name it.
    const signed = JSON.parse(
      await ok(
        'repo',
        'sign-delegated',
        'acme',
        '--key',
        path.join(keys, 'acme.key'),
        '--repo',
        repo,
        '--json',
      ),
    );
    expect(signed.published).toContain('acme');
    expect(readdirSync(path.join(repo, 'keys'))).not.toContain(`${d.keyIds[0]}.key`);
    await ok(
      'repo',
      'set-policy',
      writePolicy(work, 'p4.json', ['ca:wabbit-networks', 'ca:acme-new']),
      '--repo',
      repo,
    );
    await ok('repo', 'publish', '--repo', repo, '--to', site);
    const client = await deployer(site, cache);
    try {
      const snapshot = await client.refresh();
      expect(
        snapshot.stores
          .list()
          .map((s) => s.name)
          .sort(),
      ).toEqual(['acme-new', 'wabbit-networks']);
    } finally {
      await client.close();
    }
    const wrong = await run(
      'repo',
      'sign-delegated',
      'acme',
      '--key',
      path.join(
        repo,
        'keys',
        readdirSync(path.join(repo, 'keys')).find((f) => f.endsWith('.key'))!,
      ),
      '--repo',
      repo,
    );
    expect(wrong.code).toBe(2);
  });

  test('rotate-key of targets and of root: the deployer follows root v1 -> v2 -> v3', async () => {
    const t = JSON.parse(
      await ok('repo', 'rotate-key', 'targets', '--repo', repo, '--key-type', 'ed25519', '--json'),
    );
    expect(t.published).toEqual(
      expect.arrayContaining(['root', 'targets', 'snapshot', 'timestamp']),
    );
    await ok('repo', 'rotate-key', 'root', '--repo', repo);
    await ok('repo', 'publish', '--repo', repo, '--to', site);
    const client = await deployer(site, cache);
    try {
      await client.refresh();
      expect(client.status().rootVersion).toBe(3);
    } finally {
      await client.close();
    }
  });

  test('refresh signs a new snapshot and timestamp only; status shows versions and expiry', async () => {
    const before = JSON.parse(await ok('repo', 'status', '--repo', repo, '--json'));
    const version = (role: string, s: typeof before) =>
      s.roles.find((r: { role: string }) => r.role === role).version;
    const r = JSON.parse(await ok('repo', 'refresh', '--repo', repo, '--json'));
    expect(r.published).toEqual(['snapshot', 'timestamp']);
    const after = JSON.parse(await ok('repo', 'status', '--repo', repo, '--json'));
    expect(version('timestamp', after)).toBe(version('timestamp', before) + 1);
    expect(version('targets', after)).toBe(version('targets', before));
    const human = await ok('repo', 'status', '--repo', repo);
    expect(human).toMatch(/timestamp\s+\d+\s+\d{4}-\d\d-\d\d/);
    await ok('repo', 'publish', '--repo', repo, '--to', site);
    const client = await deployer(site, cache);
    try {
      await client.refresh();
      expect(client.status().timestampVersion).toBe(version('timestamp', after));
    } finally {
      await client.close();
    }
  });

  test('every repo command has --help with an example', async () => {
    for (const sub of [
      'init',
      'set-policy',
      'add-store',
      'remove-store',
      'revoke-cert',
      'delegate',
      'rotate-key',
      'refresh',
      'status',
      'publish',
      'sign-root',
      'add-signature',
      'export-root',
      'sign-delegated',
    ]) {
      const r = await run('repo', sub, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/example: .*tuf-notary repo/);
    }
  });

  test('a folder that is not a working repository is a usage error (exit 2)', async () => {
    const r = await run('repo', 'status', '--repo', tempDir());
    expect(r.code).toBe(2);
    expect(r.err).toContain('repo init');
  });
});

describe('offline root keys: a threshold of 2 signed by separate key holders', () => {
  test('export-root, sign-root --file by two holders, add-signature activates root v1', async () => {
    const work = tempDir();
    const repo = path.join(work, 'admin');
    const usb = path.join(work, 'usb');
    const init = JSON.parse(
      await ok(
        'repo',
        'init',
        '--repo',
        repo,
        '--root-keys-offline',
        '--root-keys-out',
        usb,
        '--threshold',
        '2',
        '--keys',
        '3',
        '--json',
      ),
    );
    expect(init.offlineRootKeyFiles).toHaveLength(3);
    expect(init.pendingRoot).toEqual({ version: 1, signatures: 0 });
    const keyFiles = init.offlineRootKeyFiles as string[];
    for (const f of readdirSync(path.join(repo, 'keys')))
      expect(keyFiles.map((k) => path.basename(k))).not.toContain(f);
    const pending = path.join(work, 'root-pending.json');
    await ok('repo', 'export-root', '--repo', repo, '--out', pending);
    const copyA = path.join(work, 'a.json');
    const copyB = path.join(work, 'b.json');
    writeFileSync(copyA, readFileSync(pending));
    writeFileSync(copyB, readFileSync(pending));
    await ok('repo', 'sign-root', '--file', copyA, '--key', keyFiles[0]!);
    await ok('repo', 'sign-root', '--file', copyB, '--key', keyFiles[1]!);
    const first = JSON.parse(await ok('repo', 'add-signature', copyA, '--repo', repo, '--json'));
    expect(first).toMatchObject({ activated: false, signatures: 1 });
    const site = path.join(work, 'site');
    const second = JSON.parse(await ok('repo', 'add-signature', copyB, '--repo', repo, '--json'));
    expect(second).toMatchObject({ activated: true, signatures: 2 });
    await ok('repo', 'add-store', 'ca:acme-rockets', ACME_ROOT, '--repo', repo);
    await ok(
      'repo',
      'set-policy',
      writePolicy(work, 'p.json', ['ca:acme-rockets']),
      '--repo',
      repo,
    );
    await ok('repo', 'publish', '--repo', repo, '--to', site);
    const client = await deployer(site, path.join(work, 'cache'));
    try {
      const snapshot = await client.refresh();
      expect(snapshot.stores.list()).toHaveLength(1);
    } finally {
      await client.close();
    }
    // Rotating the targets key needs root v2: it waits for the offline keys, then the deployer follows.
    const rotated = JSON.parse(await ok('repo', 'rotate-key', 'targets', '--repo', repo, '--json'));
    expect(rotated.pendingRoot).toBe(true);
    await ok('repo', 'sign-root', '--repo', repo, '--key', keyFiles[2]!);
    const done = JSON.parse(
      await ok('repo', 'sign-root', '--repo', repo, '--key', keyFiles[0]!, '--json'),
    );
    expect(done).toMatchObject({ version: 2, activated: true });
    await ok('repo', 'publish', '--repo', repo, '--to', site);
    const again = await deployer(site, path.join(work, 'cache'));
    try {
      await again.refresh();
      expect(again.status().rootVersion).toBe(2);
    } finally {
      await again.close();
    }
  });

  test('a signature from a key that is not a root key is refused by add-signature', async () => {
    const work = tempDir();
    const repo = path.join(work, 'admin');
    const usb = path.join(work, 'usb');
    await ok('repo', 'init', '--repo', repo, '--root-keys-offline', '--root-keys-out', usb);
    const pending = path.join(work, 'root.json');
    await ok('repo', 'export-root', '--repo', repo, '--out', pending);
    const stranger = path.join(
      repo,
      'keys',
      readdirSync(path.join(repo, 'keys')).find((f) => f.endsWith('.key'))!,
    );
    await ok('repo', 'sign-root', '--file', pending, '--key', stranger);
    const r = await run('repo', 'add-signature', pending, '--repo', repo);
    expect(r.code).toBe(2);
    expect(r.err).toContain('neither a key of the new root');
  });
});
