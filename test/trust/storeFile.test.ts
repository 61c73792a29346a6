import { ErrorCode, TrustError } from '../../src/errors';
import { parseStoreCertificates } from '../../src/trust/storeFile';
import type { StoreType } from '../../src/trust/types';
import {
  createCertificate,
  createCodeSigningChain,
  generateKey,
  KeyUsage,
  type TestChain,
} from '../helpers/pki';
import { vectorBytes } from '../helpers/trustStores';

function refusal(fn: () => unknown): TrustError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TrustError);
    expect((err as TrustError).code).toBe(ErrorCode.TRUST_INCOMPLETE);
    return err as TrustError;
  }
  throw new Error('expected a TrustError');
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

let chain: TestChain;
beforeAll(async () => {
  chain = await createCodeSigningChain({ name: 'Acme' });
});

describe('store files: formats (PEM bundle or DER)', () => {
  test('a DER file of the notation-go vectors parses (ca/valid-trust-store/GlobalSign.der)', () => {
    const certs = parseStoreCertificates(
      vectorBytes('ca/valid-trust-store/GlobalSign.der'),
      'ca',
      'valid-trust-store',
    );
    expect(certs).toHaveLength(1);
    expect(certs[0]?.subject).toBe('CN=GlobalSign,O=GlobalSign,OU=GlobalSign Root CA - R3');
    expect(certs[0]?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a PEM file of the same certificate gives the same fingerprint (GlobalSignRootCA.crt)', () => {
    const der = parseStoreCertificates(
      vectorBytes('ca/valid-trust-store/GlobalSign.der'),
      'ca',
      'v',
    );
    const pem = parseStoreCertificates(
      vectorBytes('ca/valid-trust-store/GlobalSignRootCA.crt'),
      'ca',
      'v',
    );
    expect(pem.map((c) => c.fingerprint)).toEqual(der.map((c) => c.fingerprint));
  });

  test.each([
    ['ca', 'ca/valid-trust-store/NotationTestRoot.pem'],
    ['ca', 'ca/valid-trust-store/wabbit-networks.io.crt'],
    ['ca', 'ca/valid-trust-store/TestTimestamp.crt'],
    ['ca', 'ca/valid-trust-store-self-signed/openssl-minimum-self-signed.pem'],
    ['signingAuthority', 'signingAuthority/valid-trust-store/NotationTestRoot.pem'],
    ['signingAuthority', 'signingAuthority/valid-trust-store-2/GlobalSign.der'],
    ['tsa', 'tsa/test-timestamp/globalsignRoot.cer'],
    ['tsa', 'tsa/test-mismatch/DigiCertTSARootSHA384.cer'],
  ])('the valid vector %s store file %s is accepted', (type, file) => {
    expect(
      parseStoreCertificates(vectorBytes(file), type as StoreType, 'vector', file),
    ).toHaveLength(1);
  });

  test('a PEM bundle of several roots gives every certificate in order', async () => {
    const other = await createCodeSigningChain({ name: 'Other' });
    const certs = parseStoreCertificates(enc(chain.root.pem + other.root.pem), 'ca', 'acme');
    expect(certs.map((c) => c.fingerprint)).toEqual([chain.root.sha256, other.root.sha256]);
  });

  test('concatenated DER certificates are all read', async () => {
    const other = await createCodeSigningChain({ name: 'Other' });
    const certs = parseStoreCertificates(
      Buffer.concat([chain.root.der, other.root.der]),
      'ca',
      'acme',
    );
    expect(certs).toHaveLength(2);
  });
});

describe('store files: unreadable content is refused', () => {
  test('the vector file ca/trust-store-with-invalid-certs/invalid is refused with notation-go wording', () => {
    const err = refusal(() =>
      parseStoreCertificates(
        vectorBytes('ca/trust-store-with-invalid-certs/invalid'),
        'ca',
        'trust-store-with-invalid-certs',
        'invalid',
      ),
    );
    expect(err.message).toContain(
      'failed to read the trusted certificate invalid in trust store trust-store-with-invalid-certs of type ca',
    );
    expect(err.details).toMatchObject({
      store: 'ca:trust-store-with-invalid-certs',
      file: 'invalid',
    });
  });

  test('an empty file is refused', () => {
    const err = refusal(() => parseStoreCertificates(new Uint8Array(0), 'ca', 'acme'));
    expect(err.message).toContain('truststore/x509/ca/acme.pem');
    expect(err.message).toContain('holds no certificate');
  });

  test('a PEM private key among certificates is refused', () => {
    const text = chain.root.pem + '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n';
    const err = refusal(() => parseStoreCertificates(enc(text), 'ca', 'acme'));
    expect(err.message).toContain('PRIVATE KEY');
  });

  test('a truncated DER certificate is refused', () => {
    refusal(() => parseStoreCertificates(chain.root.der.subarray(0, 100), 'ca', 'acme'));
  });

  test('an invalid store name is refused before the bytes are parsed', () => {
    const err = refusal(() => parseStoreCertificates(enc(chain.root.pem), 'ca', '../etc'));
    expect(err.message).toContain('trust store name needs to follow [a-zA-Z0-9_.-]+ format');
  });
});

describe('store files: ca and signingAuthority accept CA or self-signed certificates only', () => {
  test('the vector leaf ca/trust-store-with-leaf-certs/non-ca.crt is refused, quoting its subject as Go prints it', () => {
    const err = refusal(() =>
      parseStoreCertificates(
        vectorBytes('ca/trust-store-with-leaf-certs/non-ca.crt'),
        'ca',
        'trust-store-with-leaf-certs',
        'non-ca.crt',
      ),
    );
    expect(err.message).toContain(
      'failed to validate the trusted certificate non-ca.crt in trust store trust-store-with-leaf-certs of type ca',
    );
    expect(err.message).toContain(
      'certificate with subject "CN=wabbit-networks.io,O=Notary,L=Seattle,ST=WA,C=US" is not a CA certificate or self-signed signing certificate',
    );
    expect(err.details).toMatchObject({
      subject: 'CN=wabbit-networks.io,O=Notary,L=Seattle,ST=WA,C=US',
    });
  });

  test('a root and a leaf in one file (RootAndLeafCerts.crt) are refused as a whole', () => {
    const err = refusal(() =>
      parseStoreCertificates(
        vectorBytes('ca/trust-store-with-leaf-certs-in-single-file/RootAndLeafCerts.crt'),
        'ca',
        'trust-store-with-leaf-certs-in-single-file',
        'RootAndLeafCerts.crt',
      ),
    );
    expect(err.message).toContain(
      'failed to validate the trusted certificate RootAndLeafCerts.crt',
    );
  });

  test.each(['ca', 'signingAuthority'] as const)(
    'a leaf signed by a CA is refused in a %s store',
    (type) => {
      const err = refusal(() => parseStoreCertificates(enc(chain.leaf.pem), type, 'acme'));
      expect(err.message).toContain(
        'certificate with subject "CN=Acme Signer,O=Acme,L=Seattle,ST=WA,C=US"',
      );
      expect(err.message).toContain(`of type ${type}`);
    },
  );

  test('an intermediate CA is accepted (notation-go accepts any cA=TRUE certificate)', () => {
    expect(parseStoreCertificates(enc(chain.intermediate.pem), 'ca', 'acme')[0]?.fingerprint).toBe(
      chain.intermediate.sha256,
    );
  });

  test('a self-signed leaf without basicConstraints is accepted in ca and signingAuthority', async () => {
    const key = await generateKey('ec-p256', 1);
    const leaf = await createCertificate({
      subject: 'C=US,O=Acme,CN=Self Signer',
      key,
      basicConstraints: false,
      keyUsage: KeyUsage.digitalSignature,
    });
    expect(parseStoreCertificates(enc(leaf.pem), 'ca', 'acme')).toHaveLength(1);
    expect(parseStoreCertificates(enc(leaf.pem), 'signingAuthority', 'acme')).toHaveLength(1);
  });

  test('a non-CA certificate named as its own issuer but signed by another key is refused', async () => {
    const key = await generateKey('ec-p256', 1);
    const otherKey = await generateKey('ec-p256', 2);
    const forged = await createCertificate({
      subject: 'C=US,O=Acme,CN=Looks Self Signed',
      key,
      basicConstraints: false,
      keyUsage: KeyUsage.digitalSignature,
    });
    // Same names, but the signature comes from another key.
    const resigned = await createCertificate({
      subject: 'C=US,O=Acme,CN=Looks Self Signed',
      key,
      issuer: { cert: forged, key: otherKey },
      basicConstraints: false,
    });
    refusal(() => parseStoreCertificates(enc(resigned.pem), 'ca', 'acme'));
  });

  test('a self-signed non-CA certificate signed with SHA-1 is refused (Go rejects SHA-1 signatures)', async () => {
    const key = await generateKey('ec-p256', 1);
    const sha1 = await createCertificate({
      subject: 'C=US,O=Acme,CN=Old Signer',
      key,
      basicConstraints: false,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-1' },
    });
    const err = refusal(() => parseStoreCertificates(enc(sha1.pem), 'ca', 'acme'));
    expect(err.message).toContain('is not a CA certificate or self-signed signing certificate');
  });

  test('one bad certificate in a bundle refuses the whole file', () => {
    refusal(() => parseStoreCertificates(enc(chain.root.pem + chain.leaf.pem), 'ca', 'acme'));
  });
});

describe('store files: tsa stores accept root CA certificates only', () => {
  test('the vector tsa/test-nonCA (a self-signed leaf) is refused: it cannot sign certificates', () => {
    const err = refusal(() =>
      parseStoreCertificates(
        vectorBytes('tsa/test-nonCA/wabbit-networks.io.crt'),
        'tsa',
        'test-nonCA',
        'wabbit-networks.io.crt',
      ),
    );
    expect(err.message).toContain(
      'trusted certificate wabbit-networks.io.crt in trust store test-nonCA of type tsa',
    );
    expect(err.message).toContain(
      'certificate with subject "CN=wabbit-networks.io,O=Notary,L=Seattle,ST=WA,C=US" is not a root CA certificate: x509: invalid signature: parent certificate cannot sign this kind of certificate',
    );
  });

  test('the vector tsa/test-nonSelfIssued (an intermediate CA) is refused as not a root', () => {
    const err = refusal(() =>
      parseStoreCertificates(
        vectorBytes('tsa/test-nonSelfIssued/nonSelfIssued.crt'),
        'tsa',
        'test-nonSelfIssued',
        'nonSelfIssued.crt',
      ),
    );
    expect(err.message).toContain(
      'certificate with subject "CN=Notation Test Revokable RSA Chain Cert 2,O=Notary,L=Seattle,ST=WA,C=US" is not a root CA certificate',
    );
  });

  test('a generated root CA is accepted; its intermediate and leaf are refused', () => {
    expect(parseStoreCertificates(enc(chain.root.pem), 'tsa', 'ts')).toHaveLength(1);
    refusal(() => parseStoreCertificates(enc(chain.intermediate.pem), 'tsa', 'ts'));
    refusal(() => parseStoreCertificates(enc(chain.leaf.pem), 'tsa', 'ts'));
  });

  test('a self-signed CA whose keyUsage lacks keyCertSign is refused', async () => {
    const key = await generateKey('ec-p256', 1);
    const cert = await createCertificate({
      subject: 'C=US,O=Acme,CN=TSA Root Without CertSign',
      key,
      basicConstraints: { ca: true },
      keyUsage: KeyUsage.digitalSignature | KeyUsage.cRLSign,
    });
    expect(parseStoreCertificates(enc(cert.pem), 'ca', 'acme')).toHaveLength(1);
    const err = refusal(() => parseStoreCertificates(enc(cert.pem), 'tsa', 'ts'));
    expect(err.message).toContain('parent certificate cannot sign this kind of certificate');
  });

  test('a self-signed CA without keyUsage is accepted', async () => {
    const key = await generateKey('ec-p256', 1);
    const cert = await createCertificate({
      subject: 'C=US,O=Acme,CN=TSA Root',
      key,
      basicConstraints: { ca: true },
      keyUsage: false,
    });
    expect(parseStoreCertificates(enc(cert.pem), 'tsa', 'ts')).toHaveLength(1);
  });

  test('a CA signed by its own key under a different issuer name is refused: issuer and subject differ', async () => {
    const key = await generateKey('ec-p256', 1);
    const other = await createCertificate({
      subject: 'C=US,O=Acme,CN=Somebody Else',
      key: await generateKey('ec-p256', 2),
      basicConstraints: { ca: true },
    });
    const cert = await createCertificate({
      subject: 'C=US,O=Acme,CN=TSA Root Renamed',
      key,
      issuer: { cert: other, key },
      basicConstraints: { ca: true },
      keyUsage: KeyUsage.keyCertSign,
    });
    const err = refusal(() => parseStoreCertificates(enc(cert.pem), 'tsa', 'ts'));
    expect(err.message).toContain(
      'issuer (CN=Somebody Else,O=Acme,C=US) and subject (CN=TSA Root Renamed,O=Acme,C=US) are not the same',
    );
  });
});
