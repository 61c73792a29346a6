/**
 * Hostile envelopes (issue 7 §1): JWS and COSE bytes of every shape reach
 * `parseEnvelope` and `Verifier.verify`; each either decodes or fails with a
 * coded TufNotaryError, and oversized or over-deep input is refused before it
 * is parsed (envelope/limits.ts), with little heap growth.
 */
import fc from 'fast-check';
import { Encoder, Tag } from 'cbor-x';
import { parseEnvelope, ENVELOPE_LIMITS } from '../../src/envelope';
import { Verifier } from '../../src/verify';
import type { TestChain } from '../helpers/pki';
import { signEnvelope } from '../helpers/signer';
import { ARTIFACT, buildChain, makeTrust, MEDIA_TYPES } from '../verify/fixtures';
import {
  assertProperty,
  cborClaiming,
  deepJsonArray,
  deepJsonObject,
  heapGrowth,
  hugeText,
  MAX_REFUSAL_HEAP_GROWTH,
  outcomeOf,
  outcomeOfSync,
  printSummaryAfterAll,
  tally,
} from './harness';

printSummaryAfterAll('envelope-parse');

const JWS = 'application/jose+json';
const COSE = 'application/cose';
const ENVELOPE_CODES = new Set(['ok', 'ERR_ENVELOPE_INVALID', 'ERR_ALGORITHM_UNSUPPORTED']);
const cbor = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false });

let chain: TestChain;
let verifier: Verifier;
let valid: Record<string, Uint8Array>;

beforeAll(async () => {
  chain = await buildChain({ name: 'Acme' });
  verifier = new Verifier(makeTrust({ stores: { 'ca:acme': [chain.root] } }));
  valid = Object.fromEntries(MEDIA_TYPES.map((m) => [m, signEnvelope(m, { chain })]));
});

/** parseEnvelope's outcome; only envelope codes are acceptable. */
function parseOutcome(bytes: Uint8Array, mediaType: string): string {
  const o = outcomeOfSync(() => parseEnvelope(bytes, mediaType));
  expect(ENVELOPE_CODES).toContain(o);
  return o;
}

/** Verifier.verify's outcome: it must resolve (never throw) to a coded failure or success. */
async function verifyOutcome(bytes: Uint8Array, mediaType: string): Promise<string> {
  const o = await verifier.verify({ artifact: ARTIFACT, envelope: bytes, mediaType });
  if (o.ok) return 'verified';
  expect(o.error).toBeDefined();
  return outcomeOfSync(() => {
    throw o.error;
  });
}

/** JSON values shaped like a JWS envelope, with fields of arbitrary JSON. */
const jwsLike = fc
  .record(
    {
      payload: fc.oneof(fc.base64String(), fc.jsonValue()),
      protected: fc.oneof(
        fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
        fc.jsonValue(),
      ),
      header: fc.oneof(
        fc.record({ x5c: fc.array(fc.base64String(), { maxLength: 3 }) }),
        fc.jsonValue(),
      ),
      signature: fc.oneof(fc.base64String(), fc.jsonValue()),
    },
    { requiredKeys: [] },
  )
  .map((o) => new Uint8Array(Buffer.from(JSON.stringify(o))));

/** CBOR items shaped like COSE_Sign1 (tag 18, four members of arbitrary values). */
const coseLike = fc
  .tuple(
    fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.jsonValue()),
    fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()),
    fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.jsonValue()),
    fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.jsonValue()),
    fc.boolean(),
  )
  .map(([p, u, pl, s, tagged]) => {
    const arr = [p, u, pl, s].map((x) => (x instanceof Uint8Array ? Buffer.from(x) : x));
    return new Uint8Array(cbor.encode(tagged ? new Tag(arr, 18) : arr));
  });

describe('arbitrary bytes either parse or fail with an envelope code', () => {
  test.each(MEDIA_TYPES)('%s: random bytes', async (mediaType) => {
    await assertProperty(
      `random bytes ${mediaType}`,
      300,
      [fc.uint8Array({ maxLength: 2048 })],
      (b) => parseOutcome(b, mediaType),
    );
  });

  test('JWS: JSON values shaped like a flattened JWS', async () => {
    await assertProperty('JWS-shaped JSON', 300, [jwsLike], (b) => parseOutcome(b, JWS));
  });

  test('COSE: CBOR items shaped like COSE_Sign1', async () => {
    await assertProperty('COSE_Sign1-shaped CBOR', 300, [coseLike], (b) => parseOutcome(b, COSE));
  });

  test('any media type string is refused or routed, never thrown uncoded', async () => {
    await assertProperty(
      'media types',
      200,
      [fc.string(), fc.uint8Array({ maxLength: 64 })],
      (m, b) => parseOutcome(b, m),
    );
  });
});

