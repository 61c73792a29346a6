/**
 * Hostile TUF metadata from every source (issue 7 §1): a repository built
 * with TrustRepository, then one metadata file (or target) replaced by a
 * mutant, served through DirectorySource and through the HTTP test server
 * to a fresh TrustClient. A refresh either fails with a coded TufNotaryError
 * or — only when the mutation left the signed content identical (JSON
 * whitespace or escapes, signatures by unknown keys, which TUF ignores) —
 * yields exactly the baseline trust. Huge and deeply nested metadata is
 * refused by the length limits before it is parsed.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { TrustSnapshot } from '../../src/trust/types';
import { TrustClient } from '../../src/tuf';
import { startServerProcess, type ServerProcess } from '../helpers/server';
import { makeCa, removeTempDirs, serveRepo, tempDir, type ServedRepo } from '../tuf/fixtures';
import {
  assertProperty,
  casesOf,
  deepJsonArray,
  flipByte,
  heapGrowth,
  MAX_REFUSAL_HEAP_GROWTH,
  mutatedJson,
  outcomeOf,
  printSummaryAfterAll,
  tally,
} from './harness';

printSummaryAfterAll('tuf-metadata');

const TUF_CODES = [
  // A root key with no usable scheme or key value (src/tuf/keys.ts reports the algorithm).
  'ERR_ALGORITHM_UNSUPPORTED',
  'ERR_TUF_METADATA',
  'ERR_TUF_SIGNATURE',
  'ERR_TUF_ROLLBACK',
  'ERR_TUF_EXPIRED',
  'ERR_TUF_TARGET_MISMATCH',
  'ERR_TUF_UNAVAILABLE',
  'ERR_TRUST_INCOMPLETE',
  'ERR_POLICY_INVALID',
];

let served: ServedRepo;
let work: string;
/** The HTTP server runs in a child process, so that its buffers do not count in this heap. */
let server: ServerProcess;
let baseline: string;
const files: Record<string, Buffer> = {};

/** What a snapshot trusts, for comparison with the baseline. */
function fingerprint(s: TrustSnapshot): string {
  return JSON.stringify({
    versions: [
      s.provenance.rootVersion,
      s.provenance.timestampVersion,
      s.provenance.snapshotVersion,
      s.provenance.targetsVersion,
    ],
    targets: s.provenance.targets,
    stores: s.stores.list().map((x) => [x.type, x.name, x.certificates.map((c) => c.fingerprint)]),
    revocations: s.revocations,
  });
}

/** Refreshes a fresh client against `source`; returns `ok` (after checking the trust) or the code. */
async function refresh(source: string): Promise<string> {
  let result = '';
  const o = await outcomeOf(async () => {
    const client = await TrustClient.open({
      root: served.pin,
      cacheDir: tempDir('hostile-cache-'),
      source,
      http: { retries: 0 },
    });
    result = fingerprint(await client.refresh());
  });
  if (o === 'ok') expect(result).toBe(baseline);
  else expect(TUF_CODES).toContain(o);
  return o;
}

/** Serves `bytes` as `name` (relative to the repository) for one refresh, from both sources. */
async function withFile(
  name: string,
  bytes: Uint8Array,
  run: () => Promise<string>,
): Promise<string> {
  const file = path.join(work, name);
  writeFileSync(file, bytes);
  try {
    return await run();
  } finally {
    if (files[name]) writeFileSync(file, files[name]!);
  }
}

beforeAll(async () => {
  served = await serveRepo(await makeCa('Acme'));
  work = tempDir('hostile-repo-');
  cpSync(served.dir, work, { recursive: true });
  for (const name of [
    'metadata/1.root.json',
    'metadata/timestamp.json',
    'metadata/1.snapshot.json',
    'metadata/1.targets.json',
  ]) {
    files[name] = readFileSync(path.join(work, name));
  }
  server = await startServerProcess(work);
  const client = await TrustClient.open({ root: served.pin, cacheDir: tempDir(), source: work });
  baseline = fingerprint(await client.refresh());
});

