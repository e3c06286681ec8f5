import { ID_CHARS } from '../cds/ids.js';
import type { GatheredEntry } from '../record/index-record.js';
import { isObject, type Json, str } from '../record/read.js';
import { isUnder } from '../security/fhir-server-policy.js';
import { asResource, entryCount, readBundle } from './bundle.js';
import { failsAlone, type FhirFetcher, type FhirQuery, FhirQueryError, type QueryOutcome } from './gather.js';
import { type FhirAccess, GuardedTransport, type HttpAnswer, TransportError } from './transport.js';
import { metrics } from '../metrics.js';

/**
 * FHIR searches and reads on the CDS client's FHIR server (the connection and its guards: transport.ts):
 *  - every query at once (one round trip of latency, not one per resource type), each with `_count`, and with
 *    `Prefer: handling=strict` so that a server refuses a parameter it does not know instead of ignoring it
 *    (and answering more than was asked, or less);
 *  - `next` pages followed up to a bound (FHIR_MAX_PAGES); a next link must stay under fhirServer;
 *  - at most FHIR_MAX_ENTRIES entries per query (counted before the entries are read);
 *  - a query whose URL would be too long for common servers and proxies is sent as `POST [type]/_search` with a
 *    form body; a server that answers 405 to it is asked again with GET;
 *  - redirects followed only when they stay under fhirServer, at most 3;
 *  - a failure of one query that says nothing about the others (failsAlone in gather.ts: 400, 404, 405, its own
 *    time-out, an answer over a cap) is that query's outcome; any other failure (the server unreachable, the token
 *    refused, a link outside fhirServer, garbage) rejects the whole search and cancels the other queries.
 * Every failure is a FhirQueryError naming the query (its template) and the cause, never the token, the URL or the
 * patient.
 */

export interface FhirHttpFetcherOptions {
  maxPages: number;
  pageSize: number;
  /** Entries per query, every page together (FHIR_MAX_ENTRIES; default 10,000). */
  maxEntries?: number;
  /** Bytes per answer, decompressed (FHIR_MAX_RESPONSE_BYTES; default 20 MB). */
  maxBytes?: number;
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

export const DEFAULT_MAX_ENTRIES = 10_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024;

const MAX_REDIRECTS = 3;
const READ = new RegExp(`^([A-Z][A-Za-z]+)/(${ID_CHARS})$`);
const TYPE_SEARCH = /^([A-Z][A-Za-z]+)\?(.*)$/s;
const SEARCH_HEADERS = { prefer: 'handling=strict' };

export class FhirHttpFetcher implements FhirFetcher {
  private readonly transport: GuardedTransport;
  private readonly maxGetUrlLength: number;
  private readonly maxEntries: number;

  constructor(private readonly options: FhirHttpFetcherOptions) {
    this.maxGetUrlLength = options.maxGetUrlLength ?? 2048;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.transport = new GuardedTransport({
      maxBytes: options.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      ...(options.forbiddenAddress !== undefined ? { forbiddenAddress: options.forbiddenAddress } : {}),
    });
  }

