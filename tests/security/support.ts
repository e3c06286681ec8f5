import type { OperationOutcome } from 'fhir/r4.js';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Answer } from '../helpers/cds-client.js';
import type { TestService } from '../helpers/service.js';

/**
 * Real pieces for the security tests, all made at run time and all on 127.0.0.1: key pairs (jose), signed
 * tokens, a JWKS server, a FHIR server whose behaviour each test sets, and trusted-issuer files in a temp folder.
 */

export interface Hit {
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface LocalServer {
  url: string;
  port: number;
  hits: Hit[];
  hitsTo(path: string): number;
  /** Requests whose client went away before the answer was complete (an aborted fetch). */
  abandoned(): number;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 (random port) that records every request it gets. */
export async function startLocal(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<LocalServer> {
  const hits: Hit[] = [];
  let abandoned = 0;
  const server: Server = createServer((req, res) => {
    hits.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
    res.on('close', () => {
      if (!res.writableFinished) abandoned++;
    });
    handler(req, res);
  });
  await new Promise<void>((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      resolve();
    }),
  );
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    hitsTo: (path) => hits.filter((h) => h.path.split('?')[0] === path).length,
    abandoned: () => abandoned,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export interface TestKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public JWK, as an issuer publishes it. */
  jwk: JWK;
}

export async function makeKey(alg: string, kid: string = randomUUID()): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicKey, jwk };
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export interface TokenSpec {
  key: TestKey;
  iss: string;
  aud: string | string[];
  /** Extra or replaced header parameters (`undefined` removes one). */
  header?: Record<string, unknown>;
  /** Extra or replaced claims (`undefined` removes one). */
  claims?: Record<string, unknown>;
  /** Sign with this key instead of `key` (header still names `key.kid`): a forgery. */
  signWith?: CryptoKey;
  /** Extension header parameters the signer marks as understood (`crit`). */
  crit?: Record<string, boolean>;
}

function clean(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** A JWT as a CDS client makes it: typ JWT, kid, iss, aud, iat now, exp in 5 minutes, a fresh jti. */
export async function signToken(spec: TokenSpec): Promise<string> {
  const now = nowSeconds();
  const payload = clean({ iss: spec.iss, aud: spec.aud, iat: now, exp: now + 300, jti: randomUUID(), ...spec.claims });
  const header = clean({ alg: spec.key.alg, typ: 'JWT', kid: spec.key.kid, ...spec.header }) as { alg: string };
  return new SignJWT(payload)
    .setProtectedHeader(header)
    .sign(spec.signWith ?? spec.key.privateKey, spec.crit !== undefined ? { crit: spec.crit } : undefined);
}

const b64url = (x: unknown): string => Buffer.from(JSON.stringify(x)).toString('base64url');

/** An unsecured JWT (`alg: none`, empty signature). */
export function unsignedToken(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${b64url(header)}.${b64url(payload)}.`;
}

/** The classic key-confusion forgery: HS256 with the issuer's public key (SPKI PEM) as the HMAC secret. */
export async function hmacWithPublicKey(spec: Omit<TokenSpec, 'signWith'>): Promise<string> {
  const pem = await exportSPKI(spec.key.publicKey);
  const now = nowSeconds();
  const payload = clean({ iss: spec.iss, aud: spec.aud, iat: now, exp: now + 300, jti: randomUUID(), ...spec.claims });
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: spec.key.kid })
    .sign(new TextEncoder().encode(pem));
}

/** The same token with its payload replaced (signature kept): tampering. */
export function withPayload(token: string, changes: Record<string, unknown>): string {
  const [h, p, s] = token.split('.');
  const payload = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  return `${h}.${b64url({ ...payload, ...changes })}.${s}`;
}

export interface JwksServer extends LocalServer {
  /** What /jwks.json (and the other set paths) serve from now on. */
  setKeys(path: string, keys: JWK[]): void;
  /** Make a path answer this status (no set). */
  fail(path: string, status: number): void;
  jwksUrl(path?: string): string;
}

/** A JWKS server: `/jwks.json` and any other path given keys; `/redirect.json` redirects to `/jwks.json`. */
export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  const sets = new Map<string, JWK[]>([['/jwks.json', keys]]);
  const failing = new Map<string, number>();
  const srv = await startLocal((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path === '/redirect.json') {
      res.writeHead(302, { location: '/jwks.json' });
      res.end();
      return;
    }
    if (path === '/huge.json') {
      sendJson(res, 200, { keys: [], padding: 'x'.repeat(100 * 1024) });
      return;
    }
    const status = failing.get(path);
    if (status !== undefined) {
      sendJson(res, status, { error: 'unavailable' });
      return;
    }
    const set = sets.get(path);
    if (set === undefined) sendJson(res, 404, { error: 'not found' });
    else sendJson(res, 200, { keys: set }, 'application/jwk-set+json');
  });
  return {
    ...srv,
    setKeys: (path, k) => {
      sets.set(path, k);
      failing.delete(path);
    },
    fail: (path, status) => failing.set(path, status),
    jwksUrl: (path = '/jwks.json') => `${srv.url}${path}`,
  };
}

/** Writes a trusted-issuers YAML file to a fresh temp folder; returns its path. */
export function writeIssuersFile(issuers: Record<string, unknown>[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'hip-pain-cds-issuers-'));
  const file = join(dir, 'trusted-issuers.yaml');
  writeFileSync(file, stringify({ issuers }));
  return file;
}

export const first = (body: unknown): { severity?: string; code?: string; diagnostics?: string; expression?: string[] } =>
  (body as OperationOutcome).issue[0] as never;

/** The `authFailure` (and `iss`) of the log line written for the request that got this answer. */
export function authFailureLogged(service: TestService, answer: Answer): { authFailure?: unknown; iss?: unknown } | undefined {
  const reqId = answer.headers['x-request-id'];
  const line = service.logs.lines().find((l) => l['reqId'] === reqId && l['msg'] === 'authentication failed');
  return line === undefined
    ? undefined
    : { authFailure: line['authFailure'], ...(line['iss'] !== undefined ? { iss: line['iss'] } : {}) };
}

/** The log lines written for the request that got this answer. */
export function linesFor(service: TestService, answer: Answer): Record<string, unknown>[] {
  const reqId = answer.headers['x-request-id'];
  return service.logs.lines().filter((l) => l['reqId'] === reqId);
}

export const LOGIN_INVALID = {
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'login', diagnostics: 'the JWT in the Authorization header was not accepted' }],
};
export const LOGIN_MISSING = {
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'login', diagnostics: 'authentication required: send a JWT as Authorization: Bearer' }],
};
/** The answer to a call whose fhirServer the service refuses to contact (412, issue code forbidden). */
export const fhirServerForbidden = (why: string): unknown => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'forbidden', diagnostics: `fhirServer is not allowed: ${why}`, expression: ['fhirServer'] }],
});

export const WWW_INVALID = 'Bearer realm="hip-pain-cds", error="invalid_token"';
export const WWW_MISSING = 'Bearer realm="hip-pain-cds"';

export interface FhirServerControl extends LocalServer {
  /** How the server answers from now on (`only`: just for paths matching it; other paths get data). */
  mode: (
    | { kind: 'data' }
    | { kind: 'status'; status: number }
    | { kind: 'redirect'; location: string }
    | { kind: 'hang' }
    | { kind: 'not-json' }
    | { kind: 'next'; url: string }
  ) & { only?: RegExp };
}

/**
 * A FHIR server under `/fhir` (and `/fhir-b`, `/other`): a Patient read answers a Patient with the given
 * name; searches answer an empty searchset Bundle. Its `mode` makes it fail, redirect, hang or page elsewhere.
 */
export async function startFhirServer(patient: { id: string; family: string; given: string }): Promise<FhirServerControl> {
  const state: { mode: FhirServerControl['mode'] } = { mode: { kind: 'data' } };
  const srv = await startLocal((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const mode: FhirServerControl['mode'] =
      state.mode.only === undefined || state.mode.only.test(path) ? state.mode : { kind: 'data' };
    if (mode.kind === 'hang') return; // never answers
    if (mode.kind === 'status') {
      sendJson(res, mode.status, { resourceType: 'OperationOutcome', issue: [] }, 'application/fhir+json');
      return;
    }
    if (mode.kind === 'redirect') {
      res.writeHead(302, { location: mode.location });
      res.end();
      return;
    }
    if (mode.kind === 'not-json') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
      return;
    }
    if (/\/Patient\/[^/]+$/.test(path)) {
      sendJson(
        res,
        200,
        {
          resourceType: 'Patient',
          // The patient asked for (a Patient of another id would be another patient's, and dropped).
          id: decodeURIComponent(path.split('/').pop() ?? patient.id),
          name: [{ family: patient.family, given: [patient.given] }],
          gender: 'female',
          birthDate: '1961-04-02',
        },
        'application/fhir+json',
      );
      return;
    }
    const bundle: Record<string, unknown> = { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] };
    if (mode.kind === 'next') bundle['link'] = [{ relation: 'next', url: mode.url }];
    sendJson(res, 200, bundle, 'application/fhir+json');
  });
  return Object.defineProperty({ ...srv }, 'mode', {
    get: () => state.mode,
    set: (m: FhirServerControl['mode']) => {
      state.mode = m;
    },
    enumerable: true,
  }) as FhirServerControl;
}
