import type { FhirResource } from 'fhir/r4.js';
import { MEDICATION_REFERENCE } from '../cds/ids.js';
import type { Logger } from '../log.js';
import { HttpError, type Issue } from '../http/operation-outcome.js';
import type { CdsRequest, CdsServiceDefinition } from '../cds/types.js';
import type { GatheredEntry } from '../record/index-record.js';
import { isObject, str } from '../record/read.js';
import { isUnder } from '../security/fhir-server-policy.js';
import { readBundle } from './bundle.js';
import { ownDataOnly } from './patient-scope.js';
import { fillTemplate, readPrefetchValue } from './prefetch.js';
import type { FhirAccess } from './transport.js';

export type { FhirAccess } from './transport.js';

/**
 * Data gathering (docs/fhir-data.md): prefetch first; every prefetch key that is absent, null, an OperationOutcome
 * or a Bundle with a `next` page still to fetch is fetched from the client's FHIR server, all queries at once under
 * one time budget (FHIR_TIMEOUT_MS). Then only the patient's own data is kept (patient-scope.ts), and
 * MedicationRequests' Medications that nothing brought are read.
 *
 * Partial data is an answer (docs/clinical-spec.md §1). A key whose data cannot be had completely leaves its
 * resource types *unknown*: a query that fails on its own (failsAlone: 400, 404, 405 after the GET retry, its own
 * time-out, more entries, pages or bytes than allowed, an error reported in its results), a prefetch Bundle whose
 * next pages cannot be followed, a key the client did not send when there is no fhirServer with a token to ask.
 * The rules that need an unknown type do not run (src/pathway/evaluate.ts). The call still answers 412 when the
 * Patient is missing or unreadable (age and death decide whether the pathway applies at all), when fhirServer is
 * refused, and when the server fails as a whole (unreachable, the token refused, links outside fhirServer,
 * garbage): nothing it answered can then be trusted.
 *
 * Still reasoned on, because the information is complete:
 *  - a read (Patient/{{context.patientId}}) that answers 404 or 410: the server says there is no such resource;
 *  - a MedicationRequest whose referenced Medication neither prefetch, the `_include`, draftOrders nor one batch
 *    read could give: it is classified from its text and display (docs/clinical-spec.md §1), because the request
 *    itself (and its dose) is known. References outside fhirServer are never fetched.
 */

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
  | 'too-many-entries'
  | 'too-large'
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

/**
 * Failures that say something about one query only: its resource type is unknown, the others are used. Every
 * other failure is the server's (or a guard's) and fails the call.
 */
const ALONE: ReadonlySet<FhirFailure> = new Set([
  'rejected',
  'timeout',
  'incomplete',
  'too-many-pages',
  'too-many-entries',
  'too-large',
]);
export function failsAlone(reason: FhirFailure): boolean {
  return ALONE.has(reason);
}

/** What one query gave: its entries, or the failure that leaves its types unknown. */
export type QueryOutcome = { entries: GatheredEntry[] } | { failure: FhirQueryError };

export interface FhirFetcher {
  /**
   * Runs the queries, following next pages. A failure of one query (failsAlone) is that query's outcome; any other
   * failure rejects with a FhirQueryError (and cancels the other queries).
   */
  search(access: FhirAccess, queries: readonly FhirQuery[], signal: AbortSignal): Promise<Map<string, QueryOutcome>>;
  /** Reads resources by relative reference (`Medication/123`) in one round trip; rejects on any failure. */
  read(access: FhirAccess, references: readonly string[], signal: AbortSignal): Promise<GatheredEntry[]>;
}

/** Checks that a fhirServer may be called for this caller (allowlist, no metadata addresses). */
export type FhirServerCheck = (fhirServer: string) => void;

export type ResourceType = FhirResource['resourceType'];

