import type { FhirResource } from 'fhir/r4.js';
import { Client } from 'fhir-kit-client';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent } from 'undici';
import type { GatheredEntry } from '../record/index-record.js';
import { isObject, type Json, objects, str } from '../record/read.js';
import { isForbiddenAddress, isUnder } from '../security/fhir-server-policy.js';
import { type FhirAccess, type FhirFetcher, type FhirQuery, FhirQueryError } from './gather.js';
import { metrics } from '../metrics.js';

/**
 * Queries the CDS client's FHIR server with fhir-kit-client:
 *  - every query at once (one round trip of latency, not one per resource type), each with `_count`;
 *  - `next` pages followed up to a bound (FHIR_MAX_PAGES); a next link must stay under fhirServer;
 *  - a query whose URL would be too long for common servers and proxies (value-set code lists) is sent as
 *    `POST [type]/_search` with a form body, which FHIR servers must support as well as GET;
 *  - redirects followed only when they stay under fhirServer;
 *  - the Bearer token sent to fhirServer and nowhere else (a next link or redirect elsewhere is refused, not
 *    followed);
 *  - every connection re-checks the addresses its host name resolves to, so a name that resolves to a metadata or
 *    link-local address is refused even when the URL looked fine;
 *  - the first failure cancels the other queries of the call: their answers could not be used anyway.
 * Every failure is a FhirQueryError naming the query (its template) and the cause, never the token, the URL or the
 * patient.
 */

export interface FhirKitFetcherOptions {
  maxPages: number;
  pageSize: number;
  /**
   * `parallel` (the default) sends every query at once. `sequential` sends them one after another; it exists only
   * to measure what parallel queries save (bench/fetch-parallel.ts).
   */
  concurrency?: 'parallel' | 'sequential';
  /** URLs longer than this (characters) are sent as POST [type]/_search (default 2048, IIS's query-string limit). */
  maxGetUrlLength?: number;
  /** Refuse connections to these addresses (default: link-local and cloud metadata). */
  forbiddenAddress?: (address: string) => boolean;
}

const MAX_REDIRECTS = 3;
const READ = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;
const TYPE_SEARCH = /^([A-Z][A-Za-z]+)\?(.*)$/s;

interface ClientError {
  response?: { status?: number; data?: unknown };
  config?: { headers?: Headers };
  name?: string;
  cause?: { code?: string; message?: string };
}

export class FhirKitFetcher implements FhirFetcher {
  private readonly dispatcher: Agent;
  private readonly maxGetUrlLength: number;

