import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TrustClient } from '../../src/tuf';
import { inspectMirror, mirrorRepository } from '../../src/tuf/mirror';
import type { TestCert } from '../helpers/pki';
import {
  bundle,
  makeCa,
  ociPolicy,
  removeTempDirs,
  revocations,
  serveRepo,
  tempDir,
  type ServedRepo,
} from './fixtures';

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

function mirrorDir(): string {
  return path.join(tempDir('tuf-mirror-'), 'mirror');
}

async function clientOf(dir: string, pin = served.pin): Promise<TrustClient> {
  const client = await TrustClient.open({ root: pin, source: dir, cacheDir: tempDir() });
  await client.refresh();
  return client;
}

describe('mirror: a verified, servable copy', () => {
  test('an HTTP repository is copied into metadata/ and targets/ that a client can use', async () => {
    const to = mirrorDir();
    const result = await mirrorRepository({ root: served.pin, from: served.server.url, to });
    expect(result).toMatchObject({ rootVersion: 1, timestampVersion: 1, snapshotVersion: 1 });
    expect(readdirSync(to).sort()).toEqual(['metadata', 'targets']);
    expect(readdirSync(path.join(to, 'metadata')).sort()).toEqual([
      '1.root.json',
      '1.snapshot.json',
      '1.targets.json',
      'timestamp.json',
    ]);
    expect(result.targets.map((t) => t.path).sort()).toEqual([
      'trustpolicy.oci.json',
      'truststore/x509/ca/acme.pem',
    ]);
    const client = await clientOf(to);
    expect(client.current().stores.get('ca', 'acme')).toHaveLength(1);
    await client.close();
  });

  test('only the trust targets by default; every target with allTargets', async () => {
    served.repo.setTarget('extra/sigstore.json', Buffer.from('{"x":1}'));
    served.repo.setTarget('truststore/x509/ca/unused.pem', bundle(beta));
    await served.publish();
    const trustOnly = await mirrorRepository({
      root: served.pin,
      from: served.server.url,
      to: mirrorDir(),
    });
    expect(trustOnly.targets.map((t) => t.path)).not.toContain('extra/sigstore.json');
    const to = mirrorDir();
    const all = await mirrorRepository({
      root: served.pin,
      from: served.server.url,
      to,
      allTargets: true,
    });
    expect(all.targets.map((t) => t.path).sort()).toEqual([
      'extra/sigstore.json',
      'trustpolicy.oci.json',
      'truststore/x509/ca/acme.pem',
      'truststore/x509/ca/unused.pem',
    ]);
    const client = await clientOf(to);
    expect(Buffer.from(await client.target('extra/sigstore.json')).toString()).toBe('{"x":1}');
    await client.close();
  });

  test('delegated roles are verified and copied, so clients find delegated stores', async () => {
    served.repo.delegate('betateam', { paths: ['truststore/x509/*/beta*.pem'] });
    served.repo.setTarget('truststore/x509/ca/beta.pem', bundle(beta), { role: 'betateam' });
    served.repo.setTarget('trustpolicy.oci.json', ociPolicy(['ca:acme', 'ca:beta']));
    served.repo.setTarget('revocations.json', revocations(acme));
    await served.publish();
    const to = mirrorDir();
    const result = await mirrorRepository({ root: served.pin, from: served.server.url, to });
    expect(result.metadata).toContain('1.betateam.json');
    expect(result.targets.map((t) => t.path)).toEqual(
      expect.arrayContaining(['revocations.json', 'truststore/x509/ca/beta.pem']),
    );
    const client = await clientOf(to);
    expect(client.current().stores.get('ca', 'beta')).toHaveLength(1);
    expect(client.current().revocations).toEqual([acme.sha256]);
    await client.close();
  });

  test('every root version is copied: clients pinned to an older root follow the rotations', async () => {
    served.repo.rotateKeys('root');
    await served.publish();
    served.repo.rotateKeys('root');
    await served.publish();
    const v2 = served.repo.rootBytes(2);
    const to = mirrorDir();
    // Mirrored by someone who pins v2: v1 is still copied (it chains to v2).
    const result = await mirrorRepository({ root: v2, from: served.server.url, to });
    expect(result.roots).toEqual([1, 2, 3]);
    const client = await clientOf(to, served.pin);
    expect(client.status().rootVersion).toBe(3);
    await client.close();
  });
});

