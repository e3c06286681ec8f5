import './websocket-shim.js';
import { allOk, badRequest, getStatus, normalizeOperationOutcome, notFound } from '@medplum/core';
import { FhirRouter, type FhirRequest, type HttpMethod, MemoryRepository } from '@medplum/fhir-router';
import type {
  Bundle,
  CapabilityStatement,
  CapabilityStatementRestResource,
  CapabilityStatementRestResourceSearchParam,
} from '@medplum/fhirtypes';
import type { Bundle as R4Bundle } from 'fhir/r4.js';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadFhirDefinitions, searchableTypes } from './definitions.js';

/**
 * A real FHIR R4 server in this process, for tests, the demo and the benchmark: Medplum's FHIR engine
 * (@medplum/fhir-router with its in-memory repository: search with every R4 search parameter, _include, paging,
 * batch and transaction Bundles, PUT with client ids) behind a small node:http layer that adds what a server needs
 * on the wire and Medplum leaves to its own server:
 *  - `GET metadata`: a CapabilityStatement (fhirVersion 4.0.1) listing every searchable type;
 *  - searches: `entry.fullUrl`, `Bundle.link` self/next/previous (so clients can page), `total`;
 *  - `POST [type]/_search` with a form body (what the CDS Hooks sandbox sends), answered as the same GET;
 *  - a page-size cap like real servers (`maxCount`, `defaultCount`);
 *  - CORS for browsers (the CDS Hooks sandbox);
 *  - for tests: a delay added to every answer, and faults (status and body, no answer at all, connection reset)
 *    chosen per request, and a record of every request with its Authorization header.
 *
 * Node 20: ./websocket-shim.js is imported first (see there).
 */

export interface FhirRequestRecord {
  method: string;
  /** Path and query relative to the FHIR base, e.g. `Observation?patient=p1&_count=200`. */
  path: string;
  /** The Authorization header as received (tests check where a token went). */
  authorization?: string;
  /** The Prefer header as received (`handling=strict`). */
  prefer?: string;
  at: number;
}

/** What the server does instead of answering normally. */
export type FhirFault =
  /** Answer this status, body (which need not be JSON, nor text: a Buffer is sent as is) and headers. */
  | { status: number; body: string | Buffer; contentType?: string; headers?: Record<string, string> }
  /** Accept the request and never answer. */
  | 'hang'
  /** Close the connection without an answer. */
  | 'reset';

export interface FhirServerOptions {
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Path the FHIR API is mounted at (default `/fhir`). */
  basePath?: string;
  /** Base URL written in fullUrl and links (default: `http://<Host header><basePath>`). */
  publicBaseUrl?: string;
  /** Added before every answer, in milliseconds (default 0). */
  delayMs?: number;
  /** Page size of searches without `_count` (default 20, as HAPI and Medplum do). */
  defaultCount?: number;
  /** Largest page a search may ask for; larger `_count` values are lowered to it (default 1000). */
  maxCount?: number;
  /** Transaction or batch Bundles loaded before the server listens. */
  seed?: readonly R4Bundle[];
  /** Chooses a fault for a request (tests); undefined answers normally. */
  fault?: (request: FhirRequestRecord) => FhirFault | undefined;
  /** Access-Control-Allow-Origin (default `*`). */
  corsOrigin?: string;
  /** Largest request body in bytes (default 64 MB, for transaction Bundles of whole records). */
  bodyLimitBytes?: number;
  /** Keep every request in `requests` (default true; a long-running demo turns it off). */
  recordRequests?: boolean;
  /**
   * Search parameters this server does not support, by resource type (like a real server that implements only some
   * of R4's). With `Prefer: handling=strict` a search using one answers 400; without, the parameter is ignored, as
   * lenient servers do (and the search then matches more than was asked).
   */
  unsupportedSearchParams?: Readonly<Record<string, readonly string[]>>;
  /** Honour `Prefer: handling=strict` (default true); false: a lenient server that ignores what it does not support. */
  strictHandling?: boolean;
}

