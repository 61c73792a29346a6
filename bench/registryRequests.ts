/**
 * Issue 5 (registry): the HTTP requests `verifier.verifyArtifact` makes for
 * an artifact with N signatures (goal: 1 resolve + 1 referrers listing + at
 * most 2 requests per signature tried, stopping at the first success), for
 * N = 1, 5, 20 with the good signature first, in the middle and last; the
 * extra 404 that detects a registry without the referrers API; the token
 * round trips when auth is on; and the time against the same requests
 * replayed bare with node:http.
 *
 * Registry: Debian's docker-registry (distribution 2.8, no referrers API:
 * the tag schema is used) on 127.0.0.1, from test/helpers/registry.ts.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { parseOciTrustPolicy } from '../src/index';
import { parseReference, RegistryClient, type ResolvedArtifact } from '../src/registry';
import { MANIFEST_ACCEPT } from '../src/registry/manifest';
import type { VerifierTrust } from '../src/trust/types';
import { Verifier } from '../src/verify';
import { startRegistry, type RunningRegistry } from '../test/helpers/registry';
import { signEnvelope } from '../test/helpers/signer';
import { startTokenServer, type TokenServer } from '../test/helpers/tokenServer';
import { formatMs, formatRatio, interleave, median, timeMs } from './measure';
import { createBenchSigner, type BenchSigner } from './signatures';
import type {
  BenchContext,
  BenchMode,
  BenchmarkModule,
  BenchResult,
  Figure,
  GoalResult,
} from './types';

const SIGNATURE_COUNTS: { readonly [mode in BenchMode]: readonly number[] } = {
  full: [1, 5, 20],
  quick: [1, 5, 20],
  smoke: [1, 3],
};
const ROUNDS = { full: 21, quick: 7, smoke: 1 } as const;
const MEDIA_TYPE = 'application/jose+json';

/** Where the good signature sits among N. */
type Position = 'first' | 'middle' | 'last';
const POSITIONS: readonly Position[] = ['first', 'middle', 'last'];

function goodIndex(n: number, position: Position): number {
  return position === 'first' ? 0 : position === 'last' ? n - 1 : Math.floor(n / 2);
}

/** One artifact with N signatures, the good one at `position`. */
interface Case {
  readonly n: number;
  readonly position: Position;
  readonly reference: string;
  /** Signatures verifyArtifact tries: up to and including the good one. */
  readonly tried: number;
}

interface CaseResult extends Case {
  /** A fresh RegistryClient: includes the 404 that detects a registry without the referrers API. */
  readonly fresh: readonly string[];
  /** The same client again: the registry's lack of the API is remembered. */
  readonly warm: readonly string[];
  readonly ours: number;
  readonly bare: number;
}

let counter = 0;

/** Pushes an artifact and N signatures (the good one by `good`, the others by an untrusted signer). */
async function pushCase(
  client: RegistryClient,
  host: string,
  n: number,
  position: Position,
  good: BenchSigner,
  stranger: BenchSigner,
): Promise<Case> {
  const repo = `bench/n${n}-${position}`;
  const ref = parseReference(`${host}/${repo}:v1`);
  const config = Buffer.from('{}');
  await client.pushBlob(ref, config, 'application/vnd.oci.empty.v1+json');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: `sha256:${createHash('sha256').update(config).digest('hex')}`,
        size: config.length,
      },
      layers: [],
      annotations: { bench: String(counter++) },
    }),
  );
  await client.pushManifest(ref, manifest, 'application/vnd.oci.image.manifest.v1+json');
  const resolved: ResolvedArtifact = await client.resolve(ref);
  const g = goodIndex(n, position);
  for (let i = 0; i < n; i++) {
    const signer = i === g ? good : stranger;
    const envelope = signEnvelope(MEDIA_TYPE, {
      chain: signer.chain,
      targetArtifact: { ...resolved.descriptor },
    });
    await client.pushSignature(resolved, envelope, MEDIA_TYPE);
  }
  return {
    n,
    position,
    reference: `${host}/${repo}@${resolved.descriptor.digest}`,
    tried: g + 1,
  };
}

function trustFor(signer: BenchSigner): VerifierTrust {
  return {
    stores: signer.trust.stores,
    revocations: [],
    policy: parseOciTrustPolicy({
      version: '1.0',
      trustPolicies: [
        {
          name: 'bench-registry',
          registryScopes: ['*'],
          signatureVerification: { level: 'strict' },
          trustStores: ['ca:bench'],
          trustedIdentities: ['*'],
        },
      ],
    }),
  };
}

