/**
 * Tampering with a valid signed envelope (issue 7 §1): every single-byte
 * mutation and every single-field mutation of a valid JWS or COSE envelope
 * is rejected by `Verifier.verify` (ok=false, coded error).
 *
 * The only mutations allowed to verify are those of bytes the signature does
 * not cover AND that the envelope specifications declare unsigned and
 * informational (DIGEST §4.3 "Unsigned attributes"):
 * - `io.cncf.notary.signingAgent` (JWS `header`, COSE unprotected): "never
 *   validated"; a changed agent string may verify, with the same signer,
 *   payload and signing time, and the outcome reports the changed agent;
 * - unprotected header entries the profiles do not define (RFC 7515 §4 and
 *   RFC 9052 §3 let the unprotected bucket carry any header; notation-go
 *   ignores unknown ones): adding one may verify, again with the same signer
 *   and payload.
 * Each exception is asserted precisely in {@link expectUnsignedChangeOnly}.
 * Everything else — protected headers, payload, signature, certificate
 * chain, the timestamp token, the CBOR/JSON structure — must be refused.
 */
import { Decoder, Encoder, Tag } from 'cbor-x';
import fc from 'fast-check';
import { Verifier } from '../../src/verify';
import type { VerificationOutcome } from '../../src/verify/types';
import type { TestChain } from '../helpers/pki';
import { createTestTsa, type TestTsa } from '../helpers/tsa';
import { H, nowSeconds, signEnvelope, type TestEnvelopeMediaType } from '../helpers/signer';
import {
  ARTIFACT,
  buildChain,
  KEY_INDEX,
  makeTrust,
  MEDIA_TYPES,
  signTimestamped,
} from '../verify/fixtures';
import {
  assertProperty,
  bytePositions,
  casesOf,
  codeOf,
  flipByte,
  outcomesOf,
  printSummaryAfterAll,
  runs,
  tally,
} from './harness';

printSummaryAfterAll('envelope-mutation');

const AGENT = 'notation/1.0.0 tuf-notary-hostile';
const MASKS = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff, 0x55];
const cbor = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });

let chain: TestChain;
let otherChain: TestChain;
let tsa: TestTsa;
/** Plain envelopes verify against `ca:acme`; timestamped ones also need `tsa:tsa` (verifyTimestamp: always). */
const verifiers: Record<'plain' | 'timestamped', Verifier> = {} as never;

/** The valid envelopes under attack: plain, and with a timestamp countersignature. */
const envelopes = new Map<
  string,
  {
    mediaType: TestEnvelopeMediaType;
    bytes: Uint8Array;
    base: VerificationOutcome;
    verify: (bytes: Uint8Array) => Promise<VerificationOutcome>;
  }
>();

beforeAll(async () => {
  chain = await buildChain({ name: 'Acme' });
  otherChain = await buildChain({ name: 'Acme', caKeyIndex: KEY_INDEX.other, leafKeyIndex: 3 });
  tsa = await createTestTsa(
    await buildChain({ name: 'Test TSA', timeStamping: true, caKeyIndex: KEY_INDEX.tsa }),
  );
  verifiers.plain = new Verifier(makeTrust({ stores: { 'ca:acme': [chain.root] } }));
  verifiers.timestamped = new Verifier(
    makeTrust({
      stores: { 'ca:acme': [chain.root], 'tsa:tsa': [tsa.chain.root] },
      statements: [{ trustStores: ['ca:acme', 'tsa:tsa'] }],
    }),
  );
  for (const mediaType of MEDIA_TYPES) {
    const plain = signEnvelope(mediaType, { chain, signingAgent: AGENT });
    const stamped = await signTimestamped(
      mediaType,
      { chain, signingAgent: AGENT },
      tsa,
      nowSeconds(-60_000),
    );
    for (const [kind, bytes] of [
      ['plain', plain],
      ['timestamped', stamped],
    ] as const) {
      const verify = (b: Uint8Array): Promise<VerificationOutcome> =>
        verifiers[kind].verify({ artifact: ARTIFACT, envelope: b, mediaType });
      envelopes.set(`${mediaType} ${kind}`, {
        mediaType,
        bytes,
        base: await verify(bytes),
        verify,
      });
    }
  }
});

