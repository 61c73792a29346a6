/**
 * The builder's repositories, served by the test server, pass a bare tuf-js
 * Updater: bootstrap, updates, root rotation and delegations (TUF spec §5).
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Updater } from 'tuf-js';
import { TrustRepository } from '../../src/repo';
import { startStaticServer, type StaticServer } from '../helpers/server';

let work: string;
let server: StaticServer | undefined;

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'repo-updater-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(work, { recursive: true, force: true });
});

/** Writes the repository, serves it, and pins root v1 in a fresh client folder. */
async function serve(repo: TrustRepository): Promise<{ client: string; site: string }> {
  const site = path.join(work, 'site');
  await repo.writeTo(site);
  server = await startStaticServer(site);
  const client = path.join(work, 'client');
  await mkdir(path.join(client, 'targets'), { recursive: true });
  await writeFile(path.join(client, 'root.json'), repo.rootBytes(1));
  return { client, site };
}

function updater(client: string): Updater {
  return new Updater({
    metadataDir: client,
    metadataBaseUrl: `${server!.url}metadata`,
    targetDir: path.join(client, 'targets'),
    targetBaseUrl: `${server!.url}targets`,
    config: { fetchRetries: 0 },
  });
}

async function fetchTarget(client: string, targetPath: string): Promise<string> {
  const u = updater(client);
  await u.refresh();
  const info = await u.getTargetInfo(targetPath);
  if (!info) throw new Error(`no target ${targetPath}`);
  return (await readFile(await u.downloadTarget(info))).toString();
}

async function trustedVersion(client: string, role: string): Promise<number> {
  const json = JSON.parse(await readFile(path.join(client, `${role}.json`), 'utf8')) as {
    signed: { version: number };
  };
  return json.signed.version;
}

describe('bootstrap from a pinned root (TUF spec §5.2-5.7)', () => {
  it.each(['ed25519', 'ecdsa'] as const)(
    'downloads a target signed with %s keys',
    async (keyType) => {
      const repo = TrustRepository.create({ keyType });
      repo.setTarget('trustpolicy.oci.json', Buffer.from('{"version":"1.0"}'));
      repo.publish();
      const { client } = await serve(repo);
      expect(await fetchTarget(client, 'trustpolicy.oci.json')).toBe('{"version":"1.0"}');
      expect(server!.requests.map((r) => `${r.path} ${r.status}`)).toEqual([
        '/metadata/2.root.json 404',
        '/metadata/timestamp.json 200',
        '/metadata/1.snapshot.json 200',
        '/metadata/1.targets.json 200',
        expect.stringMatching(/^\/targets\/[0-9a-f]{64}\.trustpolicy\.oci\.json 200$/),
      ]);
    },
  );
});

describe('updates after publish (TUF spec §5.4-5.6)', () => {
  it('a changed target is seen with new snapshot and targets versions', async () => {
    const repo = TrustRepository.create();
    repo.setTarget('truststore/x509/ca/acme.pem', Buffer.from('v1'));
    repo.publish();
    const { client, site } = await serve(repo);
    expect(await fetchTarget(client, 'truststore/x509/ca/acme.pem')).toBe('v1');
    repo.setTarget('truststore/x509/ca/acme.pem', Buffer.from('v2'));
    repo.publish();
    await repo.writeTo(site);
    expect(await fetchTarget(client, 'truststore/x509/ca/acme.pem')).toBe('v2');
    expect(await trustedVersion(client, 'targets')).toBe(2);
    expect(await trustedVersion(client, 'timestamp')).toBe(2);
  });

  it('an unchanged targets role keeps its version while snapshot and timestamp move on', async () => {
    const repo = TrustRepository.create();
    repo.setTarget('a.json', Buffer.from('a'));
    repo.publish();
    repo.publish();
    expect([repo.version('targets'), repo.version('snapshot'), repo.version('timestamp')]).toEqual([
      1, 2, 2,
    ]);
    const { client } = await serve(repo);
    expect(await fetchTarget(client, 'a.json')).toBe('a');
  });
});

describe('root rotation (TUF spec §5.3)', () => {
  it('follows 1→2→3 with new root keys and thresholds, and new top-level keys', async () => {
    const repo = TrustRepository.create({ keyCounts: { root: 2 }, thresholds: { root: 1 } });
    repo.setTarget('a.json', Buffer.from('one'));
    repo.publish();
    const { client, site } = await serve(repo);
    expect(await fetchTarget(client, 'a.json')).toBe('one');

    repo.rotateKeys('root', { keys: 3, threshold: 2 });
    repo.setTarget('a.json', Buffer.from('two'));
    repo.publish();
    repo.rotateKeys('timestamp');
    repo.rotateKeys('targets', { keys: 2, threshold: 2 });
    repo.setTarget('a.json', Buffer.from('three'));
    repo.publish();
    expect(repo.version('root')).toBe(3);
    await repo.writeTo(site);

    expect(await fetchTarget(client, 'a.json')).toBe('three');
    expect(await trustedVersion(client, 'root')).toBe(3);
    expect(server!.requests.map((r) => `${r.path} ${r.status}`)).toEqual(
      expect.arrayContaining([
        '/metadata/2.root.json 200',
        '/metadata/3.root.json 200',
        '/metadata/4.root.json 404',
      ]),
    );
  });

  it('a new root signed only by the new keys is refused', async () => {
    const repo = TrustRepository.create();
    repo.setTarget('a.json', Buffer.from('a'));
    repo.publish();
    const { client, site } = await serve(repo);
    const newKeys = repo.rotateKeys('root');
    repo.signWith('root', newKeys);
    repo.publish();
    await repo.writeTo(site);
    await expect(updater(client).refresh()).rejects.toThrow('root was signed by 0/1 keys');
    expect(await trustedVersion(client, 'root')).toBe(1);
  });
});

