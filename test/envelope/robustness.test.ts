/**
 * Fail closed on arbitrary input: whatever bytes arrive, parseEnvelope either
 * returns an envelope or throws a TufNotaryError with an envelope or
 * algorithm code, never a TypeError or RangeError from deep inside a parser.
 * And a byte flipped anywhere in a valid envelope never yields one that
 * passes integrity while reading differently.
 */
import fc from 'fast-check';
import { parseEnvelope, verifyEnvelopeSignature } from '../../src/envelope';
import { TufNotaryError } from '../../src/errors';
import { createCodeSigningChain, type TestChain } from '../helpers/pki';
import { signEnvelope, type TestEnvelopeMediaType } from '../helpers/signer';

const FORMATS: TestEnvelopeMediaType[] = ['application/jose+json', 'application/cose'];
const ALLOWED = new Set([
  'ERR_ENVELOPE_INVALID',
  'ERR_ALGORITHM_UNSUPPORTED',
  'ERR_SIGNATURE_INVALID',
]);

let chain: TestChain;
beforeAll(async () => {
  chain = await createCodeSigningChain({ leafKeyType: 'ec-p256' });
});

/** Parses and verifies; returns the payload digest, or the error code. */
function outcome(bytes: Uint8Array, mediaType: string): string {
  try {
    const env = parseEnvelope(bytes, mediaType);
    verifyEnvelopeSignature(env);
    return `ok:${env.payload.targetArtifact.digest}:${env.signingTime?.getTime()}`;
  } catch (e) {
    if (!(e instanceof TufNotaryError) || !ALLOWED.has(e.code)) throw e;
    return e.code;
  }
}

describe('arbitrary input fails closed', () => {
  it.each(FORMATS)('%s: random bytes throw only envelope errors', (mediaType) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        outcome(bytes, mediaType);
      }),
      { numRuns: 500 },
    );
  });

  it('COSE: random CBOR after the COSE_Sign1 prefix throws only envelope errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        outcome(new Uint8Array([0xd2, 0x84, ...bytes]), 'application/cose');
      }),
      { numRuns: 1000 },
    );
  });

  it('JWS: random JSON values throw only envelope errors', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        outcome(new Uint8Array(Buffer.from(text)), 'application/jose+json');
      }),
      { numRuns: 500 },
    );
  });

  it.each(FORMATS)('%s: a changed byte never verifies as a different envelope', (mediaType) => {
    const valid = signEnvelope(mediaType, { chain, signingAgent: 'x' });
    const original = outcome(valid, mediaType);
    expect(original.startsWith('ok:')).toBe(true);
    fc.assert(
      fc.property(
        fc.nat({ max: valid.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (index, xor) => {
          const mutated = new Uint8Array(valid);
          mutated[index] = mutated[index]! ^ xor;
          const result = outcome(mutated, mediaType);
          // Either refused, or (a change in unsigned data) still the very same signed content.
          if (result.startsWith('ok:')) expect(result).toBe(original);
        },
      ),
      { numRuns: 400 },
    );
  });
});
