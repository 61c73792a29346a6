/**
 * End-to-end scenarios (issue 6): choosing, dropping and cutting off
 * publishers. Administrators use `tuf-notary repo …`, deployers
 * `tuf-notary init/refresh/trust/pending/apply/verify`, all as real processes
 * against a real HTTP server on 127.0.0.1.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ensureBuilt } from '../helpers/cliProcess';
import { Admin, cleanup, Deployer, Publisher, tufKeyFiles } from './harness';

const SHARED = 'registry.example.com/shared/app';
const TOOLS = 'registry.example.com/tools/cli';

let acme: Publisher;
let beta: Publisher;
const admins: Admin[] = [];

beforeAll(async () => {
  await ensureBuilt();
  [acme, beta] = await Promise.all([Publisher.create('Acme'), Publisher.create('Beta')]);
});
afterAll(async () => {
  await Promise.all(admins.map((a) => a.close()));
  cleanup();
});

async function newAdmin(): Promise<Admin> {
  const admin = await Admin.create();
  admins.push(admin);
  return admin;
}

describe('e2e: choosing, dropping and cutting off publishers', () => {
  test('a deployer trusts only the publishers it chooses for each repository scope, while one repository holds artifacts from teams with different keys', async () => {
    // One registry repository (SHARED) holds artifacts signed by Acme and by Beta.
    const acmeApp = acme.sign(SHARED);
    const betaApp = beta.sign(SHARED);
    const betaTool = beta.sign(TOOLS);

    // Organisation 1 trusts Acme for SHARED and Beta only for TOOLS. Beta's
    // store is delegated to Beta's own TUF key: Beta signs it, not the admins.
    const org1 = await newAdmin();
    await org1.addStore('ca:acme', acme.rootPem);
    const betaKey = tufKeyFiles('beta');
    await org1.repo(
      'delegate',
      'beta',
      '--paths',
      'truststore/x509/*/beta*.pem',
      '--key',
      betaKey.publicFile,
    );
    await org1.addStore('ca:beta', beta.rootPem, '--key', betaKey.privateFile);
    await org1.setPolicy([
      { name: 'shared-app', scopes: [SHARED], stores: ['ca:acme'] },
      { name: 'tools', scopes: [TOOLS], stores: ['ca:beta'] },
    ]);
    await org1.publish();

    // Organisation 2 consumes the same registry repository but trusts only Beta there.
    const org2 = await newAdmin();
    await org2.addStore('ca:beta', beta.rootPem);
    await org2.setPolicy([{ name: 'shared-app', scopes: [SHARED], stores: ['ca:beta'] }]);
    await org2.publish();

    const d1 = new Deployer('org1');
    await d1.init(org1.pinnedRoot, org1.url);
    const d2 = new Deployer('org2');
    await d2.init(org2.pinnedRoot, org2.url);

    expect(await d1.verify(acmeApp)).toMatchObject({ code: 0, ok: true });
    expect(await d1.verify(betaApp)).toMatchObject({
      code: 1,
      errorCode: 'ERR_UNTRUSTED_SIGNER',
    });
    expect(await d1.verify(betaTool)).toMatchObject({ code: 0, ok: true });

    expect(await d2.verify(betaApp)).toMatchObject({ code: 0, ok: true });
    expect(await d2.verify(acmeApp)).toMatchObject({
      code: 1,
      errorCode: 'ERR_UNTRUSTED_SIGNER',
    });
    // No statement of org 2 covers TOOLS.
    expect(await d2.verify(betaTool)).toMatchObject({ code: 1, errorCode: 'ERR_POLICY_NOT_FOUND' });

    // The delegated store reached the deployer through the beta role.
    expect(await d1.stores()).toEqual(['ca:acme', 'ca:beta']);
    const trust = await d1.trust();
    expect(trust.policy.trustPolicies.map((p) => [p.name, p.trustStores])).toEqual([
      ['shared-app', ['ca:acme']],
      ['tools', ['ca:beta']],
    ]);
  });

  test('a deployer stops consuming a publisher', async () => {
    const admin = await newAdmin();
    await admin.addStore('ca:acme', acme.rootPem);
    await admin.addStore('ca:beta', beta.rootPem);
    await admin.setPolicy([{ name: 'shared', scopes: [SHARED], stores: ['ca:acme', 'ca:beta'] }]);
    await admin.publish();
    const deployer = new Deployer();
    await deployer.init(admin.pinnedRoot, admin.url);
    const betaApp = beta.sign(SHARED);
    expect(await deployer.verify(betaApp)).toMatchObject({ code: 0, ok: true });

    // The administrators drop Beta: the policy first, then its store.
    await admin.setPolicy([{ name: 'shared', scopes: [SHARED], stores: ['ca:acme'] }]);
    await admin.repo('remove-store', 'ca:beta');
    await admin.publish();
    // Until the deployer refreshes, its cached trust still holds Beta.
    expect(await deployer.stores()).toEqual(['ca:acme', 'ca:beta']);
    await deployer.refresh();

    expect(await deployer.stores()).toEqual(['ca:acme']);
    expect(await deployer.verify(betaApp)).toMatchObject({
      code: 1,
      errorCode: 'ERR_UNTRUSTED_SIGNER',
    });
    expect(await deployer.verify(acme.sign(SHARED))).toMatchObject({ code: 0, ok: true });
  });

  test('a compromised publisher root is removed and revoked: verifiers reject at once, even in staged mode', async () => {
    const admin = await newAdmin();
    await admin.addStore('ca:acme', acme.rootPem);
    await admin.setPolicy([{ name: 'shared', scopes: [SHARED], stores: ['ca:acme'] }]);
    await admin.publish();
    const auto = new Deployer('auto');
    await auto.init(admin.pinnedRoot, admin.url);
    const staged = new Deployer('staged');
    await staged.init(admin.pinnedRoot, admin.url, { staged: true });
    const before = acme.sign(SHARED);
    expect(await staged.verify(before)).toMatchObject({ code: 0, ok: true });

    // Acme's root key leaks. Acme makes a new root; the administrators replace
    // the store and revoke the old root certificate in the same publish.
    const acme2 = await Publisher.create('Acme');
    const leaked = acme.rootPem;
    await admin.addStore('ca:acme', acme2.rootPem);
    const certFile = path.join(admin.work, 'leaked-acme-root.pem');
    writeFileSync(certFile, leaked);
    await admin.repo('revoke-cert', certFile, '--reason', 'keyCompromise');
    await admin.publish();

    await auto.refresh();
    const refreshed = await staged.refresh();
    expect(refreshed.pending).toBe(true);

    // Old signatures fail at once everywhere, the staged deployer included.
    for (const d of [auto, staged]) {
      const r = await d.verify(before);
      expect(r.code).toBe(1);
      expect(['ERR_REVOKED', 'ERR_UNTRUSTED_SIGNER']).toContain(r.errorCode);
      expect((await d.trust()).revocations).toContain(acme.rootFingerprint);
    }
    // Signatures by a key derived from the leaked root fail as revoked even if
    // someone re-adds the old root: revocations.json is checked on every chain.
    expect(await staged.verify(acme.sign(SHARED))).toMatchObject({ code: 1 });

    // The new root: active at once in auto mode, after review and apply in staged mode.
    const after = acme2.sign(SHARED);
    expect(await auto.verify(after)).toMatchObject({ code: 0, ok: true });
    expect(await staged.verify(after)).toMatchObject({ code: 1 });
    const pending = await staged.pending();
    expect(pending.pending?.addedCertificates).toEqual([
      { store: 'ca:acme', fingerprint: acme2.rootFingerprint },
    ]);
    expect(pending.pending?.removedCertificates).toEqual([
      { store: 'ca:acme', fingerprint: acme.rootFingerprint },
    ]);
    await staged.apply();
    expect(await staged.verify(after)).toMatchObject({ code: 0, ok: true });
    expect(await staged.verify(before)).toMatchObject({ code: 1 });
  });
});
