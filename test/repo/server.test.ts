/**
 * The static test server: what it serves, what it refuses, and each fault mode.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServerProcess, startStaticServer, type StaticServer } from '../helpers/server';

let work: string;
let site: string;
let server: StaticServer;
const BODY = 'hello, repository\n';

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'repo-server-'));
  site = path.join(work, 'site');
  await mkdir(path.join(site, 'metadata'), { recursive: true });
  await writeFile(path.join(site, 'metadata', 'a.json'), BODY);
  await writeFile(path.join(work, 'secret.txt'), 'outside');
  server = await startStaticServer(site);
});
afterEach(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Set when the response ended abnormally (reset, aborted, truncated). */
  error?: string;
}

/** Sends raw bytes and reads everything until the server closes. */
function rawExchange(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1', () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString()));
    socket.on('error', reject);
  });
}

/** A GET with node:http (no URL normalisation, sees truncated bodies as such). */
function get(urlPath: string, opts: { maxBytes?: number } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port: server.port, path: urlPath, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = (error?: string): void =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            error,
          });
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (opts.maxBytes !== undefined && size >= opts.maxBytes) {
            req.destroy();
            done('stopped reading');
          }
        });
        res.on('end', () => done(res.complete ? undefined : 'incomplete'));
        res.on('aborted', () => done('aborted'));
        res.on('error', (err) => done(err.message));
      },
    );
    req.on('error', reject);
  });
}

describe('serving files', () => {
  it('serves a file with its length and logs the request', async () => {
    const res = await get('/metadata/a.json');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(BODY);
    expect(res.headers['content-length']).toBe(String(BODY.length));
    expect(server.requests).toEqual([{ method: 'GET', path: '/metadata/a.json', status: 200 }]);
  });

  it('answers 404 for missing files and folders', async () => {
    expect((await get('/metadata/none.json')).status).toBe(404);
    expect((await get('/metadata')).status).toBe(404);
    expect(server.requests.map((r) => r.status)).toEqual([404, 404]);
  });

  it.each([
    '/../secret.txt',
    '/metadata/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/metadata/..%2f..%2fsecret.txt',
  ])('refuses traversal %s', async (p) => {
    const res = await get(p);
    expect(res.status).toBe(404);
    expect(res.body.toString()).not.toContain('outside');
  });

  it('refuses a symlink that leads outside the root, follows one inside', async () => {
    await symlink(path.join(work, 'secret.txt'), path.join(site, 'out.txt'));
    await symlink(path.join(site, 'metadata', 'a.json'), path.join(site, 'in.json'));
    expect((await get('/out.txt')).status).toBe(404);
    expect((await get('/in.json')).body.toString()).toBe(BODY);
  });

  it('setRoot switches the folder served', async () => {
    const other = path.join(work, 'other');
    await mkdir(other);
    await writeFile(path.join(other, 'b.txt'), 'b');
    server.setRoot(other);
    expect((await get('/b.txt')).body.toString()).toBe('b');
    expect((await get('/metadata/a.json')).status).toBe(404);
  });
});

describe('fault injection', () => {
  it.each([403, 404, 500])('status override %i', async (status) => {
    server.fault('/metadata/a.json', { status });
    expect((await get('/metadata/a.json')).status).toBe(status);
    expect(server.requests[0]!.status).toBe(status);
  });

  it('a fault limited by times then serves normally; RegExp matches', async () => {
    server.fault(/\.json$/, { status: 500, times: 1 });
    expect((await get('/metadata/a.json')).status).toBe(500);
    expect((await get('/metadata/a.json')).status).toBe(200);
  });

  it('clearFaults removes every fault', async () => {
    server.fault('/metadata/a.json', { status: 500 });
    server.clearFaults();
    expect((await get('/metadata/a.json')).status).toBe(200);
  });

  it('body override serves other bytes', async () => {
    server.fault('/metadata/a.json', { body: 'tampered' });
    expect((await get('/metadata/a.json')).body.toString()).toBe('tampered');
  });

  it('delay still answers', async () => {
    server.fault('/metadata/a.json', { delayMs: 20 });
    expect((await get('/metadata/a.json')).body.toString()).toBe(BODY);
  });

  it('stall never answers; the client gives up and the log shows status 0', async () => {
    server.fault('/metadata/a.json', { stall: true });
    await expect(
      fetch(`${server.url}metadata/a.json`, { signal: AbortSignal.timeout(100) }),
    ).rejects.toThrow(/abort|timeout/i);
    expect(server.requests[0]).toEqual({ method: 'GET', path: '/metadata/a.json', status: 0 });
  });

  it('endless body keeps sending past any limit', async () => {
    server.fault('/metadata/a.json', { endless: true });
    const res = await get('/metadata/a.json', { maxBytes: 1024 * 1024 });
    expect(res.status).toBe(200);
    expect(res.body.length).toBeGreaterThanOrEqual(1024 * 1024);
  });

  it('truncated body declares the full length but stops early', async () => {
    server.fault('/metadata/a.json', { truncateAt: 5 });
    const res = await get('/metadata/a.json');
    expect(res.headers['content-length']).toBe(String(BODY.length));
    expect(res.body.toString()).toBe(BODY.slice(0, 5));
    expect(res.error).toBeDefined();
    await expect(fetch(`${server.url}metadata/a.json`).then((r) => r.text())).rejects.toThrow();
  });

  it('wrong Content-Length: a larger one leaves the body short', async () => {
    server.fault('/metadata/a.json', { contentLength: 1000 });
    const res = await get('/metadata/a.json');
    expect(res.headers['content-length']).toBe('1000');
    expect(res.body.toString()).toBe(BODY);
    expect(res.error).toBeDefined();
  });

  it('wrong Content-Length: a smaller one is followed by the whole body anyway', async () => {
    server.fault('/metadata/a.json', { contentLength: 4 });
    const raw = await rawExchange('GET /metadata/a.json HTTP/1.1\r\nHost: x\r\n\r\n');
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).toMatch(/\r\nContent-Length: 4\r\n/);
    expect(body).toBe(BODY);
  });

  it('drop closes the connection without an answer', async () => {
    server.fault('/metadata/a.json', { drop: true });
    await expect(get('/metadata/a.json')).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(server.requests[0]!.status).toBe(0);
  });

  it('redirect answers 302 with the Location, which fetch follows', async () => {
    server.fault('/old.json', { redirect: '/metadata/a.json' });
    const res = await fetch(`${server.url}old.json`);
    expect(await res.text()).toBe(BODY);
    expect(server.requests.map((r) => `${r.path} ${r.status}`)).toEqual([
      '/old.json 302',
      '/metadata/a.json 200',
    ]);
  });

  it('close() ends stalled connections too', async () => {
    server.fault('/metadata/a.json', { stall: true });
    const pending = fetch(`${server.url}metadata/a.json`);
    await new Promise((r) => setTimeout(r, 20));
    await server.close();
    await expect(pending).rejects.toThrow();
    server = await startStaticServer(site); // for afterEach
  });
});

describe('a server in its own process', () => {
  it('serves the folder and stops by its PID', async () => {
    const child = await startServerProcess(site);
    try {
      expect(child.pid).toBeGreaterThan(0);
      expect(await (await fetch(`${child.url}metadata/a.json`)).text()).toBe(BODY);
    } finally {
      await child.stop();
    }
    expect(child.child.exitCode ?? child.child.signalCode).not.toBeNull();
    await expect(fetch(`${child.url}metadata/a.json`)).rejects.toThrow();
  });
});
