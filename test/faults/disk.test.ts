/**
 * Full disk and read-only cache directories, on a real tmpfs mounted for the
 * test (root only): a refresh fails cleanly with ERR_CACHE, the trust already
 * verified stays active and survives reopening, and the next refresh after
 * the disk is freed (or made writable) succeeds. Without the right to mount,
 * the tests are skipped with the reason logged (tell the lead: CI runs as root).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TrustClient } from '../../src/tuf';
import type { TestCert } from '../helpers/pki';
import {
  bundle,
  makeCa,
  removeTempDirs,
  serveRepo,
  tempDir,
  type ServedRepo,
} from '../tuf/fixtures';

/** Mounts a tmpfs of `size` at a new dir, or returns the reason it cannot. */
function mountTmpfs(size: string): { dir: string } | { reason: string } {
  const dir = tempDir('faults-tmpfs-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], {
      stdio: 'pipe',
    });
    return { dir };
  } catch (err) {
    return { reason: String((err as { stderr?: Buffer }).stderr ?? err).trim() };
  }
}

function umount(dir: string): void {
  execFileSync('mount', ['-o', 'remount,rw', dir], { stdio: 'ignore' });
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    // Still busy (a handle a failed test left open): detach it lazily.
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
  }
}

const probe = process.getuid?.() === 0 ? mountTmpfs('64k') : { reason: 'not running as root' };
if ('dir' in probe) umount(probe.dir);
else process.stderr.write(`test/faults/disk: skipped, cannot mount a tmpfs: ${probe.reason}\n`);
const withMount = 'dir' in probe ? test : test.skip;

let acme: TestCert;
let beta: TestCert;
let served: ServedRepo;
const mounts: string[] = [];

beforeAll(async () => {
  acme = await makeCa('Acme');
  beta = await makeCa('Beta');
});
beforeEach(async () => {
  served = await serveRepo(acme);
});
afterEach(async () => {
  for (const dir of mounts.splice(0)) umount(dir);
  await served.close();
});
afterAll(removeTempDirs);

function mounted(size: string): string {
  const m = mountTmpfs(size);
  if (!('dir' in m)) throw new Error(`mount failed: ${m.reason}`);
  mounts.push(m.dir);
  return m.dir;
}

function open(cacheDir: string) {
  return TrustClient.open({
    root: served.pin,
    cacheDir,
    source: served.server.url,
    http: { retries: 0 },
  });
}

/** Writes filler files until the file system is full. */
function fillUp(dir: string): string {
  const fillDir = path.join(dir, 'filler');
  mkdirSync(fillDir);
  for (let i = 0; ; i += 1) {
    try {
      writeFileSync(path.join(fillDir, String(i)), Buffer.alloc(4096, 1));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return fillDir;
      throw err;
    }
  }
}

async function publishBigger(): Promise<void> {
  served.repo.setTarget('truststore/x509/ca/acme.pem', bundle(acme, beta));
  await served.publish();
}

describe('full disk (tmpfs)', () => {
  withMount(
    'a refresh that cannot write fails with ERR_CACHE; the verified trust stays active and reopens',
    async () => {
      const cacheDir = path.join(mounted('512k'), 'cache');
      const client = await open(cacheDir);
      const v1 = await client.refresh();
      await publishBigger();
      const filler = fillUp(path.dirname(cacheDir));
      await expect(client.refresh()).rejects.toMatchObject({
        code: 'ERR_CACHE',
        message: expect.stringContaining('ENOSPC'),
      });
      expect(client.current()).toBe(v1);
      // A fresh process sees the previous, verified trust.
      const reopened = await open(cacheDir);
      expect(reopened.current().stores.get('ca', 'acme')).toHaveLength(1);
      expect(reopened.current().provenance.snapshotVersion).toBe(1);
      // Space again: the next refresh succeeds, and no half-written generation was kept.
      rmSync(filler, { recursive: true });
      expect((await reopened.refresh()).stores.get('ca', 'acme')).toHaveLength(2);
      expect(readdirSync(path.join(cacheDir, 'gens'))).toHaveLength(1);
      await client.close();
      await reopened.close();
    },
  );

  withMount('a cache directory on a full disk from the start fails with ERR_CACHE', async () => {
    const dir = mounted('64k');
    fillUp(dir);
    const client = await open(path.join(dir, 'filler', 'cache'));
    await expect(client.refresh()).rejects.toMatchObject({ code: 'ERR_CACHE' });
  });
});

describe('read-only cache (tmpfs remounted read-only: EROFS, even for root)', () => {
  withMount(
    'open serves the verified snapshot; refresh fails with ERR_CACHE; trust intact after remount rw',
    async () => {
      const dir = mounted('512k');
      const cacheDir = path.join(dir, 'cache');
      await (await open(cacheDir)).refresh();
      await publishBigger();
      execFileSync('mount', ['-o', 'remount,ro', dir]);
      const client = await open(cacheDir);
      expect(client.current().stores.get('ca', 'acme')).toHaveLength(1);
      await expect(client.refresh()).rejects.toMatchObject({
        code: 'ERR_CACHE',
        message: expect.stringContaining('read-only'),
      });
      expect(client.current().stores.get('ca', 'acme')).toHaveLength(1);
      execFileSync('mount', ['-o', 'remount,rw', dir]);
      const writable = await open(cacheDir);
      expect((await writable.refresh()).stores.get('ca', 'acme')).toHaveLength(2);
    },
  );
});
