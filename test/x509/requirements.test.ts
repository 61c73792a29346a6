import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { isTufNotaryError } from '../../src/errors';
import { type Certificate, parseCertificate } from '../../src/x509/certificate';
import {
  type ChainPurpose,
  validateCodeSigningChain,
  validateTimestampingChain,
} from '../../src/x509/requirements';
import {
  type CertOptions,
  createCertificate,
  createCodeSigningChain,
  generateKey,
  KeyUsage,
  OID,
  type TestChain,
  type TestKey,
} from '../helpers/pki';

const parse = (...certs: { der: Buffer }[]): Certificate[] =>
  certs.map((c) => parseCertificate(c.der));

/** Runs `fn` and returns the rule of the ERR_CERT_INVALID it throws. */
function ruleOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isTufNotaryError(err, 'ERR_CERT_INVALID')) return String(err.details.rule);
    throw err;
  }
  return undefined;
}

const validate = (purpose: ChainPurpose) =>
  purpose === 'codeSigning' ? validateCodeSigningChain : validateTimestampingChain;

let base: TestChain;
let tsa: TestChain;
let leafKey: TestKey;

beforeAll(async () => {
  base = await createCodeSigningChain({ name: 'Req' });
  tsa = await createCodeSigningChain({ name: 'ReqTSA', timeStamping: true });
  leafKey = await generateKey('ec-p256');
});

/** A leaf under `base`'s intermediate with overrides. */
async function leafWith(
  over: Partial<CertOptions>,
  chain: TestChain = base,
): Promise<Certificate[]> {
  const leaf = await createCertificate({
    subject: 'C=US,O=Req,CN=Variant Leaf',
    key: leafKey,
    issuer: { cert: chain.intermediate, key: chain.intermediateKey },
    keyUsage: KeyUsage.digitalSignature,
    extKeyUsage: chain === tsa ? [OID.timeStamping] : [OID.codeSigning],
    extKeyUsageCritical: chain === tsa,
    ...over,
  });
  return parse(leaf, chain.intermediate, chain.root);
}

describe('a chain that meets the requirements', () => {
  it('passes for code signing: root, intermediate, leaf', () => {
    expect(
      ruleOf(() => validateCodeSigningChain(parse(base.leaf, base.intermediate, base.root))),
    ).toBeUndefined();
  });
  it('passes for timestamping with a critical timeStamping EKU', () => {
    expect(
      ruleOf(() => validateTimestampingChain(parse(tsa.leaf, tsa.intermediate, tsa.root))),
    ).toBeUndefined();
  });
  it('passes for a lone self-signed certificate that meets the leaf rules', async () => {
    const key = await generateKey('ec-p256');
    const self = await createCertificate({
      subject: 'CN=Self Signed Signer',
      key,
      keyUsage: KeyUsage.digitalSignature,
      extKeyUsage: [OID.codeSigning],
    });
    expect(ruleOf(() => validateCodeSigningChain(parse(self)))).toBeUndefined();
  });
  it('rejects an empty chain', () => {
    expect(ruleOf(() => validateCodeSigningChain([]))).toBe('chain-length');
  });
});

describe('leaf basic constraints', () => {
  it('rejects a leaf that is a CA', async () => {
    const chain = await leafWith({ basicConstraints: { ca: true } });
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBe('leaf-basic-constraints');
  });
  it('accepts a leaf with cA false', async () => {
    const chain = await leafWith({ basicConstraints: { ca: false } });
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBeUndefined();
  });
  it('rejects a lone self-signed CA certificate (leaf rules apply)', () => {
    expect(ruleOf(() => validateCodeSigningChain(parse(base.root)))).toBe('leaf-basic-constraints');
  });
});

describe('leaf key usage', () => {
  it('rejects a leaf without the key usage extension', async () => {
    const chain = await leafWith({ keyUsage: false });
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBe('leaf-key-usage');
  });
  it('rejects a leaf without digitalSignature', async () => {
    const chain = await leafWith({ keyUsage: KeyUsage.nonRepudiation });
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBe('leaf-key-usage');
  });
  it.each([
    ['keyEncipherment', KeyUsage.keyEncipherment],
    ['dataEncipherment', KeyUsage.dataEncipherment],
    ['keyAgreement', KeyUsage.keyAgreement],
    ['keyCertSign', KeyUsage.keyCertSign],
    ['cRLSign', KeyUsage.cRLSign],
  ])('rejects a leaf with %s', async (_name, bit) => {
    const chain = await leafWith({ keyUsage: KeyUsage.digitalSignature | bit });
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBe('leaf-key-usage');
  });
  it('accepts contentCommitment (nonRepudiation) beside digitalSignature', async () => {
    const chain = await leafWith({ keyUsage: KeyUsage.digitalSignature | KeyUsage.nonRepudiation });
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBeUndefined();
  });
  it('rejects a non-critical key usage for code signing but accepts it for timestamping', async () => {
    const nonCritical = [new x509.KeyUsagesExtension(KeyUsage.digitalSignature, false)];
    const cs = await leafWith({ keyUsage: false, extensions: nonCritical });
    expect(ruleOf(() => validateCodeSigningChain(cs))).toBe('leaf-key-usage');
    const ts = await leafWith({ keyUsage: false, extensions: nonCritical }, tsa);
    expect(ruleOf(() => validateTimestampingChain(ts))).toBeUndefined();
  });
});

