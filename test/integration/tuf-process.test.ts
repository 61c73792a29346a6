import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TrustClient } from '../../src/tuf';
import { startClientProcess } from '../helpers/tufClientProcess';
import {
  bundle,
  makeCa,
  ociPolicy,
  removeTempDirs,
  serveRepo,
  tempDir,
  type ServedRepo,
} from '../tuf/fixtures';
import type { TestCert } from '../helpers/pki';

let acme: TestCert;
let beta: TestCert;
let served: ServedRepo;
let pinFile: string;

beforeAll(async () => {
  acme = await makeCa('Acme');
  beta = await makeCa('Beta');
});
beforeEach(async () => {
  served = await serveRepo(acme);
  pinFile = path.join(tempDir('tuf-pin-'), 'root.json');
  writeFileSync(pinFile, served.pin);
});
afterEach(async () => {
  await served.close();
});
afterAll(removeTempDirs);

async function waitForRequest(match: RegExp): Promise<void> {
  for (let i = 0; i < 2000; i += 1) {
    if (served.server.requests.some((r) => match.test(r.path))) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no request matched ${match}`);
}

describe('two processes refreshing one cache directory', () => {
  test('both succeed and the cache holds one consistent, newest generation', async () => {
    const cacheDir = tempDir();
    served.repo.setTarget('trustpolicy.oci.json', ociPolicy(['ca:acme', 'ca:beta']));
    served.repo.setTarget('truststore/x509/ca/beta.pem', bundle(beta));
    await served.publish();
    const task = { root: pinFile, cacheDir, source: served.server.url, action: 'refresh' as const };
    const [a, b] = await Promise.all([
      startClientProcess(task).result,
      startClientProcess(task).result,
    ]);
    expect(a).toMatchObject({ ok: true, snapshotVersion: 2 });
    expect(b).toMatchObject({ ok: true, snapshotVersion: 2 });
    const client = await TrustClient.open({ root: pinFile, cacheDir, source: served.server.url });
    expect(client.current().stores.get('ca', 'beta')).toHaveLength(1);
    expect(readdirSync(path.join(cacheDir, 'gens'))).toHaveLength(1);
    expect(readdirSync(cacheDir)).not.toContain('lock');
  });
});

describe('a process killed in the middle of a refresh', () => {
  const killPoints: { name: string; when: RegExp }[] = [
    { name: 'after the timestamp request', when: /timestamp\.json$/ },
    { name: 'while downloading a store', when: /\.acme\.pem$/ },
    { name: 'after the targets metadata', when: /\d+\.targets\.json$/ },
  ];
  for (const point of killPoints) {
    test(`leaves a cache the next open() uses safely (${point.name})`, async () => {
      const cacheDir = tempDir();
      // A first, complete refresh at v1.
      expect(
        await startClientProcess({
          root: pinFile,
          cacheDir,
          source: served.server.url,
          action: 'refresh',
        }).result,
      ).toMatchObject({ ok: true });
      served.repo.setTarget('truststore/x509/ca/acme.pem', bundle(acme, beta));
      await served.publish();
      served.server.fault(point.when, { delayMs: 400, times: 1 });
      served.server.requests.length = 0;
      const child = startClientProcess({
        root: pinFile,
        cacheDir,
        source: served.server.url,
        action: 'refresh',
      });
      await waitForRequest(point.when);
      child.child.kill('SIGKILL');
      expect(await child.result).toMatchObject({ ok: false, code: 'KILLED' });
      // The killed process's lock is stale (its pid is gone): the next refresh takes it over.
      const client = await TrustClient.open({ root: pinFile, cacheDir, source: served.server.url });
      expect(client.current().stores.get('ca', 'acme')).toHaveLength(1);
      const snapshot = await client.refresh();
      expect(snapshot.stores.get('ca', 'acme')).toHaveLength(2);
    });
  }
});

describe('read-only cache (unprivileged process)', () => {
  const asRoot = process.getuid?.() === 0;
  (asRoot ? test : test.skip)(
    'serves the cached snapshot and refresh fails with ERR_CACHE',
    async () => {
      const cacheDir = tempDir('tuf-ro-');
      const client = await TrustClient.open({ root: pinFile, cacheDir, source: served.server.url });
      await client.refresh();
      // Readable, not writable, for uid 65534.
      for (const dir of [path.dirname(pinFile), cacheDir]) chmodSync(dir, 0o755);
      const walk = (dir: string): void => {
        for (const name of readdirSync(dir, { withFileTypes: true })) {
          const p = path.join(dir, name.name);
          chmodSync(p, name.isDirectory() ? 0o755 : 0o644);
          if (name.isDirectory()) walk(p);
        }
      };
      walk(cacheDir);
      const opened = await startClientProcess({
        root: pinFile,
        cacheDir,
        source: served.server.url,
        action: 'open',
        uid: 65534,
      }).result;
      expect(opened).toMatchObject({ ok: true, stores: ['ca:acme'] });
      const refreshed = await startClientProcess({
        root: pinFile,
        cacheDir,
        source: served.server.url,
        action: 'refresh',
        uid: 65534,
      }).result;
      expect(refreshed).toMatchObject({ ok: false, code: 'ERR_CACHE' });
      expect(refreshed.message).toContain('read-only');
    },
  );
});
