import type { FhirResource } from 'fhir/r4.js';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from '../src/data-files.js';
import { bundleFiles } from '../tools/burden/input.js';

/**
 * A generated population for the burden benchmark: the Synthea records of fhir-fixtures/synthea replicated with
 * new ids (every UUID of a record mapped to a fresh one, consistently within the copy) and their dates shifted by
 * a whole number of days (the same shift for every date of one copy, so each chart keeps its own story). Only
 * the resource types the pathway reads are kept (Patient, Encounter, Condition, Observation, MedicationRequest,
 * Medication, Procedure, ServiceRequest, DiagnosticReport, ImagingStudy), as a payer's Bulk export would give.
 */
const KEEP = new Set([
  'Patient',
  'Encounter',
  'Condition',
  'Observation',
  'MedicationRequest',
  'Medication',
  'Procedure',
  'ServiceRequest',
  'DiagnosticReport',
  'ImagingStudy',
]);
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const DATE = /"(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))?"/g;
const DAY_MS = 24 * 3600 * 1000;

export function templates(): string[] {
  return bundleFiles(projectPath('fhir-fixtures', 'synthea')).map((f) => {
    const bundle = JSON.parse(readFileSync(f, 'utf8')) as { entry: { resource: FhirResource }[] };
    return JSON.stringify(bundle.entry.map((e) => e.resource).filter((r) => KEEP.has(r.resourceType)));
  });
}

/** Copy `i` of a template: new ids, dates shifted by up to a year either way. */
export function replicate(template: string, i: number): FhirResource[] {
  const ids = new Map<string, string>();
  const shiftDays = ((i * 7919) % 731) - 365;
  const text = template
    .replace(UUID, (id) => {
      let fresh = ids.get(id);
      if (fresh === undefined) ids.set(id, (fresh = randomUUID()));
      return fresh;
    })
    .replace(DATE, (whole, day: string, time: string | undefined) => {
      const d = new Date(time !== undefined ? `${day}${time}` : `${day}T00:00:00Z`);
      if (Number.isNaN(d.getTime())) return whole;
      const shifted = new Date(d.getTime() + shiftDays * DAY_MS).toISOString();
      return time !== undefined ? `"${shifted}"` : `"${shifted.slice(0, 10)}"`;
    });
  return JSON.parse(text) as FhirResource[];
}

/** Writes `n` patients as a folder of Bundles (one file each). */
export function writeBundles(dir: string, n: number): void {
  mkdirSync(dir, { recursive: true });
  const ts = templates();
  for (let i = 0; i < n; i++) {
    const resources = replicate(ts[i % ts.length] ?? '[]', i);
    writeFileSync(
      join(dir, `patient-${String(i).padStart(6, '0')}.json`),
      JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) }),
    );
  }
}

/** Writes `n` patients as a Bulk Data export: one NDJSON file per resource type. */
export async function writeBulk(dir: string, n: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const ts = templates();
  const files = new Map<string, WriteStream>();
  for (let i = 0; i < n; i++) {
    for (const r of replicate(ts[i % ts.length] ?? '[]', i)) {
      let out = files.get(r.resourceType);
      if (out === undefined) files.set(r.resourceType, (out = createWriteStream(join(dir, `${r.resourceType}.ndjson`))));
      if (!out.write(`${JSON.stringify(r)}\n`)) await new Promise<void>((resolve) => out.once('drain', resolve));
    }
  }
  await Promise.all(
    [...files.values()].map(
      (s) =>
        new Promise<void>((resolve) =>
          s.end(() => {
            resolve();
          }),
        ),
    ),
  );
}
