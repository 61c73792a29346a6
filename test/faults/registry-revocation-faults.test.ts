/**
 * Slow retrieval, storms and cross-host redirects against the registry client
 * (Debian's docker-registry on 127.0.0.1 behind a trickling front) and the
 * revocation stage's HTTP fetcher (the static fault server).
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { RegistryClient, parseReference } from '../../src/registry';
import { fetchBounded, httpFetcher } from '../../src/revocation/http';
import { startRegistry, type RunningRegistry } from '../helpers/registry';
import { startStaticServer, type StaticServer } from '../helpers/server';
import { removeTempDirs, tempDir } from '../tuf/fixtures';
import { countRequests, startOtherHost, startTrickleServer, storm } from './faultServer';

let registry: RunningRegistry;
let tag: string;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  const client = new RegistryClient();
  const ref = parseReference(`${registry.host}/faults/app:v1`);
  const config = await client.pushBlob(ref, Buffer.from('{}'), 'application/vnd.oci.empty.v1+json');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config,
      layers: [config],
    }),
  );
  await client.pushManifest(ref, manifest, 'application/vnd.oci.image.manifest.v1+json');
  tag = 'faults/app:v1';
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
afterAll(async () => {
  await registry.stop();
  removeTempDirs();
});

describe('registry client: slow retrieval', () => {
  test('a manifest trickled one byte per second is cut by the body deadline (ERR_REGISTRY, unreachable)', async () => {
    const trickle = await startTrickleServer(registry.url.replace(/\/?$/, '/'), /\/manifests\//);
    closers.push(() => trickle.close());
    const host = new URL(trickle.url).host;
    const client = new RegistryClient({ timeoutMs: 1500, retries: 0 });
    await expect(client.resolve(`${host}/${tag}`)).rejects.toMatchObject({
      code: 'ERR_REGISTRY',
      details: expect.objectContaining({ unreachable: true }),
    });
    expect(trickle.bytesSent()).toBeLessThan(200);
  });

  test('the same front without trickling resolves the manifest', async () => {
    const trickle = await startTrickleServer(registry.url.replace(/\/?$/, '/'), /^$/);
    closers.push(() => trickle.close());
    const host = new URL(trickle.url).host;
    const resolved = await new RegistryClient({ timeoutMs: 1500 }).resolve(`${host}/${tag}`);
    expect(resolved.descriptor.digest).toMatch(/^sha256:/);
  });
});

describe('revocation fetcher: bounded time and no redirects', () => {
  let server: StaticServer;
  let other: StaticServer;
  beforeEach(async () => {
    const dir = tempDir('faults-crl-');
    writeFileSync(path.join(dir, 'ca.crl'), Buffer.alloc(64, 0x30));
    server = await startStaticServer(dir);
    other = await startOtherHost(dir);
    closers.push(
      () => server.close(),
      () => other.close(),
    );
  });
  const request = { method: 'GET' as const, headers: {}, timeoutMs: 1500, maxBytes: 4096 };

  test('a CRL trickled one byte per second fails at the deadline', async () => {
    const trickle = await startTrickleServer(server.url, /\.crl$/);
    closers.push(() => trickle.close());
    await expect(fetchBounded(httpFetcher(), `${trickle.url}ca.crl`, request)).rejects.toThrow(
      /within 1500 ms/,
    );
    expect(trickle.bytesSent()).toBeLessThan(64);
  });

  test('a redirect to another host is returned as a non-200 answer, never followed', async () => {
    server.fault('/ca.crl', { redirect: `${other.url}ca.crl` });
    const answer = await fetchBounded(httpFetcher(), `${server.url}ca.crl`, request);
    expect(answer.status).toBe(302);
    expect(other.requests).toEqual([]);
  });

  test('a 5xx storm is one attempt per URL (no retries, notation-go behaviour)', async () => {
    storm(server, '/ca.crl', 10);
    const answer = await fetchBounded(httpFetcher(), `${server.url}ca.crl`, request);
    expect(answer.status).toBe(500);
    expect(countRequests(server, '/ca.crl')).toBe(1);
  });
});
