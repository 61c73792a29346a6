/**
 * RegistryClient against Debian's docker-registry (distribution 2.8, no
 * referrers API) on 127.0.0.1, directly and through test proxies that add the
 * referrers API or tamper with answers. Artifacts and signatures are the real
 * notation-go vectors (internal/testdata: oci-layout, jws/cose_signature.sig).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  RegistryClient,
  digestOf,
  parseReference,
  type ResolvedArtifact,
} from '../../src/registry';
import {
  startRegistry,
  startRegistryProxy,
  type RegistryProxy,
  type RunningRegistry,
} from '../helpers/registry';
import { NOTATION_VECTORS } from '../helpers/vectors';

const VECTORS = path.join(NOTATION_VECTORS, 'internal', 'testdata');
const LAYOUT = path.join(VECTORS, 'oci-layout');
const MANIFEST_DIGEST = 'sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0';
const jws = readFileSync(path.join(VECTORS, 'jws_signature.sig'));
const cose = readFileSync(path.join(VECTORS, 'cose_signature.sig'));

function blob(digest: string): Buffer {
  return readFileSync(path.join(LAYOUT, 'blobs', 'sha256', digest.replace('sha256:', '')));
}

let registry: RunningRegistry;
const proxies: RegistryProxy[] = [];

/** Pushes the vector image (config, layer, manifest) as `<host>/<repo>:v2`. */
async function pushVectorImage(
  client: RegistryClient,
  host: string,
  repo: string,
): Promise<ResolvedArtifact> {
  const manifest = blob(MANIFEST_DIGEST);
  const parsed = JSON.parse(manifest.toString()) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  const ref = parseReference(`${host}/${repo}:v2`);
  await client.pushBlob(ref, blob(parsed.config.digest));
  for (const layer of parsed.layers) await client.pushBlob(ref, blob(layer.digest));
  await client.pushManifest(ref, manifest, 'application/vnd.oci.image.manifest.v1+json');
  return client.resolve(ref);
}

async function proxy(opts: Parameters<typeof startRegistryProxy>[1]): Promise<RegistryProxy> {
  const p = await startRegistryProxy(registry.url, opts);
  proxies.push(p);
  return p;
}

beforeAll(async () => {
  registry = await startRegistry();
  const client = new RegistryClient();
  const artifact = await pushVectorImage(client, registry.host, 'vectors/alpine');
  await client.pushSignature(artifact, jws, 'application/jose+json');
  await client.pushSignature(artifact, cose, 'application/cose');
});
afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close();
});
afterAll(async () => {
  await registry?.stop();
});

describe('resolve (distribution spec "Pulling manifests")', () => {
  test('a tag resolves to the manifest digest, size and media type, flagged byTag', async () => {
    const client = new RegistryClient();
    const r = await client.resolve(`${registry.host}/vectors/alpine:v2`);
    expect(r.descriptor).toEqual({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: MANIFEST_DIGEST,
      size: 481,
    });
    expect(r.byTag).toBe(true);
    expect(r.reference.digest).toBe(MANIFEST_DIGEST);
    expect(client.requestCount).toBe(1);
  });

  test('a digest reference resolves without byTag', async () => {
    const r = await new RegistryClient().resolve(
      `${registry.host}/vectors/alpine@${MANIFEST_DIGEST}`,
    );
    expect(r.byTag).toBe(false);
    expect(r.descriptor.digest).toBe(MANIFEST_DIGEST);
  });

  test('tag and digest: the digest wins', async () => {
    const r = await new RegistryClient().resolve(
      `${registry.host}/vectors/alpine:nonexistent@${MANIFEST_DIGEST}`,
    );
    expect(r.descriptor.size).toBe(481);
  });

  test('an unknown tag is a clear not-found ERR_REGISTRY', async () => {
    await expect(
      new RegistryClient().resolve(`${registry.host}/vectors/alpine:nope`),
    ).rejects.toMatchObject({
      code: 'ERR_REGISTRY',
      message: expect.stringMatching(/not found/),
      details: expect.objectContaining({ status: 404 }),
    });
  });

  test('a registry that serves other bytes for a digest is caught as tampering', async () => {
    const p = await proxy({
      tamper: (method, p) =>
        method === 'GET' && p.includes('/manifests/sha256:19db')
          ? {
              body: (b) =>
                Buffer.from(b.toString().replace('"schemaVersion": 2', '"schemaVersion":2 ')),
            }
          : undefined,
    });
    await expect(
      new RegistryClient().resolve(`${p.host}/vectors/alpine@${MANIFEST_DIGEST}`),
    ).rejects.toMatchObject({
      code: 'ERR_REGISTRY',
      message: expect.stringMatching(/does not match digest .*tampering or corruption/),
    });
  });

  test('a tag answer whose Docker-Content-Digest disagrees with the body is refused', async () => {
    const p = await proxy({
      tamper: (method, p) =>
        p.endsWith('/manifests/v2')
          ? { headers: { 'docker-content-digest': digestOf(Buffer.from('other')) } }
          : undefined,
    });
    await expect(new RegistryClient().resolve(`${p.host}/vectors/alpine:v2`)).rejects.toMatchObject(
      {
        code: 'ERR_REGISTRY',
        message: expect.stringMatching(/tampering/),
      },
    );
  });
});

