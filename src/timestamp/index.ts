/** RFC 3161 timestamp countersignature verification. */
export {
  checkTimestampAgainstChain,
  timestampRange,
  verifyTimestampToken,
  type ValidityBearer,
  type VerifiedTimestamp,
  type VerifyTimestampOptions,
} from './verify';
export {
  MAX_SIGNER_INFOS,
  MAX_TOKEN_BYTES,
  MAX_TOKEN_CERTIFICATES,
  parseTimestampToken,
  type ParsedSignerInfo,
  type ParsedToken,
  type ParsedTstInfo,
  type TimestampAccuracy,
} from './token';
