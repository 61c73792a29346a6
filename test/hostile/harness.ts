/**
 * Shared harness of the hostile-input property tests (issue 7, part 1).
 *
 * Every property here states the same contract (DESIGN.md "Error codes"):
 * whatever bytes arrive, the code under test either returns or throws a
 * {@link TufNotaryError} whose `code` is one of {@link ErrorCode} — never a
 * TypeError, RangeError or a library's own error, never a hang, and never an
 * allocation proportional to a hostile declared size.
 *
 * Run counts scale with `HOSTILE_RUNS` (a multiplier, default 1) so that CI
 * stays quick while `npm run test:soak` runs the same properties for longer.
 * Each file prints a summary line of how many cases every property ran.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import fc from 'fast-check';
import { ErrorCode, TufNotaryError } from '../../src/errors';

/** Multiplier of every property's run count (`HOSTILE_RUNS=20 npm run test:soak`). */
export const RUN_SCALE = Math.max(1, Number(process.env.HOSTILE_RUNS ?? '1') || 1);

/** Longest one generated case may take before it counts as a hang. */
export const CASE_TIMEOUT_MS = 10_000;

/** The run count for a property whose CI default is `base`. */
export function runs(base: number): number {
  return Math.round(base * RUN_SCALE);
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

/** The code of a coded TufNotaryError; rethrows anything else (the property then fails). */
export function codeOf(err: unknown): string {
  if (err instanceof TufNotaryError && KNOWN_CODES.has(err.code)) return err.code;
  const what = err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
  throw new Error(`not a coded TufNotaryError: ${what}`, { cause: err });
}

/** Runs `fn`; returns `ok` or the code it threw. Any uncoded exception fails. */
export async function outcomeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    return codeOf(err);
  }
}

/** Sync variant of {@link outcomeOf}. */
export function outcomeOfSync(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return codeOf(err);
  }
}

/** Outcome codes seen per property, for the summary and for assertions. */
const tallies = new Map<string, { cases: number; outcomes: Map<string, number> }>();

/** Records one case of property `name` ending in `outcome`. */
export function tally(name: string, outcome: string): void {
  let t = tallies.get(name);
  if (!t) tallies.set(name, (t = { cases: 0, outcomes: new Map() }));
  t.cases++;
  t.outcomes.set(outcome, (t.outcomes.get(outcome) ?? 0) + 1);
}

/** Cases recorded for property `name`. */
export function casesOf(name: string): number {
  return tallies.get(name)?.cases ?? 0;
}

/** Outcomes recorded for property `name` (outcome → count). */
export function outcomesOf(name: string): ReadonlyMap<string, number> {
  return tallies.get(name)?.outcomes ?? new Map();
}

/**
 * Prints `HOSTILE <file>: <property> = <cases> cases (<outcome>×n, …)` for
 * every property of the file, after all its tests (call at the top level of
 * a test file). The lines are what docs/security.md quotes.
 */
export function printSummaryAfterAll(file: string): void {
  afterAll(() => {
    const lines = [...tallies.entries()].map(([name, t]) => {
      const outcomes = [...t.outcomes.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([o, n]) => `${o}×${n}`)
        .join(', ');
      return `HOSTILE ${file}: ${name} = ${t.cases} cases (${outcomes})`;
    });
    const total = [...tallies.values()].reduce((n, t) => n + t.cases, 0);
    lines.push(`HOSTILE ${file}: TOTAL = ${total} cases (scale ×${RUN_SCALE})`);
    process.stdout.write(lines.join('\n') + '\n');
  });
}

/**
 * fast-check parameters of one property: run count (scaled), a per-case
 * timeout (a case that does not settle in time fails the property as a
 * hang), and a seed from `HOSTILE_SEED` to replay a failure.
 */
export function params(base: number): fc.Parameters<unknown> {
  const seed = process.env.HOSTILE_SEED;
  return {
    numRuns: runs(base),
    timeout: CASE_TIMEOUT_MS,
    ...(seed ? { seed: Number(seed) } : {}),
  };
}

/**
 * Checks an async property with {@link params}. A case ends in `outcome`:
 * the property records it under `name` and fails on any uncoded exception.
 */
export async function assertProperty<Ts extends [unknown, ...unknown[]]>(
  name: string,
  base: number,
  arbs: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  check: (...args: Ts) => Promise<string> | string,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(...arbs, async (...args: Ts) => {
      tally(name, await check(...args));
    }),
    params(base) as fc.Parameters<Ts>,
  );
}

let gcFn: (() => void) | undefined;

/** A handle on V8's garbage collector (enabled at run time; jest does not pass --expose-gc). */
export function gc(): void {
  if (!gcFn) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  }
  gcFn();
}

/**
 * Runs `fn` and returns how many bytes the heap and external memory grew
 * (after a collection before, none after: garbage `fn` made still counts).
 * Used to prove huge inputs are refused before they are parsed.
 */
export async function heapGrowth(fn: () => unknown): Promise<number> {
  gc();
  const before = process.memoryUsage();
  await fn();
  const after = process.memoryUsage();
  return after.heapUsed - before.heapUsed + (after.external - before.external);
}

/** Largest heap growth allowed while refusing an oversized or over-deep input. */
export const MAX_REFUSAL_HEAP_GROWTH = 16 * 1024 * 1024;

