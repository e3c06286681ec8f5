import type { FhirResource, Patient } from 'fhir/r4.js';
import { basename, join } from 'node:path';
import { dataFiles, projectPath, readJsonFile } from '../data-files.js';
import type { HookName } from '../cds/types.js';
import type { TopicCode } from '../pathway/topics.js';

/**
 * The scenario patients of fhir-fixtures/scenarios, as the runtime reads them: the pathway site renders each
 * topic's card from a scenario that makes it fire. (The fixture tools in tools/fixtures build on this reader.)
 * Dates are written relative to "now" and resolved when a scenario is loaded:
 *   "$now", "$now-16w", "$now+2d", "$now-3m", "$now-70y"  -> an ISO dateTime
 *   "$day:now-70y"                                         -> a date (YYYY-MM-DD)
 * Units: h hours, d days, w weeks, m months, y years. Resources without `subject` get the scenario patient.
 */

export const SCENARIO_DIR = projectPath('fhir-fixtures', 'scenarios');

/** What the runtime needs of a scenario file (tools/fixtures/scenarios.ts describes the whole file). */
export interface ExampleScenario {
  name: string;
  title: string;
  hook: HookName;
  patient: Patient;
  patientId: string;
  resources: FhirResource[];
  draftOrders?: FhirResource[];
  selections?: string[];
  expect: { topics: TopicCode[]; mustNot?: TopicCode[] };
}

/** The names of the scenario files (without `.json`), sorted. */
export function scenarioNames(dir = SCENARIO_DIR): string[] {
  return dataFiles(dir, ['.json'])
    .map((f) => basename(f, '.json'))
    .sort();
}

const RELATIVE = /^\$(day:)?now(?:([+-])(\d+)([hdwmy]))?$/;

export function resolveRelativeDate(value: string, now: Date): string | undefined {
  const m = RELATIVE.exec(value);
  if (m === null) return undefined;
  const d = new Date(now.getTime());
  if (m[2] !== undefined && m[3] !== undefined && m[4] !== undefined) {
    const n = Number(m[3]) * (m[2] === '-' ? -1 : 1);
    switch (m[4]) {
      case 'h':
        d.setUTCHours(d.getUTCHours() + n);
        break;
      case 'd':
        d.setUTCDate(d.getUTCDate() + n);
        break;
      case 'w':
        d.setUTCDate(d.getUTCDate() + 7 * n);
        break;
      case 'm':
        d.setUTCMonth(d.getUTCMonth() + n);
        break;
      case 'y':
        d.setUTCFullYear(d.getUTCFullYear() + n);
        break;
    }
  }
  return m[1] !== undefined ? d.toISOString().slice(0, 10) : d.toISOString();
}

export function resolveDates<T>(x: T, now: Date): T {
  if (typeof x === 'string') return (resolveRelativeDate(x, now) ?? x) as T;
  if (Array.isArray(x)) {
    const list: readonly unknown[] = x;
    return list.map((v) => resolveDates(v, now)) as T;
  }
  if (x !== null && typeof x === 'object') {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, resolveDates(v, now)])) as T;
  }
  return x;
}

const SUBJECT_TYPES = new Set([
  'Condition',
  'Observation',
  'MedicationRequest',
  'Procedure',
  'ServiceRequest',
  'DiagnosticReport',
  'ImagingStudy',
]);

export function withSubject(resource: FhirResource, patientId: string): FhirResource {
  const r = resource as unknown as Record<string, unknown>;
  if (!SUBJECT_TYPES.has(resource.resourceType) || r['subject'] !== undefined) return resource;
  return { ...resource, subject: { reference: `Patient/${patientId}` } } as FhirResource;
}

/**
 * Reads one scenario file with its dates resolved against `now`. Every other field of the file is kept (the
 * test fixtures also hold what the cards must show: tools/fixtures/scenarios.ts).
 */
export function readScenarioFile(name: string, now: Date, dir = SCENARIO_DIR): ExampleScenario {
  const raw = resolveDates(readJsonFile(join(dir, `${name}.json`)) as Omit<ExampleScenario, 'name' | 'patientId'>, now);
  const patientId = raw.patient.id;
  if (patientId === undefined) throw new Error(`scenario ${name}: the patient needs an id`);
  return {
    ...raw,
    name,
    patientId,
    resources: raw.resources.map((r) => withSubject(r, patientId)),
    ...(raw.draftOrders !== undefined ? { draftOrders: raw.draftOrders.map((r) => withSubject(r, patientId)) } : {}),
  };
}
