import type { Logger } from '../log.js';
import { HttpError, type Issue } from '../http/operation-outcome.js';
import type { CdsRequest, CdsServiceDefinition } from '../cds/types.js';
import type { GatheredEntry } from '../record/index-record.js';
import { isObject, str } from '../record/read.js';
import { fillTemplate, readPrefetchValue } from './prefetch.js';

/**
 * Data gathering: prefetch first; what is missing is fetched from the client's FHIR server with the token it
 * sent, all queries in parallel under one time budget; with no fhirServer and fhirAuthorization, the call
 * answers 412 naming the missing data.
 *
 * Partial data: the service never reasons on a list it knows to be incomplete (a query that failed, a next page
 * it could not follow), because an absent radiograph or medication would turn into a wrong card. The one
 * exception is a Medication that a MedicationRequest references but neither prefetch nor the server could
 * give: the request is then classified from its text and display, as PATHWAY §1 allows.
 */

export interface FhirAccess {
  baseUrl: string;
  accessToken: string;
}

export interface FhirQuery {
  key: string;
  /** The template, for messages and logs (no patient data). */
  template: string;
  /** Relative URL with the tokens filled, or an absolute `next` link to continue from. */
  url: string;
}

/** A query that could not be answered; the message names the query and the cause, never the token. */
export class FhirQueryError extends Error {
  constructor(
    readonly query: FhirQuery,
    readonly reason:
      'timeout' | 'unreachable' | 'unauthorized' | 'server-error' | 'invalid-response' | 'too-many-pages' | 'not-allowed',
    detail: string,
  ) {
    super(detail);
    this.name = 'FhirQueryError';
  }
}

export interface FhirFetcher {
  /** Runs the queries in parallel, following next pages; rejects with FhirQueryError for the first failure. */
  search(access: FhirAccess, queries: readonly FhirQuery[], signal: AbortSignal): Promise<Map<string, GatheredEntry[]>>;
  /** Reads resources by relative reference (`Medication/123`) in one round trip. */
  read(access: FhirAccess, references: readonly string[], signal: AbortSignal): Promise<GatheredEntry[]>;
}

/** Checks that a fhirServer may be called for this caller (allowlist, no metadata addresses). */
export type FhirServerCheck = (fhirServer: string) => void;

export interface Gathered {
  entries: GatheredEntry[];
  /** Where each prefetch key's data came from. */
  sources: Record<string, 'prefetch' | 'fhir' | 'null'>;
  fetchMs?: number;
}

export interface GatherOptions {
  timeoutMs: number;
}

const ISSUE_CODE: Record<FhirQueryError['reason'], Issue['code']> = {
  timeout: 'timeout',
  unreachable: 'transient',
  unauthorized: 'security',
  'server-error': 'transient',
  'invalid-response': 'structure',
  'too-many-pages': 'too-costly',
  'not-allowed': 'forbidden',
};

export class DataGatherer {
  constructor(
    private readonly fetcher: FhirFetcher,
    private readonly options: GatherOptions,
  ) {}