export interface Gathered {
  /** The patient's own resources (prefetch and fetched). */
  entries: GatheredEntry[];
  /** The patient's own draft orders (context.draftOrders; empty for patient-view). */
  draftOrders: GatheredEntry[];
  /** Where each prefetch key's data came from ('null': the client sent null and there was no server to ask). */
  sources: Record<string, 'prefetch' | 'fhir' | 'prefetch+fhir' | 'null' | 'unknown'>;
  /** Resource types whose data is not complete: the rules that need them do not run. */
  unknown: ResourceType[];
  /** Resources of another patient that were dropped, by type (for the log). */
  dropped: Record<string, number>;
  /** Time spent on the FHIR server, when it was called. */
  fetchMs?: number;
}

export interface GatherOptions {
  /** One time budget for every FHIR request of a call (FHIR_TIMEOUT_MS). */
  timeoutMs: number;
  /** Entries per prefetch key or query (FHIR_MAX_ENTRIES). */
  maxEntries: number;
  /** Resources per call, every key together (FHIR_MAX_RESOURCES). */
  maxResources: number;
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
  'too-many-entries': 'too-costly',
  'too-large': 'too-costly',
  'not-allowed': 'forbidden',
  'forbidden-address': 'forbidden',
  cancelled: 'transient',
};

export interface GatherContext {
  log: () => Logger;
  checkServer: FhirServerCheck;
  /** The request's abort; its signal is read only when a query is sent. */
  abort?: { readonly signal: AbortSignal };
}

/** One prefetch key as gathered. */
interface KeyState {
  template: string;
  entries: GatheredEntry[];
  source?: Gathered['sources'][string];
  /** Why the key's data is not complete (for the log: no patient data). */
  unknown?: string;
  /** Why the key is missing, when it cannot be fetched (for a 412). */
  missing?: string;
}

const isPatientRead = (template: string): boolean => /^Patient\/\{\{\s*context\.patientId\s*\}\}$/.test(template);

