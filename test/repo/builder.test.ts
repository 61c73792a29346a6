/**
 * TrustRepository output checked with @tufjs/models (signatures, thresholds,
 * key ids, snapshot/timestamp contents) and its rules for callers.
 */
import { createHash } from 'node:crypto';
import { canonicalize } from '@tufjs/canonical-json';
import {
  Metadata,
  MetadataKind,
  type Root,
  type Snapshot,
  type Targets,
  type Timestamp,
} from '@tufjs/models';
import { isTufNotaryError } from '../../src/errors';
import {
  generateRepoKey,
  keyIdOf,
  localKeyFromPrivate,
  privateKeyPem,
  publicRepoKey,
  TrustRepository,
} from '../../src/repo';

const NOW = new Date('2030-06-01T12:00:00.123Z');

function parse(bytes: Uint8Array): { signed: Record<string, unknown>; signatures: unknown[] } {
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
}
function root(repo: TrustRepository, version: number): Metadata<Root> {
  return Metadata.fromJSON(MetadataKind.Root, parse(repo.rootBytes(version)) as never);
}
function file(repo: TrustRepository, name: string): Uint8Array {
  const bytes = repo.files().get(name);
  if (!bytes) throw new Error(`no ${name}`);
  return bytes;
}
function targets(repo: TrustRepository, name: string): Metadata<Targets> {
  return Metadata.fromJSON(MetadataKind.Targets, parse(file(repo, name)) as never);
}
function snapshot(repo: TrustRepository): Metadata<Snapshot> {
  const name = `${repo.version('snapshot')}.snapshot.json`;
  return Metadata.fromJSON(MetadataKind.Snapshot, parse(file(repo, name)) as never);
}
function timestamp(repo: TrustRepository, version?: number): Metadata<Timestamp> {
  return Metadata.fromJSON(MetadataKind.Timestamp, parse(repo.timestampBytes(version)) as never);
}
function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
function usageError(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isTufNotaryError(caught, 'ERR_USAGE')).toBe(true);
  expect((caught as Error).message).toMatch(message);
}

describe('top-level roles verify with @tufjs/models (TUF spec §4.3-4.6)', () => {
  it.each(['ed25519', 'ecdsa'] as const)(
    'root v1 signs itself and delegates to the top-level roles (%s)',
    (keyType) => {
      const repo = TrustRepository.create({ keyType, thresholds: { targets: 2 }, now: () => NOW });
      repo.setTarget('a.json', Buffer.from('a'));
      repo.publish();
      const r = root(repo, 1);
      expect(r.signed.consistentSnapshot).toBe(true);
      expect(r.signed.specVersion).toBe('1.0.31');
      expect(r.signed.roles['targets']!.keyIDs).toHaveLength(2);
      expect(r.signed.roles['targets']!.threshold).toBe(2);
      expect(() => r.verifyDelegate('root', r)).not.toThrow();
      expect(() => r.verifyDelegate('targets', targets(repo, '1.targets.json'))).not.toThrow();
      expect(() => r.verifyDelegate('snapshot', snapshot(repo))).not.toThrow();
      expect(() => r.verifyDelegate('timestamp', timestamp(repo))).not.toThrow();
    },
  );

  it('targets signed by fewer keys than the threshold fail verification', () => {
    const repo = TrustRepository.create({ keyCounts: { targets: 3 }, thresholds: { targets: 2 } });
    repo.signWith('targets', repo.keys('targets').slice(0, 1));
    repo.publish();
    expect(() => root(repo, 1).verifyDelegate('targets', targets(repo, '1.targets.json'))).toThrow(
      /targets was signed by 1\/2 keys/,
    );
  });

  it('metadata signed with a key the role does not trust fails verification', () => {
    const repo = TrustRepository.create();
    repo.signWith('snapshot', [repo.generateKey()]);
    repo.publish();
    expect(() => root(repo, 1).verifyDelegate('snapshot', snapshot(repo))).toThrow(
      /signed by 0\/1/,
    );
  });

  it('expires is whole seconds after the clock by the role default, or the fixed date', () => {
    const fixed = new Date('2031-01-02T03:04:05Z');
    const repo = TrustRepository.create({ now: () => NOW, expires: { targets: fixed } });
    repo.publish();
    expect(root(repo, 1).signed.expires).toBe('2031-06-01T12:00:00Z');
    expect(targets(repo, '1.targets.json').signed.expires).toBe('2031-01-02T03:04:05Z');
    expect(snapshot(repo).signed.expires).toBe('2030-06-08T12:00:00Z');
    expect(timestamp(repo).signed.expires).toBe('2030-06-02T12:00:00Z');
  });
});

