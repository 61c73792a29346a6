/**
 * A small distribution token server for tests (the "token authentication"
 * flow of docker/distribution): `GET /token?service=…&scope=…` with optional
 * Basic credentials answers `{ token, expires_in }`, a JWT (ES256) whose
 * header carries its certificate in `x5c`; the registry trusts that
 * certificate through `auth.token.rootcertbundle`. Listens on 127.0.0.1.
 */
import { randomBytes, sign } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createCertificate, generateKey, KeyUsage, type TestCert, type TestKey } from './pki';

/** A user of the token server and the actions it may get. */
export interface TokenUser {
  readonly password: string;
  readonly actions: readonly ('pull' | 'push')[];
}

/** Options of {@link startTokenServer}. */
export interface TokenServerOptions {
  readonly users: Readonly<Record<string, TokenUser>>;
  /** Actions granted without credentials (default none). */
  readonly anonymous?: readonly ('pull' | 'push')[];
  /** `expires_in` of each token in seconds (default 300). */
  readonly expiresIn?: number;
}

/** A running token server. */
export interface TokenServer {
  /** The realm URL (`http://127.0.0.1:PORT/token`). */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM of the certificate that signs tokens (the registry's rootcertbundle). */
  readonly certificatePem: string;
  /** Every token request: user (or undefined) and the scope asked for. */
  readonly requests: { user?: string; scope: string; status: number }[];
  close(): Promise<void>;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Starts the token server. */
export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const key: TestKey = await generateKey('ec-p256');
  const cert: TestCert = await createCertificate({
    subject: `CN=test token signer ${randomBytes(4).toString('hex')}`,
    key,
    basicConstraints: false,
    keyUsage: KeyUsage.digitalSignature,
  });
  const service = 'tuf-notary-test-registry';
  const issuer = 'tuf-notary-test-token-issuer';
  const requests: TokenServer['requests'] = [];
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const scope = url.searchParams.get('scope') ?? '';
    let user: string | undefined;
    let actions: readonly string[] = opts.anonymous ?? [];
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const name = decoded.slice(0, colon);
      const entry = opts.users[name];
      if (!entry || entry.password !== decoded.slice(colon + 1)) {
        requests.push({ user: name, scope, status: 401 });
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end('{"details":"bad credentials"}');
        return;
      }
      user = name;
      actions = entry.actions;
    }
    const access = scope
      .split(' ')
      .filter((s) => s !== '')
      .map((s) => {
        const [type, name, wanted] = s.split(':');
        const granted = (wanted ?? '').split(',').filter((a) => actions.includes(a));
        return { type: type ?? '', name: name ?? '', actions: granted };
      });
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = opts.expiresIn ?? 300;
    const headerPart = b64url(
      JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [cert.der.toString('base64')] }),
    );
    const claims = b64url(
      JSON.stringify({
        iss: issuer,
        sub: user ?? '',
        aud: service,
        exp: now + expiresIn,
        nbf: now - 10,
        iat: now,
        jti: randomBytes(8).toString('hex'),
        access,
      }),
    );
    const signature = sign('sha256', Buffer.from(`${headerPart}.${claims}`), {
      key: key.privateKeyObject,
      dsaEncoding: 'ieee-p1363',
    });
    const token = `${headerPart}.${claims}.${b64url(signature)}`;
    requests.push({ ...(user === undefined ? {} : { user }), scope, status: 200 });
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token, expires_in: expiresIn, issued_at: new Date().toISOString() }));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certificatePem: cert.pem,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
