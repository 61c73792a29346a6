/**
 * Test PKI: certificates with chosen keys, names, validity and extensions.
 *
 * Built on @peculiar/x509 (dev-only) over node:crypto's WebCrypto because the
 * Notary Project needs ECDSA and RSA-PSS certificates, which node-forge cannot
 * make. Never used on the verification path.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, KeyObject, webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type Algorithm = webcrypto.Algorithm;
type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;
type EcKeyGenParams = webcrypto.EcKeyGenParams;

/** Key algorithms the helpers can generate. */
export type TestKeyType =
  | 'ec-p256'
  | 'ec-p384'
  | 'ec-p521'
  | 'rsa-2048'
  | 'rsa-3072'
  | 'rsa-4096'
  | 'rsa-1024'
  | 'rsa-pss-3072';

/** A generated key pair with the WebCrypto algorithm used to sign with it. */
export interface TestKey {
  type: TestKeyType;
  algorithm: RsaHashedKeyGenParams | EcKeyGenParams;
  signingAlgorithm: Algorithm & { hash?: string; saltLength?: number };
  publicKey: CryptoKey;
  privateKey: CryptoKey;
  /** node:crypto KeyObject of the private key (for test signers). */
  privateKeyObject: KeyObject;
  /** node:crypto KeyObject of the public key. */
  publicKeyObject: KeyObject;
}

const KEY_PARAMS: Record<
  TestKeyType,
  { gen: RsaHashedKeyGenParams | EcKeyGenParams; sign: Algorithm & { hash?: string } }
> = {
  'ec-p256': {
    gen: { name: 'ECDSA', namedCurve: 'P-256' },
    sign: { name: 'ECDSA', hash: 'SHA-256' },
  },
  'ec-p384': {
    gen: { name: 'ECDSA', namedCurve: 'P-384' },
    sign: { name: 'ECDSA', hash: 'SHA-384' },
  },
  'ec-p521': {
    gen: { name: 'ECDSA', namedCurve: 'P-521' },
    sign: { name: 'ECDSA', hash: 'SHA-512' },
  },
  'rsa-1024': { gen: rsa(1024, 'RSASSA-PKCS1-v1_5'), sign: { name: 'RSASSA-PKCS1-v1_5' } },
  'rsa-2048': { gen: rsa(2048, 'RSASSA-PKCS1-v1_5'), sign: { name: 'RSASSA-PKCS1-v1_5' } },
  'rsa-3072': { gen: rsa(3072, 'RSASSA-PKCS1-v1_5'), sign: { name: 'RSASSA-PKCS1-v1_5' } },
  'rsa-4096': { gen: rsa(4096, 'RSASSA-PKCS1-v1_5'), sign: { name: 'RSASSA-PKCS1-v1_5' } },
  'rsa-pss-3072': { gen: rsa(3072, 'RSA-PSS'), sign: { name: 'RSA-PSS' } },
};

function rsa(modulusLength: number, name: string): RsaHashedKeyGenParams {
  return { name, modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
}

const keyCache = new Map<TestKeyType, TestKey[]>();

/**
 * Generates a key pair. RSA generation is slow, so `reuse: n` hands back the
 * n-th cached key of that type (tests that only need "some RSA key" share).
 */
export async function generateKey(type: TestKeyType, reuse?: number): Promise<TestKey> {
  if (reuse !== undefined) {
    const cached = keyCache.get(type) ?? [];
    keyCache.set(type, cached);
    while (cached.length <= reuse) cached.push(await generateKey(type));
    return cached[reuse]!;
  }
  const params = KEY_PARAMS[type];
  const pair = (await webcrypto.subtle.generateKey(params.gen, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  return {
    type,
    algorithm: params.gen,
    signingAlgorithm: params.sign,
    publicKey: pair.publicKey,
    privateKey: pair.privateKey,
    privateKeyObject: KeyObject.from(pair.privateKey),
    publicKeyObject: KeyObject.from(pair.publicKey),
  };
}

/** OIDs used in Notary Project certificate profiles. */
export const OID = {
  codeSigning: '1.3.6.1.5.5.7.3.3',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

/** What to put in a certificate. */
export interface CertOptions {
  /** Subject in certificate order (most significant RDN first): `C=US,ST=WA,O=Acme,CN=Signer`. */
  subject: string;
  key: TestKey;
  /** Issuer certificate and key; omit for a self-signed certificate. */
  issuer?: { cert: TestCert; key: TestKey };
  notBefore?: Date;
  notAfter?: Date;
  serial?: string;
  /** Basic constraints: `{ ca: true, pathLength?: n }`; omit the extension with `false`. */
  basicConstraints?: { ca: boolean; pathLength?: number; critical?: boolean } | false;
  /** Key usage flags; omit the extension with `false`. */
  keyUsage?: number | false;
  /** Extended key usages (OIDs); omit the extension with `false` or undefined. */
  extKeyUsage?: string[] | false;
  extKeyUsageCritical?: boolean;
  /** Extra raw extensions. */
  extensions?: x509.Extension[];
  /** OCSP responder URL for the Authority Information Access extension. */
  ocspUrl?: string;
  /** CRL distribution point URL. */
  crlUrl?: string;
  /** Signature algorithm override (defaults to the issuer key's). */
  signingAlgorithm?: Algorithm & { hash?: string; saltLength?: number };
}

/** A certificate with its encodings and fingerprints. */
export interface TestCert {
  cert: x509.X509Certificate;
  der: Buffer;
  pem: string;
  subject: string;
  /** SHA-256 of the DER, lowercase hex. */
  sha256: string;
}

/** Wraps an @peculiar/x509 certificate into a {@link TestCert}. */
export function wrapCert(cert: x509.X509Certificate): TestCert {
  const der = Buffer.from(cert.rawData);
  return {
    cert,
    der,
    pem: cert.toString('pem') + '\n',
    subject: cert.subject,
    sha256: createHash('sha256').update(der).digest('hex'),
  };
}

let serialCounter = 1;

/** Creates one certificate. Defaults: valid from 1 hour ago for 1 year. */
export async function createCertificate(opts: CertOptions): Promise<TestCert> {
  const now = Date.now();
  const extensions: x509.Extension[] = [];
  if (opts.basicConstraints) {
    extensions.push(
      new x509.BasicConstraintsExtension(
        opts.basicConstraints.ca,
        opts.basicConstraints.pathLength,
        opts.basicConstraints.critical ?? true,
      ),
    );
  }
  if (opts.keyUsage !== undefined && opts.keyUsage !== false) {
    extensions.push(new x509.KeyUsagesExtension(opts.keyUsage, true));
  }
  if (opts.extKeyUsage) {
    extensions.push(
      new x509.ExtendedKeyUsageExtension(opts.extKeyUsage, opts.extKeyUsageCritical ?? false),
    );
  }
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(opts.key.publicKey));
  if (opts.issuer) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(opts.issuer.key.publicKey));
  }
  if (opts.ocspUrl) {
    extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: [opts.ocspUrl] }));
  }
  if (opts.crlUrl) {
    extensions.push(new x509.CRLDistributionPointsExtension([opts.crlUrl]));
  }
  extensions.push(...(opts.extensions ?? []));
  const signer = opts.issuer?.key ?? opts.key;
  const signingAlgorithm = opts.signingAlgorithm ?? rsaPssDefaults(signer);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: opts.serial ?? (serialCounter++).toString(16).padStart(8, '0'),
    subject: opts.subject,
    issuer: opts.issuer ? opts.issuer.cert.subject : opts.subject,
    notBefore: opts.notBefore ?? new Date(now - 3600_000),
    notAfter: opts.notAfter ?? new Date(now + 365 * 86400_000),
    publicKey: opts.key.publicKey,
    signingKey: signer.privateKey,
    signingAlgorithm,
    extensions,
  });
  return wrapCert(cert);
}

