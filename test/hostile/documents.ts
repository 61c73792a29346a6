/**
 * The JSON documents under attack and, for each, a valid example built the
 * way tuf-notary's users write them, the parser, and the codes it may throw.
 * Shared by the per-kind property files and the corpus replay.
 */
import { createHash } from 'node:crypto';
import { parsePayload } from '../../src/envelope';
import {
  parseBlobTrustPolicy,
  parseDistinguishedName,
  parseOciTrustPolicy,
} from '../../src/policy';
import { parseImageIndex, parseImageManifest } from '../../src/registry';
import { parseRevocationList } from '../../src/trust';

const digest = (s: string): string => 'sha256:' + createHash('sha256').update(s).digest('hex');

/** A JSON document kind: a valid example, its parser, and the codes it may fail with. */
export interface DocumentKind {
  readonly valid: unknown;
  readonly parse: (bytes: Uint8Array) => unknown;
  readonly codes: readonly string[];
}

/** Every JSON document kind of issue 7 §1, by name (also the corpus folder names). */
export const DOCUMENTS: Readonly<Record<string, DocumentKind>> = {
  payload: {
    valid: {
      targetArtifact: {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: digest('artifact'),
        size: 1234,
        annotations: { 'io.example.build': '42' },
      },
    },
    parse: (b) => parsePayload(b),
    codes: ['ERR_ENVELOPE_INVALID'],
  },
  'policy-oci': {
    valid: {
      version: '1.0',
      trustPolicies: [
        {
          name: 'wabbit-networks-images',
          registryScopes: ['registry.acme-rockets.io/software/net-monitor'],
          signatureVerification: { level: 'strict', override: { revocation: 'log' } },
          trustStores: ['ca:acme-rockets', 'tsa:acme-tsa'],
          trustedIdentities: [
            'x509.subject: C=US, ST=WA, L=Seattle, O=acme-rockets.io, CN=SecureBuilder',
          ],
        },
        {
          name: 'global',
          registryScopes: ['*'],
          signatureVerification: { level: 'audit', verifyTimestamp: 'afterCertExpiry' },
          trustStores: ['signingAuthority:acme'],
          trustedIdentities: ['*'],
        },
        {
          name: 'skip-it',
          registryScopes: ['registry.acme-rockets.io/unsigned'],
          signatureVerification: { level: 'skip' },
        },
      ],
    },
    parse: (b) => parseOciTrustPolicy(b),
    codes: ['ERR_POLICY_INVALID'],
  },
  'policy-blob': {
    valid: {
      version: '1.0',
      trustPolicies: [
        {
          name: 'wabbit-networks-policy',
          signatureVerification: { level: 'strict' },
          trustStores: ['ca:wabbit-networks'],
          trustedIdentities: [
            'x509.subject: C=US, ST=WA, L=Seattle, O=wabbit-networks.io, OU=Security Tools',
          ],
        },
        {
          name: 'global',
          globalPolicy: true,
          signatureVerification: { level: 'permissive' },
          trustStores: ['ca:acme'],
          trustedIdentities: ['*'],
        },
      ],
    },
    parse: (b) => parseBlobTrustPolicy(b),
    codes: ['ERR_POLICY_INVALID'],
  },
  revocations: {
    valid: {
      version: 1,
      certificates: [
        { sha256: 'ab'.repeat(32), reason: 'keyCompromise', revokedAt: '2024-05-01T10:00:00Z' },
        { sha256: 'cd'.repeat(32), reason: 'superseded', revokedAt: '2024-06-01T00:00:00.5+02:00' },
      ],
    },
    parse: (b) => parseRevocationList(b),
    codes: ['ERR_TRUST_INCOMPLETE'],
  },
  manifest: {
    valid: {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.cncf.notary.signature',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digest('{}'), size: 2 },
      layers: [{ mediaType: 'application/jose+json', digest: digest('sig'), size: 2048 }],
      subject: {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: digest('a'),
        size: 7,
      },
      annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': '["ab"]' },
    },
    parse: (b) => parseImageManifest(b, 'manifest'),
    codes: ['ERR_REGISTRY'],
  },
  index: {
    valid: {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: digest('m'),
          size: 512,
          artifactType: 'application/vnd.cncf.notary.signature',
          annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
        },
      ],
    },
    parse: (b) => parseImageIndex(b, 'index'),
    codes: ['ERR_REGISTRY'],
  },
};

/** Distinguished names: the parser takes a string, not bytes. */
export const DN_KIND: DocumentKind = {
  valid: 'C=US, ST=WA, L=Seattle, O=acme-rockets.io, OU=Finance\\, Legal, CN=SecureBuilder',
  parse: (b) => parseDistinguishedName(Buffer.from(b).toString('utf8')),
  codes: ['ERR_POLICY_INVALID'],
};