describe('leaf extended key usage (code signing)', () => {
  it.each([
    ['serverAuth', OID.serverAuth],
    ['clientAuth', '1.3.6.1.5.5.7.3.2'],
    ['emailProtection', '1.3.6.1.5.5.7.3.4'],
    ['timeStamping', OID.timeStamping],
    ['OCSPSigning', OID.ocspSigning],
    ['anyExtendedKeyUsage (spec, stricter than Go)', '2.5.29.37.0'],
  ])('rejects %s', async (_name, oid) => {
    const chain = await leafWith({ extKeyUsage: [OID.codeSigning, oid] });
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBe('leaf-extended-key-usage');
  });
  it('accepts no EKU extension at all', async () => {
    const chain = await leafWith({ extKeyUsage: false });
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBeUndefined();
  });
  it('accepts unknown EKU OIDs beside codeSigning, and a critical EKU', async () => {
    const chain = await leafWith({
      extKeyUsage: [OID.codeSigning, '1.3.6.1.4.1.311.10.3.13'],
      extKeyUsageCritical: true,
    });
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBeUndefined();
  });
});

describe('leaf extended key usage (timestamping)', () => {
  it('rejects a TSA leaf without the EKU extension', async () => {
    const chain = await leafWith({ extKeyUsage: false }, tsa);
    expect(ruleOf(() => validateTimestampingChain(chain))).toBe('leaf-extended-key-usage');
  });
  it('rejects a non-critical timeStamping EKU', async () => {
    const chain = await leafWith({ extKeyUsageCritical: false }, tsa);
    expect(ruleOf(() => validateTimestampingChain(chain))).toBe('leaf-extended-key-usage');
  });
  it('rejects an extra EKU beside timeStamping', async () => {
    const chain = await leafWith({ extKeyUsage: [OID.timeStamping, OID.codeSigning] }, tsa);
    expect(ruleOf(() => validateTimestampingChain(chain))).toBe('leaf-extended-key-usage');
  });
  it('rejects a code-signing leaf used as TSA', () => {
    expect(
      ruleOf(() => validateTimestampingChain(parse(base.leaf, base.intermediate, base.root))),
    ).toBe('leaf-extended-key-usage');
  });
  it('rejects an unhandled critical extension in a TSA chain but not in a code-signing chain', async () => {
    const odd = [new x509.Extension('1.3.6.1.4.1.99999.1', true, new Uint8Array([0x05, 0x00]))];
    const ts = await leafWith({ extensions: odd }, tsa);
    expect(ruleOf(() => validateTimestampingChain(ts))).toBe('critical-extension');
    const cs = await leafWith({ extensions: odd });
    expect(ruleOf(() => validateCodeSigningChain(cs))).toBeUndefined();
  });
});

describe('leaf key', () => {
  it('rejects an RSA 1024 leaf key', async () => {
    const chain = await leafWith({ key: await generateKey('rsa-1024', 0) });
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBe('leaf-key');
  });
});

/** root → ca1 → ca2 → leaf, with chosen CA options. */
async function deepChain(
  ca1: Partial<CertOptions>,
  ca2: Partial<CertOptions> = {},
): Promise<Certificate[]> {
  const k1 = await generateKey('ec-p256');
  const k2 = await generateKey('ec-p256');
  const c1 = await createCertificate({
    subject: 'CN=CA One',
    key: k1,
    issuer: { cert: base.root, key: base.rootKey },
    basicConstraints: { ca: true },
    keyUsage: KeyUsage.keyCertSign,
    ...ca1,
  });
  const c2 = await createCertificate({
    subject: 'CN=CA Two',
    key: k2,
    issuer: { cert: c1, key: k1 },
    basicConstraints: { ca: true },
    keyUsage: KeyUsage.keyCertSign,
    ...ca2,
  });
  const leaf = await createCertificate({
    subject: 'CN=Deep Leaf',
    key: leafKey,
    issuer: { cert: c2, key: k2 },
    keyUsage: KeyUsage.digitalSignature,
  });
  return parse(leaf, c2, c1, base.root);
}

describe('CA basic constraints and path length', () => {
  it('accepts pathLen 1 above one CA and pathLen 0 above the leaf', async () => {
    const chain = await deepChain(
      { basicConstraints: { ca: true, pathLength: 1 } },
      { basicConstraints: { ca: true, pathLength: 0 } },
    );
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBeUndefined();
  });
  it('rejects pathLen 0 on a CA that has another CA below it', async () => {
    const chain = await deepChain({ basicConstraints: { ca: true, pathLength: 0 } });
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBe('path-length');
  });
  it('rejects a CA whose basic constraints say cA false', async () => {
    const chain = await deepChain({}, { basicConstraints: { ca: false } });
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBe('ca-basic-constraints');
  });
  it('rejects a CA without basic constraints', async () => {
    const chain = await deepChain({}, { basicConstraints: false });
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBe('ca-basic-constraints');
  });
  it('rejects non-critical CA basic constraints (spec; Go does not check)', async () => {
    const chain = await deepChain({}, { basicConstraints: { ca: true, critical: false } });
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBe('ca-basic-constraints');
  });
});

