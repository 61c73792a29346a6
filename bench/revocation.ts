/**
 * Issue 4 (revocation): what OCSP and CRL checking costs.
 *
 * - Warm: one Verifier with `revocation: 'online'` whose response cache is
 *   warm, against the same verification with revocation skipped by the
 *   policy (`override: { revocation: 'skip' }`): goal ≤ 1.10×.
 * - Cold: the requests a cold check makes (one per certificate that needs
 *   it: leaf OCSP + intermediate CRL) and its time against one bare HTTP
 *   round trip to the same responder.
 * - A 100,000-entry CRL: parse + index once, then the cost of one lookup.
 *
 * Everything runs on 127.0.0.1: Debian's `openssl ocsp` responder behind the
 * stub HTTP server of test/helpers/ocsp.ts, which also serves the CRLs.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { createTrustStores, parseOciTrustPolicy, parseStoreCertificates } from '../src/index';
import type { VerifierTrust } from '../src/trust/types';
import { RevocationChecker } from '../src/revocation';
import { lookupSerial, parseCrl, validateCrl } from '../src/revocation/crl';
import { buildOcspRequest, evaluateOcspResponse } from '../src/revocation/ocsp';
import { Verifier } from '../src/verify';
import { type Certificate, parseCertificate } from '../src/x509/certificate';
import {
  createRevocationPki,
  freePort,
  OpenSslCa,
  type RevocationPki,
  startStubServer,
  type StubServer,
} from '../test/helpers/ocsp';
import { signEnvelope } from '../test/helpers/signer';
import { formatMs, formatRatio, interleave, median, nowMs, ratioGoal, timeMs } from './measure';
import { BENCH_REPOSITORY } from './signatures';
import type { BenchContext, BenchmarkModule, BenchResult, Figure, GoalResult } from './types';

/** Issue 4: a warm-cache verification costs at most 1.1× one without revocation. */
const WARM_GOAL = 1.1;
const BATCH = { full: 50, quick: 15, smoke: 2 } as const;
const ROUNDS = { full: 21, quick: 7, smoke: 1 } as const;
const COLD_ROUNDS = { full: 31, quick: 9, smoke: 1 } as const;
const CRL_ENTRIES = { full: 100_000, quick: 100_000, smoke: 1_000 } as const;
const MEDIA_TYPE = 'application/jose+json';

/** The fixture: a chain whose leaf names an OCSP responder and whose intermediate names a CRL. */
interface RevocationFixture {
  readonly stub: StubServer;
  readonly pki: RevocationPki;
  readonly cas: OpenSslCa[];
}

async function startFixture(): Promise<RevocationFixture> {
  const stub = await startStubServer();
  const ocspPort = await freePort();
  const pki = await createRevocationPki({
    name: 'Bench Rev',
    ocspUrl: `${stub.url}/ocsp`,
    crlUrl: `${stub.url}/int.crl`,
    rootCrlUrl: `${stub.url}/root.crl`,
  });
  const intCa = new OpenSslCa(pki.intermediate, pki.intermediateKey);
  const rootCa = new OpenSslCa(pki.root, pki.rootKey);
  intCa.set(pki.leaf, { status: 'valid' });
  stub.route('/int.crl', { body: (await intCa.crl()).der });
  stub.route('/root.crl', { body: (await rootCa.crl()).der });
  stub.route('/ocsp', { proxyPort: ocspPort });
  await intCa.startResponder(ocspPort);
  return { stub, pki, cas: [intCa, rootCa] };
}

async function stopFixture(f: RevocationFixture): Promise<void> {
  for (const ca of f.cas) await ca.dispose();
  await f.stub.close();
}

