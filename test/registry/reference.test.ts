import {
  formatReference,
  isLoopbackRegistry,
  parseDigest,
  parseReference,
  referrersTag,
  repositoryOf,
} from '../../src/registry';

const D = `sha256:${'a'.repeat(64)}`;

describe('reference grammar (docker/distribution reference)', () => {
  test.each([
    ['alpine', { registry: 'docker.io', repository: 'library/alpine' }],
    ['alpine:3.19', { registry: 'docker.io', repository: 'library/alpine', tag: '3.19' }],
    ['team/app:1.4', { registry: 'docker.io', repository: 'team/app', tag: '1.4' }],
    ['index.docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine' }],
    [
      'registry.example.com/team/app:1.4',
      { registry: 'registry.example.com', repository: 'team/app', tag: '1.4' },
    ],
    ['registry.example.com:5000/app', { registry: 'registry.example.com:5000', repository: 'app' }],
    ['localhost/app:v1', { registry: 'localhost', repository: 'app', tag: 'v1' }],
    ['localhost:5000/a/b/c', { registry: 'localhost:5000', repository: 'a/b/c' }],
    ['127.0.0.1:5000/app@' + D, { registry: '127.0.0.1:5000', repository: 'app', digest: D }],
    ['[::1]:5000/app:x', { registry: '[::1]:5000', repository: 'app', tag: 'x' }],
    ['reg.io/app:tag@' + D, { registry: 'reg.io', repository: 'app', tag: 'tag', digest: D }],
    ['oci://reg.io/trust/repo', { registry: 'reg.io', repository: 'trust/repo' }],
    ['reg.io/a_b/c__d/e-f--g/h.i', { registry: 'reg.io', repository: 'a_b/c__d/e-f--g/h.i' }],
  ])('%s', (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });

  test.each([
    ['', /empty/],
    ['Reg/App', /repository component/],
    ['reg.io/App', /repository component/],
    ['reg.io/app:' + 'x'.repeat(129), /tag/],
    ['reg.io/app:-bad', /tag/],
    ['reg.io/app@sha256:abc', /digest/],
    ['reg.io/app@md5:' + 'a'.repeat(32), /digest/],
    [`reg.io/app@sha256:${'A'.repeat(64)}`, /digest/],
    ['reg.io:99999/app', /port/],
    ['reg..io/app', /host/],
    ['reg.io//app', /repository component/],
    ['reg.io/' + 'a'.repeat(300), /longer than 255/],
  ])('refuses %s', (input, why) => {
    expect(() => parseReference(input)).toThrow(why);
    try {
      parseReference(input);
    } catch (err) {
      expect((err as { code: string }).code).toBe('ERR_USAGE');
    }
  });

  test('format and repository scope', () => {
    const ref = parseReference('reg.io:443/team/app:1@' + D);
    expect(formatReference(ref)).toBe(`reg.io:443/team/app:1@${D}`);
    expect(repositoryOf(ref)).toBe('reg.io:443/team/app');
  });
});

describe('plain HTTP is for loopback only', () => {
  test.each([
    ['localhost', true],
    ['localhost:5000', true],
    ['127.0.0.1:5000', true],
    ['127.1.2.3', true],
    ['[::1]:5000', true],
    ['localhost.example.com', false],
    ['127.0.0.1.nip.io', false],
    ['10.0.0.1:5000', false],
    ['docker.io', false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopbackRegistry(host)).toBe(loopback);
  });
});

describe('digests (image-spec descriptor "Digests")', () => {
  test('sha256 and sha512 with exact lower-case hex lengths', () => {
    expect(parseDigest(D)).toEqual({ algorithm: 'sha256', hex: 'a'.repeat(64) });
    expect(parseDigest(`sha512:${'b'.repeat(128)}`).algorithm).toBe('sha512');
    expect(() => parseDigest(`sha512:${'b'.repeat(64)}`)).toThrow();
  });

  test('referrers tag schema tag is <alg>-<hex>', () => {
    expect(referrersTag(D)).toBe(`sha256-${'a'.repeat(64)}`);
  });
});
