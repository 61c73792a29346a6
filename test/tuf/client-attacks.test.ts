import { TrustClient } from '../../src/tuf';
import {
  bundle,
  makeCa,
  ociPolicy,
  removeTempDirs,
  serveRepo,
  tempDir,
  type ServedRepo,
} from './fixtures';
import type { TestCert } from '../helpers/pki';

const DAY = 86_400_000;
let acme: TestCert;
let served: ServedRepo;

beforeAll(async () => {
  acme = await makeCa('Acme');
});
afterEach(async () => {
  await served?.close();
});
afterAll(removeTempDirs);

async function openClient(cacheDir = tempDir()) {
  return TrustClient.open({
    root: served.pin,
    cacheDir,
    source: served.server.url,
    http: { retries: 0 },
  });
}

describe('root rotation (TUF spec 5.3)', () => {
  test('follows several root versions with key and threshold changes', async () => {
    served = await serveRepo(acme);
    const client = await openClient();
    await client.refresh();
    served.repo.rotateKeys('root', { keys: 2, threshold: 2 });
    await served.publish();
    served.repo.rotateKeys('timestamp');
    served.repo.rotateKeys('root', { keys: 3, threshold: 2 });
    await served.publish();
    served.repo.rotateKeys('root', { keys: 1, threshold: 1 });
    served.repo.rotateKeys('snapshot');
    await served.publish();
    const snapshot = await client.refresh();
    expect(snapshot.provenance.rootVersion).toBe(4);
    expect(client.status().rootVersion).toBe(4);
    // A new client on the same cache re-verifies the chain 1→4 from the pin, with no network.
    const reopened = await openClient((client as unknown as { cache: { dir: string } }).cache.dir);
    expect(reopened.current().provenance.rootVersion).toBe(4);
  });

  test('a new root not signed by a threshold of the old root keys is refused', async () => {
    served = await serveRepo(acme);
    const client = await openClient();
    await client.refresh();
    const oldKeys = served.repo.keys('root');
    served.repo.rotateKeys('root', { keys: 1 });
    served.repo.signWith('root', served.repo.keys('root')); // signed only by the new key
    await served.publish();
    expect(oldKeys.length).toBeGreaterThan(0);
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_SIGNATURE' });
  });
});

describe('rollback (TUF spec 5.4.3, 5.5.5)', () => {
  test('an older timestamp is refused', async () => {
    served = await serveRepo(acme);
    await served.publish();
    const client = await openClient();
    await client.refresh();
    await served.repo.writeTo(served.dir, { timestampVersion: 1 });
    await expect(client.refresh()).rejects.toMatchObject({
      code: 'ERR_TUF_ROLLBACK',
      message: expect.stringMatching(/timestamp/),
    });
  });

  test('a timestamp naming an older snapshot is refused', async () => {
    served = await serveRepo(acme);
    served.repo.setTarget('x.json', Buffer.from('1'));
    await served.publish();
    const client = await openClient();
    await client.refresh();
    served.repo.bumpVersion('snapshot', 1);
    await served.publish();
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_ROLLBACK' });
  });

  test('a snapshot naming an older targets version is refused', async () => {
    served = await serveRepo(acme);
    served.repo.setTarget('x.json', Buffer.from('1'));
    await served.publish();
    const client = await openClient();
    await client.refresh();
    served.repo.bumpVersion('targets', 1);
    await served.publish();
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_ROLLBACK' });
  });
});

describe('freeze (TUF spec 5.4.4, 5.5.6, 5.6.5, 5.3.10)', () => {
  for (const role of ['timestamp', 'snapshot', 'targets', 'root']) {
    test(`expired ${role} metadata is refused with ERR_TUF_EXPIRED`, async () => {
      served = await serveRepo(acme, { expires: { [role]: new Date(Date.now() - DAY) } });
      const client = await openClient();
      await expect(client.refresh()).rejects.toMatchObject({
        code: 'ERR_TUF_EXPIRED',
        message: expect.stringContaining(role),
      });
    });
  }
});

describe('mix-and-match', () => {
  test('a snapshot naming a targets version that is not served fails', async () => {
    served = await serveRepo(acme);
    const client = await openClient();
    await client.refresh();
    served.repo.setTarget('x.json', Buffer.from('2'));
    await served.publish();
    served.server.fault('/metadata/2.targets.json', {
      body: served.repo.files().get('1.targets.json')!,
    });
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_METADATA' });
  });
});

describe('target hash and length (TUF spec 5.7.3)', () => {
  test('a store whose bytes do not match the hash is ERR_TUF_TARGET_MISMATCH', async () => {
    served = await serveRepo(acme);
    const file = [...served.repo.files().keys()].find((n) =>
      n.startsWith('targets/truststore/x509/ca/'),
    )!;
    const original = served.repo.files().get(file)!;
    const tampered = Buffer.from(original);
    tampered[100] = tampered[100] === 0x41 ? 0x42 : 0x41; // same length, other bytes
    served.server.fault(`/${file}`, { body: tampered });
    const client = await openClient();
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_TARGET_MISMATCH' });
  });

  test('a target longer than its length is cut off and refused', async () => {
    served = await serveRepo(acme);
    const file = [...served.repo.files().keys()].find((n) => n.endsWith('.trustpolicy.oci.json'))!;
    expect(file).toBeDefined();
    served.server.fault(`/${file}`, { endless: true });
    const client = await openClient();
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_TARGET_MISMATCH' });
  });
});

