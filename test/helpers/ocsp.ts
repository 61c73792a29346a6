/**
 * Revocation test fixtures on 127.0.0.1: an `openssl ocsp` responder driver
 * (Debian's openssl CLI, index.txt based), CRLs built with `openssl ca
 * -gencrl` from an index.txt (fast even for 100,000 entries), and a tiny
 * node:http server that serves CRLs and crafted OCSP answers.
 *
 * STACK.md §4 gotchas: `openssl ocsp -port` binds every interface (tests only
 * ever send traffic to 127.0.0.1), and it notices index.txt changes one
 * request late, so {@link OpenSslCa.startResponder} is called again after an
 * index change (each responder is stopped by its PID).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { X509Certificate } from 'node:crypto';
import type { TestCert, TestKey } from './pki';

const run = promisify(execFile);

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** How a certificate appears in the CA's index.txt. */
export interface IndexEntry {
  status: 'valid' | 'revoked';
  revokedAt?: Date;
  /** openssl reason name: keyCompromise, certificateHold, removeFromCRL, superseded, … */
  reason?: string;
  /** Invalidity (compromise) date: written as `keyTime,<date>` (reason keyCompromise). */
  invalidityDate?: Date;
}

function utc(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
}
function generalized(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
}
function opensslDn(cert: X509Certificate): string {
  return '/' + cert.subject.split('\n').join('/');
}

/** Serial as openssl's index.txt writes it (BN_bn2hex: uppercase, no redundant zeros). */
export function indexSerial(cert: TestCert): string {
  let hex = new X509Certificate(cert.der).serialNumber.toUpperCase().replace(/^(00)+(?=.)/, '');
  if (hex.length % 2) hex = '0' + hex;
  return hex;
}

/** An openssl CA directory for one issuer: index.txt, CRL generation, OCSP responders. */
export class OpenSslCa {
  readonly dir: string;
  private readonly lines = new Map<string, string>();
  private bulk = '';
  private crlNumber = 1;
  private responders: ChildProcess[] = [];

