/**
 * A TUF trust repository published to docker-registry on 127.0.0.1 with
 * publishRepositoryToOci and read back by TrustClient through OciSource:
 * updates, rollback and freeze detection, and a tampering registry.
 */
import { TrustRepository } from '../../src/repo';
import { RegistryClient, TUF_TARGETS_TAG, publishRepositoryToOci } from '../../src/registry';
import { TrustClient } from '../../src/tuf';
import { OciSource } from '../../src/tuf/sources/oci';
import { TufSourceNotFoundError, TufSourceTooLargeError } from '../../src/tuf/sources/source';
import { startRegistry, startRegistryProxy, type RunningRegistry } from '../helpers/registry';
import type { TestCert } from '../helpers/pki';
import { bundle, makeCa, ociPolicy, removeTempDirs, tempDir } from '../tuf/fixtures';

const DAY = 86_400_000;
let registry: RunningRegistry;
let acme: TestCert;
let beta: TestCert;
let counter = 0;

beforeAll(async () => {
  registry = await startRegistry();
  acme = await makeCa('Acme');
  beta = await makeCa('Beta');
});
afterAll(async () => {
  await registry?.stop();
  removeTempDirs();
});

/** A repository with policy `ca:acme`, published once to a fresh OCI repository. */
async function publishedRepo(opts: Parameters<typeof TrustRepository.create>[0] = {}) {
  const repo = TrustRepository.create(opts);
  repo.setTarget('trustpolicy.oci.json', ociPolicy(['ca:acme']));
  repo.setTarget('truststore/x509/ca/acme.pem', bundle(acme));
  repo.publish();
  const oci = `oci://${registry.host}/trust/repo${++counter}`;
  const publish = async (o: { timestampVersion?: number } = {}) => {
    const dir = tempDir('tuf-oci-');
    await repo.writeTo(dir, o);
    return publishRepositoryToOci(dir, oci);
  };
  const result = await publish();
  return { repo, oci, publish, result };
}

function open(oci: string, pin: Uint8Array, source?: OciSource) {
  return TrustClient.open({
    root: pin,
    cacheDir: tempDir(),
    source: source ?? new OciSource(oci, { retries: 0 }),
  });
}

describe('publishRepositoryToOci layout', () => {
  test('one tag per metadata file (timestamp.json written last) and a tuf-targets manifest keeping target blobs', async () => {
    const { oci, result } = await publishedRepo();
    expect(result.metadata.at(-1)).toBe('timestamp.json');
    expect(result.metadata).toEqual(
      expect.arrayContaining(['1.root.json', '1.snapshot.json', '1.targets.json']),
    );
    expect(result.targets).toBe(2);
    const client = new RegistryClient();
    const { bytes } = await client.fetchManifest(`${oci.slice(6)}:${TUF_TARGETS_TAG}`);
    const layers = (
      JSON.parse(Buffer.from(bytes).toString()) as {
        layers: { annotations: Record<string, string> }[];
      }
    ).layers;
    expect(layers.map((l) => l.annotations['org.opencontainers.image.title']).sort()).toEqual([
      expect.stringMatching(/^[0-9a-f]{64}\.trustpolicy\.oci\.json$/),
      expect.stringMatching(/^truststore\/x509\/ca\/[0-9a-f]{64}\.acme\.pem$/),
    ]);
  });
});

describe('OciSource with TrustClient (same guarantees as HTTPS)', () => {
  test('refresh verifies the repository from the registry, and follows a new version', async () => {
    const { repo, oci, publish } = await publishedRepo();
    const client = await open(oci, repo.rootBytes(1));
    const first = await client.refresh();
    expect(first.stores.get('ca', 'acme')?.map((c) => c.fingerprint)).toEqual([acme.sha256]);
    repo.setTarget('truststore/x509/ca/acme.pem', bundle(acme, beta));
    repo.publish();
    await publish();
    const second = await client.refresh();
    expect(second.provenance.timestampVersion).toBe(2);
    expect(
      second.stores
        .get('ca', 'acme')
        ?.map((c) => c.fingerprint)
        .sort(),
    ).toEqual([acme.sha256, beta.sha256].sort());
  });

  test('rollback: a registry moved back to an older timestamp is refused (ERR_TUF_ROLLBACK)', async () => {
    const { repo, oci, publish } = await publishedRepo();
    repo.publish();
    await publish();
    const client = await open(oci, repo.rootBytes(1));
    await client.refresh();
    await publish({ timestampVersion: 1 });
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_ROLLBACK' });
  });

  test('freeze: expired timestamp metadata served by the registry is refused (ERR_TUF_EXPIRED)', async () => {
    const { repo, oci } = await publishedRepo({
      expires: { timestamp: new Date(Date.now() - DAY) },
    });
    const client = await open(oci, repo.rootBytes(1));
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_EXPIRED' });
  });

  test('root rotation across versions stored as tags N.root.json', async () => {
    const { repo, oci, publish } = await publishedRepo();
    const client = await open(oci, repo.rootBytes(1));
    await client.refresh();
    repo.rotateKeys('root', { keys: 2, threshold: 2 });
    repo.publish();
    await publish();
    const snapshot = await client.refresh();
    expect(snapshot.provenance.rootVersion).toBe(2);
  });

  test('a registry that alters a target blob cannot change trust', async () => {
    const { repo, oci } = await publishedRepo();
    const proxy = await startRegistryProxy(registry.url, {
      tamper: (method, p) =>
        method === 'GET' && /\/blobs\/sha256:/.test(p)
          ? { body: (b) => Buffer.from(b.toString().replace('BEGIN', 'BEGlN')) }
          : undefined,
    });
    try {
      const source = new OciSource(`oci://${proxy.host}${oci.slice(6 + registry.host.length)}`, {
        retries: 0,
      });
      const client = await open(oci, repo.rootBytes(1), source);
      await expect(client.refresh()).rejects.toMatchObject({
        code: expect.stringMatching(/^ERR_TUF_/),
      });
      expect(() => client.current()).toThrow();
    } finally {
      await proxy.close();
    }
  });
});

describe('OciSource contract (TufSource)', () => {
  test('a missing metadata tag is not-found (what stops the root-rotation loop)', async () => {
    const { oci } = await publishedRepo();
    await expect(new OciSource(oci).fetchMetadata('2.root.json', 512_000)).rejects.toBeInstanceOf(
      TufSourceNotFoundError,
    );
    await expect(new OciSource(oci).fetchMetadata('bad name!', 512_000)).rejects.toBeInstanceOf(
      TufSourceNotFoundError,
    );
  });

  test('metadata larger than maxLength is refused before its blob is fetched', async () => {
    const { oci } = await publishedRepo();
    const client = new RegistryClient();
    const source = new OciSource(oci, { client });
    await expect(source.fetchMetadata('1.root.json', 10)).rejects.toBeInstanceOf(
      TufSourceTooLargeError,
    );
    expect(client.requests.some((r) => r.url.includes('/blobs/'))).toBe(false);
  });

  test('a target larger than maxLength is cut off', async () => {
    const { repo, oci } = await publishedRepo();
    const [name] = [...repo.files().keys()].filter((n) => n.includes('acme.pem'));
    const targetPath = name!.replace(/^targets\//, '');
    await expect(new OciSource(oci).fetchTarget(targetPath, 16)).rejects.toBeInstanceOf(
      TufSourceTooLargeError,
    );
    const bytes = await new OciSource(oci).fetchTarget(targetPath, 1_000_000);
    expect(Buffer.from(bytes).toString()).toContain('BEGIN CERTIFICATE');
  });
});