/**
 * The outcome of a mutated envelope: `rejected:<code>` (coded error, ok=false)
 * or `verified-unsigned-change` after checking that only unsigned data changed.
 */
function judge(
  o: VerificationOutcome,
  base: VerificationOutcome,
  allowUnsigned: boolean,
  what: string,
): string {
  if (!o.ok) {
    if (!o.error) throw new Error(`${what}: ok=false without an error`);
    return `rejected:${codeOf(o.error)}`;
  }
  if (!allowUnsigned) {
    throw new Error(`${what}: a mutated envelope verified (signer ${o.signer?.subject})`);
  }
  expectUnsignedChangeOnly(o, base, what);
  return 'verified-unsigned-change';
}

/** The documented exception: the signed content, signer and checks are exactly the original's. */
function expectUnsignedChangeOnly(
  o: VerificationOutcome,
  base: VerificationOutcome,
  what: string,
): void {
  const same =
    o.signer?.fingerprint === base.signer?.fingerprint &&
    o.signer?.chain.length === base.signer?.chain.length &&
    JSON.stringify(o.payload) === JSON.stringify(base.payload) &&
    o.envelope?.signingTime?.getTime() === base.envelope?.signingTime?.getTime() &&
    o.envelope?.algorithm === base.envelope?.algorithm &&
    o.envelope?.timestamp?.genTime?.getTime() === base.envelope?.timestamp?.genTime?.getTime() &&
    JSON.stringify(o.checks.map((c) => [c.check, c.result])) ===
      JSON.stringify(base.checks.map((c) => [c.check, c.result]));
  if (!same) throw new Error(`${what}: verified with different signed content or signer`);
}

/**
 * Bytes of the signing-agent entry, key and value (`"io.cncf.notary.signingAgent":"…"`
 * in JWS, the text key and text value in COSE): the only unsigned
 * informational bytes. Changing its key renames the entry (the agent is gone
 * and an undefined unprotected header appears); changing its value changes
 * the agent. Both are documented exceptions.
 */
function agentRange(bytes: Uint8Array): [number, number] {
  const buf = Buffer.from(bytes);
  const at = buf.indexOf(AGENT);
  const keyAt = buf.lastIndexOf(H.signingAgent, at);
  if (at < 0 || keyAt < 0 || at - keyAt > H.signingAgent.length + 4)
    throw new Error('agent not found');
  return [keyAt, at + AGENT.length];
}

/** The bytes around `at`, for failure messages. */
function context(bytes: Uint8Array, at: number): string {
  const b = Buffer.from(bytes);
  return `${JSON.stringify(b.subarray(Math.max(0, at - 24), at).toString('latin1'))} [${b[at]}] ${JSON.stringify(b.subarray(at + 1, at + 24).toString('latin1'))}`;
}

