/**
 * Hostile trust-store files (issue 7 §1): PEM and DER bundles reach
 * `parseCertificateBundle` (ERR_CERT_INVALID) and `parseStoreCertificates`
 * (ERR_TRUST_INCOMPLETE). Byte flips, PEM surgery, arbitrary bytes, huge
 * declared DER lengths, deep DER nesting and many unterminated PEM blocks all
 * end in a coded error or a parse, quickly and with small heap growth.
 */
import fc from 'fast-check';
import { parseStoreCertificates } from '../../src/trust';
import { MAX_BUNDLE_BYTES, parseCertificateBundle } from '../../src/x509/certificate';
import type { TestChain } from '../helpers/pki';
import { buildChain, KEY_INDEX } from '../verify/fixtures';
import {
  assertProperty,
  derClaiming,
  flipByte,
  heapGrowth,
  MAX_REFUSAL_HEAP_GROWTH,
  outcomeOfSync,
  printSummaryAfterAll,
  tally,
} from './harness';

printSummaryAfterAll('store-files');

let chain: TestChain;
let other: TestChain;
let pem: Uint8Array;
let der: Uint8Array;

beforeAll(async () => {
  chain = await buildChain({ name: 'Acme' });
  other = await buildChain({ name: 'Other', caKeyIndex: KEY_INDEX.other });
  pem = new Uint8Array(Buffer.from(chain.root.pem + '\n' + other.root.pem));
  der = new Uint8Array(Buffer.concat([chain.root.der, other.root.der]));
});

/** Both parsers on the same bytes; each may only fail with its own code. */
function both(bytes: Uint8Array): string {
  const bundle = outcomeOfSync(() => parseCertificateBundle(bytes, 'hostile.pem'));
  if (bundle !== 'ok') expect(bundle).toBe('ERR_CERT_INVALID');
  const store = outcomeOfSync(() => parseStoreCertificates(bytes, 'ca', 'hostile'));
  if (store !== 'ok') expect(store).toBe('ERR_TRUST_INCOMPLETE');
  // The store reads exactly what the bundle reads (and may refuse more: non-CA certificates).
  if (bundle !== 'ok') expect(store).not.toBe('ok');
  return `${bundle}/${store}`;
}

/** PEM edits: lines dropped, duplicated or relabelled, base64 damaged, blocks cut. */
function pemEdit(text: string, op: number, at: number, insert: string): Uint8Array {
  const lines = text.split('\n');
  const i = at % lines.length;
  const edits: (() => string[])[] = [
    () => lines.filter((_, j) => j !== i),
    () => [...lines.slice(0, i), lines[i]!, ...lines.slice(i)],
    () => lines.map((l, j) => (j === i ? l.replace('CERTIFICATE', insert || 'PRIVATE KEY') : l)),
    () =>
      lines.map((l, j) =>
        j === i
          ? l.slice(0, Math.floor(l.length / 2)) + insert + l.slice(Math.floor(l.length / 2))
          : l,
      ),
    () => lines.slice(0, i),
    () => [...lines.slice(0, i), '-----BEGIN CERTIFICATE-----', ...lines.slice(i)],
  ];
  return new Uint8Array(Buffer.from(edits[op % edits.length]!().join('\n')));
}

describe('PEM and DER store files', () => {
  test('the valid bundles parse', () => {
    expect(both(pem)).toBe('ok/ok');
    expect(both(der)).toBe('ok/ok');
  });

  test('single-byte flips of a PEM bundle', async () => {
    await assertProperty(
      'PEM byte flips',
      600,
      [fc.nat({ max: pem.length - 1 }), fc.integer({ min: 1, max: 255 })],
      (at, mask) => both(flipByte(pem, at, mask)),
    );
  });

  test('single-byte flips of a DER bundle', async () => {
    await assertProperty(
      'DER byte flips',
      600,
      [fc.nat({ max: der.length - 1 }), fc.integer({ min: 1, max: 255 })],
      (at, mask) => both(flipByte(der, at, mask)),
    );
  });

  test('PEM line surgery', async () => {
    const text = Buffer.from(pem).toString();
    await assertProperty(
      'PEM surgery',
      600,
      [
        fc.nat(),
        fc.nat(),
        fc.oneof(
          fc.constant(''),
          fc.string({ maxLength: 8 }),
          fc.constantFrom('=', '-----', '\u0000', 'é'),
        ),
      ],
      (op, at, insert) => both(pemEdit(text, op, at, insert)),
    );
  });

  test('arbitrary bytes and DER-looking prefixes', async () => {
    await assertProperty(
      'store arbitrary',
      600,
      [
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }),
          fc.uint8Array({ maxLength: 512 }).map((b) => new Uint8Array([0x30, 0x82, ...b])),
        ),
      ],
      both,
    );
  });

  test.each([
    [
      '4 MiB of unterminated BEGIN lines',
      () => Buffer.from('-----BEGIN CERTIFICATE-----\n'.repeat(Math.floor(MAX_BUNDLE_BYTES / 28))),
    ],
    [
      '4 MiB of distinct unterminated BEGIN labels',
      () =>
        Buffer.from(
          Array.from({ length: 150_000 }, (_, i) => `-----BEGIN X${i}-----\n`)
            .join('')
            .slice(0, MAX_BUNDLE_BYTES),
        ),
    ],
    [
      '50 MB PEM',
      () =>
        Buffer.from(
          '-----BEGIN CERTIFICATE-----\n' +
            'A'.repeat(50 * 1024 * 1024) +
            '\n-----END CERTIFICATE-----\n',
        ),
    ],
    ['DER declaring 4 GiB', () => derClaiming(0xffffffff)],
    ['DER declaring 2^64 bytes', () => derClaiming(2 ** 53, 0x30)],
    [
      'DER nested 100,000 deep',
      () =>
        Buffer.concat([
          Buffer.alloc(200_000).map((_, i) => (i % 2 ? 0x80 : 0x30)),
          Buffer.alloc(200_000),
        ]),
    ],
    [
      'DER 1,000 certificates + 1',
      () => Buffer.concat(Array.from({ length: 1001 }, () => Buffer.from([0x30, 0x00]))),
    ],
  ])('%s is refused before parsing', async (_name, make) => {
    const bytes = new Uint8Array(make());
    let o = '';
    const grew = await heapGrowth(() => {
      o = both(bytes);
    });
    tally('store huge/deep refused', o);
    expect(o).toBe('ERR_CERT_INVALID/ERR_TRUST_INCOMPLETE');
    expect(grew).toBeLessThan(MAX_REFUSAL_HEAP_GROWTH);
  });
});
