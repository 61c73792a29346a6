import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isTufNotaryError } from '../../src/errors';
import {
  checkTimestampAgainstChain,
  timestampRange,
  verifyTimestampToken,
} from '../../src/timestamp';
import type { TrustedCertificate } from '../../src/trust/types';
import { ChainValidationCache } from '../../src/x509/cache';
import { parseCertificate, parseCertificateBundle, toPem } from '../../src/x509/certificate';
import {
  createCertificate,
  createCodeSigningChain,
  KeyUsage,
  OID,
  type TestCert,
} from '../helpers/pki';
import { createTestTsa, type TestTsa } from '../helpers/tsa';
import { NOTATION_VECTORS } from '../helpers/vectors';

const VECTORS = NOTATION_VECTORS;
const TS_DIR = path.join(VECTORS, 'verifier', 'testdata', 'timestamp');
const TSA_STORES = path.join(VECTORS, 'verifier', 'testdata', 'truststore', 'x509', 'tsa');

function trustedOf(der: Buffer): TrustedCertificate {
  const c = parseCertificate(der);
  return {
    fingerprint: c.fingerprint,
    subject: c.subject,
    notAfter: c.notAfter,
    pem: toPem(c),
    der: c.der,
  };
}
const trusted = (c: TestCert): TrustedCertificate => trustedOf(c.der);
const storeFile = (...p: string[]): TrustedCertificate[] =>
  parseCertificateBundle(readFileSync(path.join(...p))).map((c) => trustedOf(c.der));

/** The message of a thrown ERR_TIMESTAMP_INVALID (fails the test on any other outcome). */
function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isTufNotaryError(err, 'ERR_TIMESTAMP_INVALID')) return err.message;
    throw err;
  }
  throw new Error('expected ERR_TIMESTAMP_INVALID, but the call succeeded');
}

const SIGNATURE = Buffer.from('primitive signature bytes');
let tsa: TestTsa;
let roots: TrustedCertificate[];

beforeAll(async () => {
  tsa = await createTestTsa();
  roots = [trusted(tsa.chain.root)];
});

describe('a valid token from the test TSA', () => {
  it('verifies and reports genTime, limits and the TSA chain', async () => {
    const genTime = new Date(Date.now() - 60_000);
    genTime.setMilliseconds(0);
    const token = await tsa.timestamp(SIGNATURE, {
      genTime,
      accuracy: { seconds: 2, millis: 500 },
    });
    const ts = verifyTimestampToken(token, SIGNATURE, roots);
    expect(ts.genTime.toISOString()).toBe(genTime.toISOString());
    expect(ts.lowerLimit.getTime()).toBe(genTime.getTime() - 2500);
    expect(ts.upperLimit.getTime()).toBe(genTime.getTime() + 2500);
    expect(ts.tsaChain.map((c) => c.fingerprint)).toEqual([
      tsa.chain.leaf.sha256,
      tsa.chain.intermediate.sha256,
      tsa.chain.root.sha256,
    ]);
    expect(ts.certificates).toHaveLength(2);
    expect(ts.anchor.trusted.fingerprint).toBe(tsa.chain.root.sha256);
  });
  it.each(['SHA-384', 'SHA-512'] as const)('accepts a %s message imprint', async (hash) => {
    const token = await tsa.timestamp(SIGNATURE, { hash });
    expect(verifyTimestampToken(token, SIGNATURE, roots).hashAlgorithm).toBe(
      hash.replace('-', '').toLowerCase(),
    );
  });
  it('verifies when the token also carries the root, and through a chain cache', async () => {
    const token = await tsa.timestamp(SIGNATURE, {
      certificates: [tsa.chain.leaf, tsa.chain.intermediate, tsa.chain.root],
    });
    const cache = new ChainValidationCache();
    verifyTimestampToken(token, SIGNATURE, roots, { cache });
    verifyTimestampToken(token, SIGNATURE, roots, { cache });
    expect(cache.stats).toEqual({ hits: 1, misses: 1 });
  });
});

describe('message imprint', () => {
  it('rejects a token over other bytes', async () => {
    const token = await tsa.timestamp(Buffer.from('another signature'));
    expect(reasonOf(() => verifyTimestampToken(token, SIGNATURE, roots))).toMatch(
      /mismatched message/,
    );
  });
  it('rejects a SHA-1 imprint even when it matches', async () => {
    const sha1 = createHash('sha1').update(SIGNATURE).digest();
    const token = await tsa.timestamp(SIGNATURE, {
      imprintAlgorithm: '1.3.14.3.2.26',
      imprint: sha1,
    });
    expect(reasonOf(() => verifyTimestampToken(token, SIGNATURE, roots))).toMatch(
      /hash algorithm 1\.3\.14\.3\.2\.26 is not SHA-256/,
    );
  });
});