describe('delegations (TUF spec §5.6.7)', () => {
  it('finds a target signed by a delegated role', async () => {
    const repo = TrustRepository.create();
    repo.setTarget('trustpolicy.oci.json', Buffer.from('{}'));
    repo.delegate('acme', { paths: ['truststore/x509/*/acme*.pem'], keys: 2, threshold: 2 });
    repo.setTarget('truststore/x509/ca/acme.pem', Buffer.from('acme root'), { role: 'acme' });
    repo.publish();
    const { client } = await serve(repo);
    expect(await fetchTarget(client, 'truststore/x509/ca/acme.pem')).toBe('acme root');
    expect(server!.requests.map((r) => r.path)).toContain('/metadata/1.acme.json');
  });

  it('a client that trusted a delegation updates after it is revoked', async () => {
    const repo = TrustRepository.create();
    repo.delegate('acme', { paths: ['acme/*'] });
    repo.setTarget('acme/a.pem', Buffer.from('x'), { role: 'acme' });
    repo.setTarget('b.json', Buffer.from('b1'));
    repo.publish();
    const { client, site } = await serve(repo);
    expect(await fetchTarget(client, 'acme/a.pem')).toBe('x');
    repo.revokeDelegation('acme');
    repo.setTarget('b.json', Buffer.from('b2'));
    repo.publish();
    await repo.writeTo(site);
    expect(await fetchTarget(client, 'b.json')).toBe('b2');
    const u = updater(client);
    await u.refresh();
    expect(await u.getTargetInfo('acme/a.pem')).toBeUndefined();
  });

  it('a delegated role below its threshold is refused', async () => {
    const repo = TrustRepository.create();
    const keys = repo.delegate('acme', { paths: ['acme/*'], keys: 2, threshold: 2 });
    repo.setTarget('acme/a.pem', Buffer.from('x'), { role: 'acme' });
    repo.signWith('acme', keys.slice(0, 1));
    repo.publish();
    const { client } = await serve(repo);
    const u = updater(client);
    await u.refresh();
    await expect(u.getTargetInfo('acme/a.pem')).rejects.toThrow(/acme was signed by 1\/2 keys/);
  });
});

describe('rollback and freeze protection see the builder’s versions and expiries (TUF spec §5.4.3, §5.4.4)', () => {
  it('an older timestamp served after a newer one is refused', async () => {
    const repo = TrustRepository.create();
    repo.publish();
    repo.publish();
    const { client, site } = await serve(repo);
    await updater(client).refresh();
    expect(await trustedVersion(client, 'timestamp')).toBe(2);
    await repo.writeTo(site, { timestampVersion: 1 });
    await expect(updater(client).refresh()).rejects.toThrow(
      'New timestamp version 1 is less than current version 2',
    );
  });

  it('an expired timestamp is refused', async () => {
    const repo = TrustRepository.create();
    repo.setExpires('timestamp', new Date(Date.now() - 86_400_000));
    repo.publish();
    const { client } = await serve(repo);
    await expect(updater(client).refresh()).rejects.toThrow('Final timestamp.json is expired');
  });

  it('a snapshot version lower than the trusted one is refused', async () => {
    const repo = TrustRepository.create();
    repo.publish();
    repo.publish();
    const { client, site } = await serve(repo);
    await updater(client).refresh();
    repo.bumpVersion('snapshot', 1);
    repo.replaceFile('1.snapshot.json', undefined);
    repo.publish();
    await repo.writeTo(site);
    await expect(updater(client).refresh()).rejects.toThrow(
      /snapshot version 1 is less than current version 2/,
    );
  });
});

describe('target integrity (TUF spec §5.7.3)', () => {
  it('a target blob that does not match its hash is refused', async () => {
    const repo = TrustRepository.create();
    repo.setTarget('a.json', Buffer.from('good'));
    repo.publish();
    const blob = [...repo.files().keys()].find((n) => n.endsWith('.a.json'))!;
    repo.replaceFile(blob, Buffer.from('evil'));
    const { client } = await serve(repo);
    await expect(fetchTarget(client, 'a.json')).rejects.toThrow(/hash/i);
  });

  it('a timestamp served with 500 stops the update', async () => {
    const repo = TrustRepository.create();
    repo.publish();
    const { client } = await serve(repo);
    server!.fault('/metadata/timestamp.json', { status: 500 });
    await expect(updater(client).refresh()).rejects.toThrow(/Failed to download/);
  });
});
