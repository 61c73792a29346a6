/**
 * The TUF target names of a trust repository (DESIGN.md "Trust repository
 * conventions"): what the admin side publishes and the client downloads.
 */
import type { StoreType } from './types';

/** Target paths of the trust policies, the deny list and each named store. */
export const TARGET_NAMES = {
  ociPolicy: 'trustpolicy.oci.json',
  blobPolicy: 'trustpolicy.blob.json',
  revocations: 'revocations.json',
  store: (type: StoreType, name: string): string => `truststore/x509/${type}/${name}.pem`,
} as const;
