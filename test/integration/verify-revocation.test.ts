/**
 * The Verifier with online revocation against real responders on 127.0.0.1:
 * Debian's `openssl ocsp` for the signing chain's leaf, CRLs from a local HTTP
 * server, and a test TSA whose chain names the same responders. Each level's
 * enforced/logged behaviour, offline mode, the cache, and what a revocation
 * after an authentic timestamp means.
 */
import { parseCertificate } from '../../src/x509/certificate';
import { Verifier } from '../../src/verify';
import type { VerifierOptions } from '../../src/verify/types';
import {
  createRevocationPki,
  freePort,
  OpenSslCa,
  type RevocationPki,
  startStubServer,
  type StubServer,
} from '../helpers/ocsp';
import { signEnvelope } from '../helpers/signer';
import { createTestTsa, type TestTsa } from '../helpers/tsa';
import {
  ARTIFACT,
  check,
  makeTrust,
  signTimestamped,
  type StatementOptions,
} from '../verify/fixtures';

let stub: StubServer;
let ocspPort: number;
let pki: RevocationPki;
let intCa: OpenSslCa;
let rootCa: OpenSslCa;
let tsaPki: RevocationPki;
let tsaIntCa: OpenSslCa;
let tsa: TestTsa;

beforeAll(async () => {
  stub = await startStubServer();
  ocspPort = await freePort();
  pki = await createRevocationPki({
    name: 'Signer',
    ocspUrl: `${stub.url}/ocsp`,
    crlUrl: `${stub.url}/int.crl`,
    rootCrlUrl: `${stub.url}/root.crl`,
  });
  intCa = new OpenSslCa(pki.intermediate, pki.intermediateKey);
  rootCa = new OpenSslCa(pki.root, pki.rootKey);
  tsaPki = await createRevocationPki({
    name: 'Stamp',
    crlUrl: `${stub.url}/tsa-int.crl`,
    timeStamping: true,
  });
  tsaIntCa = new OpenSslCa(tsaPki.intermediate, tsaPki.intermediateKey);
  tsa = await createTestTsa(tsaPki);
  stub.route('/root.crl', { body: (await rootCa.crl()).der });
  stub.route('/ocsp', { proxyPort: ocspPort });
});

afterAll(async () => {
  await intCa?.dispose();
  await rootCa?.dispose();
  await tsaIntCa?.dispose();
  await stub?.close();
});

beforeEach(async () => {
  intCa.clear();
  tsaIntCa.clear();
  stub.route('/ocsp', { proxyPort: ocspPort });
  stub.route('/tsa-int.crl', { body: (await tsaIntCa.crl()).der });
});
afterEach(async () => {
  await intCa.stopResponders();
});

/** Publishes the current statuses: a fresh CRL and a restarted responder. */
async function publish(): Promise<void> {
  stub.route('/int.crl', { body: (await intCa.crl()).der });
  await intCa.startResponder(ocspPort);
}

function trust(statement: StatementOptions = {}, withTsa = false) {
  return makeTrust({
    stores: { 'ca:acme': [pki.root], ...(withTsa ? { 'tsa:tsa': [tsaPki.root] } : {}) },
    statements: [{ trustStores: withTsa ? ['ca:acme', 'tsa:tsa'] : ['ca:acme'], ...statement }],
  });
}

async function verify(statement: StatementOptions = {}, options: VerifierOptions = {}) {
  const envelope = signEnvelope('application/jose+json', { chain: pki });
  return new Verifier(trust(statement), {
    revocationOptions: { timeoutMs: 2000 },
    ...options,
  }).verify({
    artifact: ARTIFACT,
    envelope,
    mediaType: 'application/jose+json',
  });
}

