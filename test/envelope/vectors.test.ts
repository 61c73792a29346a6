/**
 * Real notation-go vectors: every envelope parses, and its signature verifies
 * (except the deliberately corrupted ones).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnvelope, verifyEnvelopeSignature, type SignatureEnvelope } from '../../src/envelope';
import { isTufNotaryError } from '../../src/errors';
import { NOTATION_VECTORS } from '../helpers/vectors';

const VECTORS = NOTATION_VECTORS;
const read = (p: string): Uint8Array => new Uint8Array(readFileSync(path.join(VECTORS, p)));
const JWS = 'application/jose+json';
const COSE = 'application/cose';

const mock = (name: string): string => `internal/mock/testdata/${name}`;
const sigEnv = (name: string): string => `verifier/testdata/timestamp/sigEnv/${name}`;

const VALID: [string, string][] = [
  ['internal/testdata/jws_signature.sig', JWS],
  ['internal/testdata/cose_signature.sig', COSE],
  [mock('ca_valid_sig_env.json'), JWS],
  [mock('ca_expired_sig_env.json'), JWS],
  [mock('sa_valid_sig_env.json'), JWS],
  [mock('sa_expired_sig_env.json'), JWS],
  [mock('sig_env_with_metadata.json'), JWS],
  [mock('ca_plugin_sig_env.json'), JWS],
  [mock('sa_plugin_sig_env.json'), JWS],
  [mock('ca_compatible_pluginver_sig_env_1.0.0.json'), JWS],
  [mock('ca_incompatible_pluginver_sig_env_1.2.3.json'), JWS],
  [sigEnv('jwsWithTimestamp.sig'), JWS],
  [sigEnv('coseWithTimestamp.sig'), COSE],
  [sigEnv('jwsExpiredWithTimestamp.sig'), JWS],
  [sigEnv('coseExpiredWithTimestamp.sig'), COSE],
  [sigEnv('withoutTimestamp.sig'), JWS],
  [sigEnv('timestampBeforeNotBefore.sig'), JWS],
  [sigEnv('timestampAfterNotAfter.sig'), COSE],
];

describe('real notation-go vectors', () => {
  it.each(VALID)('%s parses and its signature verifies', (file, mediaType) => {
    const env = parseEnvelope(read(file), mediaType);
    expect(env.mediaType).toBe(mediaType);
    expect(env.contentType).toBe('application/vnd.cncf.notary.payload.v1+json');
    expect(env.payload.targetArtifact.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(env.certificateChain.length).toBeGreaterThan(0);
    expect(() => verifyEnvelopeSignature(env)).not.toThrow();
  });

  it('jws_signature.sig decodes to the documented headers', () => {
    const env = parseEnvelope(read('internal/testdata/jws_signature.sig'), JWS);
    expect(env.algorithm).toBe('RSASSA-PSS-SHA-256');
    expect(env.signingScheme).toBe('notary.x509');
    expect(env.signingTime?.toISOString()).toBe('2023-03-14T08:10:02.000Z');
    expect(env.payload.targetArtifact).toEqual({
      digest: 'sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0',
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 481,
    });
    expect(env.critical).toEqual(['io.cncf.notary.signingScheme']);
    expect(env.timestampToken).toBeUndefined();
  });

  it('cose_signature.sig decodes to the documented headers', () => {
    const env = parseEnvelope(read('internal/testdata/cose_signature.sig'), COSE);
    expect(env.algorithm).toBe('RSASSA-PSS-SHA-256');
    expect(env.signingScheme).toBe('notary.x509');
    expect(env.signingTime?.toISOString()).toBe('2023-03-14T04:45:22.000Z');
    expect(env.payload.targetArtifact.size).toBe(481);
    // Sig_structure = ["Signature1", protected, h'', payload]: array(4), text(10) "Signature1".
    expect(Buffer.from(env.signedBytes.subarray(0, 12)).toString('hex')).toBe(
      '846a' + Buffer.from('Signature1').toString('hex'),
    );
  });

  it('ca_valid_sig_env.json carries expiry and the PS384 algorithm', () => {
    const env = parseEnvelope(read(mock('ca_valid_sig_env.json')), JWS);
    expect(env.algorithm).toBe('RSASSA-PSS-SHA-384');
    expect(env.expiry?.toISOString()).toBe('2120-11-09T07:00:00.000Z');
    expect(env.signingAgent).toBeUndefined(); // written as "io.cncf.notary.SigningAgent", ignored
  });

  it('sa_valid_sig_env.json uses the signingAuthority scheme with an authentic signing time', () => {
    const env = parseEnvelope(read(mock('sa_valid_sig_env.json')), JWS);
    expect(env.signingScheme).toBe('notary.x509.signingAuthority');
    expect(env.authenticSigningTime?.toISOString()).toBe('2020-11-09T07:00:00.000Z');
    expect(env.signingTime).toBeUndefined();
  });

  it('sig_env_with_metadata.json exposes the signed annotations', () => {
    const env = parseEnvelope(read(mock('sig_env_with_metadata.json')), JWS);
    expect(env.payload.targetArtifact.annotations).toEqual({
      'io.wabbit-networks.buildId': '123',
      'io.wabbit-networks.buildTime': '1672944615',
    });
  });

  it('plugin envelopes keep the plugin name, version and unknown critical attribute', () => {
    const env = parseEnvelope(read(mock('ca_plugin_sig_env.json')), JWS);
    expect(env.verificationPlugin).toBe('plugin-name');
    expect(env.extendedAttributes).toEqual([
      { key: 'SomeKey', value: 'SomeValue', critical: true },
    ]);
    const ver = parseEnvelope(read(mock('ca_compatible_pluginver_sig_env_0.0.9.json')), JWS);
    expect(ver.verificationPlugin).toBe('io.cncf.notary.plugin.unittest.mock');
    expect(ver.verificationPluginMinVersion).toBe('0.0.9');
  });

  it.each([
    ['jwsWithTimestamp.sig', JWS],
    ['coseWithTimestamp.sig', COSE],
  ])('%s carries the RFC 3161 token', (file, mediaType) => {
    const env = parseEnvelope(read(sigEnv(file)), mediaType);
    // A CMS ContentInfo: DER SEQUENCE.
    expect(env.timestampToken?.[0]).toBe(0x30);
    expect(typeof env.signingAgent).toBe('string');
  });

  it.each(['ca_invalid_sig_env.json', 'sa_invalid_sig_env.json'])(
    '%s (payload re-encoded with "=" padding) is refused before any signature check',
    (file) => {
      // Go fails these inside its integrity step (base64url decoding of the payload);
      // here decoding is strict, so the same bytes fail at parseEnvelope.
      expect(() => parseEnvelope(read(mock(file)), JWS)).toThrow(
        expect.objectContaining({
          code: 'ERR_ENVELOPE_INVALID',
          message: expect.stringContaining('"payload"'),
        }),
      );
    },
  );

  it("a valid vector whose signature is swapped for another vector's fails integrity", () => {
    const a = JSON.parse(Buffer.from(read(mock('ca_valid_sig_env.json'))).toString()) as Record<
      string,
      unknown
    >;
    const b = JSON.parse(Buffer.from(read(mock('ca_expired_sig_env.json'))).toString()) as Record<
      string,
      unknown
    >;
    const swapped = new Uint8Array(Buffer.from(JSON.stringify({ ...a, signature: b.signature })));
    const env: SignatureEnvelope = parseEnvelope(swapped, JWS);
    let err: unknown;
    try {
      verifyEnvelopeSignature(env);
    } catch (e) {
      err = e;
    }
    expect(isTufNotaryError(err, 'ERR_SIGNATURE_INVALID')).toBe(true);
  });
});