describe('every single-byte mutation of a valid envelope is rejected', () => {
  for (const key of [
    'application/jose+json plain',
    'application/cose plain',
    'application/jose+json timestamped',
    'application/cose timestamped',
  ]) {
    test(`${key}: every position (timestamped: sampled in CI), rotating XOR masks`, async () => {
      const { bytes, base, verify } = envelopes.get(key)!;
      expect(base.error?.message).toBeUndefined();
      expect(base.ok).toBe(true);
      const [agentStart, agentEnd] = agentRange(bytes);
      const name = `byte flips ${key}`;
      // Timestamped envelopes cost a TSA chain validation per case: sampled in CI.
      const all = key.endsWith('plain') ? 16 * 1024 : runs(400);
      for (const at of bytePositions(bytes.length, all, runs(400))) {
        const mask = MASKS[at % MASKS.length]!;
        const o = await verify(flipByte(bytes, at, mask));
        const inAgent = at >= agentStart && at < agentEnd;
        tally(
          name,
          judge(
            o,
            base,
            inAgent,
            `${key} byte ${at} ^ 0x${mask.toString(16)} in ${context(bytes, at)}`,
          ),
        );
      }
      expect(casesOf(name)).toBe(
        Math.min(bytes.length, bytes.length <= all ? bytes.length : runs(400)),
      );
    });

    test(`${key}: random positions with random masks`, async () => {
      const { bytes, base, verify } = envelopes.get(key)!;
      const [agentStart, agentEnd] = agentRange(bytes);
      await assertProperty(
        `random byte flips ${key}`,
        300,
        [fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 })],
        async (at, mask) => {
          const o = await verify(flipByte(bytes, at, mask));
          return judge(
            o,
            base,
            at >= agentStart && at < agentEnd,
            `${key} byte ${at} ^ ${mask} in ${context(bytes, at)}`,
          );
        },
      );
    });
  }
});

// ------------------------------------------------------------ field mutations

/** Values a field is replaced with (besides deletion and a one-character edit). */
const REPLACEMENTS: unknown[] = [null, 0, -1, 1.5, 2 ** 53, true, '', 'x', [], {}, ['x'], { a: 1 }];

/** Variants of one value: other types, an edited string or number, a shortened array. */
function variants(v: unknown): unknown[] {
  const out: unknown[] = REPLACEMENTS.filter((r) => JSON.stringify(r) !== JSON.stringify(v));
  if (typeof v === 'string' && v.length > 0) {
    const mid = Math.floor(v.length / 2);
    const c = v.charCodeAt(mid);
    out.push(v.slice(0, mid) + String.fromCharCode(c === 0x41 ? 0x42 : 0x41) + v.slice(mid + 1));
    out.push(
      v + v.slice(-1),
      v.slice(0, -1),
      v.toUpperCase() === v ? v.toLowerCase() : v.toUpperCase(),
    );
  }
  if (typeof v === 'number') out.push(v + 1, v - 1, -v, String(v));
  if (Array.isArray(v) && v.length > 0)
    out.push(v.slice(1), v.slice(0, -1), [...v].reverse(), [...v, v[0]]);
  // A "mutation" that re-encodes the same value is no mutation.
  return out.filter((x) => JSON.stringify(x) !== JSON.stringify(v));
}

/** One field mutation: a name, the mutated envelope, and whether it touches only unsigned data. */
interface Mutation {
  name: string;
  bytes: Uint8Array;
  unsigned?: boolean;
}

type Json = Record<string, unknown>;

/** Every single-field mutation of a JSON object (delete, replace, rename, add). */
function objectMutations(
  obj: Json,
  label: string,
  rebuild: (o: Json) => Uint8Array,
  unsigned: (k: string, v: unknown) => boolean = () => false,
): Mutation[] {
  const out: Mutation[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const { [k]: _dropped, ...rest } = obj;
    out.push({
      name: `${label}: delete ${k}`,
      bytes: rebuild(rest),
      unsigned: unsigned(k, undefined),
    });
    out.push({
      name: `${label}: rename ${k}`,
      bytes: rebuild({ ...rest, [k + 'x']: v }),
      unsigned: unsigned(k + 'x', v),
    });
    for (const nv of variants(v)) {
      out.push({
        name: `${label}: ${k} = ${JSON.stringify(nv)?.slice(0, 40)}`,
        bytes: rebuild({ ...obj, [k]: nv }),
        unsigned: unsigned(k, nv),
      });
    }
  }
  out.push({
    name: `${label}: add io.example.extra`,
    bytes: rebuild({ ...obj, 'io.example.extra': 'x' }),
    unsigned: unsigned('io.example.extra', 'x'),
  });
  return out;
}

function b64u(b: Uint8Array | string): string {
  return Buffer.from(b).toString('base64url');
}

