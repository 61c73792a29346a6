/**
 * Every complete trust policy example in the specification
 * (trust-store-trust-policy.md "Trust Policy Examples") and in DIGEST §2.2
 * parses, and selection gives the statements the examples describe.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  parseBlobTrustPolicy,
  parseOciTrustPolicy,
  referencedStores,
  selectBlobPolicy,
  selectOciPolicy,
  verificationActions,
} from '../../src/policy';
import { NOTARY_SHARED } from '../helpers/vectors';

const NOTARY = NOTARY_SHARED;
const SPEC = readFileSync(path.join(NOTARY, 'specs/trust-store-trust-policy.md'), 'utf8');
const DIGEST_MD = readFileSync(path.join(NOTARY, 'DIGEST.md'), 'utf8');

/** Removes `//` comments outside strings (the examples are JSONC). */
function stripComments(jsonc: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < jsonc.length; i++) {
    const c = jsonc[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += jsonc[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && jsonc[i + 1] === '/') {
      while (i < jsonc.length && jsonc[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

/** The complete documents (with a "version") in the ```jsonc blocks of `markdown` between two headings. */
function examples(markdown: string, from: string, to: string): string[] {
  const start = markdown.indexOf(from);
  const end = markdown.indexOf(to, start);
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  const section = markdown.slice(start, end);
  return [...section.matchAll(/```jsonc\n([\s\S]*?)```/g)]
    .map((m) => stripComments(m[1]!))
    .filter((text) => text.trimStart().startsWith('{') && text.includes('"version"'));
}

const ociExamples = examples(
  SPEC,
  '#### Trust Policy for OCI artifacts',
  '#### Trust Policy for Blobs',
);
const blobExamples = examples(
  SPEC,
  '#### Trust Policy for Blobs',
  '#### Signature Verification details',
);
const digestExamples = examples(DIGEST_MD, '### 2.2 OCI trust policy', '### 2.3 Blob trust policy');
const DIGEST = `sha256:${'0'.repeat(64)}`;

describe("the specification's OCI examples", () => {
  test('there are three, and each parses', () => {
    expect(ociExamples).toHaveLength(3);
    for (const text of ociExamples) expect(() => parseOciTrustPolicy(text)).not.toThrow();
  });

  test('example 2: exact scopes, the skip exception, the custom level and the global policy', () => {
    const policy = parseOciTrustPolicy(ociExamples[1]!);
    const select = (repo: string) => selectOciPolicy(policy, `${repo}@${DIGEST}`);
    expect(select('registry.acme-rockets.io/software/net-logger').name).toBe(
      'wabbit-networks-images',
    );
    expect(
      select('registry.wabbit-networks.io/software/unsigned/net-utils').signatureVerification.level,
    ).toBe('skip');
    const legacy = select('registry.acme-rockets.io/software/legacy/metrics');
    expect(verificationActions(legacy.signatureVerification)).toMatchObject({
      expiry: 'log',
      revocation: 'skip',
    });
    expect(select('docker.io/library/alpine').name).toBe('global-policy-for-all-other-images');
    expect(referencedStores(policy).map((s) => `${s.type}:${s.name}`)).toEqual([
      'ca:acme-rockets',
      'ca:acme-rockets-ca2',
      'ca:wabbit-networks',
    ]);
  });

  test('example 3: verifyTimestamp afterCertExpiry with a tsa store', () => {
    const s = parseOciTrustPolicy(ociExamples[2]!).trustPolicies[0]!;
    expect(s.signatureVerification.verifyTimestamp).toBe('afterCertExpiry');
    expect(s.trustStores).toContain('tsa:trusted-tsa');
  });
});

describe("the specification's blob examples", () => {
  test('there are two, and each parses', () => {
    expect(blobExamples).toHaveLength(2);
    for (const text of blobExamples) expect(() => parseBlobTrustPolicy(text)).not.toThrow();
  });

  test('example 1: by name, and the global policy without a name', () => {
    const policy = parseBlobTrustPolicy(blobExamples[0]!);
    expect(selectBlobPolicy(policy, 'use-expired-blobs').trustedIdentities).toEqual(['*']);
    expect(selectBlobPolicy(policy).name).toBe('global-policy-for-all-blobs');
  });
});

describe("the digest's OCI example", () => {
  test('parses', () => {
    expect(digestExamples).toHaveLength(1);
    const s = parseOciTrustPolicy(digestExamples[0]!).trustPolicies[0]!;
    expect(s.signatureVerification).toEqual({
      level: 'strict',
      override: { expiry: 'log', revocation: 'skip' },
      verifyTimestamp: 'afterCertExpiry',
    });
  });
});
