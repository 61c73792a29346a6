/**
 * The `tuf-notary` command, driven in-process through main(): every command,
 * human and --json output, and the exit codes of the CLI contract.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main';

const FIXTURES = path.resolve(__dirname, '..', '..', 'tuf-fixtures');
const SAMPLES = path.join(FIXTURES, 'samples');
const samples = JSON.parse(readFileSync(path.join(SAMPLES, 'samples.json'), 'utf8')) as {
  reference: string;
  envelope: string;
  expect: string;
}[];

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest
    .spyOn(console, 'log')
    .mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = jest
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

let cache: string;
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'tuf-notary-cli-'));
  dirs.push(d);
  return d;
}

beforeAll(async () => {
  cache = tempDir();
  const r = await run(
    'init',
    '--root',
    path.join(FIXTURES, 'root.json'),
    '--source',
    path.join(FIXTURES, 'repository'),
    '--cache',
    cache,
  );
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('init, status and trust', () => {
  test('init bootstraps from the pinned root and records the source', () => {
    const config = JSON.parse(readFileSync(path.join(cache, 'tuf-notary.json'), 'utf8'));
    expect(config).toMatchObject({ source: path.join(FIXTURES, 'repository'), updates: 'auto' });
  });

  test('status prints versions and expiry; --json gives the status object', async () => {
    const human = await run('status', '--cache', cache);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/root version\s+1/);
    const json = await run('status', '--cache', cache, '--json');
    expect(JSON.parse(json.out)).toMatchObject({
      rootVersion: 1,
      targetsVersion: 1,
      pending: false,
    });
  });

  test('trust lists statements, stores and certificate subjects', async () => {
    const r = await run('trust', '--cache', cache);
    expect(r.code).toBe(0);
    expect(r.out).toContain('wabbit-networks-images');
    expect(r.out).toContain('ca:acme-rockets');
    const json = JSON.parse((await run('trust', '--cache', cache, '--json')).out);
    expect(json.stores.map((s: { name: string }) => s.name)).toEqual([
      'acme-rockets',
      'wabbit-networks',
    ]);
  });

  test('pending and apply with nothing staged', async () => {
    expect((await run('pending', '--cache', cache)).out).toContain('No pending change');
    expect((await run('apply', '--cache', cache)).out).toContain('Nothing to apply');
  });

  test('refresh with nothing new succeeds', async () => {
    const r = await run('refresh', '--cache', cache, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ snapshotVersion: 1 });
  });
});

describe('verify', () => {
  test.each(samples.map((s) => [s.envelope, s.expect, s.reference] as const))(
    '%s is %s (exit code 0 or 1)',
    async (envelope, expected, reference) => {
      const r = await run(
        'verify',
        reference,
        '--envelope',
        path.join(SAMPLES, envelope),
        '--cache',
        cache,
      );
      expect(r.code).toBe(expected === 'verified' ? 0 : 1);
      expect(r.out).toMatch(expected === 'verified' ? /^VERIFIED/ : /^FAILED/);
      expect(r.out).toMatch(/integrity\s+(passed|failed)/);
    },
  );

  test('--json prints the outcome with checks', async () => {
    const s = samples[0]!;
    const r = await run(
      'verify',
      s.reference,
      '--envelope',
      path.join(SAMPLES, s.envelope),
      '--cache',
      cache,
      '--json',
    );
    const o = JSON.parse(r.out);
    expect(o.ok).toBe(true);
    expect(o.checks.map((c: { check: string }) => c.check)).toEqual([
      'integrity',
      'authenticity',
      'expiry',
      'authenticTimestamp',
      'revocation',
    ]);
  });

  test('verifies against an exported Notation configuration directory', async () => {
    const dir = path.join(tempDir(), 'notation');
    expect((await run('export', '--cache', cache, '--notation-dir', dir)).code).toBe(0);
    expect(existsSync(path.join(dir, 'trustpolicy.oci.json'))).toBe(true);
    expect(readdirSync(path.join(dir, 'truststore', 'x509', 'ca'))).toEqual([
      'acme-rockets',
      'wabbit-networks',
    ]);
    const s = samples[0]!;
    const r = await run(
      'verify',
      s.reference,
      '--envelope',
      path.join(SAMPLES, s.envelope),
      '--notation-dir',
      dir,
    );
    expect(r.code).toBe(0);
  });
});

describe('usage errors exit 2', () => {
  test.each([
    [['verify', 'x@sha256:00', '--cache', '/nonexistent']],
    [['verify', 'registry.example.com/a@sha256:' + '0'.repeat(64), '--envelope', __filename]],
    [['status']],
    [['status', '--cache', '/nonexistent-cache']],
    [['status', '--bogus-flag']],
    [['no-such-command']],
    [[]],
  ])('%j', async (argv) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
  });

  test('--help prints usage and an example for every command', async () => {
    for (const cmd of [
      'init',
      'refresh',
      'status',
      'pending',
      'apply',
      'trust',
      'export',
      'verify',
    ]) {
      const r = await run(cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/usage: tuf-notary/);
      expect(r.out).toMatch(/example: tuf-notary/);
    }
  });

  test('errors in --json mode are JSON with a code', async () => {
    const r = await run('status', '--cache', '/nonexistent-cache', '--json');
    expect(JSON.parse(r.out).error.code).toBe('ERR_USAGE');
  });
});

describe('unreachable source exits 3', () => {
  test('refresh against a source that disappeared', async () => {
    const c = tempDir();
    const r = await run(
      'init',
      '--root',
      path.join(FIXTURES, 'root.json'),
      '--source',
      'http://127.0.0.1:9/',
      '--cache',
      c,
    );
    expect(r.code).toBe(3);
    expect(r.err).toContain('ERR_TUF_UNAVAILABLE');
  });
});