/** The resource types a prefetch template gives: its type, and Medication for `_include=MedicationRequest:medication`. */
export function typesOfTemplate(template: string): ResourceType[] {
  const type = /^([A-Z][A-Za-z]+)/.exec(template)?.[1];
  const types = type !== undefined ? [type as ResourceType] : [];
  if (/[?&]_include=MedicationRequest:medication\b/.test(template)) types.push('Medication');
  return types;
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
    const access = accessOf(request);
    const canFetch = access?.accessToken !== undefined;
    const keys = new Map<string, KeyState>();
    const toFetch: FhirQuery[] = [];

    for (const [key, template] of Object.entries(service.prefetch)) {
      const k: KeyState = { template, entries: [] };
      keys.set(key, k);
      const state = readPrefetchValue(prefetch[key], Object.prototype.hasOwnProperty.call(prefetch, key));
      if (state.state === 'present') {
        if (state.count > this.options.maxEntries) {
          k.unknown = `more than ${this.options.maxEntries} entries (FHIR_MAX_ENTRIES)`;
          continue;
        }
        k.entries = state.entries;
        k.source = 'prefetch';
        if (state.next === undefined) continue;
        // The rest of a paged prefetch: from fhirServer (with the token when one was given, without when the server
        // is open), and only when the link lies under it.
        const next = access !== undefined ? resolveUnder(state.next, access.baseUrl) : undefined;
        if (next !== undefined) toFetch.push({ key, template, url: next });
        else k.unknown = 'has more pages (Bundle.link next) that cannot be followed (not under fhirServer)';
        continue;
      }
      const why = whyMissing(state);
      if (canFetch) {
        try {
          toFetch.push({ key, template, url: fillTemplate(template, request.context) });
          continue;
        } catch (err) {
          // A template token this call has no value for (e.g. {{userPractitionerId}} for a user who is not a Practitioner).
          k.missing = `${why} (${template}) and cannot be fetched: ${(err as Error).message}`;
        }
      } else if (state.state === 'null') {
        k.source = 'null'; // no server to ask: taken at its word
        continue;
      } else {
        k.missing = `${why} (${template}) and the request has no fhirServer with fhirAuthorization to fetch it`;
      }
      k.unknown = why;
    }

    // Without the Patient, age and death are not known: nothing can be decided.
    const patientMissing = [...keys].some(([, k]) => k.missing !== undefined && isPatientRead(k.template));
    if (patientMissing) {
      throw new HttpError(
        412,
        [...keys].flatMap(([key, k]) =>
          k.missing !== undefined
            ? [{ code: 'incomplete' as const, expression: `prefetch.${key}`, diagnostics: `prefetch.${key} ${k.missing}` }]
            : [],
        ),
      );
    }

    const drafts = draftOrdersOf(request);
    let started: number | undefined;
    let signal: AbortSignal | undefined;
    const startBudget = (server: FhirAccess): AbortSignal => {
      if (signal !== undefined) return signal;
      checkServer(server.baseUrl);
      started = performance.now();
      const budget = AbortSignal.timeout(this.options.timeoutMs);
      signal = ctx.abort !== undefined ? AbortSignal.any([budget, ctx.abort.signal]) : budget;
      return signal;
    };

    if (toFetch.length > 0 && access !== undefined) {
      const budget = startBudget(access);
      const results = await this.run(() => this.fetcher.search(access, toFetch, budget), started, log);
      for (const [key, outcome] of results) {
        const k = keys.get(key);
        if (k === undefined) continue;
        if ('failure' in outcome) {
          log().warn({ prefetchKey: key, reason: outcome.failure.reason }, 'FHIR query failed; its resource types are unknown');
          k.unknown = outcome.failure.message;
          continue;
        }
        k.entries.push(...outcome.entries);
        k.source = k.source === 'prefetch' ? 'prefetch+fhir' : 'fhir';
      }
    }

    this.capTotal(keys);

    let scoped = ownDataOnly(
      request.context.patientId,
      [...keys.values()].flatMap((k) => k.entries),
      drafts,
    );
    if ((scoped.dropped['Patient'] ?? 0) > 0 && !scoped.entries.some((e) => e.resource.resourceType === 'Patient')) {
      const key = [...keys].find(([, k]) => isPatientRead(k.template))?.[0] ?? 'patient';
      throw new HttpError(412, {
        code: 'incomplete',
        expression: `prefetch.${key}`,
        diagnostics: `prefetch.${key} is the Patient resource of another patient than context.patientId`,
      });
    }

    // MedicationRequests (drafts included) whose Medication nothing brought: one batch read.
    const wanted = unresolvedMedications([...scoped.entries, ...scoped.draftOrders], canFetch ? access : undefined);
    if (wanted.length > 0 && canFetch) {
      const budget = startBudget(access);
      try {
        const found = await this.fetcher.read(access, wanted, budget);
        const dropped = scoped.dropped;
        scoped = ownDataOnly(request.context.patientId, [...scoped.entries, ...found], scoped.draftOrders);
        scoped.dropped = mergeCounts(dropped, scoped.dropped);
      } catch (err) {
        // Not fatal: the MedicationRequest is classified from its text (docs/clinical-spec.md §1).
        log().warn(
          { unresolvedMedications: wanted.length, reason: err instanceof FhirQueryError ? err.reason : 'error' },
          'could not read referenced Medications; classifying by text',
        );
      }
    } else if (wanted.length > 0) {
      log().info({ unresolvedMedications: wanted.length }, 'Medication references not in prefetch; classifying by text');
    }

    const unknown = new Set<ResourceType>();
    const unknownKeys: Record<string, string> = {};
    const sources: Gathered['sources'] = {};
    for (const [key, k] of keys) {
      if (k.unknown !== undefined) {
        for (const t of typesOfTemplate(k.template)) unknown.add(t);
        unknownKeys[key] = k.unknown;
        sources[key] = 'unknown';
      } else if (k.source !== undefined) sources[key] = k.source;
    }
    if (unknown.size > 0)
      log().info({ unknownTypes: [...unknown].sort(), unknownKeys }, 'partial data: the rules that need these types do not run');
    if (Object.keys(scoped.dropped).length > 0)
      log().warn({ otherPatient: scoped.dropped }, "dropped another patient's resources");
    return {
      entries: scoped.entries,
      draftOrders: scoped.draftOrders,
      sources,
      unknown: [...unknown].sort(),
      dropped: scoped.dropped,
      ...(started !== undefined ? { fetchMs: Math.round(performance.now() - started) } : {}),
    };
  }

  /** A search, its call-level failures as 412 naming the query. */
  private async run<T>(search: () => Promise<T>, started: number | undefined, log: () => Logger): Promise<T> {
    try {
      return await search();
    } catch (err) {
      if (err instanceof FhirQueryError) {
        log().warn(
          {
            prefetchKey: err.query.key,
            reason: err.reason,
            ms: started !== undefined ? Math.round(performance.now() - started) : 0,
          },
          'FHIR query failed',
        );
        // The server failed as a whole (or a guard refused it): CDS Hooks 2.0.1 says 412 when the service cannot
        // access the FHIR server and prefetch lacks data.
        throw new HttpError(412, {
          code: ISSUE_CODE[err.reason],
          expression: `prefetch.${err.query.key}`,
          diagnostics: `could not get prefetch.${err.query.key} from fhirServer (${err.query.template}): ${err.message}`,
        });
      }
      throw err;
    }
  }

  /** More resources than FHIR_MAX_RESOURCES: the largest keys become unknown until the rest fits. */
  private capTotal(keys: Map<string, KeyState>): void {
    const total = (): number => [...keys.values()].reduce((n, k) => n + k.entries.length, 0);
    while (total() > this.options.maxResources) {
      const largest = [...keys.values()]
        .filter((k) => !isPatientRead(k.template))
        .reduce<KeyState | undefined>((a, k) => (a === undefined || k.entries.length > a.entries.length ? k : a), undefined);
      if (largest === undefined || largest.entries.length === 0) return;
      largest.entries = [];
      largest.unknown = `more than ${this.options.maxResources} resources in the call (FHIR_MAX_RESOURCES)`;
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

/** fhirServer, with the token when the client gave one (an open server is called without). */
function accessOf(request: CdsRequest): FhirAccess | undefined {
  if (request.fhirServer === undefined) return undefined;
  const baseUrl = request.fhirServer.replace(/\/+$/, '');
  const token = request.fhirAuthorization?.access_token;
  return { baseUrl, ...(token !== undefined ? { accessToken: token } : {}) };
}

/** An absolute URL for a next link, when it lies under fhirServer; else undefined. */
function resolveUnder(link: string, baseUrl: string): string | undefined {
  try {
    const url = new URL(link, new URL(`${baseUrl}/`)).toString();
    return isUnder(url, baseUrl) ? url : undefined;
  } catch {
    return undefined;
  }
}

/** context.draftOrders of an order hook, read like any Bundle. */
function draftOrdersOf(request: CdsRequest): GatheredEntry[] {
  if (request.hook === 'patient-view') return [];
  const context = request.context as unknown as Record<string, unknown>;
  return readBundle(context['draftOrders']).entries;
}

/**
 * `Medication/id` references of MedicationRequests that no gathered entry resolves. With server access, only
 * relative references and references under fhirServer are returned (the token goes nowhere else).
 */
function unresolvedMedications(entries: readonly GatheredEntry[], access: FhirAccess | undefined): string[] {
  const referencing = entries.some((e) => {
    const r = e.resource as unknown as Record<string, unknown>;
    return r['resourceType'] === 'MedicationRequest' && r['medicationReference'] !== undefined;
  });
  if (!referencing) return [];
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

function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, n] of Object.entries(b)) out[k] = (out[k] ?? 0) + n;
  return out;
}
