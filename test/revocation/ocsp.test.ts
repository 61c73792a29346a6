/**
 * The revocation stage against a real `openssl ocsp` responder and a CRL
 * server on 127.0.0.1: OCSP statuses, response checks, CRL fallback, bounds,
 * caching, offline mode and both chain purposes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RevocationChecker, type RevocationOptions } from '../../src/revocation';
import { parseCertificate, type Certificate } from '../../src/x509/certificate';
import {
  createResponderCert,
  createRevocationPki,
  freePort,
  OpenSslCa,
  type RevocationPki,
  startStubServer,
  type StubServer,
} from '../helpers/ocsp';

let stub: StubServer;
let ocspPort: number;
let pki: RevocationPki;
let intCa: OpenSslCa;
let rootCa: OpenSslCa;
let chain: Certificate[];
let ocspOnly: RevocationPki; // leaf with AIA only (no CRL fallback)
let ocspOnlyChain: Certificate[];
let ocspOnlyCa: OpenSslCa;

const toChain = (p: RevocationPki): Certificate[] =>
  [p.leaf, p.intermediate, p.root].map((c) => parseCertificate(c.der));
const ocspRequests = (): number => stub.requests.filter((r) => r.includes('/ocsp')).length;

function checker(extra: Partial<RevocationOptions> = {}): RevocationChecker {
  return new RevocationChecker({ mode: 'online', timeoutMs: 3000, ...extra });
}

beforeAll(async () => {
  stub = await startStubServer();
  ocspPort = await freePort();
  pki = await createRevocationPki({
    ocspUrl: `${stub.url}/ocsp`,
    crlUrl: `${stub.url}/int.crl`,
    rootCrlUrl: `${stub.url}/root.crl`,
  });
  chain = toChain(pki);
  intCa = new OpenSslCa(pki.intermediate, pki.intermediateKey);
  rootCa = new OpenSslCa(pki.root, pki.rootKey);
  stub.route('/root.crl', { body: (await rootCa.crl()).der });
  stub.route('/int.crl', { body: (await intCa.crl()).der });
  stub.route('/ocsp', { proxyPort: ocspPort });
  ocspOnly = await createRevocationPki({ name: 'OcspOnly', ocspUrl: `${stub.url}/ocsp2` });
  ocspOnlyChain = toChain(ocspOnly);
  ocspOnlyCa = new OpenSslCa(ocspOnly.intermediate, ocspOnly.intermediateKey);
});

afterAll(async () => {
  await intCa?.dispose();
  await rootCa?.dispose();
  await ocspOnlyCa?.dispose();
  await stub?.close();
});

beforeEach(() => {
  intCa.clear();
  ocspOnlyCa.clear();
  stub.route('/ocsp', { proxyPort: ocspPort });
  stub.route('/ocsp2', { proxyPort: ocspPort });
});

afterEach(async () => {
  await intCa?.stopResponders();
  await ocspOnlyCa?.stopResponders();
});

describe('OCSP statuses (RFC 6960 §2.2)', () => {
  test('good leaf: chain good, leaf by OCSP, intermediate by CRL, root never checked', async () => {
    intCa.set(pki.leaf, { status: 'valid' });
    await intCa.startResponder(ocspPort);
    const res = await checker().check(chain, { purpose: 'codeSigning' });
    expect(res.status).toBe('good');
    expect(res.certificates.map((c) => [c.status, c.method])).toEqual([
      ['good', 'ocsp'],
      ['good', 'crl'],
      ['nonRevokable', 'none'],
    ]);
    expect(res.certificates[0]!.source).toBe(`${stub.url}/ocsp`);
  });

  test('revoked leaf: status revoked with the revocation time and reason', async () => {
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 - 7200_000);
    intCa.set(pki.leaf, { status: 'revoked', revokedAt: at, reason: 'keyCompromise' });
    await intCa.startResponder(ocspPort);
    const res = await checker().check(chain, { purpose: 'codeSigning' });
    expect(res.status).toBe('revoked');
    const leaf = res.certificates[0]!;
    expect(leaf).toMatchObject({ status: 'revoked', method: 'ocsp', reason: 'keyCompromise' });
    expect(leaf.certificate.fingerprint).toBe(pki.leaf.sha256);
    expect(leaf.revokedAt?.getTime()).toBe(at.getTime());
  });

  test('revoked with an invalidity date after the authentic signing time stays good; before it, revoked', async () => {
    const invalidity = new Date(Date.now() - 86400_000);
    intCa.set(pki.leaf, { status: 'revoked', invalidityDate: invalidity });
    await intCa.startResponder(ocspPort);
    const c = checker();
    const before = await c.check(chain, {
      purpose: 'codeSigning',
      authenticSigningTime: new Date(invalidity.getTime() - 3600_000),
    });
    expect(before.status).toBe('good');
    const after = await c.check(chain, {
      purpose: 'codeSigning',
      authenticSigningTime: new Date(invalidity.getTime() + 3600_000),
    });
    expect(after.status).toBe('revoked');
    expect(after.certificates[0]!.reason).toBe('keyCompromise');
    const noTime = await c.check(chain, { purpose: 'codeSigning' });
    expect(noTime.status).toBe('revoked');
  });

  test('unknown to the responder, with CRL distribution points: falls back to the CRL', async () => {
    await intCa.startResponder(ocspPort); // empty index: the leaf is unknown
    const res = await checker().check(chain, { purpose: 'codeSigning' });
    expect(res.status).toBe('good');
    expect(res.certificates[0]).toMatchObject({
      status: 'good',
      method: 'crl',
      source: `${stub.url}/int.crl`,
    });
  });

  test('unknown to the responder, no CRL: unknown', async () => {
    await ocspOnlyCa.startResponder(ocspPort);
    const res = await checker().check(ocspOnlyChain, { purpose: 'codeSigning' });
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/does not know the certificate/);
  });
});

describe('unreachable and misbehaving responders make the status unknown', () => {
  test('responder down', async () => {
    const res = await checker().check(ocspOnlyChain, { purpose: 'codeSigning' });
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/HTTP 502|ECONNREFUSED/);
  });

  test('slow responder: the request is abandoned after timeoutMs', async () => {
    stub.route('/ocsp2', { stall: true });
    const res = await checker({ timeoutMs: 300 }).check(ocspOnlyChain, { purpose: 'codeSigning' });
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/within 300 ms|timeout/i);
  });

  test('malformed response', async () => {
    stub.route('/ocsp2', { body: Buffer.from('this is not DER') });
    const res = await checker().check(ocspOnlyChain, { purpose: 'codeSigning' });
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/malformed OCSP response/);
  });

  test('oversized response is refused (maxOcspResponseBytes)', async () => {
    stub.route('/ocsp2', { body: Buffer.alloc(30 * 1024, 1) });
    const res = await checker().check(ocspOnlyChain, { purpose: 'codeSigning' });
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/limit/);
  });

  test('wrongly signed: a responder certificate from another CA', async () => {
    const other = await createRevocationPki({ name: 'Other' });
    const signer = await createResponderCert({
      cert: other.intermediate,
      key: other.intermediateKey,
    });
    ocspOnlyCa.set(ocspOnly.leaf, { status: 'valid' });
    await ocspOnlyCa.startResponder(ocspPort, { signer });
    const res = await checker().check(ocspOnlyChain, { purpose: 'codeSigning' });
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/not issued by/);
  });

  test('delegated responder with the OCSP-signing EKU is accepted', async () => {
    const signer = await createResponderCert({
      cert: ocspOnly.intermediate,
      key: ocspOnly.intermediateKey,
    });
    ocspOnlyCa.set(ocspOnly.leaf, { status: 'valid' });
    await ocspOnlyCa.startResponder(ocspPort, { signer });
    const res = await checker().check(ocspOnlyChain, { purpose: 'codeSigning' });
    expect(res.status).toBe('good');
  });

  test('delegated responder without the OCSP-signing EKU is refused', async () => {
    const signer = await createResponderCert(
      { cert: ocspOnly.intermediate, key: ocspOnly.intermediateKey },
      { eku: false },
    );
    ocspOnlyCa.set(ocspOnly.leaf, { status: 'valid' });
    await ocspOnlyCa.startResponder(ocspPort, { signer });
    const res = await checker().check(ocspOnlyChain, { purpose: 'codeSigning' });
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/OCSP-signing extended key usage/);
  });

  test('stale response: nextUpdate passed', async () => {
    ocspOnlyCa.set(ocspOnly.leaf, { status: 'valid' });
    await ocspOnlyCa.startResponder(ocspPort, { days: 1 });
    const res = await checker({ now: () => new Date(Date.now() + 2 * 86400_000) }).check(
      ocspOnlyChain,
      {
        purpose: 'codeSigning',
      },
    );
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/expired OCSP response/);
  });

  test('response without nextUpdate counts as expired (as notation-core-go)', async () => {
    ocspOnlyCa.set(ocspOnly.leaf, { status: 'valid' });
    await ocspOnlyCa.startResponder(ocspPort, { days: null });
    const res = await checker().check(ocspOnlyChain, { purpose: 'codeSigning' });
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/no nextUpdate/);
  });

  test('at most maxResponderCalls requests per check', async () => {
    intCa.set(pki.leaf, { status: 'valid' });
    await intCa.startResponder(ocspPort);
    const res = await checker({ maxResponderCalls: 1 }).check(chain, { purpose: 'codeSigning' });
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/limit of 1 responder calls/);
  });
});

describe('caching', () => {
  test('a second check reuses the cached OCSP response and CRL (method cache)', async () => {
    intCa.set(pki.leaf, { status: 'valid' });
    await intCa.startResponder(ocspPort);
    const c = checker();
    await c.check(chain, { purpose: 'codeSigning' });
    const before = stub.requests.length;
    const res = await c.check(chain, { purpose: 'codeSigning' });
    expect(stub.requests.length).toBe(before);
    expect(res.certificates.slice(0, 2).map((r) => r.method)).toEqual(['cache', 'cache']);
  });

  test('a cached response is never used past its nextUpdate', async () => {
    intCa.set(pki.leaf, { status: 'valid' });
    await intCa.startResponder(ocspPort, { days: 1 });
    let now = new Date();
    const c = checker({ now: () => now });
    await c.check(chain, { purpose: 'codeSigning' });
    const before = ocspRequests();
    now = new Date(Date.now() + 2 * 86400_000);
    const res = await c.check(chain, { purpose: 'codeSigning' });
    expect(ocspRequests()).toBe(before + 1);
    expect(res.certificates[0]!.method).not.toBe('cache');
  });

  test('a remembered chain answer never hides a deny-list entry added later', async () => {
    intCa.set(pki.leaf, { status: 'valid' });
    await intCa.startResponder(ocspPort);
    const c = checker();
    expect((await c.check(chain, { purpose: 'codeSigning', denyList: [] })).status).toBe('good');
    const res = await c.check(chain, { purpose: 'codeSigning', denyList: [pki.leaf.sha256] });
    expect(res.status).toBe('revoked');
    expect(res.certificates[0]).toMatchObject({ method: 'denylist', status: 'revoked' });
  });

  test('a remembered chain answer is per signing time (invalidity dates depend on it)', async () => {
    const invalidity = new Date(Date.now() - 86400_000);
    intCa.set(pki.leaf, { status: 'revoked', invalidityDate: invalidity });
    await intCa.startResponder(ocspPort);
    const c = checker();
    const before = {
      purpose: 'codeSigning' as const,
      authenticSigningTime: new Date(invalidity.getTime() - 3600_000),
    };
    const after = {
      purpose: 'codeSigning' as const,
      authenticSigningTime: new Date(invalidity.getTime() + 3600_000),
    };
    expect((await c.check(chain, before)).status).toBe('good');
    expect((await c.check(chain, after)).status).toBe('revoked');
    expect((await c.check(chain, before)).status).toBe('good');
  });

  test('concurrent checks of the same certificate share one request', async () => {
    intCa.set(pki.leaf, { status: 'valid' });
    await intCa.startResponder(ocspPort);
    stub.route('/ocsp', { proxyPort: ocspPort, delayMs: 200 });
    const before = ocspRequests();
    const c = checker();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => c.check(chain, { purpose: 'codeSigning' })),
    );
    expect(results.every((r) => r.status === 'good')).toBe(true);
    expect(ocspRequests()).toBe(before + 1);
  });

  test('disk cache: a new offline checker answers from the responses a previous one stored', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tn-revcache-'));
    try {
      intCa.set(pki.leaf, { status: 'valid' });
      await intCa.startResponder(ocspPort);
      await checker({ cacheDir: dir }).check(chain, { purpose: 'codeSigning' });
      await intCa.stopResponders();
      const before = stub.requests.length;
      const res = await new RevocationChecker({ mode: 'offline', cacheDir: dir }).check(chain, {
        purpose: 'codeSigning',
      });
      expect(res.status).toBe('good');
      expect(res.certificates.slice(0, 2).map((r) => r.method)).toEqual(['cache', 'cache']);
      expect(stub.requests.length).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('offline mode and the deny list', () => {
  test('offline with nothing cached: unknown, and no request is made', async () => {
    const before = stub.requests.length;
    const res = await new RevocationChecker({ mode: 'offline' }).check(chain, {
      purpose: 'codeSigning',
    });
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/offline/);
    expect(stub.requests.length).toBe(before);
  });

  test('the deny list revokes with no network, root included', async () => {
    const res = await new RevocationChecker({ mode: 'offline' }).check(chain, {
      purpose: 'codeSigning',
      denyList: [pki.root.sha256.toUpperCase()],
    });
    expect(res.status).toBe('revoked');
    expect(res.certificates[0]).toMatchObject({ status: 'revoked', method: 'denylist' });
    expect(res.certificates[0]!.certificate.fingerprint).toBe(pki.root.sha256);
  });
});

describe('both purposes', () => {
  test('a time-stamping chain is checked the same way (good and revoked)', async () => {
    const tsa = await createRevocationPki({
      name: 'TSA',
      ocspUrl: `${stub.url}/ocsp2`,
      timeStamping: true,
    });
    const tsaCa = new OpenSslCa(tsa.intermediate, tsa.intermediateKey);
    try {
      tsaCa.set(tsa.leaf, { status: 'valid' });
      await tsaCa.startResponder(ocspPort);
      expect((await checker().check(toChain(tsa), { purpose: 'timestamping' })).status).toBe(
        'good',
      );
      tsaCa.set(tsa.leaf, { status: 'revoked', reason: 'cessationOfOperation' });
      await tsaCa.startResponder(ocspPort);
      const res = await checker().check(toChain(tsa), { purpose: 'timestamping' });
      expect(res.status).toBe('revoked');
      expect(res.certificates[0]!.reason).toBe('cessationOfOperation');
    } finally {
      await tsaCa.dispose();
    }
  });
});

describe('usage errors are TufNotaryErrors', () => {
  test('bad mode', () => {
    expect(() => new RevocationChecker({ mode: 'sometimes' as 'online' })).toThrow(
      expect.objectContaining({ code: 'ERR_USAGE' }),
    );
  });
  test('chain not leaf first', async () => {
    await expect(
      checker().check([...chain].reverse(), { purpose: 'codeSigning' }),
    ).rejects.toMatchObject({ code: 'ERR_USAGE' });
  });
});