  constructor(private readonly options: FhirKitFetcherOptions) {
    this.maxGetUrlLength = options.maxGetUrlLength ?? 2048;
    const forbidden = options.forbiddenAddress ?? isForbiddenAddress;
    this.dispatcher = new Agent({
      keepAliveTimeout: 10_000,
      connections: 32,
      connect: {
        lookup: (hostname, opts, callback) => {
          dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
            if (err) {
              callback(err, '', 4);
              return;
            }
            const list = addresses as unknown as LookupAddress[];
            if (list.some((a) => forbidden(a.address))) {
              callback(
                Object.assign(new Error('refused: the FHIR server resolves to a forbidden address'), { code: 'EFORBIDDEN' }),
                '',
                4,
              );
              return;
            }
            if ((opts as { all?: boolean }).all === true)
              (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
            else callback(null, list[0]?.address ?? '', list[0]?.family ?? 4);
          });
        },
      },
    });
  }

  /**
   * A client for one call. The Bearer token is not given to fhir-kit-client, whose debug output
   * (DEBUG=fhir-kit-client:*) prints each request's URL and headers: the connection layer adds the Authorization
   * header to each request, and only to requests for URLs under fhirServer, a second guard behind the checks of
   * next links and redirects.
   */
  private client(access: FhirAccess): Client {
    const authorization = `Bearer ${access.accessToken}`;
    const dispatcher = this.dispatcher.compose(
      (dispatch) => (opts, handler) =>
        dispatch(
          isUnder(`${String(opts.origin ?? '').replace(/\/+$/, '')}${opts.path}`, access.baseUrl)
            ? { ...opts, headers: withHeader(opts.headers, 'authorization', authorization) }
            : opts,
          handler,
        ),
    );
    return new Client({
      baseUrl: access.baseUrl,
      // `dispatcher` is undici's extension of RequestInit (Node's fetch honours it); redirects are handled here.
      requestOptions: { redirect: 'manual', dispatcher } as Record<string, unknown>,
    });
  }

  async search(access: FhirAccess, queries: readonly FhirQuery[], signal: AbortSignal): Promise<Map<string, GatheredEntry[]>> {
    const client = this.client(access);
    // The first failure cancels the others: the call answers 412 anyway, and their connections are freed.
    const cancel = new AbortController();
    const combined = AbortSignal.any([signal, cancel.signal]);
    const one = async (q: FhirQuery): Promise<readonly [string, GatheredEntry[]]> => {
      try {
        return [q.key, await metrics.timeFhirQuery(q.template, () => this.all(client, access, q, signal, combined))] as const;
      } catch (err) {
        cancel.abort();
        throw err;
      }
    };
    if (this.options.concurrency === 'sequential') {
      const results = new Map<string, GatheredEntry[]>();
      for (const q of queries) {
        const [key, found] = await one(q);
        results.set(key, found);
      }
      return results;
    }
    return new Map(await Promise.all(queries.map(one)));
  }

  /** Reads resources by relative reference (`Medication/123`): one `_id` search per type, all at once. */
  async read(access: FhirAccess, references: readonly string[], signal: AbortSignal): Promise<GatheredEntry[]> {
    const byType = new Map<string, string[]>();
    for (const ref of references) {
      const m = READ.exec(ref);
      if (m?.[1] === undefined || m[2] === undefined) continue;
      const ids = byType.get(m[1]) ?? [];
      if (!ids.includes(m[2])) ids.push(m[2]);
      byType.set(m[1], ids);
    }
    const found = await this.search(
      access,
      [...byType].map(([type, ids]) => ({ key: type, template: `${type}?_id={{ids}}`, url: `${type}?_id=${ids.join(',')}` })),
      signal,
    );
    return [...found.values()].flat();
  }

  /** One query with its pages. */
  private async all(
    client: Client,
    access: FhirAccess,
    query: FhirQuery,
    budget: AbortSignal,
    signal: AbortSignal,
  ): Promise<GatheredEntry[]> {
    const readType = READ.exec(query.url)?.[1];
    const isRead = readType !== undefined;
    const entries: GatheredEntry[] = [];
    const absolute = /^[a-z][a-z0-9+.-]*:/i.test(query.url);
    // An absolute URL (a prefetch Bundle's next link) is only ever called when it is under fhirServer.
    if (absolute && !isUnder(query.url, access.baseUrl))
      throw new FhirQueryError(query, 'not-allowed', 'a next link points outside fhirServer; it was not followed');
    let url = isRead || absolute ? query.url : this.withCount(query.url);
    for (let page = 1; ; page++) {
      const body = await this.get(client, access, query, url, budget, signal, isRead, page === 1);
      if (body === undefined) return entries; // a read of something that does not exist
      if (isRead) {
        if (body['resourceType'] !== readType)
          throw new FhirQueryError(
            query,
            'invalid-response',
            `the FHIR server answered ${typeof body['resourceType'] === 'string' ? `a ${body['resourceType']}` : 'a non-FHIR body'}, not a ${readType}`,
          );
        entries.push({ resource: body as unknown as FhirResource });
        return entries;
      }
      if (body['resourceType'] !== 'Bundle')
        throw new FhirQueryError(
          query,
          'invalid-response',
          `the FHIR server answered ${typeof body['resourceType'] === 'string' ? `a ${body['resourceType']}` : 'a non-FHIR body'}, not a Bundle`,
        );
      for (const e of objects(body['entry'])) {
        const resource = e['resource'];
        if (!isObject(resource) || typeof resource['resourceType'] !== 'string') continue;
        if (resource['resourceType'] === 'OperationOutcome') {
          // search.mode "outcome": warnings are fine; an error means the server could not complete the search.
          if (isErrorOutcome(resource))
            throw new FhirQueryError(query, 'incomplete', 'the FHIR server reported an error in the search results');
          continue;
        }
        const fullUrl = str(e['fullUrl']);
        entries.push({ resource: resource as unknown as FhirResource, ...(fullUrl !== undefined ? { fullUrl } : {}) });
      }
      const next = str(objects(body['link']).find((l) => l['relation'] === 'next')?.['url']);
      if (next === undefined) return entries;
      if (page >= this.options.maxPages)
        throw new FhirQueryError(query, 'too-many-pages', `more than ${this.options.maxPages} pages of results (FHIR_MAX_PAGES)`);
      const resolved = resolveUrl(next, access.baseUrl);
      if (resolved === undefined || !isUnder(resolved, access.baseUrl))
        throw new FhirQueryError(query, 'not-allowed', 'a next link points outside fhirServer; it was not followed');
      url = resolved;
    }
  }

  private withCount(url: string): string {
    if (/[?&]_count=/.test(url)) return url;
    return `${url}${url.includes('?') ? '&' : '?'}_count=${this.options.pageSize}`;
  }

  private async get(
    client: Client,
    access: FhirAccess,
    query: FhirQuery,
    url: string,
    budget: AbortSignal,
    signal: AbortSignal,
    isRead: boolean,
    firstPage: boolean,
  ): Promise<Record<string, Json> | undefined> {
    let target = url;
    // A long first query goes as POST [type]/_search (a next link is the server's own URL: always GET).
    const search = firstPage && !isRead ? TYPE_SEARCH.exec(url) : null;
    const post = search?.[1] !== undefined && `${access.baseUrl}/${url}`.length > this.maxGetUrlLength;
    for (let hop = 0; ; hop++) {
      // The last guard: whatever a URL came from (a template, a next link of prefetch or of the server, a redirect),
      // nothing outside fhirServer is ever called.
      const absolute = resolveUrl(target, access.baseUrl);
      if (absolute === undefined || !isUnder(absolute, access.baseUrl))
        throw new FhirQueryError(query, 'not-allowed', 'a URL outside fhirServer was not called');
      try {
        const body = (
          post && hop === 0 && search?.[1] !== undefined
            ? await client.request(`${search[1]}/_search`, {
                method: 'POST',
                body: search[2] ?? '',
                options: { headers: { 'content-type': 'application/x-www-form-urlencoded' }, signal },
              })
            : await client.request(target, { options: { signal } })
        ) as unknown;
        if (!isObject(body)) throw new FhirQueryError(query, 'invalid-response', 'the FHIR server did not answer a JSON object');
        return body;
      } catch (err) {
        if (err instanceof FhirQueryError) throw err;
        if (budget.aborted) throw new FhirQueryError(query, 'timeout', 'no answer within the time budget (FHIR_TIMEOUT_MS)');
        if (signal.aborted) throw new FhirQueryError(query, 'cancelled', 'cancelled after another query failed');
        const e = err as ClientError;
        const status = e.response?.status;
        if (status === undefined) {
          const code = e.cause?.code;
          if (code === 'EFORBIDDEN')
            throw new FhirQueryError(query, 'forbidden-address', 'fhirServer resolves to a forbidden address');
          throw new FhirQueryError(
            query,
            'unreachable',
            `the FHIR server could not be reached or closed the connection${code !== undefined ? ` (${code})` : ''}`,
          );
        }
        if (status >= 300 && status < 400) {
          const location = e.config?.headers?.get('location') ?? undefined;
          const resolved = location !== undefined ? resolveUrl(location, access.baseUrl, target) : undefined;
          if (resolved === undefined || !isUnder(resolved, access.baseUrl) || hop >= MAX_REDIRECTS) {
            throw new FhirQueryError(
              query,
              'not-allowed',
              `the FHIR server redirected (${status}) outside fhirServer or too often; the redirect was not followed`,
            );
          }
          target = resolved;
          continue;
        }
        if (status < 300)
          throw new FhirQueryError(query, 'invalid-response', 'the FHIR server answered something that is not JSON');
        if ((status === 404 || status === 410) && isRead) return undefined;
        if (status === 401 || status === 403)
          throw new FhirQueryError(query, 'unauthorized', `the FHIR server refused the access token (${status})`);
        if (status >= 500) throw new FhirQueryError(query, 'server-error', `the FHIR server answered ${status}`);
        throw new FhirQueryError(query, 'rejected', `the FHIR server rejected the query (${status})`);
      }
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

type DispatchHeaders = Parameters<Agent['dispatch']>[0]['headers'];

/** The request's headers with one more (undici gives them as an object, a flat array or pairs). */
function withHeader(headers: DispatchHeaders, name: string, value: string): DispatchHeaders {
  if (headers === undefined || headers === null) return { [name]: value };
  if (Array.isArray(headers)) {
    const flat = headers as string[];
    const out: string[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      if (flat[i]?.toLowerCase() !== name) out.push(flat[i] as string, flat[i + 1] as string);
    return [...out, name, value];
  }
  if (Symbol.iterator in headers) {
    const out: Record<string, string | string[] | undefined> = {};
    for (const [k, v] of headers as Iterable<[string, string | string[] | undefined]>) if (k.toLowerCase() !== name) out[k] = v;
    return { ...out, [name]: value };
  }
  const out: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== name) out[k] = v;
  return { ...out, [name]: value };
}

function isErrorOutcome(r: Record<string, Json>): boolean {
  return objects(r['issue']).some((i) => i['severity'] === 'error' || i['severity'] === 'fatal');
}

/** An absolute URL for a link or Location: absolute as is, else relative to `from` (default: the base, as a folder). */
function resolveUrl(link: string, baseUrl: string, from?: string): string | undefined {
  try {
    const base = new URL(`${baseUrl}/`);
    return new URL(link, from !== undefined ? new URL(from, base) : base).toString();
  } catch {
    return undefined;
  }
}
