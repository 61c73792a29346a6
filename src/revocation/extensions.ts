/**
 * Readers for the certificate extensions that say where revocation
 * information lives: Authority Information Access (OCSP responders, RFC 5280
 * §4.2.2.1), CRL Distribution Points (§4.2.1.13) and Freshest CRL (delta
 * CRLs, §4.2.1.15). They walk @sigstore/core ASN1Obj trees from the shared
 * extension map. An absent extension means "no such information"; a
 * malformed one throws {@link RevocationInfoError}, which makes the
 * certificate's status `unknown` (fail closed).
 */
import type { ASN1Obj } from '@sigstore/core';
import type { Certificate } from '../x509/certificate';
import { certificateExtensions, EXTENSION_OID } from '../x509/extensions';

/** id-ad-ocsp (RFC 5280 §4.2.2.1). */
const ID_AD_OCSP = '1.3.6.1.5.5.7.48.1';
/** GeneralName uniformResourceIdentifier [6] IA5String. */
const GN_URI = 6;
/** DistributionPoint.distributionPoint [0]; DistributionPointName.fullName [0]. */
const DP_NAME = 0;
const DP_FULL_NAME = 0;

/** A revocation-information extension that cannot be read. */
export class RevocationInfoError extends Error {}

function uriOf(generalName: ASN1Obj): string | undefined {
  if (!generalName.tag.isContextSpecific(GN_URI)) return undefined;
  return generalName.value.toString('ascii');
}

/** OCSP responder URLs of `cert`'s AIA extension, in certificate order. */
export function ocspUrls(cert: Certificate): string[] {
  const ext = certificateExtensions(cert).get(EXTENSION_OID.authorityInfoAccess);
  if (!ext) return [];
  try {
    const out: string[] = [];
    // AuthorityInfoAccessSyntax ::= SEQUENCE OF AccessDescription { accessMethod, accessLocation }
    for (const ad of ext.value.subs) {
      const [method, location] = ad.subs;
      if (!method || !location) throw new Error('short AccessDescription');
      if (method.toOID() !== ID_AD_OCSP) continue;
      const uri = uriOf(location);
      if (uri !== undefined) out.push(uri);
    }
    return out;
  } catch (err) {
    throw new RevocationInfoError(
      `certificate "${cert.subject}" has a malformed Authority Information Access extension (${(err as Error).message})`,
    );
  }
}

/**
 * URIs of the fullName of every DistributionPoint of a CRLDistributionPoints
 * or FreshestCRL value (same syntax, RFC 5280 §4.2.1.13 and §4.2.1.15).
 */
export function distributionPointUrls(value: ASN1Obj): string[] {
  const out: string[] = [];
  for (const dp of value.subs) {
    const name = dp.subs.find((s) => s.tag.isContextSpecific(DP_NAME));
    const fullName = name?.subs.find((s) => s.tag.isContextSpecific(DP_FULL_NAME));
    for (const gn of fullName?.subs ?? []) {
      const uri = uriOf(gn);
      if (uri !== undefined) out.push(uri);
    }
  }
  return out;
}

function extensionUrls(cert: Certificate, oid: string, what: string): string[] {
  const ext = certificateExtensions(cert).get(oid);
  if (!ext) return [];
  try {
    return distributionPointUrls(ext.value);
  } catch (err) {
    throw new RevocationInfoError(
      `certificate "${cert.subject}" has a malformed ${what} extension (${(err as Error).message})`,
    );
  }
}

/** CRL URLs of `cert`'s CRL Distribution Points extension. */
export function crlUrls(cert: Certificate): string[] {
  return extensionUrls(cert, EXTENSION_OID.crlDistributionPoints, 'CRL Distribution Points');
}

/** True when `cert` names delta CRLs (FreshestCRL extension). */
export function hasFreshestCrl(cert: Certificate): boolean {
  return certificateExtensions(cert).has(EXTENSION_OID.freshestCrl);
}

/** True when `url` uses plain http, the only scheme notation-core-go fetches revocation data over. */
export function isHttpUrl(url: string): boolean {
  try {
    return new URL(url).protocol === 'http:';
  } catch {
    return false;
  }
}
