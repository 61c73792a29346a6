/**
 * A real static HTTP server on 127.0.0.1 for TUF and registry tests, with
 * per-path fault injection (status codes, stalls, endless or truncated
 * bodies, wrong Content-Length, dropped connections, redirects).
 *
 * Uses only node builtins, so {@link startServerProcess} can run the very same
 * file in a child process (transpiled with @swc/core) when a test needs the
 * server to be a separate process it can kill.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, realpathSync, writeFileSync, rmSync } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** What to do instead of (or around) serving a path normally. */
export interface Fault {
  /** Answer with this status (e.g. 403, 404, 500) and a short text body. */
  status?: number;
  /** Wait this long before answering (then apply the rest of the fault, or serve normally). */
  delayMs?: number;
  /** Never answer: hold the connection open until the client gives up or the server closes. */
  stall?: boolean;
  /** Send headers and then bytes forever (until the client disconnects). */
  endless?: boolean;
  /** Declare the full Content-Length but send only this many body bytes, then cut the connection. */
  truncateAt?: number;
  /** Declare this Content-Length instead of the true one (the real body is sent, then the connection closes). */
  contentLength?: number;
  /** Destroy the connection without answering. */
  drop?: boolean;
  /** Answer 302 with this Location (absolute URL or a path on this server). */
  redirect?: string;
  /** Serve these bytes instead of the file (status 200 unless `status` is set). */
  body?: Uint8Array | string;
  /** Apply the fault only this many times, then serve normally again (default: always). */
  times?: number;
}

/** One request the server saw. `status` is 0 when the connection was dropped or stalled. */
export interface RequestRecord {
  method: string;
  path: string;
  status: number;
}

/** A running static server. */
export interface StaticServer {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
  readonly port: number;
  /** Every request, in arrival order. */
  readonly requests: RequestRecord[];
  /** Injects `fault` for requests whose path equals `match` (or matches the RegExp). Later faults win. */
  fault(match: string | RegExp, fault: Fault): void;
  /** Removes every fault. */
  clearFaults(): void;
  /** Changes the directory served (e.g. after writing a new repository elsewhere). */
  setRoot(dir: string): void;
  /** Stops the server, cutting open connections (stalled and endless ones included). */
  close(): Promise<void>;
}

/** Options of {@link startStaticServer}. */
export interface StaticServerOptions {
  /** Port to listen on (default 0: any free port). */
  port?: number;
}

const CHUNK = Buffer.alloc(16 * 1024, 0x61);

interface ActiveFault {
  match: string | RegExp;
  fault: Fault;
  remaining: number;
}

