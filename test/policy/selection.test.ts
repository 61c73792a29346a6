/**
 * Selecting the statement for an artifact or blob (trust-store-trust-policy.md
 * "Selecting a trust policy to verify a signed OCI artifact / blob"; DIGEST
 * §2.5), and the store references a policy needs.
 */
import { ErrorCode } from '../../src/errors';
import {
  artifactRepository,
  parseBlobTrustPolicy,
  parseOciTrustPolicy,
  parseStoreReference,
  referencedStores,
  selectBlobPolicy,
  selectOciPolicy,
} from '../../src/policy';
import type { OciTrustPolicy, OciTrustPolicyStatement } from '../../src/policy';
import { blobStatement, doc, expectError, ociStatement } from './fixtures';

const DIGEST = `sha256:${'a1'.repeat(32)}`;

const oci = parseOciTrustPolicy(
  doc(
    ociStatement('net-monitor', {
      registryScopes: [
        'registry.acme-rockets.io/software/net-monitor',
        'registry.acme-rockets.io/software/net-logger',
      ],
    }),
    ociStatement('local', { registryScopes: ['localhost:5000/app', '10.0.0.1:8080/team/app'] }),
    ociStatement('unsigned', {
      registryScopes: ['registry.wabbit-networks.io/software/unsigned/net-utils'],
      signatureVerification: { level: 'skip' },
      trustStores: undefined,
      trustedIdentities: undefined,
    }),
    ociStatement('global', { registryScopes: ['*'], signatureVerification: { level: 'audit' } }),
  ),
);
const noGlobal = parseOciTrustPolicy(doc(ociStatement('only', { registryScopes: ['r.io/only'] })));

describe('OCI: an exact scope match first', () => {
  test('the statement whose registryScopes contain the repository', () => {
    expect(
      selectOciPolicy(oci, `registry.acme-rockets.io/software/net-monitor@${DIGEST}`).name,
    ).toBe('net-monitor');
    expect(
      selectOciPolicy(oci, `registry.acme-rockets.io/software/net-logger@${DIGEST}`).name,
    ).toBe('net-monitor');
  });

  test('a skip statement is selected like any other', () => {
    const s = selectOciPolicy(
      oci,
      `registry.wabbit-networks.io/software/unsigned/net-utils@${DIGEST}`,
    );
    expect(s.signatureVerification.level).toBe('skip');
  });

  test('matching is exact: no prefix, parent or child repositories, no case folding', () => {
    expect(selectOciPolicy(oci, `registry.acme-rockets.io/software@${DIGEST}`).name).toBe('global');
    expect(
      selectOciPolicy(oci, `registry.acme-rockets.io/software/net-monitor/sub@${DIGEST}`).name,
    ).toBe('global');
    expect(
      selectOciPolicy(oci, `Registry.acme-rockets.io/software/net-monitor@${DIGEST}`).name,
    ).toBe('global');
  });

  test('no reference expansion (docker.io/library/…)', () => {
    const p = parseOciTrustPolicy(
      doc(ociStatement('hub', { registryScopes: ['docker.io/library/ubuntu'] })),
    );
    expect(selectOciPolicy(p, `docker.io/library/ubuntu@${DIGEST}`).name).toBe('hub');
    expectError(
      () => selectOciPolicy(p, `ubuntu@${DIGEST}`),
      ErrorCode.USAGE,
      'could not be parsed',
    );
    expectError(
      () => selectOciPolicy(p, `index.docker.io/library/ubuntu@${DIGEST}`),
      ErrorCode.POLICY_NOT_FOUND,
    );
  });
});

describe('OCI: then the global statement', () => {
  test('any other repository gets the "*" statement', () => {
    expect(selectOciPolicy(oci, `other.io/x/y@${DIGEST}`).name).toBe('global');
  });

  test('without a global statement, no policy applies', () => {
    const err = expectError(
      () => selectOciPolicy(noGlobal, `r.io/other@${DIGEST}`),
      ErrorCode.POLICY_NOT_FOUND,
      `artifact "r.io/other@${DIGEST}" has no applicable oci trust policy statement`,
      'add "r.io/other" to the registryScopes of a statement',
    );
    expect(err.details).toEqual({ artifact: `r.io/other@${DIGEST}`, repository: 'r.io/other' });
  });
});