afterAll(async () => {
  await server?.stop();
  await served?.close();
  removeTempDirs();
});

const METADATA = ['metadata/timestamp.json', 'metadata/1.snapshot.json', 'metadata/1.targets.json'];

describe.each([
  ['DirectorySource', () => work, 60],
  ['HttpSource (test server)', () => server.url, 30],
])('%s', (label, source, base) => {
  test.each(METADATA)('field mutations of %s', async (name) => {
    const valid = JSON.parse(files[name]!.toString()) as unknown;
    await assertProperty(`${label} ${name} field mutations`, base, [mutatedJson(valid)], (bytes) =>
      withFile(name, bytes, () => refresh(source())),
    );
  });

  test.each(METADATA)('byte flips of %s', async (name) => {
    const bytes = new Uint8Array(files[name]!);
    await assertProperty(
      `${label} ${name} byte flips`,
      base,
      [fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 })],
      (at, mask) => withFile(name, flipByte(bytes, at, mask), () => refresh(source())),
    );
  });

  test('a mutated copy of the root offered as 2.root.json never rotates trust', async () => {
    const valid = JSON.parse(files['metadata/1.root.json']!.toString()) as unknown;
    const name = 'metadata/2.root.json';
    await assertProperty(
      `${label} 2.root.json mutations`,
      base,
      [mutatedJson(valid)],
      async (bytes) => {
        const o = await withFile(name, bytes, () => refresh(source()));
        return o;
      },
    );
    // Leave no 2.root.json behind.
    rmSync(path.join(work, name), { force: true });
  });

  test.each([
    [
      'timestamp.json of 100,000-deep arrays',
      'metadata/timestamp.json',
      () => Buffer.from(deepJsonArray(100_000)),
    ],
    [
      '2.root.json of 250,000-deep arrays',
      'metadata/2.root.json',
      () => Buffer.from(deepJsonArray(250_000)),
    ],
    [
      'timestamp.json of 50 MB',
      'metadata/timestamp.json',
      () => Buffer.alloc(50 * 1024 * 1024, 0x20),
    ],
    ['2.root.json of 50 MB', 'metadata/2.root.json', () => Buffer.alloc(50 * 1024 * 1024, 0x20)],
    [
      '1.targets.json of 50 MB',
      'metadata/1.targets.json',
      () => Buffer.alloc(50 * 1024 * 1024, 0x20),
    ],
  ])('%s is refused before parsing', async (_n, name, make) => {
    const bytes = make();
    let o = '';
    const grew = await heapGrowth(async () => {
      o = await withFile(name, bytes, () => refresh(source()));
    });
    if (name === 'metadata/2.root.json')
      (await import('node:fs')).rmSync(path.join(work, name), { force: true });
    tally(`${label} huge/deep refused`, o);
    expect(['ERR_TUF_METADATA']).toContain(o);
    expect(grew).toBeLessThan(MAX_REFUSAL_HEAP_GROWTH);
  });
});

test('target files: a mutated trust policy or store is refused by its hash', async () => {
  const targets = JSON.parse(files['metadata/1.targets.json']!.toString()) as {
    signed: { targets: Record<string, { hashes: { sha256: string } }> };
  };
  for (const [target, info] of Object.entries(targets.signed.targets)) {
    const dir = path.dirname(target);
    const name = path.join(
      'targets',
      dir === '.' ? '' : dir,
      `${info.hashes.sha256}.${path.basename(target)}`,
    );
    const original = readFileSync(path.join(work, name));
    files[name] = original;
    for (const at of [0, Math.floor(original.length / 2), original.length - 1]) {
      const o = await withFile(name, flipByte(original, at), () => refresh(work));
      tally('target byte flips', o);
      expect(o).toBe('ERR_TUF_TARGET_MISMATCH');
    }
  }
  expect(casesOf('target byte flips')).toBeGreaterThan(0);
});
