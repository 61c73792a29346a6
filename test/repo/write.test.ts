/**
 * writeTo / writeRepositoryTree: a servable repository root, written so a
 * reader never sees half of it (DESIGN.md "Trust repository conventions").
 */
import { lstat, mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { isTufNotaryError } from '../../src/errors';
import { TrustRepository, writeRepositoryTree } from '../../src/repo';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'repo-write-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel + '/')));
    else out.push(rel);
  }
  return out.sort();
}

describe('layout of a written repository', () => {
  it('metadata/ holds consistent-snapshot names, targets/ the hash-prefixed blobs; nothing else is left', async () => {
    const repo = TrustRepository.create();
    repo.setTarget('truststore/x509/ca/acme.pem', Buffer.from('pem'));
    repo.delegate('acme', { paths: ['acme/*'] });
    repo.publish();
    const site = path.join(work, 'site');
    await repo.writeTo(site);
    const files = await listFiles(site);
    expect(files.filter((f) => f.startsWith('metadata/'))).toEqual([
      'metadata/1.acme.json',
      'metadata/1.root.json',
      'metadata/1.snapshot.json',
      'metadata/1.targets.json',
      'metadata/timestamp.json',
    ]);
    expect(files.filter((f) => f.startsWith('targets/'))).toEqual([
      expect.stringMatching(/^targets\/truststore\/x509\/ca\/[0-9a-f]{64}\.acme\.pem$/),
    ]);
    expect(files).toHaveLength(6);
    expect(await readdir(work)).toEqual(['site']); // no staging folder left beside it
  });

  it('refuses to write before the first publish', async () => {
    await expect(TrustRepository.create().writeTo(path.join(work, 'x'))).rejects.toMatchObject({
      code: 'ERR_USAGE',
    });
  });
});

describe('updating a written repository in place', () => {
  it('keeps old versions, adds new ones, and switches timestamp.json', async () => {
    const repo = TrustRepository.create();
    repo.setTarget('a.json', Buffer.from('1'));
    repo.publish();
    const site = path.join(work, 'site');
    await repo.writeTo(site);
    repo.setTarget('a.json', Buffer.from('2'));
    repo.publish();
    await repo.writeTo(site);
    const files = await listFiles(site);
    expect(files).toEqual(
      expect.arrayContaining([
        'metadata/1.targets.json',
        'metadata/2.targets.json',
        'metadata/2.snapshot.json',
      ]),
    );
    const ts = JSON.parse(await readFile(path.join(site, 'metadata/timestamp.json'), 'utf8'));
    expect(ts.signed.version).toBe(2);
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('serves an older timestamp on request (rollback tests)', async () => {
    const repo = TrustRepository.create();
    repo.publish();
    repo.publish();
    const site = path.join(work, 'site');
    await repo.writeTo(site, { timestampVersion: 1 });
    expect(await readFile(path.join(site, 'metadata/timestamp.json'))).toEqual(
      Buffer.from(repo.timestampBytes(1)),
    );
  });

  it('removes files the repository no longer has (replaced or deleted by test hooks)', async () => {
    const repo = TrustRepository.create();
    repo.publish();
    const site = path.join(work, 'site');
    await writeFile(path.join(work, 'keep.txt'), 'x');
    await repo.writeTo(site);
    await mkdir(path.join(site, 'targets', 'stale'), { recursive: true });
    await writeFile(path.join(site, 'targets', 'stale', 'old.pem'), 'old');
    repo.replaceFile('1.snapshot.json', undefined);
    await repo.writeTo(site);
    const files = await listFiles(site);
    expect(files).not.toContain('metadata/1.snapshot.json');
    expect(files.some((f) => f.startsWith('targets/stale'))).toBe(false);
    expect(await readFile(path.join(work, 'keep.txt'), 'utf8')).toBe('x');
  });

  it('refuses a destination that is a file', async () => {
    const repo = TrustRepository.create();
    repo.publish();
    await writeFile(path.join(work, 'file'), 'x');
    await expect(repo.writeTo(path.join(work, 'file'))).rejects.toMatchObject({
      code: 'ERR_USAGE',
    });
    expect((await lstat(path.join(work, 'file'))).isFile()).toBe(true);
  });
});

describe('writeRepositoryTree refuses names outside metadata/ and targets/', () => {
  it.each(['../evil.json', 'other/x', 'metadata/../../x', 'targets/'])('%s', async (name) => {
    const err = await writeRepositoryTree(
      path.join(work, 'site'),
      new Map([[name, Buffer.from('x')]]),
    ).catch((e: unknown) => e);
    expect(isTufNotaryError(err, 'ERR_USAGE')).toBe(true);
    expect(await readdir(work)).toEqual([]);
  });
});