describe('TSTInfo and content type', () => {
  it('rejects TSTInfo version 2', async () => {
    const token = await tsa.timestamp(SIGNATURE, { tstVersion: 2 });
    expect(reasonOf(() => verifyTimestampToken(token, SIGNATURE, roots))).toMatch(
      /TSTInfo version must be 1, but got 2/,
    );
  });
  it('rejects an eContentType other than id-ct-TSTInfo', async () => {
    const token = await tsa.timestamp(SIGNATURE, { eContentType: '1.2.840.113549.1.7.1' });
    expect(reasonOf(() => verifyTimestampToken(token, SIGNATURE, roots))).toMatch(
      /unexpected content type: 1\.2\.840\.113549\.1\.7\.1/,
    );
  });
  it('rejects garbage, trailing data and an oversized token before parsing', async () => {
    expect(
      reasonOf(() => verifyTimestampToken(Buffer.from('not a token'), SIGNATURE, roots)),
    ).toMatch(/ASN\.1|SignedData/);
    const token = await tsa.timestamp(SIGNATURE);
    expect(
      reasonOf(() =>
        verifyTimestampToken(Buffer.concat([token, Buffer.from([0])]), SIGNATURE, roots),
      ),
    ).toMatch(/trailing data/);
    expect(
      reasonOf(() => verifyTimestampToken(Buffer.alloc(70_000, 0x30), SIGNATURE, roots)),
    ).toMatch(/limit is 65536/);
    expect(reasonOf(() => verifyTimestampToken(new Uint8Array(0), SIGNATURE, roots))).toMatch(
      /empty/,
    );
  });
});

describe('accuracy and the timestamp range', () => {
  const t = new Date('2024-01-01T00:00:00Z');
  it('uses seconds + millis + micros (micros rounded up)', () => {
    const r = timestampRange(t, { seconds: 1, millis: 2, micros: 1 }, '1.2.3');
    expect(r.accuracyMs).toBe(1003);
  });
  it('uses 1 s for the baseline policy without accuracy, 0 otherwise', () => {
    expect(timestampRange(t, undefined, '0.4.0.2023.1.1').accuracyMs).toBe(1000);
    expect(
      timestampRange(t, { seconds: 0, millis: 0, micros: 0 }, '0.4.0.2023.1.1').accuracyMs,
    ).toBe(1000);
    expect(timestampRange(t, undefined, '1.2.3').accuracyMs).toBe(0);
  });
  it('rejects out-of-range millis', () => {
    expect(
      reasonOf(() => timestampRange(t, { seconds: 0, millis: 1000, micros: 0 }, '1.2.3')),
    ).toMatch(/out of range/);
  });
  it('reports the baseline accuracy from a real token', async () => {
    const token = await tsa.timestamp(SIGNATURE, { policy: '0.4.0.2023.1.1' });
    const ts = verifyTimestampToken(token, SIGNATURE, roots);
    expect(ts.upperLimit.getTime() - ts.genTime.getTime()).toBe(1000);
  });
});

describe('signer and signed attributes', () => {
  it('rejects a token without signing-certificate-v2', async () => {
    const token = await tsa.timestamp(SIGNATURE, { omitSigningCertificateV2: true });
    expect(reasonOf(() => verifyTimestampToken(token, SIGNATURE, roots))).toMatch(
      /signing-certificate-v2/,
    );
  });
  it('rejects an ESSCertIDv2 hash of another certificate', async () => {
    const token = await tsa.timestamp(SIGNATURE, { wrongEssCertHash: true });
    expect(reasonOf(() => verifyTimestampToken(token, SIGNATURE, roots))).toMatch(
      /certHash does not match/,
    );
  });
  it('rejects a token whose signer certificate is not in the token', async () => {
    const token = await tsa.timestamp(SIGNATURE, { certificates: [tsa.chain.intermediate] });
    expect(reasonOf(() => verifyTimestampToken(token, SIGNATURE, roots))).toMatch(
      /signing certificate not found/,
    );
  });
  it('rejects a wrong message-digest attribute', async () => {
    const token = await tsa.timestamp(SIGNATURE, { wrongMessageDigest: true });
    expect(reasonOf(() => verifyTimestampToken(token, SIGNATURE, roots))).toMatch(/message-digest/);
  });
  it('rejects a corrupted signature', async () => {
    const token = await tsa.timestamp(SIGNATURE, { corruptSignature: true });
    expect(reasonOf(() => verifyTimestampToken(token, SIGNATURE, roots))).toMatch(
      /signature does not verify/,
    );
  });
  it('rejects a signing-time outside the TSA certificates validity', async () => {
    const token = await tsa.timestamp(SIGNATURE, { signingTime: new Date('2001-01-01T00:00:00Z') });
    expect(reasonOf(() => verifyTimestampToken(token, SIGNATURE, roots))).toMatch(/signing-time/);
  });
});