describe('signing chain, online (OCSP for the leaf, CRL for the intermediate)', () => {
  test('good: passes, and the check names each certificate and method', async () => {
    intCa.set(pki.leaf, { status: 'valid' });
    await publish();
    const o = await verify();
    expect(o.error).toBeUndefined();
    const r = check(o, 'revocation');
    expect(r).toMatchObject({
      result: 'passed',
      action: 'enforced',
      detail: { status: 'good', method: 'ocsp' },
    });
    expect(r.detail?.revocation?.map((c) => [c.status, c.method])).toEqual([
      ['good', 'ocsp'],
      ['good', 'crl'],
      ['nonRevokable', 'none'],
    ]);
  });

  test('revoked under strict: ERR_REVOKED with time and reason, enforced', async () => {
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 - 7200_000);
    intCa.set(pki.leaf, { status: 'revoked', revokedAt: at, reason: 'keyCompromise' });
    await publish();
    const o = await verify();
    expect(o.ok).toBe(false);
    expect(o.error?.code).toBe('ERR_REVOKED');
    expect(o.error?.message).toMatch(/keyCompromise/);
    expect(check(o, 'revocation')).toMatchObject({
      result: 'failed',
      action: 'enforced',
      detail: {
        method: 'ocsp',
        status: 'revoked',
        reason: 'keyCompromise',
        certificate: { fingerprint: pki.leaf.sha256 },
      },
    });
    expect(check(o, 'revocation').detail?.revokedAt?.getTime()).toBe(at.getTime());
  });

  test('revoked under permissive: logged, the outcome passes with a warning', async () => {
    intCa.set(pki.leaf, { status: 'revoked', reason: 'keyCompromise' });
    await publish();
    const o = await verify({ level: 'permissive' });
    expect(o.ok).toBe(true);
    expect(check(o, 'revocation')).toMatchObject({ result: 'failed', action: 'logged' });
    expect(o.warnings.join('\n')).toMatch(/revocation failed/);
  });

  test('responder down and CRL missing: ERR_REVOCATION_UNKNOWN, enforced under strict', async () => {
    stub.route('/ocsp', { status: 503 });
    stub.route('/int.crl', { status: 404 });
    const o = await verify();
    expect(o.ok).toBe(false);
    expect(o.error?.code).toBe('ERR_REVOCATION_UNKNOWN');
    expect(check(o, 'revocation').detail?.status).toBe('unknown');
  });

  test('unknown under audit: logged', async () => {
    stub.route('/ocsp', { status: 503 });
    stub.route('/int.crl', { status: 404 });
    const o = await verify({ level: 'audit' });
    expect(o.ok).toBe(true);
    expect(check(o, 'revocation')).toMatchObject({ result: 'failed', action: 'logged' });
  });

  test('override revocation: skip never contacts a responder', async () => {
    const before = stub.requests.length;
    const o = await verify({ override: { revocation: 'skip' } });
    expect(o.ok).toBe(true);
    expect(stub.requests.length).toBe(before);
  });

  test('offline mode with nothing cached is unknown; an online verifier reuses its cached answers', async () => {
    intCa.set(pki.leaf, { status: 'valid' });
    await publish();
    const offline = await verify({}, { revocation: 'offline' });
    expect(offline.error?.code).toBe('ERR_REVOCATION_UNKNOWN');
    // One online Verifier: its second verification is answered by its response cache.
    const verifier = new Verifier(trust());
    const envelope = signEnvelope('application/jose+json', { chain: pki });
    const req = { artifact: ARTIFACT, envelope, mediaType: 'application/jose+json' };
    expect((await verifier.verify(req)).ok).toBe(true);
    const n = stub.requests.length;
    const again = await verifier.verify(req);
    expect(again.ok).toBe(true);
    expect(stub.requests.length).toBe(n); // served from the cache: no new request
    expect(check(again, 'revocation').detail?.revocation?.[0]?.method).toBe('cache');
  });

  test("revocation: 'denylist' never contacts a responder", async () => {
    const before = stub.requests.length;
    const o = await verify({}, { revocation: 'denylist' });
    expect(o.ok).toBe(true);
    expect(check(o, 'revocation').detail?.method).toBe('denylist');
    expect(stub.requests.length).toBe(before);
  });
});

describe('a revocation after an authentic timestamp', () => {
  async function timestamped(invalidity: Date) {
    intCa.set(pki.leaf, { status: 'revoked', invalidityDate: invalidity });
    await publish();
    const envelope = await signTimestamped(
      'application/jose+json',
      { chain: pki },
      tsa,
      new Date(),
    );
    return new Verifier(trust({}, true)).verify({
      artifact: ARTIFACT,
      envelope,
      mediaType: 'application/jose+json',
    });
  }

  test('an invalidity date after the timestamp does not revoke the signature', async () => {
    const o = await timestamped(new Date(Date.now() + 3600_000));
    expect(check(o, 'authenticTimestamp').result).toBe('passed');
    expect(check(o, 'revocation').result).toBe('passed');
    expect(o.ok).toBe(true);
  });

  test('an invalidity date before the timestamp revokes it', async () => {
    const o = await timestamped(new Date(Date.now() - 3600_000));
    expect(o.ok).toBe(false);
    expect(o.error?.code).toBe('ERR_REVOKED');
  });
});

describe('TSA chain (checked inside the authentic timestamp step)', () => {
  test('a revoked TSA leaf (CRL) fails authenticTimestamp with ERR_REVOKED', async () => {
    intCa.set(pki.leaf, { status: 'valid' });
    await publish();
    tsaIntCa.set(tsaPki.leaf, { status: 'revoked', reason: 'keyCompromise' });
    stub.route('/tsa-int.crl', { body: (await tsaIntCa.crl()).der });
    const envelope = await signTimestamped(
      'application/jose+json',
      { chain: pki },
      tsa,
      new Date(),
    );
    const o = await new Verifier(trust({}, true)).verify({
      artifact: ARTIFACT,
      envelope,
      mediaType: 'application/jose+json',
    });
    expect(o.ok).toBe(false);
    expect(check(o, 'authenticTimestamp')).toMatchObject({ result: 'failed', action: 'enforced' });
    expect(o.error?.code).toBe('ERR_REVOKED');
    expect(o.error?.message).toMatch(/timestamping certificate/);
  });

  test('a good TSA chain passes', async () => {
    intCa.set(pki.leaf, { status: 'valid' });
    await publish();
    const envelope = await signTimestamped(
      'application/jose+json',
      { chain: pki },
      tsa,
      new Date(),
    );
    const o = await new Verifier(trust({}, true)).verify({
      artifact: ARTIFACT,
      envelope,
      mediaType: 'application/jose+json',
    });
    expect(o.error).toBeUndefined();
    expect(check(o, 'authenticTimestamp').result).toBe('passed');
    expect(o.envelope?.timestamp?.certificates.map((c) => c.fingerprint)).toContain(
      parseCertificate(tsaPki.leaf.der).fingerprint,
    );
  });
});