/** Trust in the fixture root; `skipRevocation` adds `override: { revocation: 'skip' }`. */
function trustFor(pki: RevocationPki, skipRevocation: boolean): VerifierTrust {
  const policy = parseOciTrustPolicy({
    version: '1.0',
    trustPolicies: [
      {
        name: 'bench-revocation',
        registryScopes: [BENCH_REPOSITORY],
        signatureVerification: {
          level: 'strict',
          ...(skipRevocation ? { override: { revocation: 'skip' } } : {}),
        },
        trustStores: ['ca:rev'],
        trustedIdentities: ['*'],
      },
    ],
  });
  const stores = createTrustStores([
    { type: 'ca', name: 'rev', certificates: parseStoreCertificates(pki.root.der, 'ca', 'rev') },
  ]);
  return { policy, stores, revocations: [] };
}

interface Request {
  readonly artifact: string;
  readonly envelope: Uint8Array;
  readonly mediaType: string;
}

function envelopes(pki: RevocationPki, count: number): Request[] {
  return Array.from({ length: count }, (_, i) => {
    const digest = `sha256:${createHash('sha256').update(`bench revocation ${i}`).digest('hex')}`;
    return {
      artifact: `${BENCH_REPOSITORY}@${digest}`,
      envelope: signEnvelope(MEDIA_TYPE, { chain: pki, targetArtifact: { digest } }),
      mediaType: MEDIA_TYPE,
    };
  });
}

async function verifyOk(verifier: Verifier, request: Request): Promise<void> {
  const o = await verifier.verify(request);
  if (!o.ok) throw new Error(`bench: verification failed: ${o.error?.code} ${o.error?.message}`);
}