  constructor(
    readonly issuer: TestCert,
    issuerKey: TestKey,
  ) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'tn-ca-'));
    writeFileSync(path.join(this.dir, 'ca.pem'), issuer.pem);
    writeFileSync(
      path.join(this.dir, 'ca.key'),
      issuerKey.privateKeyObject.export({ type: 'pkcs8', format: 'pem' }) as string,
    );
  }

  /** Records `cert`'s status for the next CRL and the next responder start. */
  set(cert: TestCert, entry: IndexEntry): void {
    const x = new X509Certificate(cert.der);
    const serial = indexSerial(cert);
    const exp = utc(new Date(x.validTo));
    if (entry.status === 'valid') {
      this.lines.set(serial, `V\t${exp}\t\t${serial}\tunknown\t${opensslDn(x)}`);
      return;
    }
    const at = utc(entry.revokedAt ?? new Date(Date.now() - 3600_000));
    const rev = entry.invalidityDate
      ? `${at},keyTime,${generalized(entry.invalidityDate)}`
      : entry.reason
        ? `${at},${entry.reason}`
        : at;
    this.lines.set(serial, `R\t${exp}\t${rev}\t${serial}\tunknown\t${opensslDn(x)}`);
  }

  /** Forgets every recorded status. */
  clear(): void {
    this.lines.clear();
    this.bulk = '';
  }

  /** Adds `count` synthetic revoked serials (7F000000 upwards) for large-CRL tests. */
  addBulkRevoked(count: number): void {
    const parts: string[] = [];
    for (let i = 0; i < count; i++) {
      const serial = (0x7f000000 + i).toString(16).toUpperCase();
      parts.push(`R\t301231235959Z\t240101000000Z,superseded\t${serial}\tunknown\t/CN=bulk ${i}`);
    }
    this.bulk = parts.join('\n') + '\n';
  }

  private writeIndex(file = 'index.txt'): string {
    const p = path.join(this.dir, file);
    writeFileSync(p, [...this.lines.values()].map((l) => l + '\n').join('') + this.bulk);
    writeFileSync(p + '.attr', 'unique_subject = no\n');
    return p;
  }

  /**
   * A DER CRL of the recorded revocations. `extensions` are extra openssl
   * config lines of the CRL extension section (e.g. a FreshestCRL URL, a
   * DeltaCRLIndicator `2.5.29.27 = critical,ASN1:INTEGER:N`, an unknown
   * critical extension). Returns the CRL and the CRL number it got.
   */
  async crl(
    opts: { hours?: number; extensions?: string[]; crlNumber?: number; signWith?: OpenSslCa } = {},
  ): Promise<{ der: Buffer; number: number }> {
    const index = this.writeIndex();
    const number = opts.crlNumber ?? this.crlNumber++;
    writeFileSync(path.join(this.dir, 'crlnumber'), number.toString(16).padStart(2, '0') + '\n');
    const cnf = path.join(this.dir, 'ca.cnf');
    writeFileSync(
      cnf,
      [
        '[ ca ]',
        'default_ca = CA_default',
        '[ CA_default ]',
        `database = ${index}`,
        `crlnumber = ${path.join(this.dir, 'crlnumber')}`,
        'default_md = sha256',
        'crl_extensions = crl_ext',
        '[ crl_ext ]',
        'authorityKeyIdentifier = keyid:always',
        ...(opts.extensions ?? []),
        '',
      ].join('\n'),
    );
    const signer = opts.signWith ?? this;
    const out = path.join(this.dir, 'out.crl');
    await run('openssl', [
      'ca',
      '-batch',
      '-config',
      cnf,
      '-gencrl',
      '-keyfile',
      path.join(signer.dir, 'ca.key'),
      '-cert',
      path.join(signer.dir, 'ca.pem'),
      '-crlhours',
      String(opts.hours ?? 24),
      '-out',
      out,
    ]);
    // `openssl ca` writes PEM only.
    const pem = readFileSync(out, 'latin1');
    const der = Buffer.from(pem.replace(/-----[A-Z0-9 ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    return { der, number };
  }

  /**
   * Starts `openssl ocsp` on `port` answering from the current index.
   * `signer` defaults to the CA itself; `days` sets nextUpdate (omit it with
   * `null`: responses then have no nextUpdate).
   */
  async startResponder(
    port: number,
    opts: { signer?: { cert: TestCert; key: TestKey }; days?: number | null } = {},
  ): Promise<void> {
    await this.stopResponders();
    const index = this.writeIndex('ocsp-index.txt');
    let rsigner = path.join(this.dir, 'ca.pem');
    let rkey = path.join(this.dir, 'ca.key');
    if (opts.signer) {
      rsigner = path.join(this.dir, 'rsigner.pem');
      rkey = path.join(this.dir, 'rsigner.key');
      writeFileSync(rsigner, opts.signer.cert.pem);
      writeFileSync(
        rkey,
        opts.signer.key.privateKeyObject.export({ type: 'pkcs8', format: 'pem' }) as string,
      );
    }
    const days = opts.days === undefined ? 1 : opts.days;
    const args = [
      'ocsp',
      '-index',
      index,
      '-port',
      String(port),
      '-CA',
      path.join(this.dir, 'ca.pem'),
      '-rsigner',
      rsigner,
      '-rkey',
      rkey,
      ...(days === null ? [] : ['-ndays', String(days)]),
    ];
    const child = spawn('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.responders.push(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitForReady(child, () => stderr);
  }

  /** Stops every responder this CA started, by PID. */
  async stopResponders(): Promise<void> {
    const all = this.responders;
    this.responders = [];
    await Promise.all(
      all.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
          }),
      ),
    );
  }

  /** Stops the responders and removes the directory. */
  async dispose(): Promise<void> {
    await this.stopResponders();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Waits for openssl's "waiting for OCSP client connections" line. A TCP probe
 * must not be used: openssl ocsp serves one connection at a time and hangs on
 * a connection that closes without a request.
 */
async function waitForReady(child: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (stderr().includes('waiting for OCSP client connections')) return;
    if (child.exitCode !== null) throw new Error(`openssl ocsp exited: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`openssl ocsp did not start: ${stderr()}`);
}

/** What the stub server does for one path. */
export interface StubRoute {
  body?: Uint8Array;
  status?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer. */
  stall?: boolean;
  /** Forward the request to this local port (e.g. an openssl responder) and relay the answer. */
  proxyPort?: number;
}

/** A node:http server on 127.0.0.1 serving CRLs and crafted OCSP answers, counting requests. */
export interface StubServer {
  readonly url: string;
  readonly port: number;
  /** Requests seen, as `METHOD path`. */
  readonly requests: string[];
  /** Sets what `pathPrefix` (matched as a prefix) answers. */
  route(pathPrefix: string, route: StubRoute): void;
  close(): Promise<void>;
}

/** Starts a {@link StubServer}. */
export async function startStubServer(port = 0): Promise<StubServer> {
  const routes = new Map<string, StubRoute>();
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    res.setHeader('connection', 'close');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      requests.push(`${req.method} ${url}`);
      const match = [...routes.entries()]
        .filter(([p]) => url.startsWith(p))
        .sort((a, b) => b[0].length - a[0].length)[0];
      const route = match?.[1];
      if (!route) {
        res.writeHead(404).end('not found');
        return;
      }
      if (route.stall) return;
      const answer = (): void => {
        if (route.proxyPort !== undefined) {
          const up = http.request(
            {
              host: '127.0.0.1',
              port: route.proxyPort,
              method: req.method,
              path: '/' + url.slice(match![0].length).replace(/^\/+/, ''),
              headers: { ...req.headers, connection: 'close' },
              agent: false,
            },
            (upRes) => {
              res.writeHead(upRes.statusCode ?? 502, upRes.headers);
              upRes.pipe(res);
            },
          );
          up.on('error', () => res.writeHead(502).end());
          up.end(Buffer.concat(chunks));
          return;
        }
        res.writeHead(route.status ?? 200, { 'content-type': 'application/octet-stream' });
        res.end(route.body ?? Buffer.alloc(0));
      };
      if (route.delayMs) setTimeout(answer, route.delayMs);
      else answer();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    requests,
    route: (p, r) => routes.set(p, r),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A root → intermediate → leaf chain whose leaf names revocation services. */
export interface RevocationPki {
  root: TestCert;
  rootKey: TestKey;
  intermediate: TestCert;
  intermediateKey: TestKey;
  leaf: TestCert;
  leafKey: TestKey;
}

/**
 * Builds a chain for revocation tests. The intermediate names the root's CRL
 * (`rootCrlUrl`); the leaf names `ocspUrl` (AIA) and/or `crlUrl` (CDP).
 */
export async function createRevocationPki(opts: {
  name?: string;
  ocspUrl?: string;
  crlUrl?: string;
  rootCrlUrl?: string;
  timeStamping?: boolean;
  leafExtensions?: import('@peculiar/x509').Extension[];
}): Promise<RevocationPki> {
  const { createCertificate, generateKey, KeyUsage, OID } = await import('./pki');
  const name = opts.name ?? 'Rev';
  const rootKey = await generateKey('ec-p256');
  const intermediateKey = await generateKey('ec-p256');
  const leafKey = await generateKey('ec-p256');
  const root = await createCertificate({
    subject: `C=US,O=${name},CN=${name} Root`,
    key: rootKey,
    basicConstraints: { ca: true },
    keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
  });
  const intermediate = await createCertificate({
    subject: `C=US,O=${name},CN=${name} Intermediate`,
    key: intermediateKey,
    issuer: { cert: root, key: rootKey },
    basicConstraints: { ca: true, pathLength: 0 },
    keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
    crlUrl: opts.rootCrlUrl,
  });
  const leaf = await createCertificate({
    subject: `C=US,O=${name},CN=${name} ${opts.timeStamping ? 'TSA' : 'Signer'}`,
    key: leafKey,
    issuer: { cert: intermediate, key: intermediateKey },
    basicConstraints: false,
    keyUsage: KeyUsage.digitalSignature,
    extKeyUsage: [opts.timeStamping ? OID.timeStamping : OID.codeSigning],
    extKeyUsageCritical: opts.timeStamping === true,
    ocspUrl: opts.ocspUrl,
    crlUrl: opts.crlUrl,
    extensions: opts.leafExtensions,
  });
  return { root, rootKey, intermediate, intermediateKey, leaf, leafKey };
}

/** An OCSP responder certificate issued by `issuer` (with the OCSP-signing EKU unless `eku` is false). */
export async function createResponderCert(
  issuer: { cert: TestCert; key: TestKey },
  opts: { eku?: boolean; name?: string } = {},
): Promise<{ cert: TestCert; key: TestKey }> {
  const { createCertificate, generateKey, KeyUsage, OID } = await import('./pki');
  const key = await generateKey('ec-p256');
  const cert = await createCertificate({
    subject: `C=US,O=Rev,CN=${opts.name ?? 'OCSP Responder'}`,
    key,
    issuer,
    basicConstraints: false,
    keyUsage: KeyUsage.digitalSignature,
    extKeyUsage: opts.eku === false ? [OID.codeSigning] : [OID.ocspSigning],
  });
  return { cert, key };
}