describe('CA key usage', () => {
  it('rejects a CA without keyCertSign', async () => {
    const chain = await deepChain({}, { keyUsage: KeyUsage.cRLSign });
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBe('ca-key-usage');
  });
  it('rejects a CA without key usage', async () => {
    const chain = await deepChain({}, { keyUsage: false });
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBe('ca-key-usage');
  });
  it('rejects a non-critical CA key usage for code signing', async () => {
    const chain = await deepChain(
      {},
      { keyUsage: false, extensions: [new x509.KeyUsagesExtension(KeyUsage.keyCertSign, false)] },
    );
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBe('ca-key-usage');
  });
});

describe('chain order and links', () => {
  it('rejects a broken link signature (same issuer name, other key)', async () => {
    const impostorKey = await generateKey('ec-p384');
    const leaf = await createCertificate({
      subject: 'CN=Forged Leaf',
      key: leafKey,
      issuer: { cert: base.intermediate, key: impostorKey },
      keyUsage: KeyUsage.digitalSignature,
    });
    expect(ruleOf(() => validateCodeSigningChain(parse(leaf, base.intermediate, base.root)))).toBe(
      'issued-by',
    );
  });
  it('rejects a chain out of order', () => {
    expect(
      ruleOf(() => validateCodeSigningChain(parse(base.leaf, base.root, base.intermediate))),
    ).toBeDefined();
  });
  it('rejects a chain that does not end with a self-signed root', () => {
    expect(ruleOf(() => validateCodeSigningChain(parse(base.leaf, base.intermediate)))).toBe(
      'root-self-signed',
    );
  });
  it('rejects an unrelated extra root after the root', () => {
    expect(
      ruleOf(() =>
        validateCodeSigningChain(parse(base.leaf, base.intermediate, base.root, tsa.root)),
      ),
    ).toBe('self-signed-intermediate');
  });
  it('rejects a self-signed leaf followed by other certificates', async () => {
    const self = await createCertificate({
      subject: 'CN=Self',
      key: leafKey,
      keyUsage: KeyUsage.digitalSignature,
    });
    expect(ruleOf(() => validateCodeSigningChain(parse(self, base.root)))).toBe('self-signed-leaf');
  });
  it('rejects a SHA-1 certificate signature', async () => {
    const leaf = await createCertificate({
      subject: 'CN=SHA1 Leaf',
      key: leafKey,
      issuer: { cert: base.intermediate, key: base.intermediateKey },
      keyUsage: KeyUsage.digitalSignature,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-1' },
    });
    expect(ruleOf(() => validateCodeSigningChain(parse(leaf, base.intermediate, base.root)))).toBe(
      'signature-algorithm',
    );
  });
});

describe('validity at a given time', () => {
  const purposes: ChainPurpose[] = ['codeSigning', 'timestamping'];
  it.each(purposes)('%s: passes inside every validity period', (purpose) => {
    const c = purpose === 'codeSigning' ? base : tsa;
    expect(
      ruleOf(() => validate(purpose)(parse(c.leaf, c.intermediate, c.root), { at: new Date() })),
    ).toBeUndefined();
  });
  it('rejects an expired leaf', async () => {
    const chain = await leafWith({
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2021-01-01T00:00:00Z'),
    });
    expect(ruleOf(() => validateCodeSigningChain(chain, { at: new Date() }))).toBe('validity');
    expect(ruleOf(() => validateCodeSigningChain(chain))).toBeUndefined();
  });
  it('rejects a not-yet-valid leaf', async () => {
    const chain = await leafWith({ notBefore: new Date(Date.now() + 86400_000) });
    expect(ruleOf(() => validateCodeSigningChain(chain, { at: new Date() }))).toBe('validity');
  });
  it('treats the bounds as inclusive', async () => {
    const notAfter = new Date('2030-01-01T00:00:00Z');
    const chain = await leafWith({ notAfter });
    expect(ruleOf(() => validateCodeSigningChain(chain, { at: notAfter }))).toBeUndefined();
    expect(
      ruleOf(() => validateCodeSigningChain(chain, { at: new Date(notAfter.getTime() + 1000) })),
    ).toBe('validity');
  });
  it('names the certificate and the rule in the message', async () => {
    const chain = await leafWith({
      notAfter: new Date('2021-01-01T00:00:00Z'),
      notBefore: new Date('2020-01-01T00:00:00Z'),
    });
    expect(() => validateCodeSigningChain(chain, { at: new Date() })).toThrow(
      /"CN=Variant Leaf,O=Req,C=US".*validity.*expired/,
    );
  });
});
