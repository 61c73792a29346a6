/**
 * The real notation-go envelopes with RFC 3161 countersignatures. The envelope
 * parser lives in src/envelope; here the token and the signature value are
 * taken out of the envelopes directly (JWS: header
 * "io.cncf.notary.timestampSignature", base64url "signature"; COSE: the same
 * unprotected header label and the fourth COSE_Sign1 element).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Decoder, Tag } from 'cbor-x';
import { isTufNotaryError } from '../../src/errors';
import { checkTimestampAgainstChain, verifyTimestampToken } from '../../src/timestamp';
import type { TrustedCertificate } from '../../src/trust/types';
import {
  type Certificate,
  parseCertificate,
  parseCertificateBundle,
  toPem,
} from '../../src/x509/certificate';
import { NOTATION_VECTORS } from '../helpers/vectors';

const TESTDATA = path.join(NOTATION_VECTORS, 'verifier', 'testdata');
const SIG_ENV = path.join(TESTDATA, 'timestamp', 'sigEnv');

const tsaRoots: TrustedCertificate[] = parseCertificateBundle(
  readFileSync(
    path.join(TESTDATA, 'truststore', 'x509', 'tsa', 'test-timestamp', 'globalsignRoot.cer'),
  ),
).map((c) => ({
  fingerprint: c.fingerprint,
  subject: c.subject,
  notAfter: c.notAfter,
  pem: toPem(c),
  der: c.der,
}));

interface Extracted {
  token: Buffer;
  signature: Buffer;
  chain: Certificate[];
}

function extract(file: string): Extracted {
  const bytes = readFileSync(path.join(SIG_ENV, file));
  if (bytes[0] === 0x7b) {
    const jws = JSON.parse(bytes.toString('utf8')) as {
      signature: string;
      header: { x5c: string[]; 'io.cncf.notary.timestampSignature'?: string };
    };
    const tsb64 = jws.header['io.cncf.notary.timestampSignature'];
    if (!tsb64) throw new Error(`${file} has no timestamp`);
    return {
      token: Buffer.from(tsb64, 'base64'),
      signature: Buffer.from(jws.signature, 'base64url'),
      chain: jws.header.x5c.map((c) => parseCertificate(Buffer.from(c, 'base64'))),
    };
  }
  const tag = new Decoder({ mapsAsObjects: false }).decode(bytes) as Tag;
  const [, unprotected, , signature] = tag.value as [
    Uint8Array,
    Map<unknown, unknown>,
    unknown,
    Uint8Array,
  ];
  const token = unprotected.get('io.cncf.notary.timestampSignature') as Uint8Array;
  const x5chain = unprotected.get(33) as Uint8Array[];
  return {
    token: Buffer.from(token),
    signature: Buffer.from(signature),
    chain: x5chain.map((c) => parseCertificate(c)),
  };
}

describe('notation-go envelopes with a timestamp', () => {
  it.each([
    'jwsWithTimestamp.sig',
    'coseWithTimestamp.sig',
    'jwsExpiredWithTimestamp.sig',
    'coseExpiredWithTimestamp.sig',
  ])('%s: the token verifies and its range lies inside the signing chain', (file) => {
    const e = extract(file);
    const ts = verifyTimestampToken(e.token, e.signature, tsaRoots);
    expect(() => checkTimestampAgainstChain(ts, e.chain)).not.toThrow();
  });
  it('jwsExpiredWithTimestamp.sig: the signing certificate has expired now, the timestamp still holds', () => {
    const e = extract('jwsExpiredWithTimestamp.sig');
    expect(e.chain[0]!.notAfter.getTime()).toBeLessThan(Date.now());
  });
  it('jwsWithTimestamp.sig: the token does not countersign another signature', () => {
    const e = extract('jwsWithTimestamp.sig');
    const other = Buffer.from(e.signature);
    other[0] = other[0]! ^ 1;
    expect(() => verifyTimestampToken(e.token, other, tsaRoots)).toThrow(/mismatched message/);
  });
  it.each([
    ['timestampBeforeNotBefore.sig', /can be before certificate/],
    ['timestampAfterNotAfter.sig', /can be after certificate/],
  ])('%s: the token verifies but falls outside the signing chain', (file, reason) => {
    const e = extract(file);
    const ts = verifyTimestampToken(e.token, e.signature, tsaRoots);
    try {
      checkTimestampAgainstChain(ts, e.chain);
      throw new Error('expected a failure');
    } catch (err) {
      expect(isTufNotaryError(err, 'ERR_TIMESTAMP_INVALID')).toBe(true);
      expect((err as Error).message).toMatch(reason);
    }
  });
});