describe('signature discovery: referrers tag schema (registry without the API)', () => {
  test('lists both vector signatures after the API answers 404, then fetches JWS and COSE envelopes', async () => {
    const client = new RegistryClient();
    const artifact = await client.resolve(`${registry.host}/vectors/alpine:v2`);
    const sigs = await client.listSignatures(artifact);
    expect(sigs).toHaveLength(2);
    expect(sigs.every((s) => s.artifactType === 'application/vnd.cncf.notary.signature')).toBe(
      true,
    );
    const paths = client.requests.map((r) => new URL(r.url).pathname);
    expect(paths).toContain(`/v2/vectors/alpine/referrers/${MANIFEST_DIGEST}`);
    expect(paths).toContain(`/v2/vectors/alpine/manifests/sha256-${MANIFEST_DIGEST.slice(7)}`);
    const fetched = await Promise.all(sigs.map((s) => client.fetchSignature(artifact, s)));
    const byType = Object.fromEntries(fetched.map((f) => [f.mediaType, Buffer.from(f.envelope)]));
    expect(byType['application/jose+json']?.equals(jws)).toBe(true);
    expect(byType['application/cose']?.equals(cose)).toBe(true);
    expect(fetched[0]?.manifest.subject?.digest).toBe(MANIFEST_DIGEST);
  });

  test('the absence of the API is remembered: a second listing costs one request', async () => {
    const client = new RegistryClient();
    const artifact = await client.resolve(`${registry.host}/vectors/alpine:v2`);
    await client.listSignatures(artifact);
    client.resetRequestLog();
    await client.listSignatures(artifact);
    expect(client.requestCount).toBe(1);
  });

  test('an artifact without signatures lists none', async () => {
    const client = new RegistryClient();
    const ref = parseReference(`${registry.host}/unsigned/app:1`);
    const config = await client.pushBlob(
      ref,
      Buffer.from('{}'),
      'application/vnd.oci.empty.v1+json',
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config,
        layers: [],
      }),
    );
    await client.pushManifest(ref, manifest, 'application/vnd.oci.image.manifest.v1+json');
    expect(await client.listSignatures(`${registry.host}/unsigned/app:1`)).toEqual([]);
  });
});

describe('signature discovery: referrers API (through a proxy implementing it)', () => {
  test('uses the API, follows Link pagination and filters by artifactType', async () => {
    const client = new RegistryClient();
    const direct = await pushVectorImage(client, registry.host, 'paged/alpine');
    for (let i = 0; i < 5; i++) {
      await client.pushSignature(
        direct,
        i % 2 === 0 ? jws : cose,
        i % 2 === 0 ? 'application/jose+json' : 'application/cose',
        {
          annotations: { n: String(i) },
        },
      );
    }
    const p = await proxy({ referrers: { pageSize: 2 } });
    const viaApi = new RegistryClient();
    const artifact = await viaApi.resolve(`${p.host}/paged/alpine:v2`);
    const sigs = await viaApi.listSignatures(artifact);
    expect(sigs.map((s) => s.annotations?.n)).toEqual(['0', '1', '2', '3', '4']);
    const referrerCalls = p.requests.filter((r) => r.path.includes('/referrers/'));
    expect(referrerCalls).toHaveLength(3);
    expect(p.requests.some((r) => r.path.includes('/manifests/sha256-'))).toBe(false);
    const first = await viaApi.fetchSignature(artifact, sigs[0]!);
    expect(Buffer.from(first.envelope).equals(jws)).toBe(true);
  });

  test('maxSignatures stops the listing early (no further pages requested)', async () => {
    const p = await proxy({ referrers: { pageSize: 2 } });
    const client = new RegistryClient();
    const sigs = await client.listSignatures(`${p.host}/paged/alpine:v2`, { maxSignatures: 3 });
    expect(sigs).toHaveLength(3);
    expect(p.requests.filter((r) => r.path.includes('/referrers/'))).toHaveLength(2);
  });
});

