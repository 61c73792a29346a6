import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  loadDockerConfig,
  nextLink,
  normaliseRegistryKey,
  parseChallenge,
} from '../../src/registry';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'registry-auth-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('WWW-Authenticate challenges (RFC 7235, RFC 6750)', () => {
  test('Bearer with realm, service and scope', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:team/app:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example.com/token',
        service: 'registry.example.com',
        scope: 'repository:team/app:pull',
      },
    });
  });

  test('Basic with a realm, unquoted values and escapes', () => {
    expect(parseChallenge('Basic realm="a \\"b\\"", charset=UTF-8')).toEqual({
      scheme: 'basic',
      params: { realm: 'a "b"', charset: 'UTF-8' },
    });
  });

  test('missing or oversized headers give no challenge', () => {
    expect(parseChallenge(null)).toBeUndefined();
    expect(parseChallenge('Bearer realm="' + 'x'.repeat(5000) + '"')).toBeUndefined();
  });
});

describe('Docker config.json auths', () => {
  function write(name: string, doc: unknown): string {
    const file = path.join(tmp, name);
    writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
    return file;
  }

  test('auth (base64 user:password) and username/password entries; keys normalised', () => {
    const file = write('ok.json', {
      auths: {
        'https://index.docker.io/v1/': {
          auth: Buffer.from('hub:pw:with:colons').toString('base64'),
        },
        'http://127.0.0.1:5000': { username: 'u', password: 'p' },
        'reg.example.com': { identitytoken: 'ignored' },
      },
      credsStore: 'desktop',
    });
    expect(loadDockerConfig(file)).toEqual({
      'docker.io': { username: 'hub', password: 'pw:with:colons' },
      '127.0.0.1:5000': { username: 'u', password: 'p' },
    });
  });

  test('a missing file means no credentials; a malformed one is an error', () => {
    expect(loadDockerConfig(path.join(tmp, 'absent.json'))).toEqual({});
    expect(() => loadDockerConfig(write('bad.json', '{nope'))).toThrow(/not valid JSON/);
    expect(() =>
      loadDockerConfig(write('bad2.json', { auths: { r: { auth: 'bm9jb2xvbg==' } } })),
    ).toThrow(/user:password/);
  });

  test('registry keys', () => {
    expect(normaliseRegistryKey('https://Registry-1.docker.io/v2/')).toBe('docker.io');
    expect(normaliseRegistryKey('reg.io:5000')).toBe('reg.io:5000');
  });
});

describe('Link pagination (RFC 8288)', () => {
  test('finds rel="next" among links', () => {
    expect(nextLink('</v2/a/referrers/x?n=2>; rel="next"')).toBe('/v2/a/referrers/x?n=2');
    expect(nextLink('<https://r/prev>; rel="prev", <https://r/next>; rel=next')).toBe(
      'https://r/next',
    );
    expect(nextLink('<https://r/prev>; rel="prev"')).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
  });
});
