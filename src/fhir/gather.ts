import type { Logger } from '../log.js';
import { HttpError, type Issue } from '../http/operation-outcome.js';
import { MEDICATION_REFERENCE } from '../cds/ids.js';
import type { CdsRequest, CdsServiceDefinition } from '../cds/types.js';
import type { GatheredEntry } from '../record/index-record.js';
import { isObject, str } from '../record/read.js';
import { isUnder } from '../security/fhir-server-policy.js';
import { fillTemplate, readPrefetchValue } from './prefetch.js';

/**
 * Data gathering (docs/fhir-data.md): prefetch first; every prefetch key that is absent, null, an OperationOutcome
 * or a Bundle with a `next` page still to fetch is fetched from the client's FHIR server with the token it sent,
 * all queries at once under one time budget (FHIR_TIMEOUT_MS). With no fhirServer and fhirAuthorization, the call
 * answers 412 naming the missing keys (a null key is then taken at its word: the client has no such data).
 *
 * Partial data: the service never reasons on a list it knows to be incomplete (a query that failed, timed out,
 * reported an error, or has more pages than FHIR_MAX_PAGES), because an absent radiograph, referral or
 * medication would turn into a wrong card: the whole call answers 412 naming the query instead. What is still
 * reasoned on:
 *  - a read (Patient/{{context.patientId}}) that answers 404 or 410: the server says there is no such resource,
 *    which is complete information, exactly like a prefetch value of null;
 *  - a MedicationRequest whose referenced Medication neither prefetch, the `_include` nor one batch read could
 *    give: it is classified from its text and display, as PATHWAY §1 allows, because the request itself (and its
 *    dose) is known; only its classification is less certain. References outside fhirServer are never fetched.
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

export type FhirFailure =
  | 'timeout'
  | 'unreachable'
  | 'unauthorized'
  | 'server-error'
  | 'rejected'
  | 'invalid-response'
  | 'incomplete'
  | 'too-many-pages'
  | 'not-allowed'
  | 'forbidden-address'
  | 'cancelled';

/** A query that could not be answered; the message names the cause, never the token, the URL or the patient. */
export class FhirQueryError extends Error {
  constructor(
    readonly query: FhirQuery,
    readonly reason: FhirFailure,
    detail: string,
  ) {
    super(detail);
    this.name = 'FhirQueryError';
  }
}

export interface FhirFetcher {
  /** Runs the queries, following next pages; rejects with a FhirQueryError for the first failure. */
  search(access: FhirAccess, queries: readonly FhirQuery[], signal: AbortSignal): Promise<Map<string, GatheredEntry[]>>;
  /** Reads resources by relative reference (`Medication/123`) in one round trip. */
  read(access: FhirAccess, references: readonly string[], signal: AbortSignal): Promise<GatheredEntry[]>;
}

/** Checks that a fhirServer may be called for this caller (allowlist, no metadata addresses). */
export type FhirServerCheck = (fhirServer: string) => void;

export interface Gathered {
  entries: GatheredEntry[];
  /** Where each prefetch key's data came from ('null': the client sent null and there was no server to ask). */
  sources: Record<string, 'prefetch' | 'fhir' | 'prefetch+fhir' | 'null'>;
  /** Time spent on the FHIR server, when it was called. */
  fetchMs?: number;
}

export interface GatherOptions {
  /** One time budget for every FHIR request of a call (FHIR_TIMEOUT_MS). */
  timeoutMs: number;
}

const ISSUE_CODE: Record<FhirFailure, Issue['code']> = {
  timeout: 'timeout',
  unreachable: 'transient',
  unauthorized: 'security',
  'server-error': 'transient',
  rejected: 'not-supported',
  'invalid-response': 'structure',
  incomplete: 'incomplete',
  'too-many-pages': 'too-costly',
  'not-allowed': 'forbidden',
  'forbidden-address': 'forbidden',
  cancelled: 'transient',
};

interface Unsatisfied {
  key: string;
  template: string;
  why: string;
  nullValue: boolean;
}

export interface GatherContext {
  log: () => Logger;
  checkServer: FhirServerCheck;
  signal?: AbortSignal;
}

export class DataGatherer {
  constructor(
    private readonly fetcher: FhirFetcher,
    private readonly options: GatherOptions,
  ) {}

  /**
   * `log` gives a logger only when something is worth a line (most calls log nothing here); `signal` is the
   * request's own (aborted when the request times out or the client goes away), combined with the time budget.
   */
  async gather(service: CdsServiceDefinition, request: CdsRequest, ctx: GatherContext): Promise<Gathered> {
    const { log, checkServer } = ctx;
    const prefetch = isObject(request.prefetch) ? request.prefetch : {};
    const entries: GatheredEntry[] = [];
    const sources: Gathered['sources'] = {};
    const toFetch: FhirQuery[] = [];
    const unsatisfied: Unsatisfied[] = [];

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
      unsatisfied.push({ key, template, why: whyMissing(state), nullValue: state.state === 'null' });
    }

