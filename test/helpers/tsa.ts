/**
 * A test Time-Stamping Authority: issues RFC 3161 TimeStampTokens (CMS
 * SignedData over a TSTInfo) with a chosen genTime, accuracy and policy, from
 * a TSA chain made with ./pki (leaf EKU timeStamping, critical).
 *
 * Built with pkijs rather than `openssl ts -reply`: openssl takes genTime from
 * the clock, while tests need to choose it (and to break single fields of an
 * otherwise valid token). Never used on the verification path.
 */
import * as asn1js from 'asn1js';
import { createHash, webcrypto } from 'node:crypto';
import * as pkijs from 'pkijs';
import { createCodeSigningChain, type TestCert, type TestChain } from './pki';

pkijs.setEngine(
  'node-webcrypto',
  new pkijs.CryptoEngine({
    name: 'node-webcrypto',
    crypto: webcrypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'],
  }),
);

type Hash = 'SHA-256' | 'SHA-384' | 'SHA-512';

const HASH_OID: Record<Hash, string> = {
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};
const NODE_HASH: Record<Hash, string> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/** What to put in (or break in) one token. */
export interface TimestampOptions {
  genTime?: Date;
  /** Omit for no accuracy field. */
  accuracy?: { seconds?: number; millis?: number; micros?: number };
  /** TSA policy OID (default 1.2.3.4.1). */
  policy?: string;
  /** Message imprint hash (default SHA-256). */
  hash?: Hash;
  /** Use this OID as the imprint hash algorithm (e.g. SHA-1) instead of `hash`'s. */
  imprintAlgorithm?: string;
  /** Use these bytes as the imprint instead of hash(message). */
  imprint?: Uint8Array;
  /** Override the eContentType (default id-ct-TSTInfo). */
  eContentType?: string;
  /** TSTInfo version (default 1). */
  tstVersion?: number;
  /** Leave out the signing-certificate-v2 attribute. */
  omitSigningCertificateV2?: boolean;
  /** ESSCertIDv2 hash of a wrong certificate. */
  wrongEssCertHash?: boolean;
  /** Certificates carried in the token (default: TSA leaf + intermediate). */
  certificates?: TestCert[];
  /** A signing-time signed attribute. */
  signingTime?: Date;
  /** Flip a bit of the signature after signing. */
  corruptSignature?: boolean;
  /** Change the message-digest attribute. */
  wrongMessageDigest?: boolean;
}

/** A test TSA and the chain it signs with. */
export interface TestTsa {
  chain: TestChain;
  /** Issues a token countersigning `message` (the primitive signature bytes). */
  timestamp(message: Uint8Array, opts?: TimestampOptions): Promise<Buffer>;
}

function attr(type: string, value: asn1js.AsnType): pkijs.Attribute {
  return new pkijs.Attribute({ type, values: [value] });
}

/** Creates a TSA with a fresh root → intermediate → TSA leaf chain (or the given one). */
export async function createTestTsa(chain?: TestChain): Promise<TestTsa> {
  const tsaChain =
    chain ?? (await createCodeSigningChain({ name: 'Test TSA', timeStamping: true }));
  let serial = 1;
  return {
    chain: tsaChain,
    async timestamp(message: Uint8Array, opts: TimestampOptions = {}): Promise<Buffer> {
      const hash = opts.hash ?? 'SHA-256';
      const imprint = opts.imprint ?? createHash(NODE_HASH[hash]).update(message).digest();
      const tst = new pkijs.TSTInfo({
        version: opts.tstVersion ?? 1,
        policy: opts.policy ?? '1.2.3.4.1',
        messageImprint: new pkijs.MessageImprint({
          hashAlgorithm: new pkijs.AlgorithmIdentifier({
            algorithmId: opts.imprintAlgorithm ?? HASH_OID[hash],
          }),
          hashedMessage: new asn1js.OctetString({ valueHex: new Uint8Array(imprint) }),
        }),
        serialNumber: new asn1js.Integer({ value: serial++ }),
        genTime: opts.genTime ?? new Date(),
        ...(opts.accuracy ? { accuracy: new pkijs.Accuracy(opts.accuracy) } : {}),
      });
      const tstDer = new Uint8Array(tst.toSchema().toBER());
      const leaf = pkijs.Certificate.fromBER(new Uint8Array(tsaChain.leaf.der));
      const essHash = createHash('sha256')
        .update(opts.wrongEssCertHash ? tsaChain.intermediate.der : tsaChain.leaf.der)
        .digest();
      const attributes = [
        attr(
          '1.2.840.113549.1.9.3',
          new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.9.16.1.4' }),
        ),
        attr(
          '1.2.840.113549.1.9.4',
          new asn1js.OctetString({
            valueHex: new Uint8Array(
              createHash('sha256')
                .update(opts.wrongMessageDigest ? Buffer.from('other') : tstDer)
                .digest(),
            ),
          }),
        ),
      ];
      if (!opts.omitSigningCertificateV2) {
        // SigningCertificateV2 { certs: [ ESSCertIDv2 { certHash (SHA-256 default), issuerSerial } ] }
        const issuerSerial = new asn1js.Sequence({
          value: [
            new asn1js.Sequence({
              value: [
                new asn1js.Constructed({
                  idBlock: { tagClass: 3, tagNumber: 4 },
                  value: [leaf.issuer.toSchema()],
                }),
              ],
            }),
            leaf.serialNumber,
          ],
        });
        const essCertIdV2 = new asn1js.Sequence({
          value: [new asn1js.OctetString({ valueHex: new Uint8Array(essHash) }), issuerSerial],
        });
        attributes.push(
          attr(
            '1.2.840.113549.1.9.16.2.47',
            new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] }),
          ),
        );
      }
      if (opts.signingTime) {
        attributes.push(
          attr('1.2.840.113549.1.9.5', new asn1js.UTCTime({ valueDate: opts.signingTime })),
        );
      }
      const certs = opts.certificates ?? [tsaChain.leaf, tsaChain.intermediate];
      const sd = new pkijs.SignedData({
        version: 3,
        encapContentInfo: new pkijs.EncapsulatedContentInfo({
          eContentType: opts.eContentType ?? '1.2.840.113549.1.9.16.1.4',
          eContent: new asn1js.OctetString({ valueHex: tstDer }),
        }),
        signerInfos: [
          new pkijs.SignerInfo({
            version: 1,
            sid: new pkijs.IssuerAndSerialNumber({
              issuer: leaf.issuer,
              serialNumber: leaf.serialNumber,
            }),
            signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes }),
          }),
        ],
        certificates: certs.map((c) => pkijs.Certificate.fromBER(new Uint8Array(c.der))),
      });
      await sd.sign(
        tsaChain.leafKey.privateKey,
        0,
        tsaChain.leafKey.signingAlgorithm.hash ?? 'SHA-256',
      );
      if (opts.corruptSignature) {
        const sig = sd.signerInfos[0]!.signature.valueBlock.valueHexView;
        sig[sig.length - 1] = sig[sig.length - 1]! ^ 0x01;
      }
      const ci = new pkijs.ContentInfo({
        contentType: '1.2.840.113549.1.7.2',
        content: sd.toSchema(true),
      });
      return Buffer.from(ci.toSchema().toBER());
    },
  };
}