describe('key ids are SHA-256 of the canonical key JSON (TUF spec §4.2)', () => {
  it.each(['ed25519', 'ecdsa'] as const)('%s keys', (type) => {
    const key = generateRepoKey(type);
    expect(key.keyId).toBe(sha256(Buffer.from(canonicalize(key.publicKey))));
    expect(keyIdOf(key.publicKey)).toBe(key.keyId);
    expect(key.publicKey.keytype).toBe(type);
    expect(key.publicKey.scheme).toBe(type === 'ed25519' ? 'ed25519' : 'ecdsa-sha2-nistp256');
    if (type === 'ed25519') expect(key.publicKey.keyval.public).toMatch(/^[0-9a-f]{64}$/);
    else expect(key.publicKey.keyval.public).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('a key exported to PEM and loaded again keeps its id; its public half cannot sign', () => {
    const key = generateRepoKey('ecdsa');
    expect(localKeyFromPrivate(privateKeyPem(key)).keyId).toBe(key.keyId);
    const pub = publicRepoKey(key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    expect(pub.keyId).toBe(key.keyId);
    expect(pub.signer).toBeUndefined();
    const repo = TrustRepository.create();
    repo.signWith('targets', [pub]);
    usageError(() => repo.publish(), /has no private part/);
  });

  it('keys derived from the same seed are the same; another seed gives others', () => {
    const a = generateRepoKey('ecdsa', { seed: 's', label: 'k' });
    expect(generateRepoKey('ecdsa', { seed: 's', label: 'k' }).keyId).toBe(a.keyId);
    expect(generateRepoKey('ecdsa', { seed: 't', label: 'k' }).keyId).not.toBe(a.keyId);
  });
});

describe('root rotation is signed by the old and the new root keys (TUF spec §5.3.4)', () => {
  it('each new root verifies under the previous one and under itself', () => {
    const repo = TrustRepository.create({ keyCounts: { root: 2 } });
    repo.rotateKeys('root', { keys: 3, threshold: 2 });
    repo.publish();
    repo.rotateKeys('root', { keys: 1 });
    repo.publish();
    expect(repo.version('root')).toBe(3);
    for (const v of [2, 3]) {
      expect(() => root(repo, v - 1).verifyDelegate('root', root(repo, v))).not.toThrow();
      expect(() => root(repo, v).verifyDelegate('root', root(repo, v))).not.toThrow();
    }
    expect(root(repo, 3).signed.roles['root']!.threshold).toBe(1);
    expect(root(repo, 2).signed.roles['root']!.threshold).toBe(2);
  });

  it('rotating a top-level role other than root makes a new root and re-signs the role', () => {
    const repo = TrustRepository.create();
    repo.publish();
    const [newKey] = repo.rotateKeys('targets');
    repo.publish();
    expect(repo.version('root')).toBe(2);
    expect(repo.version('targets')).toBe(2);
    expect(root(repo, 2).signed.roles['targets']!.keyIDs).toEqual([newKey!.keyId]);
    expect(() =>
      root(repo, 2).verifyDelegate('targets', targets(repo, '2.targets.json')),
    ).not.toThrow();
    expect(() =>
      root(repo, 1).verifyDelegate('targets', targets(repo, '2.targets.json')),
    ).toThrow();
  });

  it('a root changed only by expiry still gets a new version', () => {
    const repo = TrustRepository.create();
    repo.publish();
    repo.setExpires('root', new Date('2040-01-01T00:00:00Z'));
    repo.publish();
    expect(root(repo, 2).signed.expires).toBe('2040-01-01T00:00:00Z');
  });
});

describe('delegations (TUF spec §4.5)', () => {
  it('the delegator lists the role, its keys and paths; the role verifies under it', () => {
    const repo = TrustRepository.create();
    const keys = repo.delegate('acme', {
      paths: ['truststore/x509/*/acme*.pem'],
      keys: 2,
      threshold: 2,
      terminating: true,
    });
    repo.setTarget('truststore/x509/ca/acme.pem', Buffer.from('pem'), { role: 'acme' });
    repo.publish();
    const parent = targets(repo, '1.targets.json');
    const role = parent.signed.delegations!.roles!['acme']!;
    expect(role.keyIDs).toEqual(keys.map((k) => k.keyId));
    expect(role.threshold).toBe(2);
    expect(role.terminating).toBe(true);
    expect(role.paths).toEqual(['truststore/x509/*/acme*.pem']);
    expect(() => parent.verifyDelegate('acme', targets(repo, '1.acme.json'))).not.toThrow();
    expect(
      targets(repo, '1.acme.json').signed.targets['truststore/x509/ca/acme.pem']!.hashes,
    ).toEqual({
      sha256: sha256(Buffer.from('pem')),
    });
  });

  it('nested delegations are signed by the delegating role', () => {
    const repo = TrustRepository.create();
    repo.delegate('acme', { paths: ['acme/*'] });
    repo.delegate('acme-ci', { paths: ['acme/ci-*'], parent: 'acme' });
    repo.setTarget('acme/ci-1.pem', Buffer.from('x'), { role: 'acme-ci' });
    repo.publish();
    expect(() =>
      targets(repo, '1.acme.json').verifyDelegate('acme-ci', targets(repo, '1.acme-ci.json')),
    ).not.toThrow();
    expect(Object.keys(snapshot(repo).signed.meta).sort()).toEqual([
      'acme-ci.json',
      'acme.json',
      'targets.json',
    ]);
  });

  it('rotating a delegated role’s keys bumps the delegator, not root', () => {
    const repo = TrustRepository.create();
    repo.delegate('acme', { paths: ['acme/*'] });
    repo.publish();
    repo.rotateKeys('acme', { keys: 2, threshold: 2 });
    repo.publish();
    expect([repo.version('root'), repo.version('targets'), repo.version('acme')]).toEqual([
      1, 2, 2,
    ]);
    expect(() =>
      targets(repo, '2.targets.json').verifyDelegate('acme', targets(repo, '2.acme.json')),
    ).not.toThrow();
  });

  it('a revoked delegation leaves the delegator but stays in the snapshot at its last version (§5.5.5)', () => {
    const repo = TrustRepository.create();
    repo.delegate('acme', { paths: ['acme/*'] });
    repo.delegate('acme-ci', { paths: ['acme/ci-*'], parent: 'acme' });
    repo.publish();
    repo.revokeDelegation('acme');
    repo.publish();
    expect(targets(repo, '2.targets.json').signed.delegations).toBeUndefined();
    const meta = snapshot(repo).signed.meta;
    expect(Object.keys(meta).sort()).toEqual(['acme-ci.json', 'acme.json', 'targets.json']);
    expect(meta['acme.json']!.version).toBe(1);
    expect(() => repo.setTarget('acme/x', Buffer.from('x'), { role: 'acme-ci' })).toThrow(
      /not a targets role/,
    );
  });

  it('delegating a revoked name again continues its version numbers', () => {
    const repo = TrustRepository.create();
    repo.delegate('acme', { paths: ['acme/*'] });
    repo.publish();
    repo.revokeDelegation('acme');
    repo.publish();
    repo.delegate('acme', { paths: ['acme/*'] });
    repo.publish();
    expect(repo.version('acme')).toBe(2);
    expect(() =>
      targets(repo, '3.targets.json').verifyDelegate('acme', targets(repo, '2.acme.json')),
    ).not.toThrow();
  });

  it('refuses a target outside the delegated paths, a bad name, or an unknown parent', () => {
    const repo = TrustRepository.create();
    repo.delegate('acme', { paths: ['acme/*'] });
    usageError(
      () => repo.setTarget('other/x.pem', Buffer.from('x'), { role: 'acme' }),
      /outside the paths/,
    );
    usageError(() => repo.delegate('root', { paths: ['x'] }), /Invalid delegated role name/);
    usageError(() => repo.delegate('../evil', { paths: ['x'] }), /Invalid delegated role name/);
    usageError(() => repo.delegate('acme', { paths: ['x'] }), /already exists/);
    usageError(() => repo.delegate('b', { paths: ['x'], parent: 'nope' }), /not a targets role/);
    usageError(() => repo.delegate('c', { paths: [] }), /at least one path/);
  });
});

describe('snapshot and timestamp (TUF spec §4.4, §4.6)', () => {
  it('snapshot lists every targets role with version, length and sha256 of its file', () => {
    const repo = TrustRepository.create();
    repo.delegate('acme', { paths: ['acme/*'] });
    repo.publish();
    repo.setTarget('a.json', Buffer.from('a'));
    repo.publish();
    const meta = snapshot(repo).signed.meta;
    expect(meta['targets.json']).toMatchObject({
      version: 2,
      length: file(repo, '2.targets.json').length,
    });
    expect(meta['targets.json']!.hashes).toEqual({ sha256: sha256(file(repo, '2.targets.json')) });
    expect(meta['acme.json']!.version).toBe(1);
    const ts = timestamp(repo).signed.snapshotMeta;
    expect(ts.version).toBe(2);
    expect(ts.hashes).toEqual({ sha256: sha256(file(repo, '2.snapshot.json')) });
  });

  it('with metaHashes false only versions are recorded', () => {
    const repo = TrustRepository.create({ metaHashes: false });
    repo.publish();
    expect(snapshot(repo).signed.meta['targets.json']).toEqual(
      expect.objectContaining({ version: 1, length: undefined, hashes: undefined }),
    );
    expect(timestamp(repo).signed.snapshotMeta.hashes).toBeUndefined();
  });

  it('keeps every timestamp; timestamp.json is the latest', () => {
    const repo = TrustRepository.create();
    repo.publish();
    repo.publish();
    repo.publish();
    expect(repo.timestampVersions()).toEqual([1, 2, 3]);
    expect(timestamp(repo, 1).signed.version).toBe(1);
    expect(
      Buffer.from(file(repo, 'timestamp.json')).equals(Buffer.from(repo.timestampBytes(3))),
    ).toBe(true);
  });
});

describe('targets content', () => {
  it('publishes each target blob under targets/<dir>/<sha256>.<name>', () => {
    const repo = TrustRepository.create();
    repo.setTarget('truststore/x509/ca/acme.pem', Buffer.from('pem'));
    repo.setTarget('trustpolicy.oci.json', Buffer.from('{}'));
    repo.publish();
    const names = [...repo.files().keys()].filter((n) => n.startsWith('targets/')).sort();
    expect(names).toEqual([
      `targets/${sha256(Buffer.from('{}'))}.trustpolicy.oci.json`,
      `targets/truststore/x509/ca/${sha256(Buffer.from('pem'))}.acme.pem`,
    ]);
    expect(repo.targets().get('trustpolicy.oci.json')).toEqual(Uint8Array.from(Buffer.from('{}')));
  });

  it('a removed target leaves the next targets version', () => {
    const repo = TrustRepository.create();
    repo.setTarget('a.json', Buffer.from('a'));
    repo.publish();
    repo.removeTarget('a.json');
    repo.publish();
    expect(targets(repo, '2.targets.json').signed.targets).toEqual({});
    usageError(() => repo.removeTarget('a.json'), /has no target/);
  });

  it.each([
    ['empty', ''],
    ['absolute', '/abs'],
    ['dot-dot', 'a/../b'],
    ['empty segment', 'a//b'],
    ['dot', './a'],
    ['backslash', 'a\\b'],
    ['too long', 'x'.repeat(513)],
  ])('refuses a target path that is %s', (_label, bad) => {
    usageError(
      () => TrustRepository.create().setTarget(bad, Buffer.from('x')),
      /Invalid target path/,
    );
  });
});

describe('caller errors are ERR_USAGE', () => {
  it('threshold above the key count, zero keys, unknown roles', () => {
    usageError(
      () => TrustRepository.create({ thresholds: { root: 2 }, keyCounts: { root: 1 } }),
      /Threshold 2/,
    );
    const repo = TrustRepository.create();
    usageError(() => repo.rotateKeys('targets', { keys: 0 }), /at least one key/);
    usageError(() => repo.rotateKeys('targets', { keys: 1, threshold: 2 }), /Threshold 2/);
    usageError(() => repo.setExpires('nobody', new Date()), /Unknown role/);
    usageError(() => repo.bumpVersion('targets', 0), /positive integer/);
    usageError(() => repo.timestampBytes(), /publish\(\) first/);
  });
});

describe('determinism', () => {
  it('the same seed, clock and calls give byte-identical files', () => {
    const build = (): Map<string, Uint8Array> => {
      const repo = TrustRepository.create({
        seed: 'fixed',
        now: () => NOW,
        keyCounts: { root: 2 },
      });
      repo.setTarget('a.json', Buffer.from('a'));
      repo.delegate('acme', { paths: ['acme/*'] });
      repo.publish();
      repo.rotateKeys('root');
      repo.publish();
      return repo.files();
    };
    const [a, b] = [build(), build()];
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [name, bytes] of a)
      expect(Buffer.from(bytes).equals(Buffer.from(b.get(name)!))).toBe(true);
  });
});

describe('test hooks', () => {
  it('bumpVersion sets the next version, even a lower one', () => {
    const repo = TrustRepository.create();
    repo.publish();
    repo.bumpVersion('targets', 7);
    repo.publish();
    expect(repo.version('targets')).toBe(7);
    repo.bumpVersion('snapshot', 1);
    repo.publish();
    expect(repo.version('snapshot')).toBe(1);
    expect(timestamp(repo).signed.snapshotMeta.version).toBe(1);
  });

  it('rawMetadata + signRaw produce validly signed tampered metadata; replaceFile serves it', () => {
    const repo = TrustRepository.create();
    repo.setTarget('a.json', Buffer.from('a'));
    repo.publish();
    const raw = repo.rawMetadata('targets');
    const t = raw.signed['targets'] as Record<string, { length: number }>;
    t['a.json']!.length = 999;
    const bytes = repo.signRaw(raw.signed);
    const tampered = Metadata.fromJSON(MetadataKind.Targets, parse(bytes) as never);
    expect(() => root(repo, 1).verifyDelegate('targets', tampered)).not.toThrow();
    expect(tampered.signed.targets['a.json']!.length).toBe(999);
    expect(repo.rawMetadata('targets').signed).not.toEqual(raw.signed);
    repo.replaceFile('1.targets.json', bytes);
    expect(repo.files().get('1.targets.json')).toEqual(Uint8Array.from(bytes));
  });

  it('rawMetadata of the timestamp reads any kept version', () => {
    const repo = TrustRepository.create();
    repo.publish();
    repo.publish();
    expect(repo.rawMetadata('timestamp', 1).signed['version']).toBe(1);
    expect(repo.rawMetadata('timestamp').signed['version']).toBe(2);
  });
});
