/**
 * Smoke tests of the revocation (issue 4) and registry (issue 5) benchmarks
 * with tiny counts: their request-count goals hold (counts, never times),
 * and the cold revocation check and verifyArtifact make exactly the requests
 * the issues budget. Real openssl responder and docker-registry on 127.0.0.1.
 */
import * as path from 'node:path';
import { builtEntry } from '../../bench/coldStart';
import { registryRequestsBenchmark } from '../../bench/registryRequests';
import { revocationBenchmark } from '../../bench/revocation';
import type { BenchContext, BenchResult } from '../../bench/types';

const repoRoot = path.resolve(__dirname, '..', '..');

function smokeContext(): BenchContext {
  return {
    mode: 'smoke',
    repoRoot,
    entry: builtEntry(repoRoot),
    pick: (sizes) => sizes.smoke,
    log: () => {},
  };
}

function figure(result: BenchResult, label: string): number | undefined {
  return result.figures.find((f) => f.label === label)?.value;
}

describe('revocation benchmark: a cold check makes one request per certificate that needs it', () => {
  let result: BenchResult;
  beforeAll(async () => {
    result = await revocationBenchmark.run(smokeContext());
  }, 120_000);

  test('the cold check requests the leaf OCSP answer and the root CRL, nothing else', () => {
    expect(figure(result, 'cold: requests of one chain check')).toBe(2);
    const goal = result.goals.find((g) => g.label.startsWith('Cold check: requests'));
    expect(goal).toMatchObject({ pass: true });
    expect(goal?.measured).toMatch(/GET \/root\.crl/);
    expect(goal?.measured).toMatch(/GET \/ocsp\//);
  });

  test('the warm measurement makes no request at all (served from the cache)', () => {
    expect(figure(result, 'warm: requests during the warm measurement')).toBe(0);
  });

  test('the large CRL figures name its entry count', () => {
    expect(result.figures.some((f) => f.label.startsWith('CRL of 1000 entries: parse'))).toBe(true);
  });
});

describe('registry benchmark: verifyArtifact stays within 1 resolve + 1 listing + 2 per signature tried', () => {
  let result: BenchResult;
  beforeAll(async () => {
    result = await registryRequestsBenchmark.run(smokeContext());
  }, 120_000);

  test('every request-count goal passes, for each position of the good signature', () => {
    expect(result.goals.length).toBeGreaterThan(0);
    for (const g of result.goals) expect(g).toMatchObject({ pass: true });
  });

  test('the budget is exact: a reused client makes 2 + 2·tried requests; a fresh one adds the referrers 404', () => {
    // Smoke sizes: N = 3, good last → 3 signatures tried.
    expect(figure(result, 'N=3, good last: requests, reused client')).toBe(8);
    expect(figure(result, 'N=3, good last: requests, fresh client')).toBe(9);
    expect(figure(result, 'N=1, good first: requests, reused client')).toBe(4);
  });

  test('token auth adds the 401 challenge and one token request', () => {
    // N = 5, good middle: 1 resolve + 1 probe + 1 listing + 2·3 = 9, plus 401 and token.
    expect(figure(result, 'N=5, good middle, token auth: requests (fresh client)')).toBe(11);
  });
});
