/**
 * Test rule: nothing contacts an address outside 127.0.0.0/8 (or ::1). Every
 * jest worker installs this guard before any test: a connection or DNS lookup
 * to anything else fails at once with ECONNREFUSED-like errors, instead of
 * reaching the network. Certificates from real vectors carry public OCSP and
 * CRL URLs; with this guard a test that forgets to keep them offline fails
 * loudly rather than calling out.
 */
import dns from 'node:dns';
import net from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function isLoopback(host: unknown): boolean {
  if (host === undefined || host === null || host === '') return true; // defaults to localhost
  const h = String(host).toLowerCase();
  return LOOPBACK_NAMES.has(h) || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '0:0:0:0:0:0:0:1';
}

function refuse(host: unknown): Error {
  const err = new Error(
    `test guard: refused to contact ${String(host)} (tests may only reach 127.0.0.0/8)`,
  );
  (err as NodeJS.ErrnoException).code = 'ECONNREFUSED';
  return err;
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guarded(this: net.Socket, ...args: unknown[]) {
  const first = args[0] as { host?: unknown; path?: unknown } | number | string | undefined;
  const host =
    typeof first === 'object' && first !== null
      ? first.path !== undefined
        ? 'localhost' // a Unix socket
        : first.host
      : typeof first === 'number'
        ? args[1]
        : undefined;
  if (!isLoopback(typeof host === 'function' ? undefined : host)) {
    process.nextTick(() => this.destroy(refuse(host)));
    return this;
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

const lookup = dns.lookup;
(dns as { lookup: unknown }).lookup = function guardedLookup(hostname: string, ...rest: unknown[]) {
  if (!isLoopback(hostname)) {
    const callback = rest[rest.length - 1] as (err: Error) => void;
    process.nextTick(() => callback(refuse(hostname)));
    return;
  }
  return (lookup as (...a: unknown[]) => void).call(dns, hostname, ...rest);
};
