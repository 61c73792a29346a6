import { chmodSync, promises as fs, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { TrustClient } from '../../src/tuf';
import {
  bundle,
  makeCa,
  ociPolicy,
  removeTempDirs,
  revocations,
  serveRepo,
  tempDir,
  type ServedRepo,
} from './fixtures';
import type { TestCert } from '../helpers/pki';

const DAY = 86_400_000;
let acme: TestCert;
let beta: TestCert;
let served: ServedRepo;

beforeAll(async () => {
  acme = await makeCa('Acme');
  beta = await makeCa('Beta');
});
beforeEach(async () => {
  served = await serveRepo(acme);
});
afterEach(async () => {
  await served.close();
});
afterAll(removeTempDirs);

function open(
  cacheDir: string | undefined,
  extra: Partial<Parameters<typeof TrustClient.open>[0]> = {},
) {
  return TrustClient.open({
    root: served.pin,
    cacheDir,
    source: served.server.url,
    http: { retries: 0 },
    ...extra,
  });
}

function genDir(cacheDir: string): string {
  const state = JSON.parse(readFileSync(path.join(cacheDir, 'state.json'), 'utf8')) as {
    latest: string;
  };
  return path.join(cacheDir, 'gens', state.latest);
}

/** Moves the expiry of a metadata document one year on without re-signing it. */
function editSigned(text: string): string {
  const doc = JSON.parse(text) as { signed: { expires: string } };
  doc.signed.expires = new Date(Date.parse(doc.signed.expires) + 365 * DAY)
    .toISOString()
    .replace(/\.\d+Z$/, 'Z');
  return JSON.stringify(doc);
}

describe('offline use', () => {
  test('open() on a verified, unexpired cache makes the snapshot current with no network', async () => {
    const cacheDir = tempDir();
    await (await open(cacheDir)).refresh();
    served.takeRequests();
    const client = await open(cacheDir);
    expect(client.current().stores.get('ca', 'acme')?.[0]?.fingerprint).toBe(acme.sha256);
    expect(served.takeRequests()).toEqual([]);
  });

  test('offline: true serves the cache and says so; refresh() does not touch the network', async () => {
    const cacheDir = tempDir();
    await (await open(cacheDir)).refresh();
    served.takeRequests();
    const client = await open(cacheDir, { offline: true });
    const snapshot = await client.refresh();
    expect(snapshot.provenance.timestampVersion).toBe(1);
    expect(client.status()).toMatchObject({ offline: true, timestampVersion: 1 });
    expect(served.takeRequests()).toEqual([]);
  });

  test('an unreachable source keeps serving the cached snapshot while unexpired', async () => {
    const cacheDir = tempDir();
    const client = await open(cacheDir);
    const snapshot = await client.refresh();
    served.server.fault(/.*/, { drop: true });
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_UNAVAILABLE' });
    expect(client.current()).toBe(snapshot);
    expect(client.status().offline).toBe(true);
  });

  test('after expiry nothing is served: current() throws ERR_TRUST_EXPIRED', async () => {
    const cacheDir = tempDir();
    await (await open(cacheDir)).refresh();
    const later = () => new Date(Date.now() + 2 * DAY); // the timestamp lives one day
    const client = await open(cacheDir, { offline: true, now: later });
    expect(() => client.current()).toThrow(expect.objectContaining({ code: 'ERR_TRUST_EXPIRED' }));
    const live = await open(cacheDir, { now: later });
    expect(() => live.current()).toThrow(expect.objectContaining({ code: 'ERR_TRUST_EXPIRED' }));
  });
});

describe('cache tampering is detected and re-fetched, never trusted', () => {
  test('edited cached targets metadata: the generation is not served, the next refresh repairs it', async () => {
    const cacheDir = tempDir();
    await (await open(cacheDir)).refresh();
    const file = path.join(genDir(cacheDir), 'targets.json');
    await fs.writeFile(file, editSigned(await fs.readFile(file, 'utf8')));
    const client = await open(cacheDir);
    expect(() => client.current()).toThrow(
      expect.objectContaining({ code: 'ERR_TRUST_INCOMPLETE' }),
    );
    const snapshot = await client.refresh();
    expect(snapshot.stores.get('ca', 'acme')).toHaveLength(1);
  });

  test('an edited cached target (store file) is detected by hash and re-downloaded', async () => {
    const cacheDir = tempDir();
    await (await open(cacheDir)).refresh();
    const stored = path.join(cacheDir, 'targets');
    for (const name of readdirSync(stored))
      await fs.writeFile(path.join(stored, name), bundle(beta));
    const offline = await open(cacheDir, { offline: true });
    expect(() => offline.current()).toThrow();
    const client = await open(cacheDir);
    const snapshot = await client.refresh();
    expect(snapshot.stores.get('ca', 'acme')?.[0]?.fingerprint).toBe(acme.sha256);
  });

  test('a forged newer root in the cache never moves trust: the anchor is the pinned root', async () => {
    const cacheDir = tempDir();
    await (await open(cacheDir)).refresh();
    // An attacker with write access plants root v2 with their own keys, signed by themselves.
    const attacker = served.repo.generateKey();
    const raw = served.repo.rawMetadata('root', 1);
    raw.signed.version = 2;
    const forged = served.repo.signRaw(raw.signed, [attacker]);
    await fs.writeFile(path.join(cacheDir, 'roots', '2.root.json'), forged);
    const client = await open(cacheDir);
    expect(client.status().rootVersion).toBe(1);
    // The forged file was dropped; the next refresh works from the pin.
    await expect(fs.stat(path.join(cacheDir, 'roots', '2.root.json'))).rejects.toThrow();
    await expect(client.refresh()).resolves.toBeDefined();
  });

  test('an edited cached root is dropped and fetched again', async () => {
    served.repo.rotateKeys('root');
    await served.publish();
    const cacheDir = tempDir();
    await (await open(cacheDir)).refresh();
    const file = path.join(cacheDir, 'roots', '2.root.json');
    await fs.writeFile(file, editSigned(await fs.readFile(file, 'utf8')));
    const client = await open(cacheDir);
    expect(client.status().rootVersion).toBe(1);
    const snapshot = await client.refresh();
    expect(snapshot.provenance.rootVersion).toBe(2);
  });

  test('deleting the cache does not lower trust below the pin', async () => {
    const cacheDir = tempDir();
    await (await open(cacheDir)).refresh();
    await fs.rm(cacheDir, { recursive: true, force: true });
    const client = await open(cacheDir);
    expect(client.status().rootVersion).toBe(1);
    await expect(client.refresh()).resolves.toBeDefined();
  });
});

describe('cache layout', () => {
  test('targets are stored by content hash and every root version is kept', async () => {
    served.repo.rotateKeys('root');
    await served.publish();
    served.repo.rotateKeys('root');
    await served.publish();
    const cacheDir = tempDir();
    const snapshot = await (await open(cacheDir)).refresh();
    expect(readdirSync(path.join(cacheDir, 'targets')).sort()).toEqual(
      snapshot.provenance.targets.map((t) => t.sha256).sort(),
    );
    expect(readdirSync(path.join(cacheDir, 'roots')).sort()).toEqual([
      '1.root.json',
      '2.root.json',
      '3.root.json',
    ]);
  });

  test('an in-memory client (no cacheDir) works and removes its temp dir on close', async () => {
    const client = await open(undefined);
    await client.refresh();
    const dir = (client as unknown as { cache: { dir: string } }).cache.dir;
    expect(statSync(dir).isDirectory()).toBe(true);
    await client.close();
    expect(() => statSync(dir)).toThrow();
  });
});

describe('staged updates', () => {
  test('additions wait for apply(); pending() describes them', async () => {
    const client = await open(tempDir(), { updates: 'staged' });
    await client.refresh();
    served.repo.setTarget('trustpolicy.oci.json', ociPolicy(['ca:acme', 'ca:beta']));
    served.repo.setTarget('truststore/x509/ca/beta.pem', bundle(beta));
    await served.publish();
    await client.refresh();
    expect(client.current().stores.get('ca', 'beta')).toBeUndefined();
    const change = client.pending();
    expect(change?.addedCertificates).toEqual([{ store: 'ca:beta', fingerprint: beta.sha256 }]);
    expect(change?.policyChanged).toBe(true);
    expect(change?.policyDiff.join('\n')).toContain('ca:beta');
    expect(client.status().pending).toBe(true);
    const applied = await client.apply();
    expect(applied.stores.get('ca', 'beta')?.[0]?.fingerprint).toBe(beta.sha256);
    expect(client.pending()).toBeUndefined();
  });

  test('the staged state survives reopen: active stays, pending is reported', async () => {
    const cacheDir = tempDir();
    const client = await open(cacheDir, { updates: 'staged' });
    await client.refresh();
    served.repo.setTarget('truststore/x509/ca/acme.pem', bundle(acme, beta));
    await served.publish();
    await client.refresh();
    const reopened = await open(cacheDir, { updates: 'staged' });
    expect(reopened.current().stores.get('ca', 'acme')).toHaveLength(1);
    expect(reopened.pending()?.addedCertificates).toEqual([
      { store: 'ca:acme', fingerprint: beta.sha256 },
    ]);
    const applied = await reopened.apply();
    expect(applied.stores.get('ca', 'acme')).toHaveLength(2);
  });
});

describe('trust-store update scenarios', () => {
  test('(1) the deployer stops trusting a publisher: its store leaves the policy and the snapshot', async () => {
    served.repo.setTarget('trustpolicy.oci.json', ociPolicy(['ca:acme', 'ca:beta']));
    served.repo.setTarget('truststore/x509/ca/beta.pem', bundle(beta));
    await served.publish();
    const client = await open(tempDir());
    expect((await client.refresh()).stores.get('ca', 'beta')).toHaveLength(1);
    served.repo.setTarget('trustpolicy.oci.json', ociPolicy(['ca:acme']));
    await served.publish();
    const snapshot = await client.refresh();
    expect(snapshot.stores.get('ca', 'beta')).toBeUndefined();
    expect(snapshot.stores.list().map((s) => `${s.type}:${s.name}`)).toEqual(['ca:acme']);
  });

  test('(2) a compromised publisher root is removed and revoked at once, even in staged mode', async () => {
    served.repo.setTarget('trustpolicy.oci.json', ociPolicy(['ca:acme', 'ca:beta']));
    served.repo.setTarget('truststore/x509/ca/beta.pem', bundle(beta));
    await served.publish();
    const client = await open(tempDir(), { updates: 'staged' });
    await client.refresh();
    served.repo.setTarget('trustpolicy.oci.json', ociPolicy(['ca:acme']));
    served.repo.removeTarget('truststore/x509/ca/beta.pem');
    served.repo.setTarget('revocations.json', revocations(beta));
    await served.publish();
    await client.refresh();
    const active = client.current();
    expect(active.stores.get('ca', 'beta')).toBeUndefined();
    expect(active.revocations).toContain(beta.sha256);
    expect(client.pending()?.removedCertificates).toEqual([
      { store: 'ca:beta', fingerprint: beta.sha256 },
    ]);
  });

  test('(3) a root nearing expiry is rotated with an overlap where both verify', async () => {
    const successor = await makeCa('Acme');
    const client = await open(tempDir());
    await client.refresh();
    served.repo.setTarget('truststore/x509/ca/acme.pem', bundle(acme, successor));
    await served.publish();
    const overlap = await client.refresh();
    expect(
      overlap.stores
        .get('ca', 'acme')
        ?.map((c) => c.fingerprint)
        .sort(),
    ).toEqual([acme.sha256, successor.sha256].sort());
    served.repo.setTarget('truststore/x509/ca/acme.pem', bundle(successor));
    await served.publish();
    const after = await client.refresh();
    expect(after.stores.get('ca', 'acme')?.map((c) => c.fingerprint)).toEqual([successor.sha256]);
  });

  test('(4) a lost root key is replaced: the old certificate goes, the new one arrives', async () => {
    const replacement = await makeCa('Acme');
    const client = await open(tempDir(), { updates: 'staged' });
    await client.refresh();
    served.repo.setTarget('truststore/x509/ca/acme.pem', bundle(replacement));
    await served.publish();
    await client.refresh();
    // Removal at once, addition after apply().
    expect(client.current().stores.get('ca', 'acme')).toBeUndefined();
    expect(client.pending()?.addedCertificates).toEqual([
      { store: 'ca:acme', fingerprint: replacement.sha256 },
    ]);
    expect((await client.apply()).stores.get('ca', 'acme')?.map((c) => c.fingerprint)).toEqual([
      replacement.sha256,
    ]);
  });

  test('(5) an algorithm is deprecated: stores move from RSA-2048 to P-384 roots', async () => {
    const rsa = await makeCa('Legacy', 'rsa-2048');
    const ec = await makeCa('Legacy', 'ec-p384');
    served.repo.setTarget('trustpolicy.oci.json', ociPolicy(['ca:acme', 'ca:legacy']));
    served.repo.setTarget('truststore/x509/ca/legacy.pem', bundle(rsa));
    await served.publish();
    const client = await open(tempDir());
    await client.refresh();
    served.repo.setTarget('truststore/x509/ca/legacy.pem', bundle(ec));
    await served.publish();
    const snapshot = await client.refresh();
    expect(snapshot.stores.get('ca', 'legacy')?.map((c) => c.fingerprint)).toEqual([ec.sha256]);
  });
});

describe('read-only cache', () => {
  const runningAsRoot = process.getuid?.() === 0;
  // root ignores permissions: as root, test/integration/tuf-process.test.ts runs it as uid 65534.
  (runningAsRoot ? test.skip : test)(
    'a cache that cannot be written still serves and refresh fails with ERR_CACHE',
    async () => {
      const cacheDir = tempDir();
      await (await open(cacheDir)).refresh();
      chmodSync(cacheDir, 0o555);
      try {
        const client = await open(cacheDir);
        expect(client.current().stores.get('ca', 'acme')).toHaveLength(1);
        await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_CACHE' });
      } finally {
        chmodSync(cacheDir, 0o755);
      }
    },
  );
});
