/**
 * Lazy access to pkijs/asn1js (ESM-only, ~70 ms to load: only the timestamp
 * check pays for them) and small helpers over their objects.
 */
import type * as Asn1jsModule from 'asn1js';
import type * as PkijsModule from 'pkijs';

/** The pkijs and asn1js modules. */
export interface CmsModules {
  readonly pkijs: typeof PkijsModule;
  readonly asn1js: typeof Asn1jsModule;
}

let modules: CmsModules | undefined;

/**
 * Loads pkijs and asn1js on first use. Node ≥ 20.19 can require() these
 * ES modules synchronously, which keeps {@link verifyTimestampToken} sync.
 */
export function cms(): CmsModules {
  if (!modules) {
    modules = {
      pkijs: require('pkijs') as typeof PkijsModule,
      asn1js: require('asn1js') as typeof Asn1jsModule,
    };
  }
  return modules;
}

/** A node of an asn1js tree (the base class every parsed object extends). */
export type Asn1Node = Asn1jsModule.AsnType;

/** Tag class numbers of asn1js (`idBlock.tagClass`). */
export const TAG_CLASS = { universal: 1, application: 2, contextSpecific: 3, private: 4 } as const;

/** The exact bytes a parsed asn1js node was decoded from. */
export function rawBytes(node: Asn1Node): Buffer {
  const view = (node as Asn1jsModule.BaseBlock).valueBeforeDecodeView;
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** The content of an OCTET STRING, joining the pieces of a constructed (BER) one. */
export function octetStringBytes(node: Asn1Node): Buffer {
  const { asn1js } = cms();
  if (!(node instanceof asn1js.OctetString)) throw new Error('expected an OCTET STRING');
  if (node.idBlock.isConstructed) {
    return Buffer.concat(node.valueBlock.value.map((part) => octetStringBytes(part)));
  }
  const v = node.valueBlock.valueHexView;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Children of a constructed asn1js node. */
export function children(node: Asn1Node): Asn1Node[] {
  const block = (node as Asn1jsModule.Constructed).valueBlock as { value?: unknown };
  return Array.isArray(block.value) ? (block.value as Asn1Node[]) : [];
}

/** True when `node` has this tag class and number. */
export function hasTag(
  node: Asn1Node | undefined,
  tagClass: number,
  tagNumber: number,
): node is Asn1Node {
  return (
    node !== undefined && node.idBlock.tagClass === tagClass && node.idBlock.tagNumber === tagNumber
  );
}