  async gather(service: CdsServiceDefinition, request: CdsRequest, log: Logger, checkServer: FhirServerCheck): Promise<Gathered> {
    const prefetch = isObject(request.prefetch) ? request.prefetch : {};
    const entries: GatheredEntry[] = [];
    const sources: Gathered['sources'] = {};
    const toFetch: FhirQuery[] = [];
    const unsatisfied: { key: string; template: string; why: string; nullValue: boolean }[] = [];

    for (const [key, template] of Object.entries(service.prefetch)) {
      const state = readPrefetchValue(prefetch[key], Object.prototype.hasOwnProperty.call(prefetch, key));
      if (state.state === 'present') {
        entries.push(...state.entries);
        sources[key] = 'prefetch';
        if (state.next !== undefined) {
          toFetch.push({ key, template, url: state.next });
          unsatisfied.push({ key, template, why: 'has more pages (Bundle.link next)', nullValue: false });
        }
        continue;
      }
      const url = fillTemplate(template, request.context as unknown as Record<string, unknown>);
      toFetch.push({ key, template, url });
      unsatisfied.push({
        key,
        template,
        why:
          state.state === 'null'
            ? 'is null'
            : state.why === 'absent'
              ? 'is missing'
              : state.why === 'operation-outcome'
                ? 'is an OperationOutcome'
                : 'is not a FHIR resource',
        nullValue: state.state === 'null',
      });
    }

    const access = accessOf(request);
    if (toFetch.length === 0 || access === undefined) {
      const missing = unsatisfied.filter((u) => !u.nullValue);
      if (missing.length > 0) {
        throw new HttpError(
          412,
          missing.map((m) => ({
            code: 'incomplete' as const,
            expression: `prefetch.${m.key}`,
            diagnostics: `prefetch.${m.key} ${m.why} (${m.template}) and the request has no fhirServer with fhirAuthorization to fetch it`,
          })),
        );
      }
      for (const u of unsatisfied) sources[u.key] = 'null';
      await this.resolveMedications(entries, undefined, log);
      return { entries, sources };
    }

    checkServer(access.baseUrl);
    const started = performance.now();
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const results = await this.fetcher.search(access, toFetch, signal);
      for (const [key, found] of results) {
        entries.push(...found);
        sources[key] = 'fhir';
      }
      await this.resolveMedications(entries, { access, signal }, log);
    } catch (err) {
      if (err instanceof FhirQueryError) {
        log.warn(
          { prefetchKey: err.query.key, reason: err.reason, ms: Math.round(performance.now() - started) },
          'FHIR query failed',
        );
        const status = err.reason === 'not-allowed' ? 403 : 412;
        throw new HttpError(status, {
          code: ISSUE_CODE[err.reason],
          expression: `prefetch.${err.query.key}`,
          diagnostics: `could not get prefetch.${err.query.key} from fhirServer (${err.query.template}): ${err.message}`,
        });
      }
      throw err;
    }
    return { entries, sources, fetchMs: Math.round(performance.now() - started) };
  }

  /**
   * MedicationRequests may reference Medications that neither prefetch nor the _include brought: read them in one
   * round. Without server access, or when the server does not have them, the indexer falls back to text.
   */
  private async resolveMedications(
    entries: GatheredEntry[],
    server: { access: FhirAccess; signal: AbortSignal } | undefined,
    log: Logger,
  ): Promise<void> {
    const known = new Set<string>();
    for (const e of entries) {
      const r = e.resource as unknown as Record<string, unknown>;
      const id = str(r['id']);
      if (id !== undefined) known.add(`${r['resourceType'] as string}/${id}`);
      if (e.fullUrl !== undefined) known.add(e.fullUrl);
    }
    const wanted = new Set<string>();
    for (const e of entries) {
      const r = e.resource as unknown as Record<string, unknown>;
      if (r['resourceType'] !== 'MedicationRequest') continue;
      const ref = isObject(r['medicationReference']) ? str(r['medicationReference']['reference']) : undefined;
      if (ref === undefined || ref.startsWith('#') || known.has(ref)) continue;
      const m = /(?:^|\/)(Medication\/[A-Za-z0-9\-.]{1,64})$/.exec(ref);
      if (m?.[1] !== undefined && !known.has(m[1])) wanted.add(m[1]);
    }
    if (wanted.size === 0) return;
    if (server === undefined) {
      log.info({ unresolvedMedications: wanted.size }, 'Medication references not in prefetch; classifying by text');
      return;
    }
    try {
      entries.push(...(await this.fetcher.read(server.access, [...wanted], server.signal)));
    } catch (err) {
      // Not fatal: the MedicationRequest is classified from its text (PATHWAY §1).
      log.warn(
        { unresolvedMedications: wanted.size, reason: err instanceof FhirQueryError ? err.reason : 'error' },
        'could not read referenced Medications; classifying by text',
      );
    }
  }
}

function accessOf(request: CdsRequest): FhirAccess | undefined {
  if (request.fhirServer === undefined || request.fhirAuthorization === undefined) return undefined;
  return { baseUrl: request.fhirServer.replace(/\/+$/, ''), accessToken: request.fhirAuthorization.access_token };
}
