/**
 * Verification levels as data: the level × check table of the trust policy
 * specification ("Signature Verification details") and the override rules of
 * "Custom Verification Level" (DIGEST §3). The verifier looks actions up here;
 * it never branches on level names.
 */
import { ErrorCode, PolicyError } from '../errors';
import type {
  CheckActionName,
  SignatureVerification,
  VerificationCheckName,
  VerificationLevelName,
} from './types';

/** One row of the level table: the action of every check. */
export type CheckActions = Readonly<Record<VerificationCheckName, CheckActionName>>;

/**
 * The order the verifier runs the checks in: the spec's and notation-go's
 * order (integrity → authenticity, which includes the trusted identity →
 * expiry → authentic timestamp → revocation; DIGEST §5.2).
 */
export const CHECK_ORDER: readonly VerificationCheckName[] = Object.freeze([
  'integrity',
  'authenticity',
  'expiry',
  'authenticTimestamp',
  'revocation',
]);

/** Every verification level, strictest first. */
export const LEVEL_NAMES: readonly VerificationLevelName[] = Object.freeze([
  'strict',
  'permissive',
  'audit',
  'skip',
]);

/** Every check action. */
export const CHECK_ACTIONS: readonly CheckActionName[] = Object.freeze(['enforce', 'log', 'skip']);

function row(
  integrity: CheckActionName,
  authenticity: CheckActionName,
  authenticTimestamp: CheckActionName,
  expiry: CheckActionName,
  revocation: CheckActionName,
): CheckActions {
  return Object.freeze({ integrity, authenticity, authenticTimestamp, expiry, revocation });
}

/**
 * The specification's table (trust-store-trust-policy.md, "Signature
 * Verification details"): which action each level gives each check.
 */
export const levelTable: Readonly<Record<VerificationLevelName, CheckActions>> = Object.freeze({
  //          integrity  authenticity authenticTimestamp expiry revocation
  strict: row('enforce', 'enforce', 'enforce', 'enforce', 'enforce'),
  permissive: row('enforce', 'enforce', 'log', 'log', 'log'),
  audit: row('enforce', 'log', 'log', 'log', 'log'),
  skip: row('skip', 'skip', 'skip', 'skip', 'skip'),
});

/**
 * The values an `override` may give each check ("Custom Verification Level"):
 * integrity cannot be a key at all, only revocation may be skipped.
 */
export const overrideRules: Readonly<Record<VerificationCheckName, readonly CheckActionName[]>> =
  Object.freeze({
    integrity: Object.freeze([]),
    authenticity: Object.freeze(['enforce', 'log']),
    authenticTimestamp: Object.freeze(['enforce', 'log']),
    expiry: Object.freeze(['enforce', 'log']),
    revocation: Object.freeze(['enforce', 'log', 'skip']),
  } as Record<VerificationCheckName, readonly CheckActionName[]>);

/** The `verifyTimestamp` values; absent means `always`. */
export const VERIFY_TIMESTAMP_VALUES: readonly string[] = Object.freeze([
  'always',
  'afterCertExpiry',
]);

/** The checks in the order the specification lists them (used in messages). */
const SPEC_CHECKS: readonly VerificationCheckName[] = [
  'integrity',
  'authenticity',
  'authenticTimestamp',
  'expiry',
  'revocation',
];

function isLevel(v: unknown): v is VerificationLevelName {
  return typeof v === 'string' && (LEVEL_NAMES as readonly string[]).includes(v);
}

function isCheck(v: string): v is VerificationCheckName {
  return (SPEC_CHECKS as readonly string[]).includes(v);
}

function isAction(v: unknown): v is CheckActionName {
  return typeof v === 'string' && (CHECK_ACTIONS as readonly string[]).includes(v);
}

function goList(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;
}

/**
 * Why `sv` is not a valid `signatureVerification`, in notation-go's words
 * (DIGEST §2.4 rules 7–14), or undefined when it is valid. The returned text
 * follows `has invalid signatureVerification: `.
 */
export function signatureVerificationProblem(sv: {
  readonly level?: unknown;
  readonly override?: unknown;
  readonly verifyTimestamp?: unknown;
}): { rule: string; message: string } | undefined {
  const level = sv.level;
  if (level === undefined || level === null || level === '') {
    return {
      rule: 'level',
      message:
        'signature verification level is empty or missing in the trust policy statement; ' +
        `set "level" to one of ${LEVEL_NAMES.map((l) => `"${l}"`).join(', ')}`,
    };
  }
  if (!isLevel(level)) {
    return {
      rule: 'level',
      message:
        `invalid signature verification level ${JSON.stringify(level)}; ` +
        `use one of ${LEVEL_NAMES.map((l) => `"${l}"`).join(', ')} (case-sensitive)`,
    };
  }
  const override = sv.override;
  if (override !== undefined && override !== null) {
    if (typeof override !== 'object' || Array.isArray(override)) {
      return {
        rule: 'override',
        message: '"override" must be an object that maps verification types to actions',
      };
    }
    const keys = Object.keys(override);
    if (keys.length > 0 && level === 'skip') {
      return {
        rule: 'override',
        message:
          `signature verification level "skip" can't be used to customize signature verification; ` +
          `remove "override" or choose "strict", "permissive" or "audit"`,
      };
    }
    for (const key of keys) {
      const value = (override as Record<string, unknown>)[key];
      if (!isCheck(key)) {
        return {
          rule: 'override',
          message: `verification type ${JSON.stringify(key)} in custom signature verification is not supported, supported values are ${goList(SPEC_CHECKS)}`,
        };
      }
      if (!isAction(value)) {
        return {
          rule: 'override',
          message: `verification action ${typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value))} in custom signature verification is not supported, supported values are ${goList(CHECK_ACTIONS)}`,
        };
      }
      if (key === 'integrity') {
        return {
          rule: 'override',
          message: `"integrity" verification can not be overridden in custom signature verification; remove it from "override"`,
        };
      }
      if (!overrideRules[key].includes(value)) {
        return {
          rule: 'override',
          message: `${JSON.stringify(key)} verification can not be skipped in custom signature verification; use "enforce" or "log"`,
        };
      }
    }
  }
  const vt = sv.verifyTimestamp;
  if (
    vt !== undefined &&
    vt !== null &&
    vt !== '' &&
    !VERIFY_TIMESTAMP_VALUES.includes(vt as string)
  ) {
    return {
      rule: 'verifyTimestamp',
      message: `verifyTimestamp must be "always" or "afterCertExpiry", but got ${typeof vt === 'string' ? JSON.stringify(vt) : String(JSON.stringify(vt))}`,
    };
  }
  return undefined;
}

/**
 * The action of every check for a statement's `signatureVerification`: the
 * level's row of {@link levelTable} with `override` applied. Throws
 * ERR_POLICY_INVALID when `sv` breaks a rule (parsed policies never do).
 */
export function verificationActions(sv: SignatureVerification): CheckActions {
  const problem = signatureVerificationProblem(sv);
  if (problem) {
    throw new PolicyError(
      ErrorCode.POLICY_INVALID,
      `invalid signatureVerification: ${problem.message}`,
      { details: { rule: problem.rule } },
    );
  }
  const base = levelTable[sv.level];
  const override = sv.override;
  if (!override || Object.keys(override).length === 0) return base;
  const merged: Record<VerificationCheckName, CheckActionName> = { ...base };
  for (const check of SPEC_CHECKS) {
    const action = override[check];
    if (action !== undefined) merged[check] = action;
  }
  return Object.freeze(merged);
}