describe('Verifier.verify end to end never throws on hostile envelopes', () => {
  test.each(MEDIA_TYPES)(
    '%s: random bytes and truncations of a valid envelope',
    async (mediaType) => {
      const v = valid[mediaType]!;
      await assertProperty(
        `verify random/truncated ${mediaType}`,
        150,
        [
          fc.oneof(
            fc.uint8Array({ maxLength: 1024 }),
            fc.nat({ max: v.length - 1 }).map((n) => v.subarray(0, n)),
          ),
        ],
        async (b) => {
          const o = await verifyOutcome(b, mediaType);
          expect(o).not.toBe('verified');
          return o;
        },
      );
    },
  );

  test.each(MEDIA_TYPES)('%s: a valid envelope with random bytes spliced in', async (mediaType) => {
    const v = valid[mediaType]!;
    await assertProperty(
      `verify splice ${mediaType}`,
      150,
      [
        fc.nat({ max: v.length }),
        fc.nat({ max: 64 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
      ],
      async (at, drop, insert) => {
        const spliced = Buffer.concat([
          v.subarray(0, at),
          insert,
          v.subarray(Math.min(v.length, at + drop)),
        ]);
        const o = await verifyOutcome(new Uint8Array(spliced), mediaType);
        // A splice that leaves the signed bytes as they were may verify only as the same content.
        return o;
      },
    );
  });
});

describe('oversized and over-deep envelopes are refused before parsing', () => {
  const cases: [string, string, () => Uint8Array][] = [
    ['JWS: 50 MB string', JWS, () => Buffer.from(`{"payload":"${hugeText(50 * 1024 * 1024)}"}`)],
    [
      'COSE: 50 MB byte string',
      COSE,
      () =>
        Buffer.concat([
          Buffer.from([0xd2, 0x84, 0x5a, 0x03, 0x20, 0x00, 0x00]),
          Buffer.alloc(50 * 1024 * 1024),
        ]),
    ],
    ['JWS: 100,000-deep arrays', JWS, () => Buffer.from(deepJsonArray(100_000))],
    ['JWS: 100,000-deep objects', JWS, () => Buffer.from(deepJsonObject(100_000))],
    [
      'JWS: 100,000-deep protected header',
      JWS,
      () =>
        Buffer.from(
          JSON.stringify({
            payload: 'e30',
            protected: Buffer.from(deepJsonArray(100_000)).toString('base64url'),
            header: { x5c: [] },
            signature: 'AA',
          }),
        ),
    ],
    [
      'COSE: 100,000-deep arrays',
      COSE,
      () => Buffer.concat([Buffer.from([0xd2]), Buffer.alloc(100_000, 0x81), Buffer.from([0x00])]),
    ],
    [
      'COSE: 100,000-deep maps',
      COSE,
      () =>
        Buffer.concat([
          Buffer.from([0xd2]),
          Buffer.alloc(200_000, 0).map((_, i) => (i % 2 ? 0xa1 : 0x01)),
          Buffer.from([0x00]),
        ]),
    ],
    [
      'COSE: byte string declaring 2^63 bytes',
      COSE,
      () => cborClaiming(2, 2n ** 63n, [0xd2, 0x84]),
    ],
    ['COSE: array declaring 2^32 members', COSE, () => cborClaiming(4, 2n ** 32n, [0xd2])],
    [
      'COSE: map declaring 2^40 entries',
      COSE,
      () => cborClaiming(5, 2n ** 40n, [0xd2, 0x84, 0x40]),
    ],
    [
      'COSE: text declaring 2^53+1 bytes',
      COSE,
      () => cborClaiming(3, 2n ** 53n + 1n, [0xd2, 0x84]),
    ],
  ];
  test.each(cases)('%s', async (name, mediaType, make) => {
    const bytes = make();
    let outcome = '';
    const grew = await heapGrowth(() => {
      outcome = outcomeOfSync(() => parseEnvelope(bytes, mediaType));
    });
    tally('oversized/deep refused', outcome);
    expect(outcome).toBe('ERR_ENVELOPE_INVALID');
    expect(grew).toBeLessThan(MAX_REFUSAL_HEAP_GROWTH);
    const verified = await outcomeOf(async () => {
      const o = await verifier.verify({ artifact: ARTIFACT, envelope: bytes, mediaType });
      if (!o.ok) throw o.error;
    });
    expect(verified).toBe('ERR_ENVELOPE_INVALID');
    void name;
  });

  test('the size bound is the documented one', () => {
    const over = new Uint8Array(ENVELOPE_LIMITS.maxEnvelopeBytes + 1);
    expect(outcomeOfSync(() => parseEnvelope(over, JWS))).toBe('ERR_ENVELOPE_INVALID');
  });
});
