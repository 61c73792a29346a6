/**
 * CLI output: aligned tables for people, JSON for programs, and the exit
 * codes of the CLI contract (DESIGN.md): 0 success, 1 verification failed or
 * trust refused, 2 usage error, 3 source or registry unreachable.
 */
import { ErrorCode, type ErrorCodeValue, TufNotaryError } from '../errors';

/** Exit codes of the `tuf-notary` command. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

/** Which exit code each error code maps to (everything else: 1). */
const EXIT_BY_CODE: Partial<Record<ErrorCodeValue, number>> = {
  [ErrorCode.USAGE]: EXIT.usage,
  [ErrorCode.TUF_UNAVAILABLE]: EXIT.unreachable,
  [ErrorCode.REGISTRY]: EXIT.unreachable,
};

/** The exit code for an error thrown by a command. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof TufNotaryError) return EXIT_BY_CODE[err.code] ?? EXIT.failed;
  return EXIT.failed;
}

/** Formats rows as an aligned table with a header line. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** JSON with Dates as ISO strings and errors as `{ code, message }`. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (v instanceof TufNotaryError)
        return { code: v.code, message: v.message, details: v.details };
      if (v instanceof Uint8Array) return undefined;
      return v;
    },
    2,
  );
}

/** A date as `2026-11-22 10:00:00Z`, or `-`. */
export function when(d: Date | undefined): string {
  return d
    ? d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '-';
}