describe('OCI: the repository of a reference', () => {
  test.each([
    [
      `registry.acme-rockets.io/software/net-monitor@${DIGEST}`,
      'registry.acme-rockets.io/software/net-monitor',
    ],
    [
      'registry.acme-rockets.io/software/net-monitor:v1',
      'registry.acme-rockets.io/software/net-monitor',
    ],
    [
      `registry.acme-rockets.io/software/net-monitor:v1@${DIGEST}`,
      'registry.acme-rockets.io/software/net-monitor',
    ],
    [
      'registry.acme-rockets.io/software/net-monitor',
      'registry.acme-rockets.io/software/net-monitor',
    ],
    [`localhost:5000/app@${DIGEST}`, 'localhost:5000/app'],
    ['localhost:5000/app:1.0', 'localhost:5000/app'],
    ['localhost:5000/app', 'localhost:5000/app'],
    [`10.0.0.1:8080/team/app:latest@${DIGEST}`, '10.0.0.1:8080/team/app'],
    ['r.io/a@sha512:' + 'b'.repeat(128), 'r.io/a'],
  ])('%s → %s', (reference, repository) => {
    expect(artifactRepository(reference)).toBe(repository);
  });

  test('ports stay part of the repository when selecting', () => {
    expect(selectOciPolicy(oci, `localhost:5000/app@${DIGEST}`).name).toBe('local');
    expect(selectOciPolicy(oci, 'localhost:5000/app:1.0').name).toBe('local');
    expect(selectOciPolicy(oci, `10.0.0.1:8080/team/app@${DIGEST}`).name).toBe('local');
    expect(selectOciPolicy(oci, `localhost:5001/app@${DIGEST}`).name).toBe('global');
  });

  test.each([
    '',
    '*',
    'ubuntu',
    'ubuntu:latest',
    `https://r.io/a@${DIGEST}`,
    `r.io/Upper@${DIGEST}`,
    'r.io/a@',
    'r.io/a@sha256',
    'r.io/a@not a digest',
    'r.io/a:bad tag',
    'r.io/a:',
    `r.io/a:${'t'.repeat(129)}`,
    `r.io/*@${DIGEST}`,
    'x'.repeat(5000),
  ])('%j cannot be parsed: ERR_USAGE', (reference) => {
    expectError(
      () => selectOciPolicy(oci, reference),
      ErrorCode.USAGE,
      'could not be parsed',
      'domain.com:80/my/repository@sha256:digest',
    );
  });
});

