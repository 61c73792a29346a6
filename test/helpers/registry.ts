/**
 * Real OCI registries for tests: Debian's `docker-registry` (distribution
 * 2.8) started on 127.0.0.1 with a generated config — no auth, htpasswd
 * Basic auth, or token auth behind {@link startTokenServer} — and stopped by
 * PID. Also a proxy to put between client and registry that can implement
 * the referrers API over the tag schema (2.8 has no API), paginate it, and
 * tamper with responses.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TokenServer } from './tokenServer';

const REGISTRY_BIN = '/usr/bin/docker-registry';

/** Options of {@link startRegistry}. */
export interface RegistryOptions {
  /** `htpasswd`: Basic auth for `users`; `token`: bearer tokens from `tokenServer`. */
  readonly auth?: 'none' | 'htpasswd' | 'token';
  /** htpasswd users (name → password). */
  readonly users?: Readonly<Record<string, string>>;
  /** Token server whose certificate signs the tokens (auth `token`). */
  readonly tokenServer?: TokenServer;
}

/** A running registry. */
export interface RunningRegistry {
  /** `127.0.0.1:PORT`: the registry part of references. */
  readonly host: string;
  readonly url: string;
  readonly pid: number;
  /** Stops the registry (SIGTERM to its PID) and removes its storage. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** One bcrypt htpasswd line, made by apache2-utils' `htpasswd -nbB`. */
function htpasswdLine(user: string, password: string): string {
  try {
    return execFileSync('htpasswd', ['-nbB', user, password], { encoding: 'utf8' }).trim();
  } catch (err) {
    throw new Error(
      `htpasswd (apache2-utils) is needed for Basic-auth registry tests: ${String(err)}`,
    );
  }
}

/** Starts `docker-registry serve CONFIG` on 127.0.0.1 and waits until /v2/ answers. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RunningRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tuf-notary-registry-'));
  const port = await freePort();
  let auth = '';
  if (opts.auth === 'htpasswd') {
    const lines = Object.entries(opts.users ?? {}).map(([u, p]) => htpasswdLine(u, p));
    writeFileSync(path.join(dir, 'htpasswd'), lines.join('\n') + '\n');
    auth = `auth:\n  htpasswd:\n    realm: tuf-notary-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  } else if (opts.auth === 'token') {
    const ts = opts.tokenServer;
    if (!ts) throw new Error('auth "token" needs a tokenServer');
    writeFileSync(path.join(dir, 'token.pem'), ts.certificatePem);
    auth =
      `auth:\n  token:\n    realm: ${ts.realm}\n    service: ${ts.service}\n` +
      `    issuer: ${ts.issuer}\n    rootcertbundle: ${path.join(dir, 'token.pem')}\n`;
  }
  const config =
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n` +
    `storage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'data')}\n  delete:\n    enabled: true\n` +
    `http:\n  addr: 127.0.0.1:${port}\n  secret: ${Math.random().toString(36).slice(2)}\n` +
    auth;
  const configPath = path.join(dir, 'config.yml');
  writeFileSync(configPath, config);
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', configPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited early: ${stderr}`);
    const ok = await new Promise<boolean>((resolve) => {
      http
        .get(`${url}/v2/`, (res) => {
          res.resume();
          resolve(true);
        })
        .on('error', () => resolve(false));
    });
    if (ok) break;
    if (i > 200) {
      await stop();
      throw new Error(`docker-registry did not answer on ${url}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host: `127.0.0.1:${port}`, url, pid: child.pid!, stop };
}

/** A change a tampering proxy applies to one upstream response. */
export interface Tamper {
  /** Replaces the body (Content-Length follows the new body unless `declaredLength` is set). */
  body?: (original: Buffer) => Buffer;
  /** Declares this Content-Length (the body is then sent raw and the connection closed). */
  declaredLength?: number;
  /** Overrides response headers. */
  headers?: Readonly<Record<string, string>>;
}

/** Options of {@link startRegistryProxy}. */
export interface ProxyOptions {
  /** Implement `GET /v2/<name>/referrers/<digest>` over the tag schema, `pageSize` entries per page. */
  readonly referrers?: { readonly pageSize: number };
  /** Chooses a tamper for a request (method, path with query). */
  readonly tamper?: (method: string, pathAndQuery: string) => Tamper | undefined;
}

/** A running proxy. */
export interface RegistryProxy {
  readonly host: string;
  readonly url: string;
  /** Requests seen (method and path with query). */
  readonly requests: { method: string; path: string }[];
  close(): Promise<void>;
}

const REFERRERS_PATH = /^\/v2\/(.+)\/referrers\/(sha256:[0-9a-f]{64})$/;

/** Starts a proxy on 127.0.0.1 in front of `upstream` (a registry URL). */
export async function startRegistryProxy(
  upstream: string,
  opts: ProxyOptions = {},
): Promise<RegistryProxy> {
  const target = new URL(upstream);
  const requests: RegistryProxy['requests'] = [];
  const sockets = new Set<net.Socket>();
  const forward = (
    method: string,
    pathAndQuery: string,
    headers: http.IncomingHttpHeaders,
    body: Buffer,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { host: target.hostname, port: target.port, method, path: pathAndQuery, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 502,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const method = req.method ?? 'GET';
        const pathAndQuery = req.url ?? '/';
        requests.push({ method, path: pathAndQuery });
        const url = new URL(pathAndQuery, 'http://proxy');
        const referrers = opts.referrers ? REFERRERS_PATH.exec(url.pathname) : null;
        let answer: { status: number; headers: http.IncomingHttpHeaders; body: Buffer };
        if (referrers && opts.referrers && method === 'GET') {
          answer = await referrersPage(
            referrers[1]!,
            referrers[2]!,
            url,
            opts.referrers.pageSize,
            req.headers,
            forward,
          );
        } else {
          answer = await forward(method, pathAndQuery, req.headers, Buffer.concat(chunks));
        }
        const tamper = opts.tamper?.(method, pathAndQuery);
        const body = tamper?.body ? tamper.body(answer.body) : answer.body;
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(answer.headers)) {
          if (
            v !== undefined &&
            k !== 'content-length' &&
            k !== 'transfer-encoding' &&
            k !== 'connection'
          )
            headers[k] = v;
        }
        Object.assign(headers, tamper?.headers);
        if (tamper?.declaredLength !== undefined) {
          const head =
            `HTTP/1.1 ${answer.status} ${http.STATUS_CODES[answer.status] ?? ''}\r\n` +
            Object.entries(headers)
              .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}\r\n`)
              .join('') +
            `content-length: ${tamper.declaredLength}\r\nconnection: close\r\n\r\n`;
          req.socket.write(head);
          if (method === 'HEAD') req.socket.end();
          else req.socket.end(body);
          return;
        }
        headers['content-length'] = String(
          method === 'HEAD' ? (answer.headers['content-length'] ?? body.length) : body.length,
        );
        res.writeHead(answer.status, headers);
        res.end(method === 'HEAD' ? undefined : body);
      })().catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(502).end(String(err));
        else res.destroy();
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/** One page of a referrers API answer built from the upstream tag-schema index. */
async function referrersPage(
  name: string,
  digest: string,
  url: URL,
  pageSize: number,
  headers: http.IncomingHttpHeaders,
  forward: (
    m: string,
    p: string,
    h: http.IncomingHttpHeaders,
    b: Buffer,
  ) => Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const tag = digest.replace(':', '-');
  const upstream = await forward(
    'GET',
    `/v2/${name}/manifests/${tag}`,
    { ...headers, accept: 'application/vnd.oci.image.index.v1+json' },
    Buffer.alloc(0),
  );
  let all: { artifactType?: string }[] = [];
  if (upstream.status === 200) {
    all = (JSON.parse(upstream.body.toString('utf8')) as { manifests: { artifactType?: string }[] })
      .manifests;
  }
  const wanted = url.searchParams.get('artifactType');
  if (wanted) all = all.filter((d) => d.artifactType === wanted);
  const page = Number(url.searchParams.get('page') ?? '0');
  const slice = all.slice(page * pageSize, (page + 1) * pageSize);
  const out: http.IncomingHttpHeaders = {
    'content-type': 'application/vnd.oci.image.index.v1+json',
  };
  if ((page + 1) * pageSize < all.length) {
    const next = new URL(url.toString());
    next.searchParams.set('page', String(page + 1));
    out.link = `<${next.pathname}${next.search}>; rel="next"`;
  }
  if (wanted) out['oci-filters-applied'] = 'artifactType';
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: slice,
    }),
  );
  return { status: 200, headers: out, body };
}
