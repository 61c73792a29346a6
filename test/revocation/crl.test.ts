/**
 * CRL checking (RFC 5280 §5, §6.3) against CRLs built by `openssl ca
 * -gencrl` and served on 127.0.0.1: revoked/good, certificateHold, delta
 * CRLs, unusable CRLs, and a 100,000-entry CRL.
 */
import { RevocationChecker } from '../../src/revocation';
import { parseCrl } from '../../src/revocation/crl';
import { parseCertificate, type Certificate } from '../../src/x509/certificate';
import {
  createRevocationPki,
  OpenSslCa,
  type RevocationPki,
  startStubServer,
  type StubServer,
} from '../helpers/ocsp';

let stub: StubServer;
let pki: RevocationPki;
let ca: OpenSslCa;
let rootCa: OpenSslCa;
let chain: Certificate[];

const check = (extra: { now?: () => Date; signingTime?: Date } = {}) =>
  new RevocationChecker({ mode: 'online', ...(extra.now ? { now: extra.now } : {}) }).check(chain, {
    purpose: 'codeSigning',
    ...(extra.signingTime ? { authenticSigningTime: extra.signingTime } : {}),
  });
const serve = async (path: string, crl: Promise<{ der: Buffer }>) =>
  stub.route(path, { body: (await crl).der });

beforeAll(async () => {
  stub = await startStubServer();
  pki = await createRevocationPki({ name: 'Crl', crlUrl: `${stub.url}/int.crl` });
  chain = [pki.leaf, pki.intermediate, pki.root].map((c) => parseCertificate(c.der));
  ca = new OpenSslCa(pki.intermediate, pki.intermediateKey);
  rootCa = new OpenSslCa(pki.root, pki.rootKey);
});
afterAll(async () => {
  await ca?.dispose();
  await rootCa?.dispose();
  await stub?.close();
});
beforeEach(() => ca.clear());

describe('CRL lookup (RFC 5280 §6.3.3)', () => {
  test('not listed: good, by CRL', async () => {
    await serve('/int.crl', ca.crl());
    const res = await check();
    expect(res.status).toBe('good');
    expect(res.certificates[0]).toMatchObject({
      status: 'good',
      method: 'crl',
      source: `${stub.url}/int.crl`,
    });
  });

  test('listed: revoked with time and reason', async () => {
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 - 86400_000);
    ca.set(pki.leaf, { status: 'revoked', revokedAt: at, reason: 'superseded' });
    await serve('/int.crl', ca.crl());
    const res = await check();
    expect(res.status).toBe('revoked');
    expect(res.certificates[0]).toMatchObject({
      status: 'revoked',
      method: 'crl',
      reason: 'superseded',
    });
    expect(res.certificates[0]!.revokedAt?.getTime()).toBe(at.getTime());
  });

  test('certificateHold counts as revoked', async () => {
    ca.set(pki.leaf, { status: 'revoked', reason: 'certificateHold' });
    await serve('/int.crl', ca.crl());
    const res = await check();
    expect(res.certificates[0]).toMatchObject({ status: 'revoked', reason: 'certificateHold' });
  });

  test('invalidity date after the authentic signing time: good; before: revoked', async () => {
    const invalidity = new Date(Date.now() - 86400_000);
    ca.set(pki.leaf, { status: 'revoked', invalidityDate: invalidity });
    await serve('/int.crl', ca.crl());
    expect((await check({ signingTime: new Date(invalidity.getTime() - 60_000) })).status).toBe(
      'good',
    );
    expect((await check({ signingTime: new Date(invalidity.getTime() + 60_000) })).status).toBe(
      'revoked',
    );
  });
});

describe('unusable CRLs make the status unknown', () => {
  test('expired (nextUpdate passed)', async () => {
    await serve('/int.crl', ca.crl({ hours: 1 }));
    const res = await check({ now: () => new Date(Date.now() + 2 * 3600_000) });
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/expired CRL/);
  });

  test('signed by another CA key', async () => {
    const other = await createRevocationPki({ name: 'Crl' }); // same names, other keys
    const otherCa = new OpenSslCa(other.intermediate, other.intermediateKey);
    try {
      await serve('/int.crl', ca.crl({ signWith: otherCa }));
      const res = await check();
      expect(res.status).toBe('unknown');
      expect(res.certificates[0]!.error).toMatch(/not signed by CA/);
    } finally {
      await otherCa.dispose();
    }
  });

  test('unknown critical CRL extension', async () => {
    await serve('/int.crl', ca.crl({ extensions: ['1.2.3.4.5 = critical,ASN1:NULL'] }));
    const res = await check();
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/unsupported critical extension 1\.2\.3\.4\.5/);
  });

  test('malformed CRL', async () => {
    stub.route('/int.crl', { body: Buffer.from('garbage') });
    const res = await check();
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/malformed CRL/);
  });

  test('CRL server answers 404', async () => {
    stub.route('/int.crl', { status: 404 });
    const res = await check();
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/HTTP 404/);
  });
});

