/**
 * Hostile RFC 3161 tokens (issue 7 §1): `parseTimestampToken` and
 * `verifyTimestampToken` on arbitrary bytes, on every kind of single-byte
 * mutation of a valid token, and on huge or deeply nested DER. Each either
 * succeeds or fails with ERR_TIMESTAMP_INVALID; a mutated token never
 * verifies (the token's CMS wrapper and digestAlgorithms set, which no
 * signature covers, are checked strictly since this suite found them
 * malleable).
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { toTrustedCertificate } from '../../src/trust';
import type { TrustedCertificate } from '../../src/trust/types';
import { MAX_TOKEN_BYTES, parseTimestampToken, verifyTimestampToken } from '../../src/timestamp';
import { parseCertificate } from '../../src/x509/certificate';
import { createTestTsa } from '../helpers/tsa';
import { buildChain, KEY_INDEX } from '../verify/fixtures';
import {
  assertProperty,
  bytePositions,
  derClaiming,
  flipByte,
  heapGrowth,
  MAX_REFUSAL_HEAP_GROWTH,
  outcomeOfSync,
  printSummaryAfterAll,
  runs,
  tally,
} from './harness';

printSummaryAfterAll('timestamp-tokens');

const SIGNATURE = randomBytes(64);
let token: Uint8Array;
let roots: TrustedCertificate[];

beforeAll(async () => {
  const tsa = await createTestTsa(
    await buildChain({ name: 'Test TSA', timeStamping: true, caKeyIndex: KEY_INDEX.tsa }),
  );
  token = new Uint8Array(await tsa.timestamp(SIGNATURE, { accuracy: { seconds: 1 } }));
  roots = [toTrustedCertificate(parseCertificate(tsa.chain.root.der))];
});

function outcome(bytes: Uint8Array): string {
  const parsed = outcomeOfSync(() => parseTimestampToken(bytes));
  if (parsed !== 'ok') expect(parsed).toBe('ERR_TIMESTAMP_INVALID');
  const verified = outcomeOfSync(() => verifyTimestampToken(bytes, SIGNATURE, roots));
  // A damaged TSA certificate may surface as ERR_CERT_INVALID (x509 requirements).
  if (verified !== 'ok') expect(['ERR_TIMESTAMP_INVALID', 'ERR_CERT_INVALID']).toContain(verified);
  return `${parsed}/${verified}`;
}

describe('RFC 3161 TimeStampToken', () => {
  test('the valid token verifies', () => {
    expect(outcome(token)).toBe('ok/ok');
  });

  test('single-byte mutations spread over every region are refused (all positions in a soak run)', () => {
    const masks = [0x01, 0x80, 0x02, 0x40, 0x04, 0x20, 0x08, 0x10, 0xff];
    for (const at of bytePositions(token.length, runs(250), runs(250))) {
      const o = outcome(flipByte(token, at, masks[at % masks.length]));
      tally('token byte flips', o);
      expect(o).toMatch(/\/ERR_(TIMESTAMP|CERT)_INVALID$/);
    }
  });

  test('random single-byte mutations are refused', async () => {
    await assertProperty(
      'token random flips',
      100,
      [fc.nat({ max: token.length - 1 }), fc.integer({ min: 1, max: 255 })],
      (at, mask) => {
        const o = outcome(flipByte(token, at, mask));
        expect(o).toMatch(/\/ERR_(TIMESTAMP|CERT)_INVALID$/);
        return o;
      },
    );
  });

  test('truncations and extensions are refused', async () => {
    await assertProperty(
      'token truncations',
      200,
      [fc.nat({ max: token.length - 1 }), fc.uint8Array({ maxLength: 8 })],
      (n, tail) => {
        const o = outcome(new Uint8Array(Buffer.concat([token.subarray(0, n), tail])));
        expect(o).toMatch(/\/ERR_(TIMESTAMP|CERT)_INVALID$/);
        return o;
      },
    );
  });

  test('arbitrary bytes', async () => {
    await assertProperty(
      'token arbitrary',
      1000,
      [
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          fc
            .uint8Array({ maxLength: 600 })
            .map((b) => new Uint8Array([0x30, 0x82, 0x02, 0x58, ...b])),
        ),
      ],
      outcome,
    );
  });

  test.each([
    ['DER declaring 4 GiB', () => derClaiming(0xffffffff)],
    ['DER declaring 2^53 bytes', () => derClaiming(2 ** 53)],
    [
      'DER nested 30,000 deep (definite)',
      () =>
        Buffer.concat([
          ...Array.from({ length: 30_000 }, (_, i) =>
            Buffer.from([0x30, 0x82, ...u16((30_000 - i - 1) * 4)]),
          ),
        ]),
    ],
    [
      'BER nested 32,000 deep (indefinite)',
      () =>
        Buffer.concat([
          Buffer.alloc(64_000).map((_, i) => (i % 2 ? 0x80 : 0x30)),
          Buffer.alloc(64_000 - 1),
        ]).subarray(0, MAX_TOKEN_BYTES),
    ],
    ['50 MB token', () => Buffer.concat([Buffer.from(token), Buffer.alloc(50 * 1024 * 1024)])],
  ])('%s is refused before parsing', async (_name, make) => {
    const bytes = new Uint8Array(make());
    let o = '';
    const grew = await heapGrowth(() => {
      o = outcome(bytes);
    });
    tally('token huge/deep refused', o);
    expect(o).toBe('ERR_TIMESTAMP_INVALID/ERR_TIMESTAMP_INVALID');
    expect(grew).toBeLessThan(MAX_REFUSAL_HEAP_GROWTH);
  });
});

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}