    const access = accessOf(request);
    if (access === undefined) {
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
      const unresolved = this.unresolvedMedications(entries, undefined);
      if (unresolved.length > 0)
        log().info({ unresolvedMedications: unresolved.length }, 'Medication references not in prefetch; classifying by text');
      return { entries, sources };
    }

    for (const u of unsatisfied) {
      if (toFetch.some((q) => q.key === u.key)) continue; // a next page, already queued
      try {
        toFetch.push({
          key: u.key,
          template: u.template,
          url: fillTemplate(u.template, request.context as unknown as Record<string, unknown>),
        });
      } catch (err) {
        // A template token this call has no value for (e.g. {{userPractitionerId}} for a user who is not a Practitioner).
        throw new HttpError(412, {
          code: 'incomplete',
          expression: `prefetch.${u.key}`,
          diagnostics: `prefetch.${u.key} ${u.why} (${u.template}) and cannot be fetched: ${(err as Error).message}`,
        });
      }
    }
    const wantedMedications = toFetch.length === 0 ? this.unresolvedMedications(entries, access) : [];
    if (toFetch.length === 0 && wantedMedications.length === 0) return { entries, sources };

    checkServer(access.baseUrl);
    const started = performance.now();
    const budget = AbortSignal.timeout(this.options.timeoutMs);
    const signal = ctx.signal !== undefined ? AbortSignal.any([budget, ctx.signal]) : budget;
    try {
      if (toFetch.length > 0) {
        const results = await this.fetcher.search(access, toFetch, signal);
        for (const [key, found] of results) {
          entries.push(...found);
          sources[key] = sources[key] === 'prefetch' ? 'prefetch+fhir' : 'fhir';
        }
      }
      await this.resolveMedications(entries, access, signal, log);
    } catch (err) {
      if (err instanceof FhirQueryError) {
        log().warn(
          { prefetchKey: err.query.key, reason: err.reason, ms: Math.round(performance.now() - started) },
          'FHIR query failed',
        );
        // Every failure, a fhirServer that resolves to a forbidden address included, means the data cannot be
        // had: CDS Hooks 2.0.1 says 412 when the service cannot access the FHIR server and prefetch lacks data.
        throw new HttpError(412, {
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
   * `Medication/id` references of MedicationRequests that no gathered entry resolves. With server access, only
   * relative references and references under fhirServer are returned (the token goes nowhere else).
   */
  private unresolvedMedications(entries: readonly GatheredEntry[], access: FhirAccess | undefined): string[] {
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
      const m = MEDICATION_REFERENCE.exec(ref);
      if (m?.[1] === undefined || known.has(m[1])) continue;
      const absolute = /^[a-z][a-z0-9+.-]*:/i.test(ref);
      if (absolute && (access === undefined || !isUnder(ref, access.baseUrl))) continue;
      wanted.add(m[1]);
    }
    return [...wanted];
  }

  /**
   * MedicationRequests may reference Medications that neither prefetch nor the _include brought: read them in one
   * round. When the server does not have them (or the read fails), the indexer classifies by text.
   */
  private async resolveMedications(
    entries: GatheredEntry[],
    access: FhirAccess,
    signal: AbortSignal,
    log: () => Logger,
  ): Promise<void> {
    const wanted = this.unresolvedMedications(entries, access);
    if (wanted.length === 0) return;
    try {
      entries.push(...(await this.fetcher.read(access, wanted, signal)));
    } catch (err) {
      // Not fatal: the MedicationRequest is classified from its text (PATHWAY §1).
      log().warn(
        { unresolvedMedications: wanted.length, reason: err instanceof FhirQueryError ? err.reason : 'error' },
        'could not read referenced Medications; classifying by text',
      );
    }
  }
}

function whyMissing(state: ReturnType<typeof readPrefetchValue>): string {
  if (state.state === 'null') return 'is null';
  if (state.state === 'present') return 'has more pages';
  switch (state.why) {
    case 'absent':
      return 'is missing';
    case 'operation-outcome':
      return 'is an OperationOutcome';
    case 'not-a-resource':
      return 'is not a FHIR resource';
  }
}

function accessOf(request: CdsRequest): FhirAccess | undefined {
  if (request.fhirServer === undefined || request.fhirAuthorization === undefined) return undefined;
  return { baseUrl: request.fhirServer.replace(/\/+$/, ''), accessToken: request.fhirAuthorization.access_token };
}
