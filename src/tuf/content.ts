import { TARGET_NAMES } from '../trust/targets';
import { ErrorCode, PolicyError, TrustError, TufNotaryError } from '../errors';
import { parseBlobTrustPolicy, parseOciTrustPolicy, referencedStores } from '../policy';
import type { BlobTrustPolicy, OciTrustPolicy } from '../policy/types';
import { parseRevocationList, parseStoreCertificates } from '../trust';
import type {
  RevokedCertificate,
  SnapshotTarget,
  StoreType,
  TrustedCertificate,
} from '../trust/types';

/** One parsed named store. */
export interface ContentStore {
  readonly type: StoreType;
  readonly name: string;
  readonly certificates: readonly TrustedCertificate[];
}

/** The trust content of one repository state: parsed, validated, with the target records it came from. */
export interface TrustContent {
  readonly policy: OciTrustPolicy;
  readonly blobPolicy?: BlobTrustPolicy;
  readonly stores: readonly ContentStore[];
  readonly revocations: readonly RevokedCertificate[];
  readonly targets: readonly SnapshotTarget[];
}

/** A verified target: its TUF record and bytes. */
export interface VerifiedTarget {
  readonly record: SnapshotTarget;
  readonly bytes: Uint8Array;
}

/** Looks up and downloads one target through TUF; `undefined` when the targets metadata has no such path. */
export type TargetReader = (path: string) => Promise<VerifiedTarget | undefined>;

function policyError(file: string, err: unknown): TufNotaryError {
  if (err instanceof TufNotaryError) return err;
  return new PolicyError(
    ErrorCode.POLICY_INVALID,
    `${file} is not a valid trust policy: ${String(err)}`,
    {
      cause: err,
      details: { file },
    },
  );
}

/**
 * Reads the trust content of the repository (DESIGN.md conventions): the OCI
 * policy (required), the blob policy and revocations.json when listed, then
 * exactly the stores the policies name. Anything missing or invalid fails the
 * whole read (ERR_TRUST_INCOMPLETE / ERR_POLICY_INVALID), so a partial update
 * can never become active.
 */
export async function readTrustContent(read: TargetReader, source: string): Promise<TrustContent> {
  const targets: SnapshotTarget[] = [];
  const policyFile = await read(TARGET_NAMES.ociPolicy);
  if (policyFile === undefined) {
    throw new TrustError(
      ErrorCode.TRUST_INCOMPLETE,
      `the trust repository at ${source} has no ${TARGET_NAMES.ociPolicy} target; publish an OCI trust policy first`,
      { details: { target: TARGET_NAMES.ociPolicy } },
    );
  }
  targets.push(policyFile.record);
  let policy: OciTrustPolicy;
  try {
    policy = parseOciTrustPolicy(Buffer.from(policyFile.bytes).toString('utf8'));
  } catch (err) {
    throw policyError(TARGET_NAMES.ociPolicy, err);
  }
  let blobPolicy: BlobTrustPolicy | undefined;
  const blobFile = await read(TARGET_NAMES.blobPolicy);
  if (blobFile !== undefined) {
    targets.push(blobFile.record);
    try {
      blobPolicy = parseBlobTrustPolicy(Buffer.from(blobFile.bytes).toString('utf8'));
    } catch (err) {
      throw policyError(TARGET_NAMES.blobPolicy, err);
    }
  }
  let revocations: RevokedCertificate[] = [];
  const revocationFile = await read(TARGET_NAMES.revocations);
  if (revocationFile !== undefined) {
    targets.push(revocationFile.record);
    revocations = parseRevocationList(revocationFile.bytes);
  }
  const wanted = new Map<string, { type: StoreType; name: string }>();
  for (const ref of [
    ...referencedStores(policy),
    ...(blobPolicy === undefined ? [] : referencedStores(blobPolicy)),
  ]) {
    wanted.set(`${ref.type}:${ref.name}`, { type: ref.type, name: ref.name });
  }
  const stores: ContentStore[] = [];
  for (const { type, name } of wanted.values()) {
    const file = TARGET_NAMES.store(type, name);
    const storeFile = await read(file);
    if (storeFile === undefined) {
      throw new TrustError(
        ErrorCode.TRUST_INCOMPLETE,
        `the trust policy names store ${type}:${name} but the trust repository at ${source} has no target ${file}; ` +
          'publish the store or remove it from the policy',
        { details: { store: `${type}:${name}`, target: file } },
      );
    }
    targets.push(storeFile.record);
    stores.push({
      type,
      name,
      certificates: parseStoreCertificates(storeFile.bytes, type, name, file),
    });
  }
  return { policy, blobPolicy, stores, revocations, targets };
}