describe('TSA chain and trust', () => {
  it('rejects a token from a TSA whose root is not trusted', async () => {
    const other = await createCodeSigningChain({ name: 'Other', timeStamping: true });
    const token = await tsa.timestamp(SIGNATURE);
    expect(reasonOf(() => verifyTimestampToken(token, SIGNATURE, [trusted(other.root)]))).toMatch(
      /does not chain to a trusted TSA root/,
    );
  });
  it('rejects an empty tsa store', async () => {
    const token = await tsa.timestamp(SIGNATURE);
    expect(reasonOf(() => verifyTimestampToken(token, SIGNATURE, []))).toMatch(
      /no trusted TSA certificate/,
    );
  });
  it('rejects a genTime outside the TSA certificate validity', async () => {
    const token = await tsa.timestamp(SIGNATURE, {
      genTime: new Date(Date.now() + 2 * 365 * 86400_000),
    });
    expect(reasonOf(() => verifyTimestampToken(token, SIGNATURE, roots))).toMatch(
      /not valid at genTime/,
    );
  });
  it('rejects a TSA leaf whose EKU is not critical (timestamping requirements)', async () => {
    const c = await createCodeSigningChain({
      name: 'Soft TSA',
      timeStamping: true,
      leaf: { extKeyUsageCritical: false },
    });
    const soft = await createTestTsa(c);
    const token = await soft.timestamp(SIGNATURE);
    expect(reasonOf(() => verifyTimestampToken(token, SIGNATURE, [trusted(c.root)]))).toMatch(
      /timestamping certificate chain.*leaf-extended-key-usage/,
    );
  });
  it('rejects a TSA signed by a code-signing leaf', async () => {
    const c = await createCodeSigningChain({ name: 'CS as TSA' });
    const wrong = await createTestTsa(c);
    const token = await wrong.timestamp(SIGNATURE);
    expect(reasonOf(() => verifyTimestampToken(token, SIGNATURE, [trusted(c.root)]))).toMatch(
      /does not chain|extended key usage/,
    );
  });
  it('rejects an intermediate whose EKU excludes timeStamping (Go chain EKU rule)', async () => {
    const base = tsa.chain;
    const int = await createCertificate({
      subject: 'CN=Code Only Intermediate',
      key: base.intermediateKey,
      issuer: { cert: base.root, key: base.rootKey },
      basicConstraints: { ca: true, pathLength: 0 },
      keyUsage: KeyUsage.keyCertSign,
      extKeyUsage: [OID.codeSigning],
    });
    const leaf = await createCertificate({
      subject: 'CN=TSA Under Code Only',
      key: base.leafKey,
      issuer: { cert: int, key: base.intermediateKey },
      keyUsage: KeyUsage.digitalSignature,
      extKeyUsage: [OID.timeStamping],
      extKeyUsageCritical: true,
    });
    const t2 = await createTestTsa({ ...base, intermediate: int, leaf });
    const token = await t2.timestamp(SIGNATURE);
    expect(reasonOf(() => verifyTimestampToken(token, SIGNATURE, roots))).toMatch(/does not chain/);
  });
});

describe('checkTimestampAgainstChain', () => {
  const cert = {
    subject: 'CN=Signer',
    notBefore: new Date('2024-01-01T00:00:00Z'),
    notAfter: new Date('2025-01-01T00:00:00Z'),
  };
  it('passes when the whole range is inside every certificate', () => {
    expect(() =>
      checkTimestampAgainstChain(
        {
          lowerLimit: new Date('2024-06-01T00:00:00Z'),
          upperLimit: new Date('2024-06-01T00:00:02Z'),
        },
        [cert],
      ),
    ).not.toThrow();
  });
  it('fails when the lower limit is before notBefore (bounds inclusive)', () => {
    expect(() =>
      checkTimestampAgainstChain({ lowerLimit: cert.notBefore, upperLimit: cert.notBefore }, [
        cert,
      ]),
    ).not.toThrow();
    expect(
      reasonOf(() =>
        checkTimestampAgainstChain(
          { lowerLimit: new Date(cert.notBefore.getTime() - 1), upperLimit: cert.notBefore },
          [cert],
        ),
      ),
    ).toMatch(/can be before certificate "CN=Signer"/);
  });
  it('fails when the upper limit is after notAfter', () => {
    expect(
      reasonOf(() =>
        checkTimestampAgainstChain(
          { lowerLimit: cert.notAfter, upperLimit: new Date(cert.notAfter.getTime() + 1) },
          [cert],
        ),
      ),
    ).toMatch(/can be after certificate "CN=Signer"/);
  });
});