/** Field mutations of a flattened JWS: top level, protected header, payload, header, signature. */
function jwsMutations(bytes: Uint8Array, other: Uint8Array): Mutation[] {
  const doc = JSON.parse(Buffer.from(bytes).toString()) as Json;
  const enc = (o: Json): Uint8Array => new Uint8Array(Buffer.from(JSON.stringify(o)));
  const prot = JSON.parse(Buffer.from(String(doc.protected), 'base64url').toString()) as Json;
  const payload = JSON.parse(Buffer.from(String(doc.payload), 'base64url').toString()) as Json;
  const target = payload.targetArtifact as Json;
  const header = doc.header as Json;
  const otherDoc = JSON.parse(Buffer.from(other).toString()) as Json;
  const x5c = header.x5c as string[];
  const otherX5c = (otherDoc.header as Json).x5c as string[];
  const out: Mutation[] = [
    ...objectMutations(doc, 'envelope', enc),
    ...objectMutations(prot, 'protected', (p) =>
      enc({ ...doc, protected: b64u(JSON.stringify(p)) }),
    ),
    ...objectMutations(payload, 'payload', (p) =>
      enc({ ...doc, payload: b64u(JSON.stringify(p)) }),
    ),
    ...objectMutations(target, 'targetArtifact', (t) =>
      enc({ ...doc, payload: b64u(JSON.stringify({ ...payload, targetArtifact: t })) }),
    ),
    ...objectMutations(
      header,
      'header',
      (h) => enc({ ...doc, header: h }),
      (k) =>
        // The signing agent (any value) and headers the profile does not define are unsigned.
        k === H.signingAgent || !['x5c', H.timestampSignature, H.signingAgent].includes(k),
    ),
    // Same key, other content: each part taken from another valid envelope.
    {
      name: 'signature from another envelope',
      bytes: enc({ ...doc, signature: otherDoc.signature }),
    },
    { name: 'payload from another envelope', bytes: enc({ ...doc, payload: otherDoc.payload }) },
    {
      name: 'protected from another envelope',
      bytes: enc({ ...doc, protected: otherDoc.protected }),
    },
    // Whitespace and key order are not signed (the JSON is re-read): they must not matter either way.
  ];
  for (const [i] of x5c.entries()) {
    out.push({
      name: `x5c[${i}] from another chain`,
      bytes: enc({
        ...doc,
        header: { ...header, x5c: x5c.map((c, j) => (j === i ? otherX5c[i] : c)) },
      }),
    });
    out.push({
      name: `x5c without [${i}]`,
      bytes: enc({ ...doc, header: { ...header, x5c: x5c.filter((_, j) => j !== i) } }),
    });
    const der = Buffer.from(x5c[i]!, 'base64');
    der[der.length - 3] = der[der.length - 3]! ^ 0x01; // inside the certificate's signature
    out.push({
      name: `x5c[${i}] signature bit`,
      bytes: enc({
        ...doc,
        header: { ...header, x5c: x5c.map((c, j) => (j === i ? der.toString('base64') : c)) },
      }),
    });
  }
  out.push({
    name: 'x5c swapped leaf/intermediate',
    bytes: enc({ ...doc, header: { ...header, x5c: [x5c[1], x5c[0], ...x5c.slice(2)] } }),
  });
  out.push({
    name: 'x5c duplicated leaf',
    bytes: enc({ ...doc, header: { ...header, x5c: [x5c[0], ...x5c] } }),
  });
  out.push({
    name: 'x5c with another chain appended',
    bytes: enc({ ...doc, header: { ...header, x5c: [...x5c, ...otherX5c] } }),
  });
  return out;
}

/** COSE_Sign1 parts. */
interface Cose {
  prot: Buffer;
  unprot: Map<unknown, unknown>;
  payload: Buffer;
  sig: Buffer;
}

function coseOf(bytes: Uint8Array): Cose {
  const t = decoder.decode(Buffer.from(bytes)) as Tag;
  const [prot, unprot, payload, sig] = t.value as [Buffer, Map<unknown, unknown>, Buffer, Buffer];
  return { prot, unprot, payload, sig };
}

