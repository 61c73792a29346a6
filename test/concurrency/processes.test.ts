/**
 * Eight processes refresh one cache directory at once: each succeeds or fails
 * cleanly with a TufNotaryError code, the cache is consistent afterwards
 * (state.json whole, one generation, no lock left), and the final snapshot is
 * the one a single sequential refresh into a fresh cache produces.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TrustClient } from '../../src/tuf';
import type { TrustSnapshot } from '../../src/trust/types';
import type { TestCert } from '../helpers/pki';
import { startClientProcess, type ClientResult } from '../helpers/tufClientProcess';
import {
  bundle,
  makeCa,
  ociPolicy,
  removeTempDirs,
  revocations,
  serveRepo,
  tempDir,
  type ServedRepo,
} from '../tuf/fixtures';

const PROCESSES = 8;
let acme: TestCert;
let beta: TestCert;
let gamma: TestCert;
let served: ServedRepo;
let pinFile: string;

beforeAll(async () => {
  acme = await makeCa('Acme');
  beta = await makeCa('Beta');
  gamma = await makeCa('Gamma');
  served = await serveRepo(acme);
  pinFile = path.join(tempDir('conc-pin-'), 'root.json');
  writeFileSync(pinFile, served.pin);
});
afterAll(async () => {
  await served.close();
  removeTempDirs();
});

/** Everything a caller can observe of a snapshot, for comparison. */
function observable(s: TrustSnapshot): unknown {
  return {
    policy: s.policy,
    stores: s.stores.list().map((x) => ({
      ref: `${x.type}:${x.name}`,
      certs: x.certificates.map((c) => c.fingerprint),
    })),
    revocations: [...s.revocations].sort(),
    versions: [
      s.provenance.rootVersion,
      s.provenance.timestampVersion,
      s.provenance.snapshotVersion,
      s.provenance.targetsVersion,
    ],
    targets: s.provenance.targets,
    expires: s.provenance.expires.toISOString(),
  };
}

async function sequentialSnapshot(): Promise<unknown> {
  const client = await TrustClient.open({ root: pinFile, source: served.server.url });
  const snapshot = observable(await client.refresh());
  await client.close();
  return snapshot;
}

async function refreshAtOnce(cacheDir: string): Promise<ClientResult[]> {
  const task = { root: pinFile, cacheDir, source: served.server.url, action: 'refresh' as const };
  return Promise.all(Array.from({ length: PROCESSES }, () => startClientProcess(task).result));
}

function expectConsistentCache(cacheDir: string): void {
  const state = JSON.parse(readFileSync(path.join(cacheDir, 'state.json'), 'utf8')) as {
    latest: string;
    active: string;
  };
  expect(state.active).toBe(state.latest);
  expect(readdirSync(path.join(cacheDir, 'gens'))).toEqual([state.latest]);
  expect(readdirSync(cacheDir)).not.toContain('lock');
  expect(readdirSync(path.join(cacheDir, 'tmp'))).toEqual([]);
}

describe(`${PROCESSES} processes refreshing one cache directory at once`, () => {
  test('from an empty cache: all succeed, the cache is consistent, the snapshot equals a sequential refresh', async () => {
    const cacheDir = tempDir('conc-cache-');
    const results = await refreshAtOnce(cacheDir);
    for (const r of results) expect(r).toMatchObject({ ok: true, snapshotVersion: 1 });
    expectConsistentCache(cacheDir);
    const client = await TrustClient.open({ root: pinFile, cacheDir, source: served.server.url });
    expect(observable(client.current())).toEqual(await sequentialSnapshot());
    await client.close();
  });

  test('over an older cache, with a new policy, stores and deny list published: same result', async () => {
    const cacheDir = tempDir('conc-cache-');
    const first = await TrustClient.open({ root: pinFile, cacheDir, source: served.server.url });
    await first.refresh();
    await first.close();
    served.repo.setTarget('trustpolicy.oci.json', ociPolicy(['ca:acme', 'ca:beta']));
    served.repo.setTarget('truststore/x509/ca/beta.pem', bundle(beta, gamma));
    served.repo.setTarget('revocations.json', revocations(gamma));
    await served.publish();
    const results = await refreshAtOnce(cacheDir);
    for (const r of results) {
      // Clean failure would be a coded error; none is expected here.
      expect(r.code).not.toBe('KILLED');
      expect(r).toMatchObject({ ok: true, snapshotVersion: 2, stores: ['ca:acme', 'ca:beta'] });
    }
    expectConsistentCache(cacheDir);
    const client = await TrustClient.open({ root: pinFile, cacheDir, source: served.server.url });
    expect(observable(client.current())).toEqual(await sequentialSnapshot());
    await client.close();
  });
});