/** `depth` nested JSON arrays: `[[[…]]]` (100,000 deep is 200 KB of text). */
export function deepJsonArray(depth: number, inner = '0'): string {
  return '['.repeat(depth) + inner + ']'.repeat(depth);
}

/** `depth` nested JSON objects: `{"a":{"a":…}}`. */
export function deepJsonObject(depth: number, key = 'a'): string {
  return `{"${key}":`.repeat(depth) + '0' + '}'.repeat(depth);
}

/** A string of `bytes` ASCII characters (50 MB for the huge-input checks). */
export function hugeText(bytes: number, fill = 'a'): string {
  return fill.repeat(bytes);
}

/** Single-byte XOR mutations of `bytes`: every position when small, else a sample. */
export function bytePositions(length: number, maxAll: number, sample: number): number[] {
  if (length <= maxAll) return Array.from({ length }, (_, i) => i);
  const step = length / sample;
  return Array.from({ length: sample }, (_, i) => Math.floor(i * step));
}

/** A copy of `bytes` with byte `at` XORed with `mask` (never 0). */
export function flipByte(bytes: Uint8Array, at: number, mask = 0x01): Uint8Array {
  const out = new Uint8Array(bytes);
  out[at] = out[at]! ^ (mask || 1);
  return out;
}

/** Huge declared lengths: a DER SEQUENCE header claiming `length` bytes with little content. */
export function derClaiming(length: number, tag = 0x30, content = Buffer.alloc(4)): Buffer {
  const lenBytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) lenBytes.unshift(n % 256);
  return Buffer.concat([Buffer.from([tag, 0x80 | lenBytes.length, ...lenBytes]), content]);
}

/** CBOR heads claiming huge lengths (major type 2 byte string / 4 array / 5 map, 8-byte length). */
export function cborClaiming(major: 2 | 3 | 4 | 5, length: bigint, prefix: number[] = []): Buffer {
  const head = Buffer.alloc(9);
  head[0] = (major << 5) | 27;
  head.writeBigUInt64BE(length, 1);
  return Buffer.concat([Buffer.from(prefix), head, Buffer.alloc(8)]);
}

type JsonPath = (string | number)[];

/** Every path to a node of a JSON value (the root is `[]`). */
function jsonPaths(value: unknown, at: JsonPath = []): JsonPath[] {
  const out: JsonPath[] = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...jsonPaths(v, [...at, i])));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...jsonPaths(v, [...at, k]));
  }
  return out;
}

/** A deep copy of `value` with the node at `path` replaced (`undefined`: removed). */
function withNode(value: unknown, path: JsonPath, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = replacement;
  return copy;
}

/** Values that break types in ways parsers often miss. */
const TRICKY_JSON: unknown[] = [
  null, 0, -0, -1, 1e308, 2 ** 53 + 2, 0.5, true, '', ' ', '*', '\u0000', 'ſ', '\ud800',
  '__proto__', 'constructor', [], {}, [null], { __proto__: null }, 'a'.repeat(5000),
]; // prettier-ignore

/**
 * Documents "one edit away" from `valid`: a node replaced by an arbitrary or
 * tricky JSON value, a node removed, a key added, a byte of the text
 * flipped, the text truncated, or an arbitrary JSON text. UTF-8 bytes.
 */
export function mutatedJson(valid: unknown): fc.Arbitrary<Uint8Array> {
  const paths = jsonPaths(valid);
  const objectPaths = paths.filter((p) => {
    const node = p.reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], valid);
    return node !== null && typeof node === 'object' && !Array.isArray(node);
  });
  const text = JSON.stringify(valid);
  const enc = (v: unknown): Uint8Array => new Uint8Array(Buffer.from(JSON.stringify(v) ?? 'null'));
  const path = fc.constantFrom(...paths);
  return fc.oneof(
    fc
      .tuple(path, fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(...TRICKY_JSON)))
      .map(([p, v]) => enc(withNode(valid, p, v))),
    fc
      .constantFrom(...paths.filter((p) => p.length > 0))
      .map((p) => enc(withNode(valid, p, undefined))),
    fc
      .tuple(
        fc.constantFrom(...objectPaths),
        fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'version')),
        fc.jsonValue({ maxDepth: 2 }),
      )
      .map(([p, k, v]) => {
        const node = p.reduce<unknown>((n, key) => (n as Record<string, unknown>)[key], valid);
        return enc(withNode(valid, p, { ...(node as object), [k]: v }));
      }),
    fc
      .tuple(fc.nat({ max: text.length - 1 }), fc.integer({ min: 1, max: 255 }))
      .map(([i, m]) => flipByte(new Uint8Array(Buffer.from(text)), i, m)),
    fc.nat({ max: text.length }).map((n) => new Uint8Array(Buffer.from(text.slice(0, n)))),
    fc.json().map((t) => new Uint8Array(Buffer.from(t))),
  );
}

/** The standard huge/deep JSON texts every JSON parser must refuse cheaply. */
export function hostileJsonTexts(): [string, () => Uint8Array][] {
  return [
    ['100,000-deep arrays', () => Buffer.from(deepJsonArray(100_000))],
    ['100,000-deep objects', () => Buffer.from(deepJsonObject(100_000))],
    ['50 MB string', () => Buffer.from(`{"version":"${hugeText(50 * 1024 * 1024)}"}`)],
    ['50 MB of whitespace', () => Buffer.from(' '.repeat(50 * 1024 * 1024) + '{}')],
  ];
}
