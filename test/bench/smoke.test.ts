/**
 * Smoke test of the benchmarks: every registered module runs with tiny counts
 * (mode `smoke`) and returns well-formed figures and goals, and the report
 * renders. No timing is asserted: speed goals are judged by `npm run bench`
 * as ratios, never here.
 */
import * as path from 'node:path';
import { builtEntry } from '../../bench/coldStart';
import { BENCHMARKS, selectBenchmarks } from '../../bench/registry';
import { machineInfo, renderMarkdown, summaryTable, type ModuleOutcome } from '../../bench/report';
import type { BenchContext, BenchResult } from '../../bench/types';

const repoRoot = path.resolve(__dirname, '..', '..');
const results = new Map<string, BenchResult>();

function smokeContext(): BenchContext {
  return {
    mode: 'smoke',
    repoRoot,
    // The built package (npm test builds dist/ before jest; npm run bench builds build/src).
    entry: builtEntry(repoRoot),
    pick: (sizes) => sizes.smoke,
    log: () => {},
  };
}

describe('every registered benchmark runs with tiny counts', () => {
  test.each(BENCHMARKS.map((b) => [b.id, b] as const))(
    '%s returns finite figures, goals with a verdict and how it was measured',
    async (_id, benchmark) => {
      const result = await benchmark.run(smokeContext());
      results.set(benchmark.id, result);
      expect(result.figures.length).toBeGreaterThan(0);
      for (const f of result.figures) {
        expect(Number.isFinite(f.value)).toBe(true);
        expect(f.value).toBeGreaterThanOrEqual(0);
      }
      expect(result.goals.length).toBeGreaterThan(0);
      for (const g of result.goals) {
        expect(typeof g.pass).toBe('boolean');
        expect(g.goal).not.toBe('');
        if (g.ratio !== undefined) expect(g.ratio).toBeGreaterThan(0);
      }
      expect(result.method.length).toBeGreaterThan(0);
    },
    120_000,
  );
});

describe('the no-news refresh requests only the next-root probe and the timestamp', () => {
  test('the request goal of the TrustClient benchmark passes (a count, not a time)', () => {
    const result = results.get('trust-client-refresh');
    expect(result).toBeDefined();
    const goal = result!.goals.find((g) => g.label.startsWith('No-news refresh requests'));
    expect(goal).toMatchObject({ pass: true });
  });
});

describe('the report lists every goal with its verdict', () => {
  test('markdown has the machine, a section per issue and a verdict per goal', () => {
    const outcomes: ModuleOutcome[] = BENCHMARKS.filter((b) => results.has(b.id)).map((b) => ({
      module: b,
      result: results.get(b.id)!,
      seconds: 0,
    }));
    expect(outcomes).toHaveLength(BENCHMARKS.length);
    const md = renderMarkdown(outcomes, {
      mode: 'smoke',
      date: new Date('2026-01-01T00:00:00Z'),
      machine: machineInfo(),
      seconds: 1,
    });
    expect(md).toContain('2026-01-01T00:00:00.000Z');
    expect(md).toContain(`| Node.js | ${process.version} |`);
    for (const b of BENCHMARKS) {
      expect(md).toContain(`## ${b.issue}`);
      expect(md).toContain(`### ${b.title}`);
    }
    const goals = outcomes.flatMap((o) => o.result!.goals);
    const verdicts = md.match(/\*\*(PASS|MISS)\*\*/g) ?? [];
    // Each goal appears in the summary and in its section.
    expect(verdicts).toHaveLength(goals.length * 2);
    expect(summaryTable(outcomes).split('\n')).toHaveLength(goals.length + 1);
  });

  test('a failed module is reported as ERROR, not dropped', () => {
    const [first] = BENCHMARKS;
    const md = renderMarkdown([{ module: first!, error: 'Error: boom', seconds: 0 }], {
      mode: 'smoke',
      date: new Date(),
      machine: machineInfo(),
      seconds: 0,
    });
    expect(md).toContain('| Error: boom | ERROR |');
    expect(md).toContain('**The benchmark failed:**');
  });
});

describe('BENCH_ONLY selects registered modules by id', () => {
  test('known ids select those modules; an unknown id is refused', () => {
    expect(selectBenchmarks('cold-start').map((b) => b.id)).toEqual(['cold-start']);
    expect(selectBenchmarks(undefined)).toBe(BENCHMARKS);
    expect(() => selectBenchmarks('nope')).toThrow(/unknown benchmark id\(s\) nope/);
  });
});
