/**
 * Verification levels and overrides (trust-store-trust-policy.md "Signature
 * Verification details", "Custom Verification Level"; DIGEST §3).
 */
import { ErrorCode } from '../../src/errors';
import {
  CHECK_ORDER,
  levelTable,
  overrideRules,
  verificationActions,
  type SignatureVerification,
} from '../../src/policy';
import { expectError } from './fixtures';

describe("the level table is the specification's", () => {
  test.each([
    // level        integrity  authenticity authenticTimestamp expiry  revocation
    ['strict', 'enforce', 'enforce', 'enforce', 'enforce', 'enforce'],
    ['permissive', 'enforce', 'enforce', 'log', 'log', 'log'],
    ['audit', 'enforce', 'log', 'log', 'log', 'log'],
    ['skip', 'skip', 'skip', 'skip', 'skip', 'skip'],
  ] as const)('%s', (level, integrity, authenticity, authenticTimestamp, expiry, revocation) => {
    const expected = { integrity, authenticity, authenticTimestamp, expiry, revocation };
    expect(levelTable[level]).toEqual(expected);
    expect(verificationActions({ level })).toEqual(expected);
  });

  test('the table and its rows are frozen', () => {
    expect(Object.isFrozen(levelTable)).toBe(true);
    expect(Object.isFrozen(levelTable.strict)).toBe(true);
    expect(Object.isFrozen(overrideRules)).toBe(true);
  });
});

describe("checks run in the spec's and notation-go's order", () => {
  test('integrity, authenticity, expiry, authentic timestamp, revocation', () => {
    expect(CHECK_ORDER).toEqual([
      'integrity',
      'authenticity',
      'expiry',
      'authenticTimestamp',
      'revocation',
    ]);
    expect([...CHECK_ORDER].sort()).toEqual(Object.keys(levelTable.strict).sort());
  });
});

describe('overrides change single checks of a level', () => {
  test('strict with expiry logged and revocation skipped (the spec example)', () => {
    expect(
      verificationActions({ level: 'strict', override: { expiry: 'log', revocation: 'skip' } }),
    ).toEqual({
      integrity: 'enforce',
      authenticity: 'enforce',
      authenticTimestamp: 'enforce',
      expiry: 'log',
      revocation: 'skip',
    });
  });

  test('audit with authenticity and revocation enforced', () => {
    expect(
      verificationActions({
        level: 'audit',
        override: { authenticity: 'enforce', revocation: 'enforce' },
      }),
    ).toEqual({
      integrity: 'enforce',
      authenticity: 'enforce',
      authenticTimestamp: 'log',
      expiry: 'log',
      revocation: 'enforce',
    });
  });

  test('an empty override leaves the level as it is', () => {
    expect(verificationActions({ level: 'permissive', override: {} })).toBe(levelTable.permissive);
  });

  test('the result is frozen and the level table is not changed', () => {
    const actions = verificationActions({ level: 'strict', override: { expiry: 'log' } });
    expect(Object.isFrozen(actions)).toBe(true);
    expect(levelTable.strict.expiry).toBe('enforce');
  });

  test('verifyTimestamp does not change the actions', () => {
    expect(verificationActions({ level: 'strict', verifyTimestamp: 'afterCertExpiry' })).toEqual(
      levelTable.strict,
    );
  });
});

describe('override rules as data', () => {
  test('integrity has no allowed value; only revocation may be skipped', () => {
    expect(overrideRules).toEqual({
      integrity: [],
      authenticity: ['enforce', 'log'],
      authenticTimestamp: ['enforce', 'log'],
      expiry: ['enforce', 'log'],
      revocation: ['enforce', 'log', 'skip'],
    });
  });

  test('verificationActions refuses what a parsed policy could never hold', () => {
    const invalid = (sv: unknown, part: string) =>
      expectError(
        () => verificationActions(sv as SignatureVerification),
        ErrorCode.POLICY_INVALID,
        part,
      );
    invalid({ level: 'custom' }, 'invalid signature verification level "custom"');
    invalid({ level: 'skip', override: { revocation: 'log' } }, "can't be used to customize");
    invalid(
      { level: 'strict', override: { integrity: 'log' } },
      '"integrity" verification can not be overridden',
    );
    invalid(
      { level: 'strict', override: { expiry: 'skip' } },
      '"expiry" verification can not be skipped',
    );
    invalid({ level: 'strict', override: { expiry: 'maybe' } }, 'verification action "maybe"');
    invalid({ level: 'strict', verifyTimestamp: 'never' }, 'verifyTimestamp must be');
  });
});
