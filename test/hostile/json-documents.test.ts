/**
 * Hostile JSON documents (issue 7 §1): Notary payloads, OCI and blob trust
 * policies, revocations.json, registry manifests and indexes. Every input
 * one edit away from a valid document (and arbitrary JSON) either parses or
 * fails with the parser's own code; deeply nested or huge input is refused
 * before it is parsed, with small heap growth.
 */
import { DOCUMENTS } from './documents';
import {
  assertProperty,
  heapGrowth,
  hostileJsonTexts,
  MAX_REFUSAL_HEAP_GROWTH,
  mutatedJson,
  outcomeOfSync,
  printSummaryAfterAll,
  tally,
} from './harness';

printSummaryAfterAll('json-documents');

describe.each(Object.entries(DOCUMENTS))('%s', (kind, doc) => {
  const valid = new Uint8Array(Buffer.from(JSON.stringify(doc.valid)));

  test('the valid example parses (so mutations start from a real document)', () => {
    expect(outcomeOfSync(() => doc.parse(valid))).toBe('ok');
  });

  test('every one-edit mutation parses or fails with the documented code', async () => {
    await assertProperty(`${kind} mutations`, 1000, [mutatedJson(doc.valid)], (bytes) => {
      const o = outcomeOfSync(() => doc.parse(bytes));
      if (o !== 'ok') expect(doc.codes).toContain(o);
      return o;
    });
  });

  test.each(hostileJsonTexts())('%s is refused before parsing', async (_name, make) => {
    const bytes = make();
    let o = '';
    const grew = await heapGrowth(() => {
      o = outcomeOfSync(() => doc.parse(bytes));
    });
    tally(`${kind} huge/deep refused`, o);
    expect(doc.codes).toContain(o);
    expect(grew).toBeLessThan(MAX_REFUSAL_HEAP_GROWTH);
  });
});
