import 'reflect-metadata';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isTufNotaryError } from '../../src/errors';
import { ChainValidationCache } from '../../src/x509/cache';
import {
  type Certificate,
  parseCertificate,
  parseCertificateBundle,
  toPem,
} from '../../src/x509/certificate';
import {
  basicConstraints,
  extendedKeyUsage,
  keyUsage,
  unhandledCriticalExtensions,
} from '../../src/x509/extensions';
import { validateCodeSigningChain } from '../../src/x509/requirements';
import { chainToTrustedRoot, findTrustedCertificate } from '../../src/x509/trust';
import type { TrustedCertificate } from '../../src/trust/types';
import {
  createCertificate,
  createCodeSigningChain,
  KeyUsage,
  type TestChain,
} from '../helpers/pki';
import { NOTATION_VECTORS } from '../helpers/vectors';

const VECTORS = NOTATION_VECTORS;

const parse = (...certs: { der: Buffer }[]): Certificate[] =>
  certs.map((c) => parseCertificate(c.der));
const trusted = (c: Certificate): TrustedCertificate => ({
  fingerprint: c.fingerprint,
  subject: c.subject,
  notAfter: c.notAfter,
  pem: toPem(c),
  der: c.der,
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isTufNotaryError(err)) return err.code;
    throw err;
  }
  return undefined;
}

let a: TestChain;
let b: TestChain;
let chainA: Certificate[];
let chainB: Certificate[];

beforeAll(async () => {
  a = await createCodeSigningChain({ name: 'Alpha' });
  b = await createCodeSigningChain({ name: 'Beta' });
  chainA = parse(a.leaf, a.intermediate, a.root);
  chainB = parse(b.leaf, b.intermediate, b.root);
});

describe('extension readers', () => {
  it('read basic constraints with and without a path length', () => {
    expect(basicConstraints(chainA[1]!)).toEqual({ critical: true, ca: true, pathLength: 0 });
    expect(basicConstraints(chainA[2]!)).toEqual({ critical: true, ca: true });
    expect(basicConstraints(chainA[0]!)).toBeUndefined();
  });
  it('read every key usage bit', async () => {
    const c = await createCertificate({
      subject: 'CN=Bits',
      key: a.leafKey,
      keyUsage: KeyUsage.digitalSignature | KeyUsage.decipherOnly | KeyUsage.keyAgreement,
    });
    const ku = keyUsage(parseCertificate(c.der))!;
    expect(ku.critical).toBe(true);
    expect([...ku.usages].sort()).toEqual(['decipherOnly', 'digitalSignature', 'keyAgreement']);
  });
  it('read EKU OIDs and criticality', () => {
    expect(extendedKeyUsage(chainA[0]!)).toEqual({ critical: false, oids: ['1.3.6.1.5.5.7.3.3'] });
    expect(extendedKeyUsage(chainA[2]!)).toBeUndefined();
  });
  it('list no unhandled critical extension on an ordinary certificate', () => {
    expect(unhandledCriticalExtensions(chainA[0]!)).toEqual([]);
  });
});

describe('chainToTrustedRoot', () => {
  it('finds the root in the trust store', () => {
    const anchor = chainToTrustedRoot(chainA, [trusted(chainB[2]!), trusted(chainA[2]!)]);
    expect(anchor.index).toBe(2);
    expect(anchor.trusted.fingerprint).toBe(chainA[2]!.fingerprint);
  });
  it('accepts a trusted intermediate, as notation-go does (first match from the leaf)', () => {
    const anchor = chainToTrustedRoot(chainA, [trusted(chainA[2]!), trusted(chainA[1]!)]);
    expect(anchor.index).toBe(1);
  });
  it('accepts parsed certificates as roots', () => {
    expect(findTrustedCertificate(chainA, [chainA[2]!])?.index).toBe(2);
  });
  it('fails with ERR_UNTRUSTED_SIGNER when no certificate is trusted', () => {
    expect(codeOf(() => chainToTrustedRoot(chainA, [trusted(chainB[2]!)]))).toBe(
      'ERR_UNTRUSTED_SIGNER',
    );
  });
  it('fails with ERR_UNTRUSTED_SIGNER when the store is empty', () => {
    expect(codeOf(() => chainToTrustedRoot(chainA, []))).toBe('ERR_UNTRUSTED_SIGNER');
  });
  it('does not trust a store entry whose fingerprint matches but whose bytes differ', () => {
    const liar = { ...trusted(chainB[2]!), fingerprint: chainA[2]!.fingerprint };
    expect(findTrustedCertificate(chainA, [liar])).toBeUndefined();
  });
});