/** Serves `root` (read-only, GET/HEAD) on 127.0.0.1. Files outside `root`, symlinks included, are 404. */
export async function startStaticServer(
  root: string,
  opts: StaticServerOptions = {},
): Promise<StaticServer> {
  let rootDir = realpathSync(root);
  const requests: RequestRecord[] = [];
  const faults: ActiveFault[] = [];
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const urlPath = (req.url ?? '/').split('?')[0] ?? '/';
    const record: RequestRecord = { method: req.method ?? 'GET', path: urlPath, status: 0 };
    requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    const fault = takeFault(faults, urlPath);
    void handle(req, res, record, rootDir, urlPath, fault).catch(() => {
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end('internal error');
      } else {
        res.destroy();
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    requests,
    fault(match, fault) {
      faults.unshift({ match, fault, remaining: fault.times ?? Infinity });
    },
    clearFaults() {
      faults.length = 0;
    },
    setRoot(dir) {
      rootDir = realpathSync(dir);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

function takeFault(faults: ActiveFault[], urlPath: string): Fault | undefined {
  const found = faults.find(
    (f) =>
      f.remaining > 0 &&
      (typeof f.match === 'string' ? f.match === urlPath : f.match.test(urlPath)),
  );
  if (found) found.remaining--;
  return found?.fault;
}

async function handle(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  record: RequestRecord,
  rootDir: string,
  urlPath: string,
  fault: Fault | undefined,
): Promise<void> {
  if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
  if (fault?.stall) return; // never answer; close() destroys the socket
  if (fault?.drop) {
    req.socket.destroy();
    return;
  }
  if (fault?.redirect) {
    res.writeHead(302, { Location: fault.redirect, 'Content-Length': '0' }).end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res
      .writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' })
      .end('method not allowed\n');
    return;
  }
  let body: Buffer | undefined;
  let status = fault?.status ?? 200;
  if (fault?.body !== undefined) {
    body = Buffer.from(fault.body);
  } else if (fault?.status !== undefined) {
    body = Buffer.from(`${fault.status} injected by test server\n`);
  } else {
    body = await readInside(rootDir, urlPath);
    if (!body) {
      status = 404;
      body = Buffer.from('404 not found\n');
    }
  }
  if (fault?.endless) {
    res.writeHead(status, { 'Content-Type': 'application/octet-stream' });
    const pump = (): void => {
      while (!res.destroyed && res.write(CHUNK));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
    return;
  }
  if (fault?.truncateAt !== undefined || fault?.contentLength !== undefined) {
    // Raw HTTP on the socket: node:http would refuse a body that disagrees with its header.
    const declared = fault.contentLength ?? body.length;
    const sent = fault.truncateAt !== undefined ? body.subarray(0, fault.truncateAt) : body;
    record.status = status;
    const head =
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n` +
      `Content-Type: application/octet-stream\r\nContent-Length: ${declared}\r\nConnection: close\r\n\r\n`;
    req.socket.write(head);
    if (req.method === 'HEAD') req.socket.end();
    else req.socket.end(sent);
    return;
  }
  res.writeHead(status, {
    'Content-Type': contentType(urlPath, status),
    'Content-Length': String(body.length),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function contentType(urlPath: string, status: number): string {
  if (status !== 200) return 'text/plain';
  return urlPath.endsWith('.json') ? 'application/json' : 'application/octet-stream';
}

/** Reads the file `urlPath` names under `rootDir`, or undefined when it is not a regular file inside it. */
async function readInside(rootDir: string, urlPath: string): Promise<Buffer | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..' || s.includes('\\') || s.includes('\0'))) {
    return undefined;
  }
  const candidate = path.join(rootDir, ...segments);
  // realpath resolves symlinks: anything that lands outside the root is refused.
  const real = await realpath(candidate).catch(() => undefined);
  if (!real || !real.startsWith(rootDir + path.sep)) return undefined;
  const info = await stat(real).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  const handle = await open(real, 'r');
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** A static server running in a child process (no fault injection). */
export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Kills the child (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts {@link startStaticServer} in a separate node process (this file,
 * transpiled with @swc/core into a temporary folder), for tests that must kill
 * the server process or measure it separately.
 */
export async function startServerProcess(root: string, port = 0): Promise<ServerProcess> {
  const swc = require('@swc/core') as typeof import('@swc/core');
  const source = __filename.endsWith('.ts') ? __filename : __filename.replace(/\.js$/, '.ts');
  const { code } = swc.transformFileSync(source, {
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tuf-notary-server-'));
  const script = path.join(dir, 'server.js');
  writeFileSync(script, code);
  const child = spawn(process.execPath, [script, root, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('LISTENING '));
      if (line) resolve(line.slice('LISTENING '.length).trim());
    });
    child.once('exit', (code) => reject(new Error(`server process exited early (${code})`)));
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
  return {
    url,
    pid: child.pid!,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

// Entry point of the child process started by startServerProcess.
if (require.main === module) {
  const [root, port] = process.argv.slice(2);
  void startStaticServer(root ?? '.', { port: Number(port ?? 0) }).then((server) => {
    process.stdout.write(`LISTENING ${server.url}\n`);
    process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
  });
}