describe('notation-go countersignature vectors', () => {
  const p7s = (name: string): Buffer => readFileSync(path.join(TS_DIR, 'countersignature', name));
  const globalsign = () => storeFile(TSA_STORES, 'test-timestamp', 'globalsignRoot.cer');
  // TimeStampToken.p7s countersigns the bytes "notation" (message imprint = SHA-256("notation")).
  const notation = Buffer.from('notation');

  it('TimeStampToken.p7s verifies against the GlobalSign R6 root of tsa/test-timestamp', () => {
    const ts = verifyTimestampToken(p7s('TimeStampToken.p7s'), notation, globalsign());
    expect(ts.genTime.toISOString()).toBe('2021-09-17T14:09:10.000Z');
    expect(ts.upperLimit.getTime() - ts.genTime.getTime()).toBe(1000);
    expect(ts.tsaChain.map((c) => c.subject)).toEqual([
      'CN=Globalsign TSA for Advanced - G4,O=GlobalSign nv-sa,C=BE',
      'CN=GlobalSign Timestamping CA - SHA384 - G4,O=GlobalSign nv-sa,C=BE',
      'CN=GlobalSign,O=GlobalSign,OU=GlobalSign Root CA - R6',
    ]);
  });
  it('TimeStampToken.p7s fails for other signature bytes', () => {
    expect(
      reasonOf(() =>
        verifyTimestampToken(p7s('TimeStampToken.p7s'), Buffer.from('other'), globalsign()),
      ),
    ).toMatch(/mismatched message/);
  });
  it('TimeStampToken.p7s fails with the wrong TSA root (DigiCert, tsa/test-mismatch)', () => {
    const digicert = storeFile(TSA_STORES, 'test-mismatch', 'DigiCertTSARootSHA384.cer');
    expect(
      reasonOf(() => verifyTimestampToken(p7s('TimeStampToken.p7s'), notation, digicert)),
    ).toMatch(/does not chain to a trusted TSA root/);
    const signerDigicert = storeFile(VECTORS, 'signer', 'testdata', 'DigiCertTSARootSHA384.cer');
    expect(
      reasonOf(() => verifyTimestampToken(p7s('TimeStampToken.p7s'), notation, signerDigicert)),
    ).toMatch(/does not chain/);
  });
  it('TimeStampToken.p7s does not trust a non-CA leaf as TSA root (tsa/test-nonCA)', () => {
    const nonCa = storeFile(TSA_STORES, 'test-nonCA', 'wabbit-networks.io.crt');
    expect(
      reasonOf(() => verifyTimestampToken(p7s('TimeStampToken.p7s'), notation, nonCa)),
    ).toMatch(/does not chain/);
  });
  it('TimeStampTokenWithInvalidTSTInfo.p7s fails to decode its TSTInfo', () => {
    expect(
      reasonOf(() =>
        verifyTimestampToken(p7s('TimeStampTokenWithInvalidTSTInfo.p7s'), notation, globalsign()),
      ),
    ).toMatch(/cannot decode the TSTInfo/);
  });
  it('TimeStampTokenWithInvalideContentType.p7s has content type id-data', () => {
    expect(
      reasonOf(() =>
        verifyTimestampToken(
          p7s('TimeStampTokenWithInvalideContentType.p7s'),
          notation,
          globalsign(),
        ),
      ),
    ).toBe(
      'timestamp countersignature: unexpected content type: 1.2.840.113549.1.7.1. Expected to be id-ct-TSTInfo (1.2.840.113549.1.9.16.1.4)',
    );
  });
  it('TimeStampTokenWithoutCertificate.p7s has no signing certificate', () => {
    expect(
      reasonOf(() =>
        verifyTimestampToken(p7s('TimeStampTokenWithoutCertificate.p7s'), notation, globalsign()),
      ),
    ).toMatch(/signing certificate not found in the timestamp token/);
  });
});
