/** Envelope stage: JWS and COSE decoding into one SignatureEnvelope model. */
export { parseEnvelope, ENVELOPE_MEDIA_TYPES } from './parse';
export { verifyEnvelopeSignature } from './signature';
export { certificatesOf } from './chain';
export { PAYLOAD_CONTENT_TYPE, parsePayload } from './payload';
export {
  ALGORITHMS,
  algorithmForKey,
  algorithmFromCose,
  algorithmFromJws,
  type AlgorithmInfo,
  type HashName,
} from './algorithms';
export { ENVELOPE_LIMITS } from './limits';
export { HEADER } from './attributes';
export type * from './types';
