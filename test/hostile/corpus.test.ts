/**
 * Replays the hostile-input corpus (test/corpus): every file listed in the
 * README table goes to the parser of its kind and must end exactly as the
 * table says. Inputs the property tests found are added there, so a fixed
 * bug stays fixed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parseEnvelope } from '../../src/envelope';
import { RevocationChecker } from '../../src/revocation';
import { parseTimestampToken } from '../../src/timestamp';
import { parseStoreCertificates } from '../../src/trust';
import { parseCertificate, type Certificate } from '../../src/x509/certificate';
import { createRevocationPki } from '../helpers/ocsp';
import { DN_KIND, DOCUMENTS } from './documents';
import {
  heapGrowth,
  MAX_REFUSAL_HEAP_GROWTH,
  outcomeOf,
  outcomeOfSync,
  printSummaryAfterAll,
  tally,
} from './harness';

printSummaryAfterAll('corpus');

const CORPUS = path.resolve(__dirname, '..', 'corpus');
const ROWS = [
  ...readFileSync(path.join(CORPUS, 'README.md'), 'utf8').matchAll(
    /^\| `([^`]+)` +\| .* \| +(\S+) +\|$/gm,
  ),
].map((m) => [m[1]!, m[2]!] as const);

let chains: Record<'ocsp' | 'crl', Certificate[]>;

beforeAll(async () => {
  const ocsp = await createRevocationPki({
    name: 'CorpusOcsp',
    ocspUrl: 'http://127.0.0.1:9/ocsp',
  });
  const crl = await createRevocationPki({
    name: 'CorpusCrl',
    crlUrl: 'http://127.0.0.1:9/int.crl',
  });
  const toChain = (p: typeof ocsp): Certificate[] =>
    [p.leaf, p.intermediate, p.root].map((c) => parseCertificate(c.der));
  chains = { ocsp: toChain(ocsp), crl: toChain(crl) };
});

/** The replay of one kind: `ok`, a code, or a revocation status. */
const REPLAY: Record<string, (bytes: Uint8Array) => Promise<string>> = {
  'envelope-jws': async (b) => outcomeOfSync(() => parseEnvelope(b, 'application/jose+json')),
  'envelope-cose': async (b) => outcomeOfSync(() => parseEnvelope(b, 'application/cose')),
  dn: async (b) => outcomeOfSync(() => DN_KIND.parse(b)),
  store: async (b) => outcomeOfSync(() => parseStoreCertificates(b, 'ca', 'corpus')),
  'timestamp-token': async (b) => outcomeOfSync(() => parseTimestampToken(b)),
  ...Object.fromEntries(
    Object.entries(DOCUMENTS).map(([kind, doc]) => [
      kind,
      async (b: Uint8Array) => outcomeOfSync(() => doc.parse(b)),
    ]),
  ),
  ocsp: (b) => revocationStatus('ocsp', b),
  crl: (b) => revocationStatus('crl', b),
};

async function revocationStatus(kind: 'ocsp' | 'crl', body: Uint8Array): Promise<string> {
  let status = '';
  const o = await outcomeOf(async () => {
    const checker = new RevocationChecker({
      mode: 'online',
      fetch: async () => ({ status: 200, body, headers: {} }),
    });
    status = (await checker.check(chains[kind], { purpose: 'codeSigning' })).certificates[0]!
      .status;
  });
  return o === 'ok' ? status : o;
}

describe('the corpus table and the files agree', () => {
  test('every file has a row and every row a file', () => {
    const files = readdirSync(CORPUS)
      .filter((d) => statSync(path.join(CORPUS, d)).isDirectory())
      .flatMap((d) => readdirSync(path.join(CORPUS, d)).map((f) => `${d}/${f}`))
      .sort();
    expect(ROWS.map(([f]) => f).sort()).toEqual(files);
    expect(ROWS.length).toBeGreaterThan(20);
  });
});

describe('every corpus file ends as the table says', () => {
  test.each(ROWS)('%s → %s', async (file, expected) => {
    const replay = REPLAY[file.split('/')[0]!];
    expect(replay).toBeDefined();
    const bytes = new Uint8Array(readFileSync(path.join(CORPUS, file)));
    let o = '';
    const grew = await heapGrowth(async () => {
      o = await replay!(bytes);
    });
    tally('corpus replay', o);
    expect(o).toBe(expected);
    // `__proto__` members never reach a prototype.
    expect(Object.prototype).not.toHaveProperty('name');
    expect(Object.prototype).not.toHaveProperty('targetArtifact');
    expect(grew).toBeLessThan(MAX_REFUSAL_HEAP_GROWTH);
  });
});