async function verifyCase(
  verifier: Verifier,
  registry: RegistryClient,
  c: Pick<Case, 'reference' | 'tried'>,
): Promise<void> {
  const o = await verifier.verifyArtifact(c.reference, { registry });
  if (!o.ok || o.signatures?.length !== c.tried) {
    throw new Error(
      `bench: verifyArtifact ${c.reference}: ok=${o.ok}, ${o.signatures?.length} tried (expected ${c.tried}): ${o.error?.message ?? ''}`,
    );
  }
}

function describeRequests(client: RegistryClient): string[] {
  return client.requests.map((r) => {
    const u = new URL(r.url);
    return `${r.method} ${u.pathname}${u.search} → ${r.status}`;
  });
}

/** The bare replay: every request of the log, in order, with a keep-alive node:http agent. */
function bareReplay(
  agent: http.Agent,
  log: readonly { method: string; url: string; status: number }[],
): () => Promise<number> {
  const one = (r: { method: string; url: string; status: number }): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        r.url,
        { method: r.method, agent, headers: { accept: MANIFEST_ACCEPT, 'user-agent': 'bench' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== r.status) {
              reject(
                new Error(`bench: bare ${r.method} ${r.url} → ${res.statusCode}, not ${r.status}`),
              );
            } else resolve();
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  return () =>
    timeMs(async () => {
      for (const r of log) await one(r);
    });
}

interface AuthResult {
  readonly requests: readonly string[];
  readonly tokenRequests: number;
  readonly tried: number;
}

/** N = 5, good in the middle, against a registry with token auth: the extra round trips. */
async function measureAuth(good: BenchSigner, stranger: BenchSigner): Promise<AuthResult> {
  let tokens: TokenServer | undefined;
  let registry: RunningRegistry | undefined;
  try {
    tokens = await startTokenServer({
      users: {
        ci: { password: 'bench-push', actions: ['pull', 'push'] },
        reader: { password: 'bench-read', actions: ['pull'] },
      },
    });
    registry = await startRegistry({ auth: 'token', tokenServer: tokens });
    const pusher = new RegistryClient({
      credentials: { [registry.host]: { username: 'ci', password: 'bench-push' } },
    });
    const c = await pushCase(pusher, registry.host, 5, 'middle', good, stranger);
    const reader = new RegistryClient({
      credentials: { [registry.host]: { username: 'reader', password: 'bench-read' } },
    });
    const before = tokens.requests.length;
    await verifyCase(new Verifier(trustFor(good)), reader, c);
    return {
      requests: describeRequests(reader),
      tokenRequests: tokens.requests.length - before,
      tried: c.tried,
    };
  } finally {
    await registry?.stop();
    await tokens?.close();
  }
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  const good = await createBenchSigner('Bench Registry', 'ec-p256');
  const stranger = await createBenchSigner('Bench Stranger', 'ec-p256');
  const registry = await startRegistry();
  const agent = new http.Agent({ keepAlive: true });
  const results: CaseResult[] = [];
  let auth: AuthResult;
  try {
    const pusher = new RegistryClient();
    const cases: Case[] = [];
    for (const n of ctx.pick(SIGNATURE_COUNTS)) {
      for (const position of n === 1 ? (['first'] as const) : POSITIONS) {
        cases.push(await pushCase(pusher, registry.host, n, position, good, stranger));
      }
    }
    const verifier = new Verifier(trustFor(good));
    for (const c of cases) {
      ctx.log(`  registry: N=${c.n}, good ${c.position}`);
      const client = new RegistryClient();
      await verifyCase(verifier, client, c);
      const fresh = describeRequests(client);
      client.resetRequestLog();
      await verifyCase(verifier, client, c);
      const warm = describeRequests(client);
      const log = [...client.requests];
      // Time: the reused client and Verifier (a long-running verifier's steady
      // state) against the same request list replayed bare.
      const s = await interleave(
        {
          ours: () =>
            timeMs(async () => {
              client.resetRequestLog();
              await verifyCase(verifier, client, c);
            }),
          bare: bareReplay(agent, log),
        },
        ctx.pick(ROUNDS),
        ctx.pick({ full: 2, quick: 1, smoke: 0 }),
      );
      results.push({ ...c, fresh, warm, ours: median(s.ours), bare: median(s.bare) });
    }
    ctx.log('  registry: token auth');
    auth = await measureAuth(good, stranger);
  } finally {
    agent.destroy();
    await registry.stop();
  }
  return report(ctx, results, auth);
}

function report(ctx: BenchContext, results: readonly CaseResult[], auth: AuthResult): BenchResult {
  const budget = (tried: number) => 2 + 2 * tried;
  const goals: GoalResult[] = [];
  for (const n of [...new Set(results.map((r) => r.n))]) {
    const rows = results.filter((r) => r.n === n);
    goals.push({
      label: `verifyArtifact requests, N = ${n} signatures (reused client)`,
      goal: '≤ 1 resolve + 1 listing + 2 per signature tried',
      measured: rows
        .map(
          (r) =>
            `${r.position}: ${r.warm.length}/${budget(r.tried)} (fresh client ${r.fresh.length})`,
        )
        .join('; '),
      pass: rows.every(
        (r) => r.warm.length <= budget(r.tried) && r.fresh.length <= budget(r.tried) + 1,
      ),
    });
  }
  const figures: Figure[] = results.flatMap((r) => [
    {
      label: `N=${r.n}, good ${r.position}: requests, reused client`,
      value: r.warm.length,
      unit: '',
      digits: 0,
    },
    {
      label: `N=${r.n}, good ${r.position}: requests, fresh client`,
      value: r.fresh.length,
      unit: '',
      digits: 0,
    },
    {
      label: `N=${r.n}, good ${r.position}: verifyArtifact / same requests bare`,
      value: r.ours / r.bare,
      unit: '×',
    },
  ]);
  figures.push({
    label: 'N=5, good middle, token auth: requests (fresh client)',
    value: auth.requests.length,
    unit: '',
    digits: 0,
  });
  const ratios = results.map((r) => r.ours / r.bare);
  const rows = results.map(
    (r) =>
      `| ${r.n} | ${r.position} | ${r.tried} | ${budget(r.tried)} | ${r.warm.length} | ${r.fresh.length} | ${formatMs(r.ours)} | ${formatMs(r.bare)} | ${formatRatio(r.ours / r.bare)} |`,
  );
  const example =
    results.find((r) => r.n === 5 && r.position === 'middle') ?? results[results.length - 1]!;
  return {
    figures,
    goals,
    method: [
      "Registry: Debian's docker-registry 2.8 on 127.0.0.1 (no referrers API, so signatures are listed through the referrers tag schema `sha256-<hex>`). For each N and position, one artifact is pushed with N JWS signatures in that order: the good one by a chain the policy trusts, the others by an untrusted chain (each fails authenticity after its manifest and envelope are fetched).",
      "Counts: `RegistryClient.requests` around `verifier.verifyArtifact(repo@digest, { registry })` (`strict`, one `ca` store, identity `*`). A fresh client pays one extra request — the `GET /v2/<repo>/referrers/<digest>` that answers 404 and tells it the registry has no referrers API — and remembers it: the reused client's count is the goal's formula 1 resolve + 1 listing + 2 per signature tried (signature manifest, envelope blob).",
      `Token auth: docker-registry with \`auth.token\` behind test/helpers/tokenServer.ts, a fresh client with pull credentials, N = 5, good in the middle: the first request is answered 401, one token is fetched for \`repository:<repo>:pull\` and reused for every later request (${auth.tokenRequests} token request(s) seen by the token server).`,
      `Time: the reused client and one Verifier (a long-running verifier's steady state), against the exact request list that client logged, replayed in order with plain \`node:http\` (keep-alive agent, bodies read, statuses checked). The ratio is what the client's checks (digests, sizes, parsing) plus the verification of every signature tried cost over the bare HTTP. Medians of ${ctx.pick(ROUNDS)} interleaved rounds.`,
    ],
    details: [
      '| N | good | tried | budget | requests (reused client) | requests (fresh client) | verifyArtifact | bare replay | ratio |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `Ratio to the bare replay: ${ratios.map(formatRatio).join(', ')} (median ${formatRatio(median(ratios))}).`,
      '',
      `**Requests, N = ${example.n}, good ${example.position}, fresh client:**`,
      '',
      ...example.fresh.map((r) => `- \`${r}\``),
      '',
      `**Requests, N = 5, good middle, token auth, fresh client (${auth.requests.length}):**`,
      '',
      ...auth.requests.map((r) => `- \`${r.replace(/\?[^ ]*/, '?…')}\``),
    ],
  };
}

/** Issue 5: verifyArtifact's requests and their time against bare HTTP. */
export const registryRequestsBenchmark: BenchmarkModule = {
  id: 'registry-requests',
  issue: 'Issue 5 — Registry',
  title: 'verifyArtifact: requests per signature and time against the same requests bare',
  run,
};
