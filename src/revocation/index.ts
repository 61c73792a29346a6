/** The revocation stage: OCSP and CRL checking with caching, and the deny list. */
export { RevocationChecker, REVOCATION_DEFAULTS } from './checker';
export type {
  CertRevocationMethod,
  CertRevocationResult,
  CertRevocationStatus,
  ChainRevocationResult,
  RevocationCheckOptions,
  RevocationFetcher,
  RevocationFetchRequest,
  RevocationFetchResponse,
  RevocationHttpOptions,
  RevocationOptions,
  RevocationPurpose,
} from './types';