export interface RunningFhirServer {
  /** The FHIR base URL, e.g. http://127.0.0.1:41234/fhir */
  url: string;
  port: number;
  repo: MemoryRepository;
  /** Every request received, oldest first. */
  readonly requests: FhirRequestRecord[];
  /** Processes a transaction or batch Bundle; throws naming the entries that failed. */
  load(bundle: R4Bundle): Promise<R4Bundle>;
  setFault(fault: FhirServerOptions['fault']): void;
  setDelay(ms: number): void;
  close(): Promise<void>;
}

const CORS_HEADERS = {
  'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept, If-None-Exist, If-Match, Prefer, X-Requested-With',
  'Access-Control-Expose-Headers': 'Location, Content-Location, ETag, Last-Modified',
  'Access-Control-Max-Age': '600',
  // Chrome asks before a public page (the CDS Hooks sandbox) calls a server on this machine.
  'Access-Control-Allow-Private-Network': 'true',
};

let capabilityStatement: CapabilityStatement | undefined;

function capabilities(): CapabilityStatement {
  capabilityStatement ??= {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    software: { name: 'hip-pain-cds test FHIR server (Medplum fhir-router, in memory)' },
    rest: [
      {
        mode: 'server',
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
        resource: searchableTypes().map(({ type, params }) => ({
          type: type as CapabilityStatementRestResource['type'],
          interaction: (['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'create', 'search-type'] as const).map(
            (code) => ({ code }),
          ),
          updateCreate: true,
          searchParam: params.map((p) => ({
            name: p.name,
            type: p.type as CapabilityStatementRestResourceSearchParam['type'],
          })),
        })),
      },
    ],
  };
  return capabilityStatement;
}

function fhirRequest(method: HttpMethod, url: string, body: unknown, headers?: IncomingHttpHeaders): FhirRequest {
  // pathname must be '' (the router parses url); transactions off = entry-by-entry batch semantics, because
  // MemoryRepository has no rollback and the router caps strict transactions at 8 conditional entries.
  return {
    method,
    url,
    pathname: '',
    params: {},
    query: {},
    body,
    ...(headers ? { headers } : {}),
    config: { transactions: false },
  };
}

export async function startFhirServer(options: FhirServerOptions = {}): Promise<RunningFhirServer> {
  loadFhirDefinitions();
  const basePath = (options.basePath ?? '/fhir').replace(/\/+$/, '');
  const defaultCount = options.defaultCount ?? 20;
  const maxCount = options.maxCount ?? 1000;
  const bodyLimit = options.bodyLimitBytes ?? 64 * 1024 * 1024;
  const corsOrigin = options.corsOrigin ?? '*';
  const repo = new MemoryRepository();
  const router = new FhirRouter();
  router.add('GET', 'metadata', () => Promise.resolve([allOk, capabilities()]));
  const requests: FhirRequestRecord[] = [];
  let fault = options.fault;
  let delayMs = options.delayMs ?? 0;
  let closed = false;
  const timers = new Set<NodeJS.Timeout>();

  // The project's FHIR types (@types/fhir) and Medplum's describe the same JSON; the engine checks it.
  const load = async (bundle: R4Bundle): Promise<R4Bundle> => {
    const [outcome, result] = await router.handleRequest(fhirRequest('POST', '', bundle), repo);
    if (getStatus(outcome) >= 300 || result?.resourceType !== 'Bundle')
      throw new Error(`the FHIR server refused the Bundle: ${outcome.issue[0]?.details?.text ?? outcome.id ?? ''}`);
    const failed = (result.entry ?? []).flatMap((e, i) =>
      e.response?.status.startsWith('2') === true
        ? []
        : [`entry ${i}: ${e.response?.status ?? 'no status'} ${e.response?.outcome?.issue[0]?.details?.text ?? ''}`],
    );
    if (failed.length > 0) throw new Error(`${failed.length} entries failed: ${failed.slice(0, 5).join('; ')}`);
    return result as unknown as R4Bundle;
  };
  for (const bundle of options.seed ?? []) await load(bundle);

  const wait = (ms: number): Promise<void> =>
    ms <= 0
      ? Promise.resolve()
      : new Promise((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            resolve();
          }, ms);
          timers.add(t);
        });

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    if (closed || res.writableEnded || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/fhir+json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(text)),
      'Access-Control-Allow-Origin': corsOrigin,
      ...headers,
    });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const fullPath = req.url ?? '/';
    if (method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Origin': corsOrigin, ...CORS_HEADERS }).end();
      return;
    }
    const underBase =
      basePath === '' || fullPath === basePath || fullPath.startsWith(`${basePath}/`) || fullPath.startsWith(`${basePath}?`);
    let relative = underBase ? fullPath.slice(basePath.length).replace(/^\/+/, '') : undefined;
    const record: FhirRequestRecord = {
      method,
      path: relative ?? fullPath,
      ...(req.headers.authorization !== undefined ? { authorization: req.headers.authorization } : {}),
      ...(typeof req.headers.prefer === 'string' ? { prefer: req.headers.prefer } : {}),
      at: Date.now(),
    };
    if (options.recordRequests !== false) requests.push(record);
    const chosen = fault?.(record);
    if (chosen === 'reset') {
      req.socket.destroy();
      return;
    }
    if (chosen === 'hang') return;
    await wait(delayMs);
    if (chosen !== undefined) {
      if (closed || res.writableEnded) return;
      res.writeHead(chosen.status, {
        'Content-Type': chosen.contentType ?? 'application/fhir+json',
        'Access-Control-Allow-Origin': corsOrigin,
        ...chosen.headers,
      });
      res.end(chosen.body);
      return;
    }
    if (relative === undefined) {
      send(res, 404, notFound);
      return;
    }
    const baseUrl = (options.publicBaseUrl ?? `http://${req.headers.host ?? 'localhost'}${basePath}`).replace(/\/+$/, '');

    let parsed: unknown;
    let routeMethod = method as HttpMethod;
    const [path, query] = splitOnce(relative, '?');
    const contentType = req.headers['content-type'] ?? '';
    if (method === 'POST' && /^[A-Z][A-Za-z]+\/_search$/.test(path)) {
      // POST [type]/_search: the same search as GET, parameters from the form body (and the URL).
      const params = new URLSearchParams(query);
      for (const [k, v] of new URLSearchParams(contentType.startsWith('application/x-www-form-urlencoded') ? body : ''))
        params.append(k, v);
      relative = `${path.slice(0, -'/_search'.length)}?${params.toString()}`;
      routeMethod = 'GET';
    } else if (body !== '') {
      try {
        parsed = JSON.parse(body);
      } catch (err) {
        send(res, 400, badRequest(`the request body is not JSON: ${(err as Error).message}`));
        return;
      }
    }
    if (routeMethod === 'GET') {
      const strict = options.strictHandling !== false && /\bhandling\s*=\s*strict\b/i.test(String(req.headers.prefer ?? ''));
      const checked = withoutUnsupported(relative, options.unsupportedSearchParams ?? {});
      if (checked.unsupported.length > 0 && strict) {
        send(res, 400, badRequest(`unknown search parameter ${checked.unsupported.join(', ')}`));
        return;
      }
      relative = checked.url;
    }
    const url = routeMethod === 'GET' ? pageSize(relative, defaultCount, maxCount) : relative;
    const [outcome, resource] = await router.handleRequest(fhirRequest(routeMethod, url, parsed, req.headers), repo);
    const status = getStatus(outcome);
    const headers: Record<string, string> = {};
    if (resource?.resourceType === 'Bundle' && resource.type === 'searchset') decorateSearchset(resource, baseUrl, url);
    if (resource?.meta?.versionId !== undefined) headers['ETag'] = `W/"${resource.meta.versionId}"`;
    if (resource?.meta?.lastUpdated !== undefined) headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
    if (status === 201 && resource?.id !== undefined)
      headers['Location'] = `${baseUrl}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId ?? ''}`;
    send(res, status, resource ?? outcome, headers);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > bodyLimit) {
        send(res, 413, badRequest(`the request body is larger than ${bodyLimit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (size > bodyLimit) return;
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        send(res, 500, normalizeOperationOutcome(err));
      });
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host === '0.0.0.0' || host === '[::]' ? 'localhost' : host}:${port}${basePath}`,
    port,
    repo,
    requests,
    load,
    setFault(f) {
      fault = f;
    },
    setDelay(ms) {
      delayMs = ms;
    },
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
    },
  };
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/** A type-level search without the parameters the server does not support, and which ones those were. */
function withoutUnsupported(
  url: string,
  unsupported: Readonly<Record<string, readonly string[]>>,
): { url: string; unsupported: string[] } {
  const [path, query] = splitOnce(url, '?');
  const names = unsupported[path] ?? [];
  if (names.length === 0 || query === '') return { url, unsupported: [] };
  const params = new URLSearchParams(query);
  const found = [...new Set([...params.keys()].filter((k) => names.includes(k.split(':')[0] ?? k)))];
  for (const name of found) params.delete(name);
  return { url: params.size > 0 ? `${path}?${params.toString()}` : path, unsupported: found };
}

/** Type-level searches get `_count` = defaultCount when they have none, and at most maxCount. */
function pageSize(url: string, defaultCount: number, maxCount: number): string {
  const [path, query] = splitOnce(url, '?');
  if (!/^[A-Z][A-Za-z]+$/.test(path)) return url; // reads, metadata, system-level requests
  const params = new URLSearchParams(query);
  const asked = Number.parseInt(params.get('_count') ?? '', 10);
  const count = Number.isFinite(asked) && asked >= 0 ? Math.min(asked, maxCount) : defaultCount;
  params.set('_count', String(count));
  return `${path}?${params.toString()}`;
}

/**
 * MemoryRepository answers searches without fullUrl and without links; `total` counts every match before
 * `_offset`/`_count`. Adds fullUrl and self/next/previous links (offset paging) so that clients can page.
 */
function decorateSearchset(bundle: Bundle, baseUrl: string, url: string): void {
  let matches = 0;
  for (const entry of bundle.entry ?? []) {
    const r = entry.resource;
    if (r?.id !== undefined) entry.fullUrl = `${baseUrl}/${r.resourceType}/${r.id}`;
    if (entry.search?.mode !== 'include' && entry.search?.mode !== 'outcome') matches++;
  }
  const [path, query] = splitOnce(url, '?');
  const params = new URLSearchParams(query);
  const link = (p: URLSearchParams): string => `${baseUrl}/${path}${p.size > 0 ? `?${p.toString()}` : ''}`;
  const count = Number.parseInt(params.get('_count') ?? '', 10);
  const offset = Number.parseInt(params.get('_offset') ?? '0', 10) || 0;
  bundle.total ??= offset + matches;
  const links: NonNullable<Bundle['link']> = [{ relation: 'self', url: link(params) }];
  if (Number.isFinite(count) && count > 0) {
    if (offset + count < bundle.total) {
      const next = new URLSearchParams(params);
      next.set('_offset', String(offset + count));
      links.push({ relation: 'next', url: link(next) });
    }
    if (offset > 0) {
      const previous = new URLSearchParams(params);
      previous.set('_offset', String(Math.max(0, offset - count)));
      links.push({ relation: 'previous', url: link(previous) });
    }
  }
  bundle.link = links;
}