  async search(access: FhirAccess, queries: readonly FhirQuery[], signal: AbortSignal): Promise<Map<string, QueryOutcome>> {
    // A failure of the call (not of one query) cancels the others: the call answers 412, and their connections are freed.
    const cancel = new AbortController();
    const combined = AbortSignal.any([signal, cancel.signal]);
    const one = async (q: FhirQuery): Promise<readonly [string, QueryOutcome]> => {
      try {
        return [
          q.key,
          { entries: await metrics.timeFhirQuery(q.template, () => this.all(access, q, signal, combined)) },
        ] as const;
      } catch (err) {
        if (err instanceof FhirQueryError && failsAlone(err.reason) && !READ.test(q.url))
          return [q.key, { failure: err }] as const;
        cancel.abort();
        throw err;
      }
    };
    if (this.options.concurrency === 'sequential') {
      const results = new Map<string, QueryOutcome>();
      for (const q of queries) {
        const [key, outcome] = await one(q);
        results.set(key, outcome);
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
    const entries: GatheredEntry[] = [];
    for (const outcome of found.values()) {
      if ('failure' in outcome) throw outcome.failure;
      entries.push(...outcome.entries);
    }
    return entries;
  }

  /** One query with its pages. */
  private async all(access: FhirAccess, query: FhirQuery, budget: AbortSignal, signal: AbortSignal): Promise<GatheredEntry[]> {
    const readType = READ.exec(query.url)?.[1];
    const entries: GatheredEntry[] = [];
    const absolute = /^[a-z][a-z0-9+.-]*:/i.test(query.url);
    // An absolute URL (a prefetch Bundle's next link) is only ever called when it is under fhirServer.
    if (absolute && !isUnder(query.url, access.baseUrl))
      throw new FhirQueryError(query, 'not-allowed', 'a next link points outside fhirServer; it was not followed');
    let url = readType !== undefined || absolute ? query.url : this.withCount(query.url);
    for (let page = 1; ; page++) {
      const body = await this.get(access, query, url, budget, signal, readType === undefined ? 'search' : 'read', page === 1);
      if (body === undefined) return entries; // a read of something that does not exist
      if (readType !== undefined) {
        if (body['resourceType'] !== readType) throw wrongType(query, body, readType);
        const resource = asResource(body);
        if (resource !== undefined) entries.push({ resource });
        return entries;
      }
      if (body['resourceType'] !== 'Bundle') throw wrongType(query, body, 'Bundle');
      if (entries.length + entryCount(body) > this.maxEntries)
        throw new FhirQueryError(query, 'too-many-entries', `more than ${this.maxEntries} entries (FHIR_MAX_ENTRIES)`);
      const contents = readBundle(body);
      if (contents.errorOutcome)
        throw new FhirQueryError(query, 'incomplete', 'the FHIR server reported an error in the search results');
      entries.push(...contents.entries);
      if (contents.next === undefined) return entries;
      if (page >= this.options.maxPages)
        throw new FhirQueryError(query, 'too-many-pages', `more than ${this.options.maxPages} pages of results (FHIR_MAX_PAGES)`);
      const resolved = resolveUrl(contents.next, access.baseUrl);
      if (resolved === undefined || !isUnder(resolved, access.baseUrl))
        throw new FhirQueryError(query, 'not-allowed', 'a next link points outside fhirServer; it was not followed');
      url = resolved;
    }
  }

  private withCount(url: string): string {
    if (/[?&]_count=/.test(url)) return url;
    return `${url}${url.includes('?') ? '&' : '?'}_count=${this.options.pageSize}`;
  }

  /** One answer as a JSON object, redirects within fhirServer followed; undefined for a read that finds nothing. */
  private async get(
    access: FhirAccess,
    query: FhirQuery,
    url: string,
    budget: AbortSignal,
    signal: AbortSignal,
    kind: 'read' | 'search',
    firstPage: boolean,
  ): Promise<Record<string, Json> | undefined> {
    let target = resolveUrl(url, access.baseUrl);
    // A long first query goes as POST [type]/_search (a next link is the server's own URL: always GET).
    const search = firstPage && kind === 'search' ? TYPE_SEARCH.exec(url) : null;
    let post = search?.[1] !== undefined && `${access.baseUrl}/${url}`.length > this.maxGetUrlLength;
    const headers = kind === 'search' ? SEARCH_HEADERS : {};
    for (let hop = 0; ; hop++) {
      // The last guard: whatever a URL came from (a template, a next link of prefetch or of the server, a redirect),
      // nothing outside fhirServer is ever called.
      if (target === undefined || !isUnder(target, access.baseUrl))
        throw new FhirQueryError(query, 'not-allowed', 'a URL outside fhirServer was not called');
      let answer: HttpAnswer;
      try {
        answer =
          post && search?.[1] !== undefined
            ? await this.transport.send(
                access,
                {
                  method: 'POST',
                  url: `${access.baseUrl}/${search[1]}/_search`,
                  headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
                  body: search[2] ?? '',
                },
                signal,
              )
            : await this.transport.send(access, { method: 'GET', url: target, headers }, signal);
      } catch (err) {
        throw failure(query, err, budget, signal);
      }
      const { status } = answer;
      if (status >= 300 && status < 400) {
        const resolved = answer.location !== undefined ? resolveUrl(answer.location, access.baseUrl, target) : undefined;
        if (resolved === undefined || !isUnder(resolved, access.baseUrl) || hop >= MAX_REDIRECTS) {
          throw new FhirQueryError(
            query,
            'not-allowed',
            `the FHIR server redirected (${status}) outside fhirServer or too often; the redirect was not followed`,
          );
        }
        target = resolved;
        post = false;
        continue;
      }
      if (status === 405 && post) {
        // POST _search refused: the same search as GET (FHIR servers must support both; some proxies refuse POST).
        post = false;
        continue;
      }
      if ((status === 404 || status === 410) && kind === 'read') return undefined;
      if (status === 401 || status === 403)
        throw new FhirQueryError(query, 'unauthorized', `the FHIR server refused the access token (${status})`);
      if (status >= 500) throw new FhirQueryError(query, 'server-error', `the FHIR server answered ${status}`);
      if (status >= 400) throw new FhirQueryError(query, 'rejected', `the FHIR server rejected the query (${status})`);
      let body: unknown;
      try {
        body = JSON.parse(answer.text) as unknown;
      } catch {
        throw new FhirQueryError(query, 'invalid-response', 'the FHIR server answered something that is not JSON');
      }
      // The time budget covers reading and parsing.
      if (budget.aborted) throw new FhirQueryError(query, 'timeout', 'no answer within the time budget (FHIR_TIMEOUT_MS)');
      if (!isObject(body)) throw new FhirQueryError(query, 'invalid-response', 'the FHIR server did not answer a JSON object');
      return body;
    }
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

function failure(query: FhirQuery, err: unknown, budget: AbortSignal, signal: AbortSignal): FhirQueryError {
  if (budget.aborted) return new FhirQueryError(query, 'timeout', 'no answer within the time budget (FHIR_TIMEOUT_MS)');
  if (signal.aborted) return new FhirQueryError(query, 'cancelled', 'cancelled after another query failed');
  if (!(err instanceof TransportError)) return new FhirQueryError(query, 'unreachable', 'the FHIR server could not be reached');
  switch (err.kind) {
    case 'forbidden-address':
      return new FhirQueryError(query, 'forbidden-address', err.message);
    case 'too-large':
      return new FhirQueryError(query, 'too-large', err.message);
    case 'bad-encoding':
      return new FhirQueryError(query, 'invalid-response', err.message);
    case 'aborted':
    case 'unreachable':
      return new FhirQueryError(query, 'unreachable', err.message);
  }
}

function wrongType(query: FhirQuery, body: Record<string, Json>, expected: string): FhirQueryError {
  const got = str(body['resourceType']);
  return new FhirQueryError(
    query,
    'invalid-response',
    `the FHIR server answered ${got !== undefined ? `a ${got}` : 'a non-FHIR body'}, not a ${expected}`,
  );
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
