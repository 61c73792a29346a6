/**
 * Hostile distinguished names (issue 7 §1): `parseDistinguishedName` on
 * strings near a valid `x509.subject` DN and on arbitrary strings either
 * parses or fails with ERR_POLICY_INVALID, in bounded time and memory.
 */
import fc from 'fast-check';
import { MAX_DN_LENGTH, parseDistinguishedName } from '../../src/policy';
import { DN_KIND } from './documents';
import {
  assertProperty,
  heapGrowth,
  hugeText,
  MAX_REFUSAL_HEAP_GROWTH,
  outcomeOfSync,
  printSummaryAfterAll,
  tally,
} from './harness';

printSummaryAfterAll('distinguished-names');

const VALID = String(DN_KIND.valid);
const parse = (dn: string): string => {
  const o = outcomeOfSync(() => parseDistinguishedName(dn));
  if (o !== 'ok') expect(o).toBe('ERR_POLICY_INVALID');
  return o;
};

/** DN-ish pieces: attribute types, separators, escapes, hex forms, quotes. */
const piece = fc.constantFrom(
  'C', 'ST', 'S', 'O', 'OU', 'CN', 'L', 'E', '2.5.4.3', '=', ',', '+', ';', '\\', '\\,', '\\+', '\\\\',
  '\\2C', '#', '=#0c03616263', '"', ' ', '  ', 'US', 'WA', '\u0000', 'é', '\ud800', 'emailAddress',
); // prettier-ignore

describe('parseDistinguishedName', () => {
  test('the valid example parses', () => {
    expect(parse(VALID)).toBe('ok');
  });

  test('strings built from DN syntax pieces', async () => {
    await assertProperty('DN pieces', 3000, [fc.array(piece, { maxLength: 40 })], (p) =>
      parse(p.join('')),
    );
  });

  test('one-character edits of a valid DN', async () => {
    await assertProperty(
      'DN edits',
      2000,
      [
        fc.nat({ max: VALID.length }),
        fc.nat({ max: 3 }),
        fc.string({ maxLength: 3, unit: 'binary' }),
      ],
      (at, drop, insert) => parse(VALID.slice(0, at) + insert + VALID.slice(at + drop)),
    );
  });

  test('arbitrary strings', async () => {
    await assertProperty(
      'DN arbitrary',
      2000,
      [fc.string({ maxLength: 200, unit: 'binary' })],
      parse,
    );
  });

  test.each([
    ['50 MB DN', () => `C=US, ST=WA, O=${hugeText(50 * 1024 * 1024)}`],
    ['100,000 attributes', () => 'C=US, ST=WA, O=x' + ', OU=a'.repeat(100_000)],
    ['100,000 escapes', () => 'C=US, ST=WA, O=' + '\\,'.repeat(100_000)],
    ['one over the length limit', () => `C=US, ST=WA, O=${'a'.repeat(MAX_DN_LENGTH)}`],
  ])('%s is refused before parsing', async (_name, make) => {
    const dn = make();
    let o = '';
    const grew = await heapGrowth(() => {
      o = outcomeOfSync(() => parseDistinguishedName(dn));
    });
    tally('DN huge refused', o);
    expect(o).toBe('ERR_POLICY_INVALID');
    expect(grew).toBeLessThan(MAX_REFUSAL_HEAP_GROWTH);
  });
});