describe('many signatures', () => {
  test('40 signatures are all listed through the tag schema; the cap is honoured', async () => {
    const client = new RegistryClient();
    const artifact = await pushVectorImage(client, registry.host, 'many/alpine');
    for (let i = 0; i < 40; i++) {
      await client.pushSignature(artifact, jws, 'application/jose+json', {
        annotations: { n: String(i) },
      });
    }
    const reader = new RegistryClient();
    const all = await reader.listSignatures(`${registry.host}/many/alpine@${MANIFEST_DIGEST}`);
    expect(all).toHaveLength(40);
    expect(new Set(all.map((s) => s.digest)).size).toBe(40);
    expect(await reader.listSignatures(artifact, { maxSignatures: 10 })).toHaveLength(10);
  });
});

describe('fetchSignature checks digests and sizes', () => {
  async function firstSignature(client: RegistryClient, host: string) {
    const artifact = await client.resolve(`${host}/vectors/alpine:v2`);
    const [sig] = await client.listSignatures(artifact);
    return { artifact, sig: sig! };
  }

  test('an envelope blob changed in transit is refused as tampering', async () => {
    const p = await proxy({
      tamper: (method, path) =>
        method === 'GET' && /\/blobs\/sha256:/.test(path) && !path.includes('44136fa')
          ? { body: (b) => Buffer.from(b.map((x, i) => (i === 10 ? x ^ 1 : x))) }
          : undefined,
    });
    const client = new RegistryClient();
    const { artifact, sig } = await firstSignature(client, p.host);
    await expect(client.fetchSignature(artifact, sig)).rejects.toMatchObject({
      code: 'ERR_REGISTRY',
      message: expect.stringMatching(/does not match digest .*tampering or corruption/),
    });
  });

  test('an envelope blob longer than its descriptor says is cut off and refused', async () => {
    const p = await proxy({
      tamper: (method, path) =>
        method === 'GET' && /\/blobs\/sha256:/.test(path)
          ? { body: (b) => Buffer.concat([b, Buffer.alloc(100_000)]) }
          : undefined,
    });
    const client = new RegistryClient();
    const { artifact, sig } = await firstSignature(client, p.host);
    await expect(client.fetchSignature(artifact, sig)).rejects.toMatchObject({
      code: 'ERR_REGISTRY',
      message: expect.stringMatching(/larger than|more than/),
    });
  });

  test('a Content-Length above the declared size is refused before the body is read', async () => {
    const p = await proxy({
      tamper: (method, path) =>
        method === 'GET' && /\/blobs\/sha256:/.test(path)
          ? { declaredLength: 64 * 1024 * 1024 }
          : undefined,
    });
    const client = new RegistryClient();
    const { artifact, sig } = await firstSignature(client, p.host);
    await expect(client.fetchSignature(artifact, sig)).rejects.toMatchObject({
      code: 'ERR_REGISTRY',
      message: expect.stringMatching(/served more than the \d+ bytes the descriptor declares/),
    });
  });

  test('an oversized envelope is refused before its blob is requested', async () => {
    const client = new RegistryClient({ maxEnvelopeBytes: 4 * 1024 * 1024 });
    const artifact = await pushVectorImage(client, registry.host, 'big/alpine');
    const big = Buffer.alloc(5 * 1024 * 1024, 0x20);
    const sig = await client.pushSignature(artifact, big, 'application/jose+json');
    client.resetRequestLog();
    await expect(client.fetchSignature(artifact, sig)).rejects.toMatchObject({
      code: 'ERR_REGISTRY',
      message: expect.stringMatching(/more than the allowed 4194304/),
    });
    expect(client.requests.some((r) => r.url.includes(digestOf(big)))).toBe(false);
  });

  test('a signature of another artifact is refused (subject mismatch)', async () => {
    const client = new RegistryClient();
    const artifact = await client.resolve(`${registry.host}/vectors/alpine:v2`);
    const [sig] = await client.listSignatures(artifact);
    const other = {
      ...artifact,
      descriptor: { ...artifact.descriptor, digest: digestOf(Buffer.from('x')) },
    };
    await expect(client.fetchSignature(other, sig!)).rejects.toMatchObject({
      message: expect.stringMatching(/subject/),
    });
  });
});

describe('plain HTTP rule', () => {
  test('a non-loopback registry is contacted over HTTPS unless plainHttp is set', async () => {
    const { RegistryTransport } = await import('../../src/registry/transport');
    expect(new RegistryTransport().baseUrl('registry.example.com')).toBe(
      'https://registry.example.com',
    );
    expect(new RegistryTransport().baseUrl('docker.io')).toBe('https://registry-1.docker.io');
    expect(new RegistryTransport().baseUrl('localhost:5000')).toBe('http://localhost:5000');
    expect(new RegistryTransport().baseUrl('[::1]:5000')).toBe('http://[::1]:5000');
    expect(new RegistryTransport({ plainHttp: true }).baseUrl('reg.internal:80')).toBe(
      'http://reg.internal:80',
    );
  });
});