/** One GET with plain node:http (no agent reuse: the stub closes every connection), body read. */
function bareGetBody(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function bareGet(url: string): Promise<number> {
  return (await bareGetBody(url)).status;
}

interface WarmResult {
  readonly online: number;
  readonly skip: number;
  readonly denylist: number;
  readonly requestsDuringWarm: number;
  readonly methods: string;
}

async function measureWarm(ctx: BenchContext, f: RevocationFixture): Promise<WarmResult> {
  const batch = ctx.pick(BATCH);
  const pool = envelopes(f.pki, ctx.pick({ full: 32, quick: 16, smoke: 2 }));
  const online = new Verifier(trustFor(f.pki, false), { revocation: 'online' });
  const skip = new Verifier(trustFor(f.pki, true), { revocation: 'online' });
  const denylist = new Verifier(trustFor(f.pki, false), { revocation: 'denylist' });
  // Warm every Verifier (chain cache; for `online` the OCSP response and the CRL).
  for (const v of [online, skip, denylist]) await verifyOk(v, pool[0]!);
  const probe = await online.verify(pool[1 % pool.length]!);
  const detail = probe.checks.find((c) => c.check === 'revocation')?.detail;
  const methods = (detail?.revocation ?? []).map((c) => `${c.status}/${c.method}`).join(', ');
  if (
    !probe.ok ||
    !(detail?.revocation ?? []).every((c) => c.method !== 'ocsp' && c.method !== 'crl')
  ) {
    throw new Error(
      `bench: the warm online verification was not served from the cache: ${methods}`,
    );
  }
  const before = f.stub.requests.length;
  let i = 0;
  const next = (): Request => pool[i++ % pool.length]!;
  const perOp = (v: Verifier) => async () => {
    const start = nowMs();
    for (let k = 0; k < batch; k++) await verifyOk(v, next());
    return (nowMs() - start) / batch;
  };
  const s = await interleave(
    { online: perOp(online), skip: perOp(skip), denylist: perOp(denylist) },
    ctx.pick(ROUNDS),
    ctx.pick({ full: 2, quick: 1, smoke: 0 }),
  );
  return {
    online: median(s.online),
    skip: median(s.skip),
    denylist: median(s.denylist),
    requestsDuringWarm: f.stub.requests.length - before,
    methods,
  };
}

interface ColdResult {
  readonly requests: readonly string[];
  readonly needing: number;
  readonly statuses: string;
  readonly cold: number;
  readonly bareOne: number;
  readonly bareAll: number;
  /** CPU parts of the OCSP check: building the request, evaluating the response (pkijs). */
  readonly buildMs: number;
  readonly evaluateMs: number;
}

async function measureCold(ctx: BenchContext, f: RevocationFixture): Promise<ColdResult> {
  const chain = [f.pki.leaf, f.pki.intermediate, f.pki.root].map((c) => parseCertificate(c.der));
  const check = async (): Promise<string> => {
    const r = await new RevocationChecker({ mode: 'online' }).check(chain, {
      purpose: 'codeSigning',
    });
    if (r.status !== 'good') {
      throw new Error(`bench: cold revocation check is ${r.status}: ${JSON.stringify(r)}`);
    }
    return r.certificates.map((c) => `${c.status}/${c.method}`).join(', ');
  };
  await check(); // loads pkijs and make-fetch-happen: not part of any sample
  f.stub.requests.length = 0;
  const statuses = await check();
  const requests = [...f.stub.requests];
  const urls = requests.map((r) => `${f.stub.url}${r.slice(r.indexOf(' ') + 1)}`);
  const ocspUrl = urls.find((u) => u.startsWith(`${f.stub.url}/ocsp`));
  if (!ocspUrl)
    throw new Error(`bench: the cold check made no OCSP request: ${requests.join(', ')}`);
  for (const u of urls) {
    const status = await bareGet(u);
    if (status !== 200) throw new Error(`bench: bare GET ${u} answered ${status}`);
  }
  const s = await interleave(
    {
      cold: () => timeMs(check),
      // One round trip to the OCSP responder, as the checker's GET makes it.
      bareOne: () => timeMs(() => bareGet(ocspUrl)),
      // The same requests, in parallel as the checker issues them (one per certificate).
      bareAll: () => timeMs(() => Promise.all(urls.map(bareGet))),
    },
    ctx.pick(COLD_ROUNDS),
    ctx.pick({ full: 3, quick: 1, smoke: 0 }),
  );
  const [leaf, intermediate] = chain as [Certificate, Certificate];
  const { body } = await bareGetBody(ocspUrl);
  const parts = await interleave(
    {
      build: () => timeMs(() => buildOcspRequest(leaf, intermediate)),
      evaluate: () => timeMs(() => evaluateOcspResponse(body, leaf, intermediate, new Date())),
    },
    ctx.pick(COLD_ROUNDS),
  );
  return {
    buildMs: median(parts.build),
    evaluateMs: median(parts.evaluate),
    requests,
    needing: chain.length - 1, // the root is never checked
    statuses,
    cold: median(s.cold),
    bareOne: median(s.bareOne),
    bareAll: median(s.bareAll),
  };
}

interface CrlResult {
  readonly entries: number;
  readonly bytes: number;
  readonly parseMs: number;
  readonly verifyMs: number;
  readonly hitUs: number;
  readonly missUs: number;
}

async function measureLargeCrl(ctx: BenchContext, f: RevocationFixture): Promise<CrlResult> {
  const n = ctx.pick(CRL_ENTRIES);
  const ca = new OpenSslCa(f.pki.intermediate, f.pki.intermediateKey);
  f.cas.push(ca);
  ca.addBulkRevoked(n);
  const { der } = await ca.crl();
  const issuer = parseCertificate(f.pki.intermediate.der);
  const parses: number[] = [];
  for (let k = 0; k < ctx.pick({ full: 5, quick: 3, smoke: 1 }); k++) {
    parses.push(await timeMs(() => parseCrl(der)));
  }
  const crl = parseCrl(der);
  if (crl.entryCount !== n) throw new Error(`bench: CRL has ${crl.entryCount} entries, not ${n}`);
  const verifyMs = await timeMs(() => validateCrl(crl, issuer, new Date(), 'bench.crl'));
  // Serials of addBulkRevoked: 7F000000 upwards; 6F… are absent.
  const lookups = ctx.pick({ full: 20_000, quick: 5_000, smoke: 10 });
  const hits = Array.from({ length: lookups }, (_, i) =>
    (0x7f000000 + ((i * 7919) % n)).toString(16),
  );
  const misses = Array.from({ length: lookups }, (_, i) => (0x6f000000 + i).toString(16));
  const run = (serials: readonly string[], want: 'good' | 'revoked') => () => {
    const start = nowMs();
    for (const s of serials) {
      if (lookupSerial([crl], s).status !== want) throw new Error(`bench: serial ${s} not ${want}`);
    }
    return ((nowMs() - start) / serials.length) * 1000;
  };
  const s = await interleave(
    { hit: run(hits, 'revoked'), miss: run(misses, 'good') },
    ctx.pick({ full: 9, quick: 5, smoke: 1 }),
  );
  return {
    entries: n,
    bytes: der.length,
    parseMs: median(parses),
    verifyMs,
    hitUs: median(s.hit),
    missUs: median(s.miss),
  };
}

const us = (ms: number): string => `${(ms * 1000).toFixed(0)} µs`;

async function run(ctx: BenchContext): Promise<BenchResult> {
  const f = await startFixture();
  try {
    ctx.log('  revocation: warm cache');
    const warm = await measureWarm(ctx, f);
    ctx.log('  revocation: cold check');
    const cold = await measureCold(ctx, f);
    ctx.log(`  revocation: ${ctx.pick(CRL_ENTRIES)}-entry CRL`);
    const crl = await measureLargeCrl(ctx, f);
    return report(ctx, warm, cold, crl);
  } finally {
    await stopFixture(f);
  }
}

function report(
  ctx: BenchContext,
  warm: WarmResult,
  cold: ColdResult,
  crl: CrlResult,
): BenchResult {
  const figures: Figure[] = [
    {
      label: 'warm: verification, online revocation (cache warm)',
      value: warm.online * 1000,
      unit: 'µs',
      digits: 0,
    },
    {
      label: 'warm: verification, revocation skipped (override)',
      value: warm.skip * 1000,
      unit: 'µs',
      digits: 0,
    },
    {
      label: "warm: verification, revocation: 'denylist'",
      value: warm.denylist * 1000,
      unit: 'µs',
      digits: 0,
    },
    {
      label: 'warm: requests during the warm measurement',
      value: warm.requestsDuringWarm,
      unit: '',
      digits: 0,
    },
    {
      label: 'cold: requests of one chain check',
      value: cold.requests.length,
      unit: '',
      digits: 0,
    },
    { label: 'cold: chain check (fresh checker)', value: cold.cold, unit: 'ms' },
    { label: 'cold: one bare OCSP round trip', value: cold.bareOne, unit: 'ms' },
    { label: 'cold: the same requests bare, in parallel', value: cold.bareAll, unit: 'ms' },
    { label: 'cold: build the OCSP request (pkijs)', value: cold.buildMs, unit: 'ms' },
    {
      label: 'cold: evaluate the OCSP response (pkijs + signature)',
      value: cold.evaluateMs,
      unit: 'ms',
    },
    { label: `CRL of ${crl.entries} entries: size`, value: crl.bytes / 1024 / 1024, unit: 'MiB' },
    {
      label: `CRL of ${crl.entries} entries: parse + index`,
      value: crl.parseMs,
      unit: 'ms',
      digits: 0,
    },
    {
      label: `CRL of ${crl.entries} entries: validate (signature)`,
      value: crl.verifyMs,
      unit: 'ms',
      digits: 1,
    },
    {
      label: `CRL of ${crl.entries} entries: lookup, revoked serial`,
      value: crl.hitUs,
      unit: 'µs',
    },
    {
      label: `CRL of ${crl.entries} entries: lookup, absent serial`,
      value: crl.missUs,
      unit: 'µs',
    },
  ];
  const countOk = cold.requests.length <= cold.needing;
  const goals: GoalResult[] = [
    ratioGoal(
      'Warm revocation cache: online / revocation skipped',
      warm.online,
      warm.skip,
      WARM_GOAL,
      us,
    ),
    {
      label: 'Cold check: requests, one per certificate that needs it',
      goal: `≤ ${cold.needing} (leaf OCSP + intermediate CRL; root never checked)`,
      measured: `${cold.requests.length}: ${cold.requests.map((r) => r.replace(/\/ocsp\/.*/, '/ocsp/<request>')).join(', ')}`,
      pass: countOk,
    },
    ratioGoal(
      `Cold check time / one bare OCSP round trip (budget: ${cold.needing} round trips)`,
      cold.cold,
      cold.bareOne,
      cold.needing,
      formatMs,
    ),
  ];
  return {
    figures,
    goals,
    method: [
      "Chain root → intermediate → leaf (ECDSA P-256, test/helpers/ocsp.ts `createRevocationPki`): the leaf names an OCSP responder (AIA) and a CRL (CDP, the fallback), the intermediate names the root's CRL. The responder is Debian's `openssl ocsp` (index.txt, responses valid 1 day) behind the stub HTTP server on 127.0.0.1, which also serves both CRLs (openssl `ca -gencrl`, valid 24 h). The leaf is good.",
      `Warm: three Verifiers on the same trust (policy \`strict\`, store \`ca:rev\`), each warmed by one verification, then verifying a pool of distinct JWS envelopes of the same chain: \`revocation: 'online'\` (the leaf's OCSP answer and the root's CRL come from its memory cache: ${warm.methods}); the baseline, \`override: { revocation: 'skip' }\` in the policy — chosen because it is the same verification with the revocation step not run at all, so the ratio is exactly what the warm revocation step costs (the deny-list lookup included); and \`revocation: 'denylist'\` (revocations.json only), shown for information. Per-operation medians over batches of ${ctx.pick(BATCH)} verifications, ${ctx.pick(ROUNDS)} rounds, the three in rotating order.`,
      "Cold: `new RevocationChecker({ mode: 'online' }).check(chain)` with an empty cache each sample (pkijs and make-fetch-happen already loaded by an unrecorded first run), counted with the stub server's request log. Baselines with plain `node:http` (`agent: false`, as the stub closes every connection): one GET of the same OCSP URL (through the stub to openssl: one round trip to the responder), and the same request list issued in parallel as the checker does. The goal reads \"one round trip per certificate that needs it\" as a time budget: a cold check ≤ (certificates checked) × one bare OCSP round trip.",
      `Large CRL: ${crl.entries} revoked serials from \`OpenSslCa.addBulkRevoked\` (openssl \`ca -gencrl\`, SHA-256/ECDSA). \`parseCrl\` (parse + index the serials into a Map; median of several runs), \`validateCrl\` once (issuer, signature over the whole TBSCertList, nextUpdate), then \`lookupSerial\` per lookup, revoked serials (the entry is decoded) and absent ones, medians of batches.`,
    ],
    details: [
      '| case | median | ratio |',
      '|---|---|---|',
      `| warm, online (cache) | ${us(warm.online)} | ${formatRatio(warm.online / warm.skip)} of skip |`,
      `| warm, revocation skipped (override) | ${us(warm.skip)} | 1.00× |`,
      `| warm, revocation: 'denylist' | ${us(warm.denylist)} | ${formatRatio(warm.denylist / warm.skip)} of skip |`,
      `| cold chain check (${cold.statuses}) | ${formatMs(cold.cold)} | ${formatRatio(cold.cold / cold.bareOne)} of one bare round trip, ${formatRatio(cold.cold / cold.bareAll)} of the same requests bare |`,
      `| one bare OCSP round trip | ${formatMs(cold.bareOne)} | 1.00× |`,
      `| the same ${cold.requests.length} requests bare, in parallel | ${formatMs(cold.bareAll)} | ${formatRatio(cold.bareAll / cold.bareOne)} |`,
      `| of the cold check: building the OCSP request | ${formatMs(cold.buildMs)} | ${formatRatio(cold.buildMs / cold.bareOne)} |`,
      `| of the cold check: evaluating the OCSP response | ${formatMs(cold.evaluateMs)} | ${formatRatio(cold.evaluateMs / cold.bareOne)} |`,
    ],
  };
}

/** Issue 4: revocation with a warm cache, a cold check, and a large CRL. */
export const revocationBenchmark: BenchmarkModule = {
  id: 'revocation',
  issue: 'Issue 4 — Revocation',
  title: 'OCSP and CRL: warm cache, cold check, 100,000-entry CRL',
  run,
};