describe('ChainValidationCache', () => {
  it('validates on a miss, then answers from the cache', () => {
    const cache = new ChainValidationCache();
    const roots = [trusted(chainA[2]!)];
    expect(cache.validate(chainA, roots, { purpose: 'codeSigning' }).cached).toBe(false);
    const again = parse(a.leaf, a.intermediate, a.root); // new objects, same certificates
    const hit = cache.validate(again, roots, { purpose: 'codeSigning', at: new Date() });
    expect(hit.cached).toBe(true);
    expect(hit.anchor.index).toBe(2);
    expect(cache.stats).toEqual({ hits: 1, misses: 1 });
  });
  it('keys on the purpose: a code-signing result does not serve a timestamping lookup', () => {
    const cache = new ChainValidationCache();
    const roots = [trusted(chainA[2]!)];
    cache.validate(chainA, roots, { purpose: 'codeSigning' });
    expect(codeOf(() => cache.validate(chainA, roots, { purpose: 'timestamping' }))).toBe(
      'ERR_CERT_INVALID',
    );
  });
  it('redoes the trust check on every call, even on a hit', () => {
    const cache = new ChainValidationCache();
    cache.validate(chainA, [trusted(chainA[2]!)], { purpose: 'codeSigning' });
    expect(
      codeOf(() => cache.validate(chainA, [trusted(chainB[2]!)], { purpose: 'codeSigning' })),
    ).toBe('ERR_UNTRUSTED_SIGNER');
    const viaIntermediate = cache.validate(chainA, [trusted(chainA[1]!)], {
      purpose: 'codeSigning',
    });
    expect(viaIntermediate.cached).toBe(true);
    expect(viaIntermediate.anchor.index).toBe(1);
  });
  it('checkStructure shares entries with validate', () => {
    const cache = new ChainValidationCache();
    cache.checkStructure(chainA, 'codeSigning');
    expect(cache.validate(chainA, [trusted(chainA[2]!)], { purpose: 'codeSigning' }).cached).toBe(
      true,
    );
    expect(codeOf(() => cache.checkStructure([chainA[0]!], 'codeSigning'))).toBe(
      'ERR_CERT_INVALID',
    );
  });
  it('fails outside the validity window even on a hit, naming the certificate', () => {
    const cache = new ChainValidationCache();
    const roots = [trusted(chainA[2]!)];
    const r = cache.validate(chainA, roots, { purpose: 'codeSigning' });
    expect(r.validUntil.getTime()).toBe(chainA[0]!.notAfter.getTime());
    const late = new Date(r.validUntil.getTime() + 1000);
    expect(() => cache.validate(chainA, roots, { purpose: 'codeSigning', at: late })).toThrow(
      /"CN=Alpha Signer.*expired/,
    );
    expect(cache.stats.hits).toBe(1);
    const early = new Date(r.validFrom.getTime() - 1000);
    expect(codeOf(() => cache.validate(chainA, roots, { purpose: 'codeSigning', at: early }))).toBe(
      'ERR_CERT_INVALID',
    );
  });
  it('does not cache failures', () => {
    const cache = new ChainValidationCache();
    const broken = [chainA[0]!, chainB[1]!, chainB[2]!];
    const roots = [trusted(chainB[2]!)];
    expect(codeOf(() => cache.validate(broken, roots, { purpose: 'codeSigning' }))).toBe(
      'ERR_CERT_INVALID',
    );
    expect(codeOf(() => cache.validate(broken, roots, { purpose: 'codeSigning' }))).toBe(
      'ERR_CERT_INVALID',
    );
    expect(cache.size).toBe(0);
    expect(cache.stats.misses).toBe(2);
  });
  it('reports requirements before trust (integrity before authenticity)', () => {
    const cache = new ChainValidationCache();
    expect(
      codeOf(() => cache.validate([chainA[0]!, chainA[1]!], [], { purpose: 'codeSigning' })),
    ).toBe('ERR_CERT_INVALID');
  });
  it('evicts the least recently used entry beyond its bound', async () => {
    const c = await createCodeSigningChain({ name: 'Gamma' });
    const chainC = parse(c.leaf, c.intermediate, c.root);
    const cache = new ChainValidationCache({ maxEntries: 2 });
    const roots = [trusted(chainA[2]!), trusted(chainB[2]!), trusted(chainC[2]!)];
    cache.validate(chainA, roots, { purpose: 'codeSigning' });
    cache.validate(chainB, roots, { purpose: 'codeSigning' });
    cache.validate(chainA, roots, { purpose: 'codeSigning' }); // A becomes the most recent
    cache.validate(chainC, roots, { purpose: 'codeSigning' }); // evicts B
    expect(cache.size).toBe(2);
    expect(cache.validate(chainA, roots, { purpose: 'codeSigning' }).cached).toBe(true);
    expect(cache.validate(chainB, roots, { purpose: 'codeSigning' }).cached).toBe(false);
  });
  it('rejects a non-positive bound', () => {
    expect(codeOf(() => new ChainValidationCache({ maxEntries: 0 }))).toBe('ERR_USAGE');
  });
});

describe('notation-go vectors', () => {
  it('the signing chain of jwsWithTimestamp.sig meets the code-signing requirements and chains to NotationTestRoot', () => {
    const env = JSON.parse(
      readFileSync(
        path.join(VECTORS, 'verifier', 'testdata', 'timestamp', 'sigEnv', 'jwsWithTimestamp.sig'),
        'utf8',
      ),
    ) as { header: { x5c: string[] } };
    const chain = env.header.x5c.map((b64, i) =>
      parseCertificate(Buffer.from(b64, 'base64'), `x5c[${i}]`),
    );
    expect(() => validateCodeSigningChain(chain)).not.toThrow();
    const storeDir = path.join(
      VECTORS,
      'verifier',
      'testdata',
      'truststore',
      'x509',
      'ca',
      'valid-trust-store',
    );
    const roots = readdirSync(storeDir).flatMap((f) =>
      parseCertificateBundle(readFileSync(path.join(storeDir, f)), f),
    );
    expect(chainToTrustedRoot(chain, roots).index).toBe(chain.length - 1);
  });
});
