/**
 * End-to-end scenarios (issue 6): rotating publisher roots and TUF keys.
 * Administrators use `tuf-notary repo …`, deployers `tuf-notary …`, all as
 * real processes against a real HTTP server on 127.0.0.1.
 */
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { ensureBuilt } from '../helpers/cliProcess';
import { Admin, cleanup, Deployer, Publisher } from './harness';

const APP = 'registry.example.com/acme/app';
const DAY = 86_400_000;
const admins: Admin[] = [];

beforeAll(ensureBuilt);
afterAll(async () => {
  await Promise.all(admins.map((a) => a.close()));
  cleanup();
});

/** An administrator with store `ca:acme` = `pem` and a policy trusting it for APP, published. */
async function repoTrusting(pem: string, initArgs: string[] = []): Promise<Admin> {
  const admin = await Admin.create(initArgs);
  admins.push(admin);
  await admin.addStore('ca:acme', pem);
  await admin.setPolicy([{ name: 'acme-app', scopes: [APP], stores: ['ca:acme'] }]);
  await admin.publish();
  return admin;
}

describe('e2e: rotating publisher roots and TUF keys', () => {
  test('a publisher root nearing expiry is rotated with an overlap period', async () => {
    const old = await Publisher.create('Acme', { rootNotAfter: new Date(Date.now() + 20 * DAY) });
    const successor = await Publisher.create('Acme');
    const admin = await repoTrusting(old.rootPem);
    const deployer = new Deployer();
    await deployer.init(admin.pinnedRoot, admin.url);
    const trust = await deployer.trust();
    const notAfter = new Date(
      (trust.stores[0]?.certificates[0] as { notAfter?: string } | undefined)?.notAfter ?? 0,
    );
    expect(notAfter.getTime()).toBeLessThan(Date.now() + 21 * DAY); // the deployer can see it is near

    // Overlap: the store holds the old and the new root; both publishers' signatures verify.
    await admin.addStore('ca:acme', old.rootPem + successor.rootPem);
    await admin.publish();
    await deployer.refresh();
    const [byOld, byNew] = await Promise.all([
      deployer.verify(old.sign(APP)),
      deployer.verify(successor.sign(APP)),
    ]);
    expect(byOld).toMatchObject({ code: 0, ok: true });
    expect(byNew).toMatchObject({ code: 0, ok: true });

    // End of the overlap: the old root leaves the store.
    await admin.addStore('ca:acme', successor.rootPem);
    await admin.publish();
    await deployer.refresh();
    expect(await deployer.verify(old.sign(APP))).toMatchObject({
      code: 1,
      errorCode: 'ERR_UNTRUSTED_SIGNER',
    });
    expect(await deployer.verify(successor.sign(APP))).toMatchObject({ code: 0, ok: true });
  });

  test('a lost root private key is replaced', async () => {
    // (a) A publisher lost its root CA key: a new root replaces it in the store.
    const acme = await Publisher.create('Acme');
    const admin = await repoTrusting(acme.rootPem, ['--threshold', '2', '--keys', '3']);
    const deployer = new Deployer();
    await deployer.init(admin.pinnedRoot, admin.url, { staged: true });
    const replacement = await Publisher.create('Acme');
    await admin.addStore('ca:acme', replacement.rootPem);

    // (b) One of the three TUF root keys (threshold 2) is lost as well: the two
    // left sign root v2, which replaces the lost key with a new one.
    const [lost] = await admin.keyIds('root');
    rmSync(path.join(admin.repoDir, 'keys', `${lost}.key`));
    await admin.repo('rotate-key', 'root', '--replace', lost!.slice(0, 16));
    await admin.publish();
    const rootKeys = await admin.keyIds('root');
    expect(rootKeys).toHaveLength(3);
    expect(rootKeys).not.toContain(lost);

    const status = await deployer.refresh();
    expect(status).toMatchObject({ rootVersion: 2, pending: true });
    // The old certificate is out at once; the replacement waits for apply.
    expect(await deployer.verify(acme.sign(APP))).toMatchObject({ code: 1 });
    expect((await deployer.pending()).pending?.addedCertificates).toEqual([
      { store: 'ca:acme', fingerprint: replacement.rootFingerprint },
    ]);
    await deployer.apply();
    expect(await deployer.verify(replacement.sign(APP))).toMatchObject({ code: 0, ok: true });
    // A client bootstrapping from the first root follows to v2 without the lost key.
    const fresh = new Deployer('fresh');
    expect((await fresh.init(admin.pinnedRoot, admin.url)).status.rootVersion).toBe(2);
  });

  test('a deprecated algorithm: publisher roots and TUF keys are upgraded', async () => {
    // The repository starts with Ed25519 TUF keys and an RSA-2048 publisher root.
    const legacy = await Publisher.create('Acme', { keyType: 'rsa-2048' });
    const admin = await repoTrusting(legacy.rootPem, ['--key-type', 'ed25519']);
    const deployer = new Deployer();
    await deployer.init(admin.pinnedRoot, admin.url);
    expect(await deployer.verify(legacy.sign(APP))).toMatchObject({ code: 0, ok: true });

    // RSA-2048 is retired: the publisher moves to an ECDSA P-384 root, and the
    // administrators move every TUF role to ECDSA P-256 keys.
    const modern = await Publisher.create('Acme', { keyType: 'ec-p384' });
    await admin.addStore('ca:acme', modern.rootPem);
    for (const role of ['root', 'targets', 'snapshot', 'timestamp']) {
      await admin.repo('rotate-key', role, '--key-type', 'ecdsa');
    }
    await admin.publish();
    const s = await admin.status();
    expect(s.roles.map((r) => r.role)).toEqual(['root', 'targets', 'snapshot', 'timestamp']);

    const status = await deployer.refresh();
    expect(status.rootVersion).toBeGreaterThan(1);
    expect(await deployer.verify(legacy.sign(APP))).toMatchObject({
      code: 1,
      errorCode: 'ERR_UNTRUSTED_SIGNER',
    });
    expect(await deployer.verify(modern.sign(APP))).toMatchObject({ code: 0, ok: true });
    // The published root lists only ECDSA keys now.
    const root = JSON.parse(
      readFileSync(
        path.join(admin.publishDir, 'metadata', `${status.rootVersion}.root.json`),
        'utf8',
      ),
    ) as { signed: { keys: Record<string, { keytype: string }> } };
    expect(new Set(Object.values(root.signed.keys).map((k) => k.keytype))).toEqual(
      new Set(['ecdsa']),
    );
  });

  test('the TUF root keys are rotated v1 → v2 → v3 and old clients follow', async () => {
    const acme = await Publisher.create('Acme');
    const admin = await repoTrusting(acme.rootPem);
    const early = new Deployer('early'); // refreshes at every step
    const late = new Deployer('late'); // sleeps through v2
    await Promise.all([
      early.init(admin.pinnedRoot, admin.url),
      late.init(admin.pinnedRoot, admin.url),
    ]);

    await admin.repo('rotate-key', 'root');
    await admin.publish();
    expect((await early.refresh()).rootVersion).toBe(2);

    await admin.repo('rotate-key', 'root');
    await admin.publish();
    const [e, l] = await Promise.all([early.refresh(), late.refresh()]);
    expect(e.rootVersion).toBe(3);
    expect(l.rootVersion).toBe(3);
    // A new machine pinned to 1.root.json walks the chain v1 → v2 → v3 too.
    const fresh = new Deployer('fresh');
    expect((await fresh.init(admin.pinnedRoot, admin.url)).status.rootVersion).toBe(3);

    const sig = acme.sign(APP);
    for (const d of [early, late, fresh]) {
      expect(await d.verify(sig)).toMatchObject({ code: 0, ok: true });
    }
  });
});