describe('oversized and endless metadata', () => {
  test('an endless timestamp is cut at the limit', async () => {
    served = await serveRepo(acme);
    served.server.fault('/metadata/timestamp.json', { endless: true });
    const client = await openClient();
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_METADATA' });
  });

  test('an oversized root is refused', async () => {
    served = await serveRepo(acme);
    served.server.fault('/metadata/2.root.json', { body: Buffer.alloc(600_000, 0x20) });
    const client = await openClient();
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_METADATA' });
  });
});

describe('signatures below threshold', () => {
  test('a snapshot signed by fewer keys than its threshold is refused', async () => {
    served = await serveRepo(acme, { thresholds: { snapshot: 2 }, keyCounts: { snapshot: 2 } });
    const client = await openClient();
    await client.refresh();
    served.repo.signWith('snapshot', served.repo.keys('snapshot').slice(0, 1));
    served.repo.setTarget('x.json', Buffer.from('1'));
    await served.publish();
    await expect(client.refresh()).rejects.toMatchObject({
      code: 'ERR_TUF_SIGNATURE',
      message: expect.stringContaining('snapshot'),
    });
  });

  test('a timestamp signed by an unknown key is refused', async () => {
    served = await serveRepo(acme);
    const client = await openClient();
    served.repo.signWith('timestamp', [served.repo.generateKey()]);
    await served.publish();
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_SIGNATURE' });
  });
});

describe('delegations: a publisher signs its own stores', () => {
  test('a store signed by the delegated acme role is trusted', async () => {
    served = await serveRepo(acme, {
      setup: (repo) => {
        repo.removeTarget('truststore/x509/ca/acme.pem');
        repo.delegate('acme', { paths: ['truststore/x509/*/acme*.pem'] });
        repo.setTarget('truststore/x509/ca/acme.pem', bundle(acme), { role: 'acme' });
      },
    });
    const client = await openClient();
    const snapshot = await client.refresh();
    expect(snapshot.stores.get('ca', 'acme')?.[0]?.fingerprint).toBe(acme.sha256);
  });

  test('a store signed with a key the delegation does not name is refused', async () => {
    served = await serveRepo(acme, {
      setup: (repo) => {
        repo.removeTarget('truststore/x509/ca/acme.pem');
        repo.delegate('acme', { paths: ['truststore/x509/*/acme*.pem'] });
        repo.setTarget('truststore/x509/ca/acme.pem', bundle(acme), { role: 'acme' });
        repo.signWith('acme', [repo.generateKey()]);
      },
    });
    const client = await openClient();
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_SIGNATURE' });
  });

  test('cached delegated metadata is never reused: it is fetched and re-verified on every update', async () => {
    served = await serveRepo(acme, {
      setup: (repo) => {
        repo.removeTarget('truststore/x509/ca/acme.pem');
        repo.delegate('acme', { paths: ['truststore/x509/*/acme*.pem'] });
        repo.setTarget('truststore/x509/ca/acme.pem', bundle(acme), { role: 'acme' });
      },
    });
    const client = await openClient();
    await client.refresh();
    served.takeRequests();
    served.repo.setTarget('x.json', Buffer.from('new'));
    await served.publish();
    await client.refresh();
    // acme did not change (still v1), yet it is fetched again and verified against targets.
    expect(served.takeRequests()).toContain('/metadata/1.acme.json');
  });
});

describe('unsupported key types', () => {
  test('a root listing a key type outside ed25519/ecdsa-p256/rsa-pss is refused clearly', async () => {
    served = await serveRepo(acme);
    const raw = served.repo.rawMetadata('root', 1);
    const keys = raw.signed.keys as Record<string, { keytype: string; scheme: string }>;
    const first = Object.values(keys)[0]!;
    first.keytype = 'ecdsa-sha2-nistp384';
    first.scheme = 'ecdsa-sha2-nistp384';
    await expect(
      TrustClient.open({ root: Buffer.from(JSON.stringify(raw)), source: served.server.url }),
    ).rejects.toMatchObject({
      code: 'ERR_ALGORITHM_UNSUPPORTED',
      message: expect.stringContaining('nistp384'),
    });
  });
});

describe('unreachable or incomplete sources', () => {
  test('a missing timestamp is ERR_TUF_UNAVAILABLE naming the file and the source', async () => {
    served = await serveRepo(acme);
    served.server.fault('/metadata/timestamp.json', { status: 404 });
    const client = await openClient();
    await expect(client.refresh()).rejects.toMatchObject({
      code: 'ERR_TUF_UNAVAILABLE',
      message: expect.stringContaining(served.server.url),
    });
  });

  test('a server error on the next-root probe aborts the update', async () => {
    served = await serveRepo(acme);
    served.server.fault('/metadata/2.root.json', { status: 500 });
    const client = await openClient();
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_UNAVAILABLE' });
  });
});

test('fixture sanity: policy helper produces a valid store reference', () => {
  expect(Buffer.from(ociPolicy(['ca:acme'])).toString()).toContain('ca:acme');
});
