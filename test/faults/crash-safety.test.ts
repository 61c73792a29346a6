/**
 * Crash safety: a child process refreshing the cache is killed with SIGKILL
 * at random points (CRASH_RUNS times: 15 in CI, 100 in `npm run test:soak`).
 * After each kill the cache opens, the active snapshot is exactly a published,
 * verified version no older than before the kill (nothing unverified or
 * half-written is trusted), and the next refresh succeeds.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { TrustClient } from '../../src/tuf';
import type { TestCert } from '../helpers/pki';
import { startClientProcess, waitForOutput } from '../helpers/tufClientProcess';
import {
  bundle,
  makeCa,
  removeTempDirs,
  serveRepo,
  tempDir,
  type ServedRepo,
} from '../tuf/fixtures';
import { writeFileSync } from 'node:fs';

const RUNS = Number(process.env.CRASH_RUNS ?? 15);

let served: ServedRepo;
let cas: TestCert[];
let pinFile: string;

beforeAll(async () => {
  cas = [];
  for (let i = 0; i < 4; i += 1) cas.push(await makeCa(`Crash${i}`));
  served = await serveRepo(cas[0]!);
  pinFile = path.join(tempDir('crash-pin-'), 'root.json');
  writeFileSync(pinFile, served.pin);
});
afterAll(async () => {
  await served.close();
  removeTempDirs();
});

/** The store content published at each snapshot version (fingerprints, sorted). */
const published = new Map<number, string[]>();

async function publishVersion(n: number): Promise<void> {
  // Rotate through store contents so that consecutive versions differ.
  const members = cas.filter((_, i) => i === 0 || (n + i) % 2 === 0);
  served.repo.setTarget('truststore/x509/ca/acme.pem', bundle(...members));
  await served.publish();
  published.set(served.repo.version('snapshot'), members.map((c) => c.sha256).sort());
}

function fingerprints(client: TrustClient): string[] {
  return (client.current().stores.get('ca', 'acme') ?? []).map((c) => c.fingerprint).sort();
}

/** state.json is whole and names generations that exist. */
function expectConsistentLayout(cacheDir: string): void {
  const state = JSON.parse(readFileSync(path.join(cacheDir, 'state.json'), 'utf8')) as {
    latest: string;
    active: string;
  };
  expect(existsSync(path.join(cacheDir, 'gens', state.latest, 'timestamp.json'))).toBe(true);
  expect(existsSync(path.join(cacheDir, 'gens', state.active, 'timestamp.json'))).toBe(true);
}

describe(`a refreshing process killed with SIGKILL at random points (${RUNS} runs)`, () => {
  test('after every kill the cache opens with a verified snapshot no older than before, and the next refresh succeeds', async () => {
    const cacheDir = tempDir('crash-cache-');
    const source = served.server.url;
    published.set(1, [cas[0]!.sha256]);
    const first = await TrustClient.open({ root: pinFile, cacheDir, source });
    await first.refresh();
    await first.close();

    // How long a child takes from "opened" to its result: the window kills fall into.
    await publishVersion(2);
    const probe = startClientProcess({ root: pinFile, cacheDir, source, action: 'refresh' });
    await waitForOutput(probe.child, 'OPENED');
    const t0 = process.hrtime.bigint();
    expect(await probe.result).toMatchObject({ ok: true });
    let windowMs = Math.max(20, Number(process.hrtime.bigint() - t0) / 1e6);

    const outcomes = { killedMidway: 0, finishedFirst: 0, sawNew: 0, keptOld: 0 };
    for (let run = 0; run < RUNS; run += 1) {
      const before = await TrustClient.open({ root: pinFile, cacheDir, source, offline: true });
      const beforeVersion = before.current().provenance.snapshotVersion;
      await before.close();
      await publishVersion(3 + run);
      const child = startClientProcess({ root: pinFile, cacheDir, source, action: 'refresh' });
      await waitForOutput(child.child, 'OPENED');
      // A random point inside the refresh window (a little past it, sometimes).
      await new Promise((r) => setTimeout(r, Math.random() * windowMs * 1.2));
      child.child.kill('SIGKILL');
      const result = await child.result;
      // Keep the window on the refresh itself (the first probe includes JIT warm-up).
      if (result.ok) {
        outcomes.finishedFirst += 1;
        windowMs = Math.max(20, windowMs * 0.8);
      } else {
        outcomes.killedMidway += 1;
        windowMs *= 1.05;
      }

      expectConsistentLayout(cacheDir);
      const after = await TrustClient.open({ root: pinFile, cacheDir, source, offline: true });
      const version = after.current().provenance.snapshotVersion;
      // Never older than before the kill, and exactly what was published at that version.
      expect(version).toBeGreaterThanOrEqual(beforeVersion);
      expect(fingerprints(after)).toEqual(published.get(version));
      if (version > beforeVersion) outcomes.sawNew += 1;
      else outcomes.keptOld += 1;
      await after.close();

      // The killed process's lock is stale: the next refresh takes it over and succeeds.
      const next = await TrustClient.open({ root: pinFile, cacheDir, source });
      const snapshot = await next.refresh();
      expect(snapshot.provenance.snapshotVersion).toBe(served.repo.version('snapshot'));
      expect(fingerprints(next)).toEqual(published.get(snapshot.provenance.snapshotVersion));
      await next.close();
      expect(readdirSync(path.join(cacheDir, 'gens')).length).toBeLessThanOrEqual(2);
    }
    // Kills must really land mid-refresh, not only before or after it.
    expect(outcomes.killedMidway).toBeGreaterThan(0);
    process.stdout.write(
      `crash safety: ${RUNS} runs, window ${windowMs.toFixed(0)} ms, ${JSON.stringify(outcomes)}\n`,
    );
  });
});
