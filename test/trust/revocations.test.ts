import { ErrorCode, TrustError } from '../../src/errors';
import {
  MAX_REVOCATION_LIST_BYTES,
  MAX_REVOKED_CERTIFICATES,
  parseRevocationList,
  parseRfc3339,
  revokedFingerprints,
} from '../../src/trust/revocations';

const FP_A = 'a'.repeat(64);
const FP_B = '0123456789abcdef'.repeat(4);

function bytes(doc: unknown): Uint8Array {
  return new TextEncoder().encode(typeof doc === 'string' ? doc : JSON.stringify(doc));
}

function list(certificates: unknown[], extra: Record<string, unknown> = {}): Uint8Array {
  return bytes({ version: 1, certificates, ...extra });
}

function refused(input: Uint8Array, fragment: string): void {
  let caught: unknown;
  try {
    parseRevocationList(input);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(TrustError);
  expect((caught as TrustError).code).toBe(ErrorCode.TRUST_INCOMPLETE);
  expect((caught as TrustError).message).toContain(fragment);
}

describe('revocations.json: valid documents', () => {
  test('a full entry is parsed with its reason and date', () => {
    const got = parseRevocationList(
      list([{ sha256: FP_A, reason: 'keyCompromise', revokedAt: '2025-03-01T10:20:30Z' }]),
    );
    expect(got).toEqual([
      { sha256: FP_A, reason: 'keyCompromise', revokedAt: new Date('2025-03-01T10:20:30.000Z') },
    ]);
  });

  test('reason and revokedAt are optional', () => {
    expect(parseRevocationList(list([{ sha256: FP_B }]))).toEqual([{ sha256: FP_B }]);
  });

  test('an empty list is valid', () => {
    expect(parseRevocationList(list([]))).toEqual([]);
  });

  test('every RFC 5280 reason a deny list can carry is accepted', () => {
    const reasons = [
      'unspecified',
      'keyCompromise',
      'cACompromise',
      'affiliationChanged',
      'superseded',
      'cessationOfOperation',
      'certificateHold',
      'privilegeWithdrawn',
      'aACompromise',
    ];
    const entries = reasons.map((reason, i) => ({
      sha256: i.toString(16).padStart(64, '0'),
      reason,
    }));
    expect(parseRevocationList(list(entries)).map((e) => e.reason)).toEqual(reasons);
  });

  test('entries are frozen', () => {
    const [entry] = parseRevocationList(list([{ sha256: FP_A }]));
    expect(Object.isFrozen(entry)).toBe(true);
  });
});

describe('revocations.json: document shape', () => {
  test.each([
    ['not JSON', bytes('{"version": 1,'), 'not valid UTF-8 JSON'],
    ['an array', bytes([]), 'must be a JSON object'],
    ['null', bytes('null'), 'must be a JSON object'],
    ['version 2', bytes({ version: 2, certificates: [] }), 'unsupported "version" 2'],
    ['version as a string', bytes({ version: '1', certificates: [] }), 'unsupported "version" "1"'],
    ['no version', bytes({ certificates: [] }), 'unsupported "version"'],
    ['certificates missing', bytes({ version: 1 }), '"certificates" must be an array'],
    [
      'certificates an object',
      bytes({ version: 1, certificates: {} }),
      '"certificates" must be an array',
    ],
    ['an unknown top-level key', list([], { expires: 'x' }), 'unknown key "expires"'],
    ['an entry that is a string', list([FP_A]), 'certificates[0]: an entry must be an object'],
    [
      'an unknown entry key',
      list([{ sha256: FP_A, serial: '01' }]),
      'certificates[0]: unknown key "serial"',
    ],
  ])('%s is refused', (_, input, fragment) => {
    refused(input, fragment);
  });

  test('invalid UTF-8 is refused', () => {
    refused(new Uint8Array([0x7b, 0xff, 0x7d]), 'not valid UTF-8 JSON');
  });

  test('a byte order mark is refused', () => {
    refused(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(list([]))]),
      'not valid UTF-8 JSON',
    );
  });
});