function rsaPssDefaults(key: TestKey): Algorithm & { hash?: string; saltLength?: number } {
  if (key.signingAlgorithm.name === 'RSA-PSS') {
    return { name: 'RSA-PSS', hash: 'SHA-256', saltLength: 32 };
  }
  if (key.signingAlgorithm.name === 'RSASSA-PKCS1-v1_5') {
    return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  }
  return key.signingAlgorithm;
}

/** Key usage flag values (re-exported so tests need not import @peculiar/x509). */
export const KeyUsage = x509.KeyUsageFlags;

/** A root, an intermediate and a leaf that meet the Notary Project requirements. */
export interface TestChain {
  root: TestCert;
  rootKey: TestKey;
  intermediate: TestCert;
  intermediateKey: TestKey;
  leaf: TestCert;
  leafKey: TestKey;
}

/** Options for {@link createCodeSigningChain}. */
export interface ChainOptions {
  name?: string;
  leafKeyType?: TestKeyType;
  caKeyType?: TestKeyType;
  leafSubject?: string;
  leafNotBefore?: Date;
  leafNotAfter?: Date;
  /** Overrides applied to the leaf certificate options. */
  leaf?: Partial<CertOptions>;
  /** Time-stamping chain (EKU timeStamping) instead of code signing. */
  timeStamping?: boolean;
  ocspUrl?: string;
  crlUrl?: string;
}

/**
 * Creates a root → intermediate → leaf chain that satisfies the Notary
 * Project certificate requirements for code signing (or time stamping).
 */
export async function createCodeSigningChain(opts: ChainOptions = {}): Promise<TestChain> {
  const name = opts.name ?? 'Test';
  const caType = opts.caKeyType ?? 'ec-p384';
  const rootKey = await generateKey(caType);
  const intermediateKey = await generateKey(caType);
  const leafKey = await generateKey(opts.leafKeyType ?? 'ec-p256');
  const root = await createCertificate({
    subject: `C=US,ST=WA,O=${name},CN=${name} Root`,
    key: rootKey,
    basicConstraints: { ca: true },
    keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
    notAfter: new Date(Date.now() + 10 * 365 * 86400_000),
  });
  const intermediate = await createCertificate({
    subject: `C=US,ST=WA,O=${name},CN=${name} Intermediate`,
    key: intermediateKey,
    issuer: { cert: root, key: rootKey },
    basicConstraints: { ca: true, pathLength: 0 },
    keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
    notAfter: new Date(Date.now() + 5 * 365 * 86400_000),
    ocspUrl: opts.ocspUrl,
    crlUrl: opts.crlUrl,
  });
  const leaf = await createCertificate({
    subject: opts.leafSubject ?? `C=US,ST=WA,L=Seattle,O=${name},CN=${name} Signer`,
    key: leafKey,
    issuer: { cert: intermediate, key: intermediateKey },
    basicConstraints: false,
    keyUsage: KeyUsage.digitalSignature,
    extKeyUsage: [opts.timeStamping ? OID.timeStamping : OID.codeSigning],
    extKeyUsageCritical: opts.timeStamping ? true : false,
    notBefore: opts.leafNotBefore,
    notAfter: opts.leafNotAfter,
    ocspUrl: opts.ocspUrl,
    crlUrl: opts.crlUrl,
    ...opts.leaf,
  });
  return { root, rootKey, intermediate, intermediateKey, leaf, leafKey };
}
