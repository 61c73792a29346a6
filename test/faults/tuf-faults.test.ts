/**
 * TrustClient + HttpSource against a misbehaving server on 127.0.0.1: the
 * client retries within its bounds (requests are counted), then fails with
 * ERR_TUF_UNAVAILABLE while the active snapshot stays usable until it
 * expires. No test asserts on time: deadlines are shown by their error and
 * by how few bytes a trickling server got to send.
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { TrustClient, type TrustClientOptions } from '../../src/tuf';
import type { TestCert } from '../helpers/pki';
import type { StaticServer } from '../helpers/server';
import {
  bundle,
  makeCa,
  removeTempDirs,
  serveRepo,
  tempDir,
  type ServedRepo,
} from '../tuf/fixtures';
import {
  countRequests,
  startOtherHost,
  startTrickleServer,
  storm,
  type TrickleServer,
} from './faultServer';

const DAY = 86_400_000;
const RETRIES = 2;
let acme: TestCert;
let beta: TestCert;
let served: ServedRepo;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  acme = await makeCa('Acme');
  beta = await makeCa('Beta');
});
beforeEach(async () => {
  served = await serveRepo(acme);
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await served.close();
});
afterAll(removeTempDirs);

/** A client on `source` (default: the served repository) with fast, bounded retries. */
function open(extra: Partial<TrustClientOptions> = {}, http: TrustClientOptions['http'] = {}) {
  return TrustClient.open({
    root: served.pin,
    cacheDir: tempDir(),
    source: served.server.url,
    ...extra,
    http: { retries: RETRIES, minBackoffMs: 1, timeoutMs: 5_000, ...http },
  });
}

/** A client with a verified v1 snapshot, and v2 (store acme+beta) published but not fetched. */
async function clientWithUpdatePending(
  extra: Partial<TrustClientOptions> = {},
  http: TrustClientOptions['http'] = {},
) {
  const client = await open(extra, http);
  const v1 = await client.refresh();
  served.repo.setTarget('truststore/x509/ca/acme.pem', bundle(acme, beta));
  await served.publish();
  served.server.requests.length = 0;
  return { client, v1 };
}

/** The failed refresh left v1 active and the client says it is offline. */
function expectStillServing(client: TrustClient, v1: ReturnType<TrustClient['current']>): void {
  expect(client.current()).toBe(v1);
  expect(client.current().stores.get('ca', 'acme')).toHaveLength(1);
  expect(client.status()).toMatchObject({ offline: true, timestampVersion: 1 });
}

const TIMESTAMP = '/metadata/timestamp.json';
const STORE = /^\/targets\/truststore\/x509\/ca\/[0-9a-f]{64}\.acme\.pem$/;

describe('5xx storm', () => {
  test('a storm longer than the retries: 1 + retries requests, then ERR_TUF_UNAVAILABLE; v1 stays active', async () => {
    const { client, v1 } = await clientWithUpdatePending();
    storm(served.server, TIMESTAMP, Infinity);
    await expect(client.refresh()).rejects.toMatchObject({
      code: 'ERR_TUF_UNAVAILABLE',
      message: expect.stringContaining('HTTP 503'),
    });
    expect(countRequests(served.server, TIMESTAMP)).toBe(1 + RETRIES);
    expectStillServing(client, v1);
  });

  test('a storm of 500/502/503/504 on every file shorter than the retries is ridden out', async () => {
    const { client } = await clientWithUpdatePending();
    storm(served.server, TIMESTAMP, RETRIES);
    storm(served.server, STORE, RETRIES);
    const v2 = await client.refresh();
    expect(v2.stores.get('ca', 'acme')).toHaveLength(2);
    expect(countRequests(served.server, TIMESTAMP)).toBe(1 + RETRIES);
    expect(countRequests(served.server, STORE)).toBe(1 + RETRIES);
    expect(served.server.requests.map((r) => r.status)).toEqual(expect.arrayContaining([500, 502]));
    expect(client.status().offline).toBe(false);
  });

  test('after the storm the next refresh succeeds and the client is online again', async () => {
    const { client, v1 } = await clientWithUpdatePending();
    storm(served.server, /.*/, 1 + RETRIES);
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_UNAVAILABLE' });
    expectStillServing(client, v1);
    expect((await client.refresh()).stores.get('ca', 'acme')).toHaveLength(2);
    expect(client.status().offline).toBe(false);
  });

  test('a 4xx other than 403/404 is not retried', async () => {
    const { client } = await clientWithUpdatePending();
    served.server.fault(TIMESTAMP, { status: 400 });
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_UNAVAILABLE' });
    expect(countRequests(served.server, TIMESTAMP)).toBe(1);
  });
});

