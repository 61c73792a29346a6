/**
 * Building a VerificationOutcome: each check's result meets the action the
 * level (and its overrides) assigns, as data (policy/levels.ts). A failed
 * `enforce` check ends verification; a failed `log` check is recorded and
 * verification goes on; a `skip` check never runs (trust-store-trust-policy.md,
 * "Signature Verification details").
 */
import { ErrorCode, TufNotaryError, VerificationError } from '../errors';
import type { CheckActions } from '../policy/levels';
import type { CheckActionName, VerificationCheckName } from '../policy/types';
import type { CheckActionTaken, CheckDetail, CheckOutcome } from './types';

const TAKEN: Readonly<Record<CheckActionName, CheckActionTaken>> = {
  enforce: 'enforced',
  log: 'logged',
  skip: 'skipped',
};

/** Thrown inside a run to stop at the first enforced failure. */
export class EnforcedFailure extends Error {
  constructor(readonly error: TufNotaryError) {
    super(error.message);
  }
}

/** Wraps anything thrown by a check into a coded error (fail closed on the unexpected). */
export function asCoded(err: unknown, fallback: TufNotaryError['code']): TufNotaryError {
  if (err instanceof TufNotaryError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new VerificationError(fallback, message, { cause: err });
}

/** Collects check outcomes in order, applying the level's actions. */
export class OutcomeRecorder {
  readonly checks: CheckOutcome[] = [];
  readonly warnings: string[] = [];

  constructor(private readonly actions: CheckActions) {}

  /** The action the level assigns to `check`. */
  action(check: VerificationCheckName): CheckActionName {
    return this.actions[check];
  }

  /** True when the check must run at all. */
  runs(check: VerificationCheckName): boolean {
    return this.actions[check] !== 'skip';
  }

  /** Records a skipped check. */
  skipped(check: VerificationCheckName, note?: string): void {
    this.checks.push({
      check,
      result: 'skipped',
      action: 'skipped',
      ...(note ? { detail: { note } } : {}),
    });
  }

  /** Records a passing check. */
  passed(check: VerificationCheckName, detail?: CheckDetail): void {
    this.checks.push({
      check,
      result: 'passed',
      action: TAKEN[this.actions[check]],
      ...(detail ? { detail } : {}),
    });
  }

  /**
   * Records a failing check; throws {@link EnforcedFailure} when the level
   * enforces it, else logs it as a warning. A check already recorded (a
   * plugin verdict after the built-in check passed) is replaced in place, so
   * that `checks` keeps one entry per check, in order.
   */
  failed(check: VerificationCheckName, error: TufNotaryError, detail?: CheckDetail): void {
    const action = this.actions[check];
    const entry: CheckOutcome = {
      check,
      result: 'failed',
      action: TAKEN[action],
      error,
      ...(detail ? { detail } : {}),
    };
    const at = this.checks.findIndex((c) => c.check === check);
    if (at >= 0) this.checks[at] = entry;
    else this.checks.push(entry);
    if (action === 'enforce') throw new EnforcedFailure(error);
    this.warnings.push(`${check} failed (logged, not enforced): ${error.message}`);
  }

  /**
   * Runs `fn` as check `check`: passes with its detail, fails with what it
   * throws (coded with `fallback` when not already coded).
   */
  async run(
    check: VerificationCheckName,
    fallback: TufNotaryError['code'],
    fn: () => Promise<CheckDetail | undefined> | CheckDetail | undefined,
  ): Promise<void> {
    if (!this.runs(check)) {
      this.skipped(check);
      return;
    }
    let detail: CheckDetail | undefined;
    try {
      detail = await fn();
    } catch (err) {
      if (err instanceof EnforcedFailure) throw err;
      this.failed(check, asCoded(err, fallback), detailOf(err));
      return;
    }
    this.passed(check, detail);
  }

  /** Marks every check not yet recorded as skipped (after an enforced failure). */
  finish(order: readonly VerificationCheckName[]): void {
    const seen = new Set(this.checks.map((c) => c.check));
    for (const check of order) if (!seen.has(check)) this.skipped(check, 'not reached');
  }
}

/** Detail attached to a thrown error by a check (see {@link withDetail}). */
const DETAILS = new WeakMap<object, CheckDetail>();

/** Attaches check detail (certificate, method, …) to an error a check throws. */
export function withDetail<E extends Error>(err: E, detail: CheckDetail): E {
  DETAILS.set(err, detail);
  return err;
}

function detailOf(err: unknown): CheckDetail | undefined {
  return typeof err === 'object' && err !== null ? DETAILS.get(err) : undefined;
}

/** The error for a signature whose payload does not describe the artifact. */
export function descriptorMismatch(what: string, expected: string, got: string): VerificationError {
  return new VerificationError(
    ErrorCode.SIGNATURE_INVALID,
    `the signature does not cover this artifact: payload ${what} is ${JSON.stringify(got)} but the artifact's is ${JSON.stringify(expected)}`,
    { details: { what, expected, got } },
  );
}