describe('OCI: selection uses an index, not a scan', () => {
  function counted(policy: OciTrustPolicy): { policy: OciTrustPolicy; reads: () => number } {
    let reads = 0;
    const statements = new Proxy(policy.trustPolicies as OciTrustPolicyStatement[], {
      get(target, key, receiver) {
        reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    return { policy: { version: '1.0', trustPolicies: statements }, reads: () => reads };
  }

  test('a policy object is indexed once; later selections read no statement', () => {
    const { policy, reads } = counted(oci);
    selectOciPolicy(policy, `other.io/x@${DIGEST}`);
    const afterFirst = reads();
    expect(afterFirst).toBeGreaterThan(0);
    for (let i = 0; i < 100; i++) selectOciPolicy(policy, `localhost:5000/app@${DIGEST}`);
    expect(reads()).toBe(afterFirst);
  });

  test('10,000 statements: every repository gets its own statement', () => {
    const n = 10_000;
    const big = parseOciTrustPolicy(
      doc(
        ...Array.from({ length: n }, (_, i) =>
          ociStatement(`p${i}`, { registryScopes: [`r.io/team${i}/app`] }),
        ),
        ociStatement('g', { registryScopes: ['*'] }),
      ),
    );
    for (let i = 0; i < n; i += 997) {
      expect(selectOciPolicy(big, `r.io/team${i}/app@${DIGEST}`).name).toBe(`p${i}`);
    }
    expect(selectOciPolicy(big, `r.io/team${n}/app@${DIGEST}`).name).toBe('g');
  });

  test('hand-built policy objects work too (the last statement naming a scope wins, as in Go)', () => {
    const s = (name: string, registryScopes: string[]): OciTrustPolicyStatement => ({
      name,
      registryScopes,
      signatureVerification: { level: 'strict' },
      trustStores: ['ca:a'],
      trustedIdentities: ['*'],
    });
    const policy: OciTrustPolicy = {
      version: '1.0',
      trustPolicies: [s('a', ['r.io/x']), s('b', ['r.io/x'])],
    };
    expect(selectOciPolicy(policy, `r.io/x@${DIGEST}`).name).toBe('b');
  });
});

describe('blob: by name, else the global statement', () => {
  const blob = parseBlobTrustPolicy(
    doc(
      blobStatement('wabbit-networks-blobs'),
      blobStatement('global-policy-for-all-blobs', {
        globalPolicy: true,
        signatureVerification: { level: 'audit' },
      }),
    ),
  );
  const noGlobalBlob = parseBlobTrustPolicy(doc(blobStatement('only')));

  test('the statement with exactly that name', () => {
    expect(selectBlobPolicy(blob, 'wabbit-networks-blobs').name).toBe('wabbit-networks-blobs');
    expect(selectBlobPolicy(blob, 'global-policy-for-all-blobs').name).toBe(
      'global-policy-for-all-blobs',
    );
  });

  test('no statement with that name (names are case-sensitive): ERR_POLICY_NOT_FOUND', () => {
    const err = expectError(
      () => selectBlobPolicy(blob, 'Wabbit-Networks-Blobs'),
      ErrorCode.POLICY_NOT_FOUND,
      'no applicable blob trust policy with name "Wabbit-Networks-Blobs"',
    );
    expect(err).toMatchObject({ details: { policyName: 'Wabbit-Networks-Blobs' } });
  });

  test('no name, or an empty one, selects the global statement', () => {
    expect(selectBlobPolicy(blob).name).toBe('global-policy-for-all-blobs');
    expect(selectBlobPolicy(blob, '').name).toBe('global-policy-for-all-blobs');
  });

  test('no name and no global statement: ERR_POLICY_NOT_FOUND', () => {
    expectError(
      () => selectBlobPolicy(noGlobalBlob),
      ErrorCode.POLICY_NOT_FOUND,
      'no global blob trust policy',
    );
  });

  test('a name of only white space is a usage error, as in Go', () => {
    expectError(() => selectBlobPolicy(blob, '  '), ErrorCode.USAGE, 'policy name cannot be empty');
  });
});

describe('store references', () => {
  test('parseStoreReference splits type and name', () => {
    expect(parseStoreReference('ca:acme-rockets')).toEqual({ type: 'ca', name: 'acme-rockets' });
    expect(parseStoreReference('signingAuthority:sa.1')).toEqual({
      type: 'signingAuthority',
      name: 'sa.1',
    });
    expect(parseStoreReference('tsa:Public_TSA')).toEqual({ type: 'tsa', name: 'Public_TSA' });
  });

  test.each(['', 'ca', 'ca:', 'Ca:x', 'x509:ca', 'ca:a/b', 'ca:../x', 'ca:a:b'])(
    'parseStoreReference(%j) is invalid',
    (ref) => {
      const err = expectError(
        () => parseStoreReference(ref),
        ErrorCode.POLICY_INVALID,
        'trust store reference',
      );
      expect(err).toMatchObject({ details: { trustStore: ref } });
    },
  );

  test('referencedStores: each store once, sorted by type then name', () => {
    const p = parseOciTrustPolicy(
      doc(
        ociStatement('a', { trustStores: ['tsa:t', 'ca:zeta', 'ca:Alpha', 'ca:alpha'] }),
        ociStatement('b', { trustStores: ['signingAuthority:s', 'ca:zeta', 'ca:alpha'] }),
        ociStatement('c', {
          signatureVerification: { level: 'skip' },
          trustStores: undefined,
          trustedIdentities: undefined,
        }),
      ),
    );
    expect(referencedStores(p)).toEqual([
      { type: 'ca', name: 'Alpha' },
      { type: 'ca', name: 'alpha' },
      { type: 'ca', name: 'zeta' },
      { type: 'signingAuthority', name: 's' },
      { type: 'tsa', name: 't' },
    ]);
  });

  test('referencedStores works for blob policies and returns a fresh array each time', () => {
    const p = parseBlobTrustPolicy(doc(blobStatement('a', { trustStores: ['ca:b', 'ca:a'] })));
    const first = referencedStores(p);
    first.pop();
    expect(referencedStores(p)).toEqual([
      { type: 'ca', name: 'a' },
      { type: 'ca', name: 'b' },
    ]);
  });
});
