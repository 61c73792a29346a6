/**
 * Misbehaving HTTP servers for fault tests, built by composition on the
 * static test server (test/helpers/server.ts), which already injects status
 * codes, stalls, endless and truncated bodies, wrong Content-Length, drops
 * and redirects. Added here:
 *
 * - {@link storm}: a 5xx storm (500/502/503/504 in turn) on matching paths;
 * - {@link startTrickleServer}: a front server that relays another server's
 *   answers one byte per tick (slow retrieval: an idle timeout never fires);
 * - {@link startOtherHost}: a second origin (another 127.0.0.1 port) that
 *   records whether anything ever reached it, the target of cross-host
 *   redirects. Redirects to real names (`*.invalid`) are refused by the jest
 *   loopback guard (test/setup/loopback-only.ts), so nothing leaves 127/8.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { startStaticServer, type StaticServer } from '../helpers/server';

/** The statuses of a storm, in turn. */
export const STORM_STATUSES = [500, 502, 503, 504] as const;

/**
 * Makes the next `count` requests matching `match` answer 5xx (cycling
 * through {@link STORM_STATUSES}); `count` Infinity: a storm that never ends.
 */
export function storm(server: StaticServer, match: string | RegExp, count: number): void {
  if (count === Infinity) {
    server.fault(match, { status: 503 });
    return;
  }
  // Faults stack (the last added is used first), each for `times` requests.
  for (let i = count - 1; i >= 0; i -= 1) {
    server.fault(match, { status: STORM_STATUSES[i % STORM_STATUSES.length]!, times: 1 });
  }
}

/** A front server relaying another server slowly. */
export interface TrickleServer {
  readonly url: string;
  /** Paths requested through the front server. */
  readonly requests: string[];
  /** Bytes of body sent so far, over all requests. */
  bytesSent(): number;
  close(): Promise<void>;
}

/**
 * Relays `upstream` (a base URL on 127.0.0.1): requests whose path matches
 * `match` get their answer's headers at once and then the body one byte every
 * `intervalMs` (a slow-retrieval attack); others are relayed normally.
 */
export async function startTrickleServer(
  upstream: string,
  match: RegExp,
  intervalMs = 1000,
): Promise<TrickleServer> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let sent = 0;
  const server = http.createServer((req, res) => {
    const urlPath = req.url ?? '/';
    requests.push(urlPath.split('?')[0] ?? '/');
    const headers = { ...req.headers };
    delete headers.host;
    const target = new URL(urlPath.replace(/^\//, ''), upstream);
    const upstreamReq = http.request(target, { method: req.method, headers }, (up) => {
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const body = Buffer.concat(chunks);
        const relayed = { ...up.headers };
        delete relayed['transfer-encoding'];
        delete relayed.connection;
        res.writeHead(up.statusCode ?? 502, {
          ...relayed,
          'content-length': String(
            req.method === 'HEAD' ? (up.headers['content-length'] ?? 0) : body.length,
          ),
        });
        if (!match.test(urlPath)) {
          sent += body.length;
          res.end(body);
          return;
        }
        let i = 0;
        const tick = (): void => {
          if (res.destroyed) return;
          if (i >= body.length) {
            res.end();
            return;
          }
          res.write(body.subarray(i, i + 1));
          i += 1;
          sent += 1;
          const timer = setTimeout(() => {
            timers.delete(timer);
            tick();
          }, intervalMs);
          timers.add(timer);
        };
        tick();
      });
    });
    upstreamReq.on('error', () => res.destroy());
    req.pipe(upstreamReq);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    bytesSent: () => sent,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/**
 * A second origin serving `root`: the same files, another port. A client
 * that follows a cross-host redirect shows up in its `requests`.
 */
export function startOtherHost(root: string): Promise<StaticServer> {
  return startStaticServer(root);
}

/** Counts the requests of `server` whose path matches `match`. */
export function countRequests(server: StaticServer, match: string | RegExp): number {
  return server.requests.filter((r) =>
    typeof match === 'string' ? r.path === match : match.test(r.path),
  ).length;
}
