import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DirectorySource, HttpSource, TufSourceNotFoundError } from '../../src/tuf';
import { startStaticServer, type StaticServer } from '../helpers/server';
import { removeTempDirs, tempDir } from './fixtures';

let repoDir: string;
let server: StaticServer;

beforeAll(async () => {
  repoDir = tempDir('tuf-src-');
  mkdirSync(path.join(repoDir, 'metadata'));
  mkdirSync(path.join(repoDir, 'targets', 'sub'), { recursive: true });
  writeFileSync(path.join(repoDir, 'metadata', 'timestamp.json'), '{"x":1}');
  writeFileSync(path.join(repoDir, 'targets', 'sub', 'a.txt'), 'hello');
  const outside = tempDir('tuf-outside-');
  writeFileSync(path.join(outside, 'secret.json'), 'secret');
  symlinkSync(path.join(outside, 'secret.json'), path.join(repoDir, 'metadata', 'link.json'));
  server = await startStaticServer(repoDir);
});
afterAll(async () => {
  await server.close();
  removeTempDirs();
});

describe('DirectorySource', () => {
  test('reads metadata and targets', async () => {
    const source = new DirectorySource(repoDir);
    expect(Buffer.from(await source.fetchMetadata('timestamp.json', 100)).toString()).toBe(
      '{"x":1}',
    );
    expect(Buffer.from(await source.fetchTarget('sub/a.txt', 100)).toString()).toBe('hello');
  });
  test('a missing file is a not-found error', async () => {
    await expect(
      new DirectorySource(repoDir).fetchMetadata('2.root.json', 100),
    ).rejects.toBeInstanceOf(TufSourceNotFoundError);
  });
  test('refuses symlinks and paths that leave the directory', async () => {
    const source = new DirectorySource(repoDir);
    await expect(source.fetchMetadata('link.json', 100)).rejects.toThrow(/symbolic link/);
    await expect(source.fetchTarget('../metadata/timestamp.json', 100)).rejects.toThrow(
      /leaves the repository/,
    );
    await expect(source.fetchTarget('/etc/passwd', 100)).rejects.toThrow(/leaves the repository/);
  });
  test('refuses files over the length limit', async () => {
    await expect(new DirectorySource(repoDir).fetchTarget('sub/a.txt', 4)).rejects.toMatchObject({
      code: 'ERR_TUF_METADATA',
    });
  });
});

describe('HttpSource', () => {
  test('reads with separate metadata and targets URLs', async () => {
    const source = new HttpSource({
      metadataUrl: `${server.url}metadata`,
      targetsUrl: `${server.url}targets/`,
    });
    expect(Buffer.from(await source.fetchMetadata('timestamp.json', 100)).toString()).toBe(
      '{"x":1}',
    );
    expect(Buffer.from(await source.fetchTarget('sub/a.txt', 100)).toString()).toBe('hello');
  });
  test('404 and 403 are not-found errors', async () => {
    const source = new HttpSource(server.url);
    server.fault('/metadata/3.root.json', { status: 403 });
    await expect(source.fetchMetadata('2.root.json', 100)).rejects.toBeInstanceOf(
      TufSourceNotFoundError,
    );
    await expect(source.fetchMetadata('3.root.json', 100)).rejects.toBeInstanceOf(
      TufSourceNotFoundError,
    );
  });
  test('an endless body is cut at the length limit', async () => {
    server.fault('/metadata/timestamp.json', { endless: true, times: 1 });
    await expect(
      new HttpSource(server.url).fetchMetadata('timestamp.json', 16_384),
    ).rejects.toMatchObject({
      code: 'ERR_TUF_METADATA',
    });
  });
  test('a server error after retries is ERR_TUF_UNAVAILABLE', async () => {
    server.fault('/metadata/flaky.json', { status: 503 });
    await expect(
      new HttpSource({ url: server.url, retries: 1, minBackoffMs: 1 }).fetchMetadata(
        'flaky.json',
        100,
      ),
    ).rejects.toMatchObject({ code: 'ERR_TUF_UNAVAILABLE' });
  });
  test('a server that does not answer in time is ERR_TUF_UNAVAILABLE', async () => {
    server.fault('/metadata/stall.json', { stall: true });
    await expect(
      new HttpSource({ url: server.url, retries: 0, timeoutMs: 200 }).fetchMetadata(
        'stall.json',
        100,
      ),
    ).rejects.toMatchObject({ code: 'ERR_TUF_UNAVAILABLE' });
  });
  test('never uses an HTTP cache: a second request reaches the server', async () => {
    const source = new HttpSource(server.url);
    const before = server.requests.filter((r) => r.path === '/metadata/timestamp.json').length;
    await source.fetchMetadata('timestamp.json', 100);
    await source.fetchMetadata('timestamp.json', 100);
    expect(server.requests.filter((r) => r.path === '/metadata/timestamp.json').length).toBe(
      before + 2,
    );
  });
});
