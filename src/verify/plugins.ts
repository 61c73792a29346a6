/**
 * Verification plugins (plugin-extensibility.md, "Verification"; DIGEST §5.2
 * steps 2 and 8). tuf-notary runs no plugin binaries: callers register async
 * functions by name. An envelope that names a plugin nobody registered fails
 * closed before any trust decision (see Verifier).
 */
import { ErrorCode, VerificationError } from '../errors';
import type { SignatureEnvelope } from '../envelope/types';
import type { BlobTrustPolicyStatement, OciTrustPolicyStatement } from '../policy/types';
import { asCoded, EnforcedFailure, type OutcomeRecorder } from './outcome';
import type { PluginCapability, VerificationPlugin } from './types';

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$/;

/** Compares two SemVer 2.0 versions (`-1`, `0`, `1`); undefined when either is not SemVer. */
export function compareSemver(a: string, b: string): number | undefined {
  const ma = SEMVER.exec(a);
  const mb = SEMVER.exec(b);
  if (!ma || !mb) return undefined;
  for (let i = 1; i <= 3; i++) {
    const d = Number(ma[i]) - Number(mb[i]);
    if (d !== 0) return Math.sign(d);
  }
  const pa = ma[4]?.split('.');
  const pb = mb[4]?.split('.');
  // A version without pre-release ranks above one with (SemVer §11.3).
  if (!pa || !pb) return pa ? -1 : pb ? 1 : 0;
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return Math.sign(d);
    } else if (nx !== ny) {
      return nx ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

const PLUGIN_ATTRIBUTES = new Set([
  'io.cncf.notary.verificationPlugin',
  'io.cncf.notary.verificationPluginMinVersion',
]);

/** Which check a plugin capability decides. */
const CAPABILITY_CHECK = {
  'SIGNATURE_VERIFIER.TRUSTED_IDENTITY': 'authenticity',
  'SIGNATURE_VERIFIER.REVOCATION_CHECK': 'revocation',
} as const satisfies Record<PluginCapability, 'authenticity' | 'revocation'>;

function inconclusive(plugin: string, why: string): EnforcedFailure {
  return new EnforcedFailure(
    new VerificationError(ErrorCode.PLUGIN_REQUIRED, `verification plugin "${plugin}" ${why}`, {
      details: { plugin },
    }),
  );
}

/**
 * Calls the plugin with the capabilities the level still needs and records
 * its verdicts: a TRUSTED_IDENTITY failure counts as authenticity, a
 * REVOCATION_CHECK failure as revocation, each with its level action.
 */
export async function runPlugin(
  plugin: VerificationPlugin,
  env: SignatureEnvelope,
  statement: OciTrustPolicyStatement | BlobTrustPolicyStatement,
  rec: OutcomeRecorder,
): Promise<void> {
  const name = env.verificationPlugin!;
  const wanted = (Object.keys(CAPABILITY_CHECK) as PluginCapability[]).filter((c) =>
    rec.runs(CAPABILITY_CHECK[c]),
  );
  const critical = env.extendedAttributes
    .map((a) => a.key)
    .filter((k) => !PLUGIN_ATTRIBUTES.has(k));
  let response;
  try {
    response = await plugin({
      pluginName: name,
      envelope: env,
      capabilities: wanted,
      trustedIdentities: statement.trustedIdentities,
      criticalAttributes: critical,
    });
  } catch (err) {
    throw inconclusive(name, `failed: ${asCoded(err, ErrorCode.PLUGIN_REQUIRED).message}`);
  }
  const min = env.verificationPluginMinVersion;
  if (min !== undefined) {
    const cmp = compareSemver(response.version, min);
    if (cmp === undefined)
      throw inconclusive(name, `reported version "${response.version}", which is not SemVer`);
    if (cmp < 0) {
      throw inconclusive(
        name,
        `is version ${response.version}, but the signature requires ${min} or later`,
      );
    }
  }
  const usable = wanted.filter((c) => response.capabilities.includes(c));
  if (usable.length === 0) {
    throw inconclusive(
      name,
      'has none of the signature verifier capabilities this verification needs',
    );
  }
  for (const key of critical) {
    if (!response.processedAttributes.includes(key)) {
      throw inconclusive(name, `did not process extended critical attribute "${key}"`);
    }
  }
  for (const capability of usable) {
    const verdict = response.verificationResults[capability];
    const check = CAPABILITY_CHECK[capability];
    if (!verdict) throw inconclusive(name, `returned no result for ${capability}`);
    if (verdict.success) continue;
    rec.failed(
      check,
      new VerificationError(
        check === 'revocation' ? ErrorCode.REVOKED : ErrorCode.UNTRUSTED_SIGNER,
        `verification plugin "${name}" failed ${capability}${verdict.reason ? `: ${verdict.reason}` : ''}`,
      ),
      { method: 'plugin' },
    );
  }
}