describe('delta CRLs (RFC 5280 §5.2.4)', () => {
  test('a revocation only in the delta CRL is found', async () => {
    const base = await ca.crl({
      crlNumber: 10,
      extensions: [`freshestCRL = URI:${stub.url}/delta.crl`],
    });
    stub.route('/int.crl', { body: base.der });
    ca.set(pki.leaf, { status: 'revoked', reason: 'keyCompromise' });
    await serve(
      '/delta.crl',
      ca.crl({ crlNumber: 11, extensions: ['2.5.29.27 = critical,ASN1:INTEGER:10'] }),
    );
    const res = await check();
    expect(res.status).toBe('revoked');
    expect(res.certificates[0]).toMatchObject({ method: 'crl', reason: 'keyCompromise' });
  });

  test('removeFromCRL in the delta lifts a certificateHold of the base', async () => {
    ca.set(pki.leaf, {
      status: 'revoked',
      reason: 'certificateHold',
      revokedAt: new Date(Date.now() - 7200_000),
    });
    const base = await ca.crl({
      crlNumber: 20,
      extensions: [`freshestCRL = URI:${stub.url}/delta.crl`],
    });
    stub.route('/int.crl', { body: base.der });
    ca.set(pki.leaf, {
      status: 'revoked',
      reason: 'removeFromCRL',
      revokedAt: new Date(Date.now() - 3600_000),
    });
    await serve(
      '/delta.crl',
      ca.crl({ crlNumber: 21, extensions: ['2.5.29.27 = critical,ASN1:INTEGER:20'] }),
    );
    expect((await check()).status).toBe('good');
  });

  test('a delta that needs a newer base CRL is refused', async () => {
    const base = await ca.crl({
      crlNumber: 30,
      extensions: [`freshestCRL = URI:${stub.url}/delta.crl`],
    });
    stub.route('/int.crl', { body: base.der });
    await serve(
      '/delta.crl',
      ca.crl({ crlNumber: 32, extensions: ['2.5.29.27 = critical,ASN1:INTEGER:31'] }),
    );
    const res = await check();
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/newer than the base CRL/);
  });

  test('a delta CRL that cannot be fetched makes the status unknown', async () => {
    const base = await ca.crl({
      crlNumber: 40,
      extensions: [`freshestCRL = URI:${stub.url}/missing-delta.crl`],
    });
    stub.route('/int.crl', { body: base.der });
    const res = await check();
    expect(res.status).toBe('unknown');
    expect(res.certificates[0]!.error).toMatch(/no usable delta CRL/);
  });
});

describe('large CRLs', () => {
  test('100,000 entries: the certificate is found, and an absent one is good', async () => {
    ca.addBulkRevoked(100_000);
    ca.set(pki.leaf, { status: 'revoked', reason: 'keyCompromise' });
    const big = await ca.crl();
    const started = process.hrtime.bigint();
    const parsed = parseCrl(big.der);
    const parseMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(parsed.entryCount).toBe(100_001);
    stub.route('/int.crl', { body: big.der });
    const res = await check();
    expect(res.certificates[0]).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) parsed.entries((0x7f000000 + i * 97).toString(16));
    const lookupUs = Number(process.hrtime.bigint() - t0) / 1e3 / 1000;
    // Figures only (no timed assertion): printed for docs/benchmarks.md.
    console.log(
      `100,000-entry CRL: ${big.der.length} bytes, parse+index ${parseMs.toFixed(0)} ms, lookup ${lookupUs.toFixed(2)} µs`,
    );
    ca.clear();
    ca.addBulkRevoked(100_000);
    stub.route('/int.crl', { body: (await ca.crl()).der });
    expect((await check()).status).toBe('good');
  });
});
