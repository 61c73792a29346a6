/**
 * `tuf-notary mirror` as a real process: output, exit codes and refusals.
 * The repository is built with the TrustRepository API and served over HTTP
 * on 127.0.0.1 (the admin CLI is exercised by the scenario tests).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cliExpect, cliJson, ensureBuilt, runCli } from '../helpers/cliProcess';
import type { TestCert } from '../helpers/pki';
import {
  bundle,
  makeCa,
  removeTempDirs,
  serveRepo,
  tempDir,
  type ServedRepo,
} from '../tuf/fixtures';

let acme: TestCert;
let beta: TestCert;
let served: ServedRepo;
let pin: string;

beforeAll(async () => {
  await ensureBuilt();
  acme = await makeCa('Acme');
  beta = await makeCa('Beta');
});
beforeEach(async () => {
  served = await serveRepo(acme);
  pin = path.join(tempDir('tuf-mirror-pin-'), 'root.json');
  writeFileSync(pin, served.pin);
});
afterEach(async () => {
  await served.close();
});
afterAll(removeTempDirs);

interface MirrorJson {
  to: string;
  rootVersion: number;
  snapshotVersion: number;
  roots: number[];
  metadata: string[];
  targets: { path: string }[];
  expires: string;
  expiresRole: string;
  replaced?: { snapshotVersion: number };
}

describe('tuf-notary mirror', () => {
  test('--help shows the usage and an example, exit 0', async () => {
    const r = await cliExpect(['mirror', '--help']);
    expect(r.stdout).toContain('usage: tuf-notary mirror --root ROOT.json --from');
    expect(r.stdout).toContain('example: tuf-notary mirror');
  });

  test('--json reports versions, files and the expiry; init from the mirror directory works', async () => {
    const to = path.join(tempDir(), 'mirror');
    const m = await cliJson<MirrorJson>([
      'mirror',
      '--root',
      pin,
      '--from',
      served.server.url,
      '--to',
      to,
    ]);
    expect(m).toMatchObject({
      to,
      rootVersion: 1,
      snapshotVersion: 1,
      roots: [1],
      expiresRole: 'timestamp',
    });
    expect(m.metadata).toEqual([
      '1.root.json',
      '1.snapshot.json',
      '1.targets.json',
      'timestamp.json',
    ]);
    expect(new Date(m.expires).getTime()).toBeGreaterThan(Date.now());
    const cache = path.join(tempDir(), 'cache');
    const init = await cliJson<{ status: { source: string } }>([
      'init',
      '--root',
      pin,
      '--source',
      to,
      '--cache',
      cache,
    ]);
    expect(init.status.source).toContain(to);
  });

  test('human output names the mirror and when to bring the next one', async () => {
    const to = path.join(tempDir(), 'mirror');
    const r = await cliExpect(['mirror', '--root', pin, '--from', served.server.url, '--to', to]);
    expect(r.stdout).toContain(`Mirrored and verified ${served.server.url}`);
    expect(r.stdout).toMatch(/Bring a newer mirror before \d{4}-\d\d-\d\d/);
  });

  test('an older source over a newer mirror: exit 1, ERR_TUF_ROLLBACK, the mirror unchanged', async () => {
    const old = path.join(tempDir(), 'old');
    await cliExpect(['mirror', '--root', pin, '--from', served.server.url, '--to', old]);
    served.repo.setTarget('truststore/x509/ca/acme.pem', bundle(acme, beta));
    await served.publish();
    const to = path.join(tempDir(), 'mirror');
    await cliExpect(['mirror', '--root', pin, '--from', served.server.url, '--to', to]);
    const r = await runCli(['mirror', '--root', pin, '--from', old, '--to', to, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'ERR_TUF_ROLLBACK' } });
    expect(readdirSync(path.join(to, 'metadata'))).toContain('2.snapshot.json');
  });

  test('an unreachable source: exit 3, nothing written', async () => {
    await served.close();
    const to = path.join(tempDir(), 'mirror');
    const r = await runCli(['mirror', '--root', pin, '--from', served.server.url, '--to', to]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('ERR_TUF_UNAVAILABLE');
    expect(existsSync(to)).toBe(false);
    served = await serveRepo(acme); // for afterEach
  });

  test('a missing flag is a usage error (exit 2); so is a --to that holds other files', async () => {
    const missing = await runCli(['mirror', '--root', pin, '--from', served.server.url]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--to is required');
    const busy = path.join(tempDir(), 'busy');
    mkdirSync(busy);
    writeFileSync(path.join(busy, 'important.txt'), 'x');
    const r = await runCli(['mirror', '--root', pin, '--from', served.server.url, '--to', busy]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a tuf-notary mirror');
  });
});
