import type { FhirResource } from 'fhir/r4.js';
import { Client } from 'fhir-kit-client';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent } from 'undici';
import type { GatheredEntry } from '../record/index-record.js';
import { isObject, objects, str } from '../record/read.js';
import { isForbiddenAddress, isUnder } from '../security/fhir-server-policy.js';
import { type FhirAccess, type FhirFetcher, type FhirQuery, FhirQueryError } from './gather.js';

/**
 * Queries the CDS client's FHIR server with fhir-kit-client: every query in parallel (one round trip of
 * latency), `next` pages followed up to a bound, redirects followed only on the same origin, and the Bearer
 * token sent to fhirServer and nowhere else (a `next` link or redirect to another host is refused). Connections
 * re-check every resolved address, so a host name that resolves to a metadata or link-local address is refused
 * even when the URL looked fine.
 */

export interface FhirKitFetcherOptions {
  maxPages: number;
  pageSize: number;
  /** Refuse connections to these addresses (default: link-local and cloud metadata). */
  forbiddenAddress?: (address: string) => boolean;
}

const MAX_REDIRECTS = 3;

interface ClientError {
  response?: { status?: number; data?: unknown };
  config?: { headers?: Headers };
  name?: string;
  cause?: { code?: string };
}

export class FhirKitFetcher implements FhirFetcher {
  private readonly dispatcher: Agent;

  constructor(private readonly options: FhirKitFetcherOptions) {
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
            const bad = list.find((a) => forbidden(a.address));
            if (bad !== undefined) {
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

  private client(access: FhirAccess): Client {
    const client = new Client({
      baseUrl: access.baseUrl,
      // `dispatcher` is undici's extension of RequestInit (Node's fetch honours it).
      requestOptions: { redirect: 'manual', dispatcher: this.dispatcher } as Record<string, unknown>,
    });
    client.bearerToken = access.accessToken;
    return client;
  }

  async search(access: FhirAccess, queries: readonly FhirQuery[], signal: AbortSignal): Promise<Map<string, GatheredEntry[]>> {
    const client = this.client(access);
    const results = await Promise.all(queries.map(async (q) => [q.key, await this.all(client, access, q, signal)] as const));
    return new Map(results);
  }

  async read(access: FhirAccess, references: readonly string[], signal: AbortSignal): Promise<GatheredEntry[]> {
    const byType = new Map<string, string[]>();
    for (const ref of references) {
      const [type, id] = ref.split('/');
      if (type === undefined || id === undefined) continue;
      byType.set(type, [...(byType.get(type) ?? []), id]);
    }
    const client = this.client(access);
    const found = await Promise.all(
      [...byType].map(([type, ids]) =>
        this.all(
          client,
          access,
          { key: type, template: `${type}?_id=...`, url: `${type}?_id=${ids.map(encodeURIComponent).join(',')}` },
          signal,
        ),
      ),
    );
    return found.flat();
  }

  /** One query with its pages. */
  private async all(client: Client, access: FhirAccess, query: FhirQuery, signal: AbortSignal): Promise<GatheredEntry[]> {
    const isRead = !query.url.includes('?') && /^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(query.url);
    let url =
      isRead || /[?&]_count=/.test(query.url) || /^https?:/i.test(query.url)
        ? query.url
        : `${query.url}&_count=${this.options.pageSize}`;
    const entries: GatheredEntry[] = [];
    for (let page = 1; ; page++) {
      const body = await this.get(client, access, query, url, signal, isRead);
      if (body === undefined) return entries; // a read that found nothing
      if (isRead) {
        entries.push({ resource: body as unknown as FhirResource });
        return entries;
      }
      if (body['resourceType'] !== 'Bundle')
        throw new FhirQueryError(
          query,
          'invalid-response',
          `the FHIR server answered a ${String(body['resourceType'] ?? 'non-FHIR')} body, not a Bundle`,
        );
      for (const e of objects(body['entry'])) {
        const resource = e['resource'];
        if (
          !isObject(resource) ||
          typeof resource['resourceType'] !== 'string' ||
          resource['resourceType'] === 'OperationOutcome'
        )
          continue;
        const fullUrl = str(e['fullUrl']);
        entries.push({ resource: resource as unknown as FhirResource, ...(fullUrl !== undefined ? { fullUrl } : {}) });
      }
      const next = str(objects(body['link']).find((l) => l['relation'] === 'next')?.['url']);
      if (next === undefined) return entries;
      if (page >= this.options.maxPages)
        throw new FhirQueryError(query, 'too-many-pages', `more than ${this.options.maxPages} pages of results (FHIR_MAX_PAGES)`);
      if (/^https?:/i.test(next) && !isUnder(next, access.baseUrl))
        throw new FhirQueryError(query, 'not-allowed', 'a next link points outside fhirServer; it was not followed');
      url = next;
    }
  }

  private async get(
    client: Client,
    access: FhirAccess,
    query: FhirQuery,
    url: string,
    signal: AbortSignal,
    isRead: boolean,
  ): Promise<Record<string, unknown> | undefined> {
    let target = url;
    for (let hop = 0; ; hop++) {
      try {
        const body = (await client.request(target, { options: { signal } })) as unknown;
        if (!isObject(body)) throw new FhirQueryError(query, 'invalid-response', 'the FHIR server did not answer a JSON object');
        return body;
      } catch (err) {
        if (err instanceof FhirQueryError) throw err;
        if (signal.aborted) throw new FhirQueryError(query, 'timeout', 'no answer within the time budget (FHIR_TIMEOUT_MS)');
        const e = err as ClientError;
        const status = e.response?.status;
        if (status === undefined) {
          const code = e.cause?.code;
          throw new FhirQueryError(
            query,
            code === 'EFORBIDDEN' ? 'not-allowed' : 'unreachable',
            code === 'EFORBIDDEN'
              ? 'fhirServer resolves to a forbidden address'
              : `the FHIR server could not be reached${code !== undefined ? ` (${code})` : ''}`,
          );
        }
        if (status >= 300 && status < 400) {
          const location = e.config?.headers?.get('location') ?? undefined;
          const resolved =
            location !== undefined ? new URL(location, new URL(target, `${access.baseUrl}/`)).toString() : undefined;
          if (resolved === undefined || !isUnder(resolved, access.baseUrl) || hop >= MAX_REDIRECTS) {
            throw new FhirQueryError(
              query,
              'not-allowed',
              `the FHIR server redirected (${status}) outside fhirServer; the redirect was not followed`,
            );
          }
          target = resolved;
          continue;
        }
        if (typeof e.response?.data === 'string' && status < 300)
          throw new FhirQueryError(query, 'invalid-response', 'the FHIR server answered something that is not JSON');
        if ((status === 404 || status === 410) && isRead) return undefined;
        if (status === 401 || status === 403)
          throw new FhirQueryError(query, 'unauthorized', `the FHIR server refused the access token (${status})`);
        throw new FhirQueryError(query, 'server-error', `the FHIR server answered ${status}`);
      }
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