describe('dropped connections', () => {
  test('a server that always drops the connection: 1 + retries attempts, then ERR_TUF_UNAVAILABLE', async () => {
    const { client, v1 } = await clientWithUpdatePending();
    served.server.fault(TIMESTAMP, { drop: true });
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_UNAVAILABLE' });
    expect(countRequests(served.server, TIMESTAMP)).toBe(1 + RETRIES);
    expectStillServing(client, v1);
  });

  test('one dropped connection while downloading a store is retried and the refresh succeeds', async () => {
    const { client } = await clientWithUpdatePending();
    served.server.fault(STORE, { drop: true, times: 1 });
    expect((await client.refresh()).stores.get('ca', 'acme')).toHaveLength(2);
    expect(countRequests(served.server, STORE)).toBe(2);
  });
});

describe('stalls and slow retrieval (TUF spec: slow retrieval attack)', () => {
  test('a server that never answers: the per-attempt deadline fires, 1 + retries attempts', async () => {
    const { client, v1 } = await clientWithUpdatePending({}, { timeoutMs: 300 });
    served.server.fault(TIMESTAMP, { stall: true });
    await expect(client.refresh()).rejects.toMatchObject({
      code: 'ERR_TUF_UNAVAILABLE',
      message: expect.stringContaining('within 300 ms'),
    });
    expect(countRequests(served.server, TIMESTAMP)).toBe(1 + RETRIES);
    expectStillServing(client, v1);
  });

  test('a server trickling one byte per second never completes a download: the whole-transfer deadline fires', async () => {
    const trickle: TrickleServer = await startTrickleServer(served.server.url, /\.json$/, 1000);
    closers.push(() => trickle.close());
    const client = await open({ source: trickle.url }, { timeoutMs: 1500, retries: 1 });
    await expect(client.refresh()).rejects.toMatchObject({
      code: 'ERR_TUF_UNAVAILABLE',
      message: expect.stringContaining('within 1500 ms'),
    });
    // The first file (the next-root probe answers 404 at full speed); then the
    // timestamp trickles: 2 attempts, each cut after a couple of bytes.
    expect(trickle.requests.filter((p) => p === TIMESTAMP)).toHaveLength(2);
    const timestampSize = statSync(path.join(served.dir, 'metadata', 'timestamp.json')).size;
    expect(trickle.bytesSent()).toBeLessThan(timestampSize);
    expect(client.status().offline).toBe(true);
  });

  test('a slow but complete server (no trickle on .json) still works through the same front', async () => {
    const trickle = await startTrickleServer(served.server.url, /^$/, 1000);
    closers.push(() => trickle.close());
    const client = await open({ source: trickle.url }, { timeoutMs: 1500 });
    expect((await client.refresh()).stores.get('ca', 'acme')).toHaveLength(1);
  });
});

describe('truncated and endless bodies', () => {
  test('a timestamp always cut short: retried, then ERR_TUF_UNAVAILABLE', async () => {
    const { client, v1 } = await clientWithUpdatePending();
    served.server.fault(TIMESTAMP, { truncateAt: 10 });
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_UNAVAILABLE' });
    expect(countRequests(served.server, TIMESTAMP)).toBe(1 + RETRIES);
    expectStillServing(client, v1);
  });

  test('a store cut short once is fetched again and verified', async () => {
    const { client } = await clientWithUpdatePending();
    served.server.fault(STORE, { truncateAt: 100, times: 1 });
    expect((await client.refresh()).stores.get('ca', 'acme')).toHaveLength(2);
    expect(countRequests(served.server, STORE)).toBe(2);
  });

  test('an endless timestamp is cut at the TUF length limit and not retried (ERR_TUF_METADATA)', async () => {
    const { client, v1 } = await clientWithUpdatePending();
    served.server.fault(TIMESTAMP, { endless: true });
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_METADATA' });
    expect(countRequests(served.server, TIMESTAMP)).toBe(1);
    expect(client.current()).toBe(v1);
  });

  test('an endless store is cut at the length its TUF metadata records (ERR_TUF_TARGET_MISMATCH)', async () => {
    const { client, v1 } = await clientWithUpdatePending();
    served.server.fault(STORE, { endless: true });
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_TARGET_MISMATCH' });
    expect(countRequests(served.server, STORE)).toBe(1);
    expect(client.current()).toBe(v1);
  });
});

