import { resolveSource, TrustClient } from '../../src/tuf';
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

describe('first bootstrap from the pinned root', () => {
  test('refresh verifies the repository and returns the policy and the named store', async () => {
    const client = await TrustClient.open({
      root: served.pin,
      cacheDir: tempDir(),
      source: served.server.url,
    });
    const snapshot = await client.refresh();
    expect(snapshot.policy.trustPolicies[0]?.name).toBe('everything');
    expect(snapshot.stores.get('ca', 'acme')?.map((c) => c.fingerprint)).toEqual([acme.sha256]);
    expect(snapshot.provenance).toMatchObject({
      rootVersion: 1,
      timestampVersion: 1,
      snapshotVersion: 1,
      targetsVersion: 1,
    });
    expect(snapshot.provenance.targets.map((t) => t.path).sort()).toEqual([
      'trustpolicy.oci.json',
      'truststore/x509/ca/acme.pem',
    ]);
    expect(Object.isFrozen(snapshot)).toBe(true);
    expect(Object.isFrozen(snapshot.provenance.targets)).toBe(true);
    expect(Object.isFrozen(snapshot.policy.trustPolicies)).toBe(true);
    expect(client.status()).toMatchObject({
      rootVersion: 1,
      timestampVersion: 1,
      pending: false,
      offline: false,
    });
    expect(client.current()).toBe(snapshot);
    await client.close();
  });

  test('the pinned root is never fetched: the first request is the next-root probe', async () => {
    const client = await TrustClient.open({
      root: served.pin,
      cacheDir: tempDir(),
      source: served.server.url,
    });
    await client.refresh();
    const requests = served.takeRequests();
    expect(requests[0]).toBe('/metadata/2.root.json');
    expect(requests).not.toContain('/metadata/1.root.json');
    await client.close();
  });

  test('current() before any refresh fails with ERR_TRUST_INCOMPLETE', async () => {
    const client = await TrustClient.open({ root: served.pin, source: served.server.url });
    expect(() => client.current()).toThrow(
      expect.objectContaining({ code: 'ERR_TRUST_INCOMPLETE' }),
    );
    await client.close();
  });

  test('a pinned root not signed by its own keys is refused at open', async () => {
    const doc = JSON.parse(Buffer.from(served.pin).toString('utf8')) as { signatures: unknown[] };
    doc.signatures = [];
    await expect(
      TrustClient.open({ root: Buffer.from(JSON.stringify(doc)), source: served.server.url }),
    ).rejects.toMatchObject({ code: 'ERR_TUF_SIGNATURE' });
  });
});

describe('normal update', () => {
  test('a newly published store becomes active after refresh', async () => {
    const client = await TrustClient.open({
      root: served.pin,
      cacheDir: tempDir(),
      source: served.server.url,
    });
    await client.refresh();
    served.repo.setTarget('trustpolicy.oci.json', ociPolicy(['ca:acme', 'ca:beta']));
    served.repo.setTarget('truststore/x509/ca/beta.pem', bundle(beta));
    await served.publish();
    const snapshot = await client.refresh();
    expect(snapshot.stores.get('ca', 'beta')?.map((c) => c.fingerprint)).toEqual([beta.sha256]);
    expect(snapshot.provenance).toMatchObject({
      timestampVersion: 2,
      snapshotVersion: 2,
      targetsVersion: 2,
    });
    await client.close();
  });

  test('a refresh with nothing new asks only for the next root and the timestamp, and downloads no target', async () => {
    const client = await TrustClient.open({
      root: served.pin,
      cacheDir: tempDir(),
      source: served.server.url,
    });
    const first = await client.refresh();
    served.takeRequests();
    const again = await client.refresh();
    expect(served.takeRequests()).toEqual(['/metadata/2.root.json', '/metadata/timestamp.json']);
    expect(again).toBe(first);
    await client.close();
  });

  test('concurrent refresh() calls in one process share one run', async () => {
    const client = await TrustClient.open({
      root: served.pin,
      cacheDir: tempDir(),
      source: served.server.url,
    });
    const [a, b] = await Promise.all([client.refresh(), client.refresh()]);
    expect(a).toBe(b);
    expect(served.takeRequests().filter((p) => p === '/metadata/timestamp.json')).toHaveLength(1);
    await client.close();
  });

  test('target() returns verified bytes of any target, refreshing first', async () => {
    served.repo.setTarget('sigstore/trusted_root.json', Buffer.from('{"mediaType":"x"}'));
    await served.publish();
    const client = await TrustClient.open({
      root: served.pin,
      cacheDir: tempDir(),
      source: served.server.url,
    });
    const bytes = await client.target('sigstore/trusted_root.json');
    expect(Buffer.from(bytes).toString()).toBe('{"mediaType":"x"}');
    await expect(client.target('nope.json')).rejects.toMatchObject({ code: 'ERR_TUF_UNAVAILABLE' });
    await client.close();
  });
});

describe('policy and stores must be complete', () => {
  test('a policy naming a store the repository lacks fails the update; the previous snapshot stays active', async () => {
    const client = await TrustClient.open({
      root: served.pin,
      cacheDir: tempDir(),
      source: served.server.url,
    });
    const before = await client.refresh();
    served.repo.setTarget('trustpolicy.oci.json', ociPolicy(['ca:acme', 'ca:missing']));
    await served.publish();
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TRUST_INCOMPLETE' });
    expect(client.current()).toBe(before);
  });

  test('a store that is not a PEM bundle of CA certificates fails the update', async () => {
    const client = await TrustClient.open({
      root: served.pin,
      cacheDir: tempDir(),
      source: served.server.url,
    });
    await client.refresh();
    served.repo.setTarget('truststore/x509/ca/acme.pem', Buffer.from('not a certificate'));
    await served.publish();
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TRUST_INCOMPLETE' });
  });

  test('an invalid policy fails with ERR_POLICY_INVALID', async () => {
    const client = await TrustClient.open({
      root: served.pin,
      cacheDir: tempDir(),
      source: served.server.url,
    });
    await client.refresh();
    served.repo.setTarget(
      'trustpolicy.oci.json',
      Buffer.from('{"version":"2.0","trustPolicies":[]}'),
    );
    await served.publish();
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_POLICY_INVALID' });
  });

  test('a repository without trustpolicy.oci.json is incomplete', async () => {
    served.repo.removeTarget('trustpolicy.oci.json');
    await served.publish();
    const client = await TrustClient.open({
      root: served.pin,
      cacheDir: tempDir(),
      source: served.server.url,
    });
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TRUST_INCOMPLETE' });
  });
});

describe('sources', () => {
  test('a directory path works as a source', async () => {
    const client = await TrustClient.open({
      root: served.pin,
      cacheDir: tempDir(),
      source: served.dir,
    });
    const snapshot = await client.refresh();
    expect(snapshot.stores.get('ca', 'acme')).toHaveLength(1);
  });

  test('oci:// sources become an OciSource (the registry round trip is in test/integration/registry-tuf)', () => {
    const source = resolveSource('oci://registry.example/trust');
    expect(source.constructor.name).toBe('OciSource');
    expect(source.describe()).toContain('registry.example/trust');
  });

  test('an unreachable source is ERR_TUF_UNAVAILABLE and status says offline', async () => {
    const url = served.server.url;
    await served.close();
    const client = await TrustClient.open({ root: served.pin, source: url, http: { retries: 0 } });
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_UNAVAILABLE' });
    expect(client.status().offline).toBe(true);
  });
});