function coseBytes(c: Cose, tag = 18): Uint8Array {
  return new Uint8Array(cbor.encode(new Tag([c.prot, c.unprot, c.payload, c.sig], tag)));
}

/** Every single-entry mutation of a CBOR map (delete, replace, relabel, add). */
function mapMutations(
  map: Map<unknown, unknown>,
  label: string,
  rebuild: (m: Map<unknown, unknown>) => Uint8Array,
  unsigned: (k: unknown, v: unknown) => boolean = () => false,
): Mutation[] {
  const out: Mutation[] = [];
  const cborVariants = (v: unknown): unknown[] => {
    if (v instanceof Tag)
      return [
        v.value,
        new Tag(Number(v.value) + 1, v.tag),
        new Tag(v.value, 0),
        ...variants(v.value),
      ];
    if (Buffer.isBuffer(v))
      return [
        Buffer.alloc(0),
        Buffer.concat([v, Buffer.from([0])]),
        v.subarray(1),
        'text',
        ...REPLACEMENTS,
      ];
    if (Array.isArray(v) && v.every((x) => Buffer.isBuffer(x)))
      return [v.slice(1), v.slice(0, -1), [...v].reverse(), [v[0], ...v], v[0], ...REPLACEMENTS];
    return variants(v);
  };
  for (const [k, v] of map) {
    const without = new Map(map);
    without.delete(k);
    out.push({
      name: `${label}: delete ${String(k)}`,
      bytes: rebuild(without),
      unsigned: unsigned(k, undefined),
    });
    const relabeled = new Map(without);
    relabeled.set(typeof k === 'number' ? k + 1000 : `${String(k)}x`, v);
    out.push({
      name: `${label}: relabel ${String(k)}`,
      bytes: rebuild(relabeled),
      unsigned: unsigned(`${String(k)}x`, v),
    });
    for (const nv of cborVariants(v)) {
      const m = new Map(map);
      m.set(k, nv);
      out.push({
        name: `${label}: ${String(k)} = ${String(JSON.stringify(nv))?.slice(0, 40)}`,
        bytes: rebuild(m),
        unsigned: unsigned(k, nv),
      });
    }
  }
  const added = new Map(map);
  added.set('io.example.extra', 'x');
  out.push({
    name: `${label}: add io.example.extra`,
    bytes: rebuild(added),
    unsigned: unsigned('io.example.extra', 'x'),
  });
  return out;
}