describe('wrong Content-Length', () => {
  test('a Content-Length larger than the body sent is a cut body: retried, then ERR_TUF_UNAVAILABLE', async () => {
    const { client, v1 } = await clientWithUpdatePending();
    served.server.fault(TIMESTAMP, { contentLength: 100_000 });
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_UNAVAILABLE' });
    expect(countRequests(served.server, TIMESTAMP)).toBe(1 + RETRIES);
    expectStillServing(client, v1);
  });

  test('a Content-Length smaller than the store hands over fewer bytes: the hash check refuses them', async () => {
    const { client, v1 } = await clientWithUpdatePending();
    served.server.fault(STORE, { contentLength: 50 });
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_TARGET_MISMATCH' });
    expect(client.current()).toBe(v1);
  });

  test('a Content-Length smaller than the timestamp hands over broken JSON: ERR_TUF_METADATA', async () => {
    const { client, v1 } = await clientWithUpdatePending();
    served.server.fault(TIMESTAMP, { contentLength: 20 });
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_METADATA' });
    expect(client.current()).toBe(v1);
  });
});

describe('redirects: followed within the source origin only', () => {
  let other: StaticServer;
  beforeEach(async () => {
    other = await startOtherHost(served.dir);
    closers.push(() => other.close());
  });

  test('a redirect on the same origin is followed', async () => {
    const { client } = await clientWithUpdatePending();
    served.server.fault(TIMESTAMP, { redirect: `${served.server.url}metadata/ts-alias.json` });
    served.server.fault('/metadata/ts-alias.json', {
      body: await servedFile('metadata/timestamp.json'),
    });
    expect((await client.refresh()).stores.get('ca', 'acme')).toHaveLength(2);
    expect(countRequests(served.server, '/metadata/ts-alias.json')).toBe(1);
  });

  test('a redirect to another port (another origin) is refused, and that server is never contacted', async () => {
    const { client, v1 } = await clientWithUpdatePending();
    served.server.fault(TIMESTAMP, { redirect: `${other.url}metadata/timestamp.json` });
    await expect(client.refresh()).rejects.toMatchObject({
      code: 'ERR_TUF_UNAVAILABLE',
      message: expect.stringContaining('another server'),
    });
    expect(other.requests).toEqual([]);
    // Not retried: the answer is deliberate, not a transient failure.
    expect(countRequests(served.server, TIMESTAMP)).toBe(1);
    expectStillServing(client, v1);
  });

  test('a redirect of a store to another host name is refused without any connection attempt', async () => {
    const { client, v1 } = await clientWithUpdatePending();
    served.server.fault(STORE, { redirect: 'http://mirror.tuf-notary.invalid/acme.pem' });
    await expect(client.refresh()).rejects.toMatchObject({
      code: 'ERR_TUF_UNAVAILABLE',
      message: expect.stringMatching(/mirror\.tuf-notary\.invalid.*another server/),
    });
    expect(client.current()).toBe(v1);
  });

  test('a redirect loop on the same origin ends after a bounded number of hops', async () => {
    const { client } = await clientWithUpdatePending();
    served.server.fault(TIMESTAMP, { redirect: TIMESTAMP });
    await expect(client.refresh()).rejects.toMatchObject({
      code: 'ERR_TUF_UNAVAILABLE',
      message: expect.stringContaining('redirects'),
    });
    expect(countRequests(served.server, TIMESTAMP)).toBeLessThanOrEqual(6);
  });
});

describe('the active snapshot stays usable until it expires', () => {
  test('unreachable source: current() serves v1 until the timestamp expires, then ERR_TRUST_EXPIRED', async () => {
    let clock = Date.now();
    const { client, v1 } = await clientWithUpdatePending({ now: () => new Date(clock) });
    served.server.fault(/.*/, { drop: true });
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_UNAVAILABLE' });
    expectStillServing(client, v1);
    clock = v1.provenance.expires.getTime() - 1000;
    expect(client.current()).toBe(v1);
    clock = v1.provenance.expires.getTime() + DAY;
    expect(() => client.current()).toThrow(expect.objectContaining({ code: 'ERR_TRUST_EXPIRED' }));
  });

  test('a new process on the same cache while the source is down serves v1 with no network', async () => {
    const cacheDir = tempDir();
    await (await open({ cacheDir })).refresh();
    served.server.fault(/.*/, { status: 503 });
    served.server.requests.length = 0;
    const client = await open({ cacheDir });
    expect(client.current().stores.get('ca', 'acme')).toHaveLength(1);
    expect(served.server.requests).toEqual([]);
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_TUF_UNAVAILABLE' });
    expect(client.status().offline).toBe(true);
    expect(client.current().stores.get('ca', 'acme')).toHaveLength(1);
  });
});

async function servedFile(rel: string): Promise<Buffer> {
  const { readFile } = await import('node:fs/promises');
  return readFile(path.join(served.dir, rel));
}
