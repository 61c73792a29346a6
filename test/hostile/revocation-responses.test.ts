/**
 * Hostile OCSP responses and CRLs (issue 7 §1), fed to `RevocationChecker`
 * through its `fetch` hook: valid DER from a real `openssl ocsp` responder and
 * `openssl ca -gencrl`, then byte flips, truncations, arbitrary bytes and
 * huge declared lengths. The checker never throws (network and parse
 * problems make a certificate `unknown`), and a mutation never turns a
 * revoked certificate good or a good one revoked: it can only make the
 * status unknown (bytes no signature covers may leave it as it was).
 */
import fc from 'fast-check';
import { RevocationChecker, type RevocationFetcher } from '../../src/revocation';
import { parseCertificate, type Certificate } from '../../src/x509/certificate';
import { createRevocationPki, freePort, OpenSslCa, type RevocationPki } from '../helpers/ocsp';
import { assertProperty, derClaiming, flipByte, outcomeOf, printSummaryAfterAll } from './harness';

printSummaryAfterAll('revocation-responses');

const OCSP_URL = 'http://127.0.0.1:9/ocsp';
const CRL_URL = 'http://127.0.0.1:9/int.crl';

interface Subject {
  pki: RevocationPki;
  ca: OpenSslCa;
  chain: Certificate[];
  /** Valid response bytes and the status they give the leaf. */
  good: Uint8Array;
  revoked: Uint8Array;
}

let ocsp: Subject;
let crl: Subject;

const toChain = (p: RevocationPki): Certificate[] =>
  [p.leaf, p.intermediate, p.root].map((c) => parseCertificate(c.der));

/** A fetch hook answering every request with `body` (status 200). */
const answering =
  (body: Uint8Array): RevocationFetcher =>
  async () => ({ status: 200, body, headers: { 'content-type': 'application/octet-stream' } });

/** The leaf's status, or the code of a (forbidden) thrown error. */
async function leafStatus(s: Subject, body: Uint8Array): Promise<string> {
  let status = '';
  const o = await outcomeOf(async () => {
    const checker = new RevocationChecker({
      mode: 'online',
      fetch: answering(body),
      timeoutMs: 5000,
    });
    const res = await checker.check(s.chain, { purpose: 'codeSigning' });
    status = res.certificates[0]!.status;
  });
  // The checker reports problems as `unknown`; it never throws on response bytes.
  expect(o).toBe('ok');
  return status;
}

/** Captures the responder's answer for the leaf through a forwarding fetch hook. */
async function captureOcsp(pki: RevocationPki, port: number): Promise<Uint8Array> {
  let captured: Uint8Array | undefined;
  const forward: RevocationFetcher = async (url, req) => {
    const target = url.replace(/^http:\/\/127\.0\.0\.1:9\/ocsp/, `http://127.0.0.1:${port}`);
    const res = await fetch(target, {
      method: req.method,
      ...(req.body ? { body: Buffer.from(req.body) } : {}),
      headers: req.headers,
    });
    captured = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, body: captured, headers: {} };
  };
  await new RevocationChecker({ mode: 'online', fetch: forward }).check(toChain(pki), {
    purpose: 'codeSigning',
  });
  if (!captured) throw new Error('no OCSP response captured');
  return captured;
}

beforeAll(async () => {
  const port = await freePort();
  const opki = await createRevocationPki({ name: 'HostileOcsp', ocspUrl: OCSP_URL });
  const oca = new OpenSslCa(opki.intermediate, opki.intermediateKey);
  oca.set(opki.leaf, { status: 'valid' });
  await oca.startResponder(port);
  const good = await captureOcsp(opki, port);
  oca.set(opki.leaf, { status: 'revoked', reason: 'keyCompromise' });
  await oca.startResponder(port);
  const revoked = await captureOcsp(opki, port);
  await oca.stopResponders();
  ocsp = { pki: opki, ca: oca, chain: toChain(opki), good, revoked };

  const cpki = await createRevocationPki({ name: 'HostileCrl', crlUrl: CRL_URL });
  const cca = new OpenSslCa(cpki.intermediate, cpki.intermediateKey);
  const goodCrl = (await cca.crl()).der;
  cca.set(cpki.leaf, { status: 'revoked', reason: 'keyCompromise' });
  const revokedCrl = (await cca.crl()).der;
  crl = { pki: cpki, ca: cca, chain: toChain(cpki), good: goodCrl, revoked: revokedCrl };
});

afterAll(async () => {
  await ocsp?.ca.dispose();
  await crl?.ca.dispose();
});

describe.each([
  ['OCSP', () => ocsp],
  ['CRL', () => crl],
])('%s responses', (kind, subject) => {
  test('the valid responses give good and revoked', async () => {
    expect(await leafStatus(subject(), subject().good)).toBe('good');
    expect(await leafStatus(subject(), subject().revoked)).toBe('revoked');
  });

  test.each(['good', 'revoked'] as const)(
    'a single-byte mutation of a %s response never yields the opposite status',
    async (which) => {
      const s = subject();
      const bytes = s[which];
      const opposite = which === 'good' ? 'revoked' : 'good';
      await assertProperty(
        `${kind} ${which} byte flips`,
        250,
        [fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 })],
        async (at, mask) => {
          const status = await leafStatus(s, flipByte(bytes, at, mask));
          expect(status).not.toBe(opposite);
          return status;
        },
      );
    },
  );

  test('truncations, arbitrary bytes and huge declared lengths make the status unknown', async () => {
    const s = subject();
    await assertProperty(
      `${kind} arbitrary`,
      200,
      [
        fc.oneof(
          fc.nat({ max: s.revoked.length - 1 }).map((n) => s.revoked.subarray(0, n)),
          fc.uint8Array({ maxLength: 512 }),
          fc.constantFrom(
            new Uint8Array(derClaiming(0xffffffff)),
            new Uint8Array(derClaiming(2 ** 53)),
            new Uint8Array(
              Buffer.concat([
                Buffer.alloc(20_000).map((_, i) => (i % 2 ? 0x80 : 0x30)),
                Buffer.alloc(19_999),
              ]),
            ),
          ),
        ),
      ],
      async (bytes) => {
        const status = await leafStatus(s, bytes);
        expect(status).toBe('unknown');
        return status;
      },
    );
  });
});