describe('revocations.json: fingerprints', () => {
  test.each([
    ['uppercase hex', FP_A.toUpperCase()],
    ['63 characters', FP_A.slice(1)],
    ['65 characters', FP_A + 'a'],
    ['colons', FP_A.slice(0, 62) + ':a'],
    ['a sha256: prefix', 'sha256:' + FP_A.slice(7)],
    ['a number', 42],
    ['nothing', undefined],
  ])('a sha256 with %s is refused', (_, sha256) => {
    refused(list([{ sha256 }]), '"sha256" must be the SHA-256');
  });

  test('the index of the bad entry is named', () => {
    refused(list([{ sha256: FP_A }, { sha256: 'nope' }]), 'certificates[1]');
  });
});

describe('revocations.json: reasons', () => {
  test.each([
    ['an unknown name', 'compromised'],
    ['wrong case', 'KeyCompromise'],
    ['removeFromCRL (un-revokes; meaningless in a deny list)', 'removeFromCRL'],
    ['the numeric code', 1],
  ])('a reason with %s is refused', (_, reason) => {
    refused(list([{ sha256: FP_A, reason }]), 'is not an RFC 5280 revocation reason');
  });
});

describe('revocations.json: revokedAt is an RFC 3339 date-time', () => {
  test.each([
    ['a date only', '2025-03-01'],
    ['no time zone', '2025-03-01T10:20:30'],
    ['February 30', '2025-02-30T10:00:00Z'],
    ['hour 24', '2025-03-01T24:00:00Z'],
    ['a leap second', '2016-12-31T23:59:60Z'],
    ['a space separator', '2025-03-01 10:20:30Z'],
    ['an epoch number', 1740824430],
    ['an offset without colon', '2025-03-01T10:20:30+0100'],
  ])('%s is refused', (_, revokedAt) => {
    refused(list([{ sha256: FP_A, revokedAt }]), '"revokedAt" must be an RFC 3339 date-time');
  });

  test('offsets and fractions are converted to the right instant', () => {
    expect(parseRfc3339('2025-03-01T10:20:30.5+01:30')?.toISOString()).toBe(
      '2025-03-01T08:50:30.500Z',
    );
    expect(parseRfc3339('2024-02-29t23:59:59.123456789-00:00')?.toISOString()).toBe(
      '2024-02-29T23:59:59.123Z',
    );
    expect(parseRfc3339('2025-12-31T23:30:00-01:00')?.toISOString()).toBe(
      '2026-01-01T00:30:00.000Z',
    );
  });
});

describe('revocations.json: duplicates collapse into one entry', () => {
  test('the same fingerprint twice is kept once, with the earliest revocation date', () => {
    const got = parseRevocationList(
      list([
        { sha256: FP_A, reason: 'superseded', revokedAt: '2025-05-01T00:00:00Z' },
        { sha256: FP_B },
        { sha256: FP_A, reason: 'keyCompromise', revokedAt: '2025-01-01T00:00:00Z' },
        { sha256: FP_A },
      ]),
    );
    expect(got).toEqual([
      { sha256: FP_A, reason: 'keyCompromise', revokedAt: new Date('2025-01-01T00:00:00Z') },
      { sha256: FP_B },
    ]);
  });

  test('revokedFingerprints gives each fingerprint once, sorted', () => {
    expect(revokedFingerprints([{ sha256: FP_A }, { sha256: FP_B }, { sha256: FP_A }])).toEqual([
      FP_B,
      FP_A,
    ]);
  });
});

describe('revocations.json: bounds are checked before parsing', () => {
  test('a document over the byte limit is refused without being decoded', () => {
    // Not JSON at all: the size check must fire first.
    const big = new Uint8Array(MAX_REVOCATION_LIST_BYTES + 1).fill(0x20);
    refused(big, `larger than the ${MAX_REVOCATION_LIST_BYTES}-byte limit`);
  });

  test('more entries than the limit are refused', () => {
    const entries = Array.from({ length: MAX_REVOKED_CERTIFICATES + 1 }, () => ({ sha256: FP_A }));
    refused(list(entries), `more than the limit of ${MAX_REVOKED_CERTIFICATES}`);
  });
});