/** Field mutations of a COSE_Sign1: structure, protected map, payload, unprotected map, signature. */
function coseMutations(bytes: Uint8Array, other: Uint8Array): Mutation[] {
  const c = coseOf(bytes);
  const o = coseOf(other);
  const prot = decoder.decode(c.prot) as Map<unknown, unknown>;
  const payload = JSON.parse(c.payload.toString()) as Json;
  const target = payload.targetArtifact as Json;
  const chainDer = c.unprot.get(33) as Buffer[];
  const otherDer = o.unprot.get(33) as Buffer[];
  const enc = (x: Cose): Uint8Array => coseBytes(x);
  const out: Mutation[] = [
    {
      name: 'untagged COSE_Sign1',
      bytes: new Uint8Array(cbor.encode([c.prot, c.unprot, c.payload, c.sig])),
    },
    { name: 'tag 98 (COSE_Sign)', bytes: coseBytes(c, 98) },
    { name: 'tag 17 (COSE_Mac0)', bytes: coseBytes(c, 17) },
    {
      name: 'five members',
      bytes: new Uint8Array(cbor.encode(new Tag([c.prot, c.unprot, c.payload, c.sig, c.sig], 18))),
    },
    {
      name: 'three members',
      bytes: new Uint8Array(cbor.encode(new Tag([c.prot, c.unprot, c.payload], 18))),
    },
    {
      name: 'nil (detached) payload',
      bytes: new Uint8Array(cbor.encode(new Tag([c.prot, c.unprot, null, c.sig], 18))),
    },
    {
      name: 'protected as a map, not a bstr',
      bytes: new Uint8Array(cbor.encode(new Tag([prot, c.unprot, c.payload, c.sig], 18))),
    },
    { name: 'signature from another envelope', bytes: enc({ ...c, sig: o.sig }) },
    { name: 'payload from another envelope', bytes: enc({ ...c, payload: o.payload }) },
    { name: 'protected from another envelope', bytes: enc({ ...c, prot: o.prot }) },
    { name: 'empty signature', bytes: enc({ ...c, sig: Buffer.alloc(0) }) },
    {
      name: 'payload with whitespace',
      bytes: enc({ ...c, payload: Buffer.from(JSON.stringify(payload, null, 1)) }),
    },
    ...mapMutations(prot, 'protected', (m) => enc({ ...c, prot: Buffer.from(cbor.encode(m)) })),
    ...objectMutations(payload, 'payload', (p) =>
      enc({ ...c, payload: Buffer.from(JSON.stringify(p)) }),
    ),
    ...objectMutations(target, 'targetArtifact', (t) =>
      enc({ ...c, payload: Buffer.from(JSON.stringify({ ...payload, targetArtifact: t })) }),
    ),
    ...mapMutations(
      c.unprot,
      'unprotected',
      (m) => enc({ ...c, unprot: m }),
      (k) =>
        k === H.signingAgent ||
        !([33, H.timestampSignature, H.signingAgent] as unknown[]).includes(k),
    ),
  ];
  for (const [i] of chainDer.entries()) {
    const swap = (der: Buffer): Uint8Array =>
      enc({
        ...c,
        unprot: new Map([...c.unprot, [33, chainDer.map((d, j) => (j === i ? der : d))]]),
      });
    out.push({ name: `x5chain[${i}] from another chain`, bytes: swap(otherDer[i]!) });
    const der = Buffer.from(chainDer[i]!);
    der[der.length - 3] = der[der.length - 3]! ^ 0x01;
    out.push({ name: `x5chain[${i}] signature bit`, bytes: swap(der) });
  }
  out.push({
    name: 'x5chain with another chain appended',
    bytes: enc({ ...c, unprot: new Map([...c.unprot, [33, [...chainDer, ...otherDer]]]) }),
  });
  out.push({
    name: 'x5chain moved to the protected header',
    bytes: enc({
      ...c,
      prot: Buffer.from(cbor.encode(new Map([...prot, [33, chainDer]]))),
      unprot: new Map([...c.unprot].filter(([k]) => k !== 33)),
    }),
  });
  return out;
}

describe('every single-field mutation of a valid envelope is rejected', () => {
  for (const key of [
    'application/jose+json plain',
    'application/cose plain',
    'application/jose+json timestamped',
    'application/cose timestamped',
  ]) {
    test(`${key}: headers, payload fields, certificates, signature, structure`, async () => {
      const { mediaType, bytes, base, verify } = envelopes.get(key)!;
      const other = signEnvelope(mediaType, {
        chain: otherChain,
        signingAgent: AGENT,
        targetArtifact: { size: 99 },
      });
      const mutations =
        mediaType === 'application/cose' ? coseMutations(bytes, other) : jwsMutations(bytes, other);
      const name = `field mutations ${key}`;
      for (const m of mutations) {
        const o = await verify(m.bytes);
        tally(name, judge(o, base, m.unsigned === true, `${key} ${m.name}`));
      }
      expect(casesOf(name)).toBe(mutations.length);
      // The exceptions did happen (so the assertion in judge() ran) and are few.
      expect(outcomesOf(name).get('verified-unsigned-change') ?? 0).toBeGreaterThan(0);
      expect(outcomesOf(name).get('verified-unsigned-change') ?? 0).toBeLessThan(
        mutations.length / 4,
      );
    });
  }
});