describe('mirror: nothing unverified is written', () => {
  test('a tampered target fails the mirror (ERR_TUF_TARGET_MISMATCH) and leaves no directory', async () => {
    served.server.fault(/acme\.pem$/, { body: bundle(beta) });
    const to = mirrorDir();
    await expect(
      mirrorRepository({ root: served.pin, from: served.server.url, to }),
    ).rejects.toMatchObject({ code: 'ERR_TUF_TARGET_MISMATCH' });
    expect(existsSync(to)).toBe(false);
    expect(readdirSync(path.dirname(to))).toEqual([]);
  });

  test('a root not signed by the pinned keys fails the mirror (ERR_TUF_SIGNATURE)', async () => {
    const other = await serveRepo(acme);
    try {
      await expect(
        mirrorRepository({ root: other.pin, from: served.server.url, to: mirrorDir() }),
      ).rejects.toMatchObject({ code: 'ERR_TUF_SIGNATURE' });
    } finally {
      await other.close();
    }
  });

  test('expired metadata at the source fails the mirror (ERR_TUF_EXPIRED)', async () => {
    served.repo.setExpires('timestamp', new Date(Date.now() - 60_000));
    await served.publish();
    await expect(
      mirrorRepository({ root: served.pin, from: served.server.url, to: mirrorDir() }),
    ).rejects.toMatchObject({ code: 'ERR_TUF_EXPIRED' });
  });

  test('a policy naming a store the repository lacks fails the mirror (ERR_TRUST_INCOMPLETE)', async () => {
    served.repo.setTarget('trustpolicy.oci.json', ociPolicy(['ca:acme', 'ca:missing']));
    await served.publish();
    await expect(
      mirrorRepository({ root: served.pin, from: served.server.url, to: mirrorDir() }),
    ).rejects.toMatchObject({ code: 'ERR_TRUST_INCOMPLETE' });
  });
});

describe('mirror: replacing an earlier mirror', () => {
  test('a newer repository replaces the mirror in place', async () => {
    const to = mirrorDir();
    await mirrorRepository({ root: served.pin, from: served.server.url, to });
    served.repo.setTarget('truststore/x509/ca/acme.pem', bundle(acme, beta));
    await served.publish();
    const result = await mirrorRepository({ root: served.pin, from: served.server.url, to });
    expect(result.replaced).toMatchObject({ timestampVersion: 1, snapshotVersion: 1 });
    expect(result.snapshotVersion).toBe(2);
    expect(await inspectMirror(to)).toMatchObject({ timestampVersion: 2, snapshotVersion: 2 });
    expect(readdirSync(path.dirname(to))).toEqual(['mirror']);
  });

  test('an older repository never replaces a newer mirror (ERR_TUF_ROLLBACK)', async () => {
    const old = mirrorDir();
    await mirrorRepository({ root: served.pin, from: served.server.url, to: old });
    served.repo.setTarget('truststore/x509/ca/acme.pem', bundle(acme, beta));
    await served.publish();
    const to = mirrorDir();
    await mirrorRepository({ root: served.pin, from: served.server.url, to });
    const before = readFileSync(path.join(to, 'metadata', 'timestamp.json'));
    await expect(mirrorRepository({ root: served.pin, from: old, to })).rejects.toMatchObject({
      code: 'ERR_TUF_ROLLBACK',
    });
    expect(readFileSync(path.join(to, 'metadata', 'timestamp.json'))).toEqual(before);
  });

  test('an older copy that has also expired is still reported as a rollback, not as expired', async () => {
    served.repo.setExpires('timestamp', new Date(Date.now() - 60_000));
    await served.publish();
    const expiredOld = tempDir('tuf-old-');
    await served.repo.writeTo(expiredOld);
    served.repo.setExpires('timestamp', new Date(Date.now() + 86_400_000));
    await served.publish();
    const to = mirrorDir();
    await mirrorRepository({ root: served.pin, from: served.server.url, to });
    await expect(
      mirrorRepository({ root: served.pin, from: expiredOld, to }),
    ).rejects.toMatchObject({ code: 'ERR_TUF_ROLLBACK' });
  });

  test('a directory that is not a mirror is never overwritten (ERR_USAGE)', async () => {
    const to = mirrorDir();
    mkdirSync(to);
    writeFileSync(path.join(to, 'notes.txt'), 'keep me');
    await expect(
      mirrorRepository({ root: served.pin, from: served.server.url, to }),
    ).rejects.toMatchObject({ code: 'ERR_USAGE' });
    expect(readFileSync(path.join(to, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  test('mirroring a directory onto itself is refused (ERR_USAGE)', async () => {
    await expect(
      mirrorRepository({ root: served.pin, from: served.dir, to: served.dir }),
    ).rejects.toMatchObject({ code: 'ERR_USAGE' });
  });
});
