import type { FhirResource } from 'fhir/r4.js';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, readFileSync, statSync, type WriteStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The population a burden report reads, as units of work that each fit in memory:
 *  - a folder of FHIR Bundles (one patient per file, as Synthea writes them): a unit is a file;
 *  - a FHIR Bulk Data export (one NDJSON file per resource type, as `$export` writes them): the lines are grouped
 *    by patient through an on-disk partition (each line appended to one of N bucket files by a hash of its
 *    patient), so no more than one bucket is ever held in memory. Medication resources, which belong to no
 *    patient, go to a file of their own that every bucket can look references up in.
 * `--shard i/n` keeps the patients whose hash falls in shard i, so n machines can split one population.
 */
export interface Shard {
  index: number;
  count: number;
}

export function parseShard(value: string | undefined): Shard {
  if (value === undefined) return { index: 1, count: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || count < 1 || index < 1 || index > count)
    throw new Error(`--shard takes i/n with 1 <= i <= n (e.g. 2/8), got "${value}"`);
  return { index, count };
}

/** A stable 32-bit hash of a patient (or file) key. */
export function keyHash(key: string): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0);
}

export function inShard(key: string, shard: Shard): boolean {
  return keyHash(key) % shard.count === shard.index - 1;
}

export type WorkUnit = { kind: 'bundle'; path: string } | { kind: 'bucket'; path: string; patients: number };

export interface Population {
  kind: 'bundles' | 'bulk';
  units: WorkUnit[];
  /** Patients expected (bundles: files; bulk: distinct patients in the shard). */
  patients: number;
  /** Bulk: the Medication resources, for medicationReference look-ups. */
  medicationsFile?: string;
}

function isBulk(dir: string): boolean {
  return readdirSync(dir).some((f) => f.endsWith('.ndjson'));
}

export function bundleFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

/** The patient a resource belongs to (`Patient/<id>` or `urn:uuid:<id>` references), if any. */
export function patientOf(r: Record<string, unknown>): string | undefined {
  if (r['resourceType'] === 'Patient') return typeof r['id'] === 'string' ? r['id'] : undefined;
  for (const key of ['subject', 'patient', 'beneficiary']) {
    const ref = (r[key] as { reference?: unknown } | undefined)?.reference;
    if (typeof ref !== 'string') continue;
    const m = /^(?:Patient\/|urn:uuid:)([^/]+)$/.exec(ref);
    if (m?.[1] !== undefined) return m[1];
  }
  return undefined;
}

async function write(stream: WriteStream, line: string): Promise<void> {
  if (!stream.write(line)) await new Promise<void>((resolve) => stream.once('drain', resolve));
}

async function closeAll(streams: readonly WriteStream[]): Promise<void> {
  await Promise.all(
    streams.map(
      (s) =>
        new Promise<void>((resolve, reject) =>
          s.end((err?: Error | null) => {
            if (err) reject(err);
            else resolve();
          }),
        ),
    ),
  );
}

const BUCKET_BYTES = 24 * 1024 * 1024;

/** Partitions a Bulk export into bucket files under `workDir`, keeping only the shard's patients. */
export async function partitionBulk(dir: string, workDir: string, shard: Shard): Promise<Population> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ndjson'))
    .sort();
  const total = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  const buckets = Math.min(512, Math.max(1, Math.ceil(total / shard.count / BUCKET_BYTES)));
  mkdirSync(workDir, { recursive: true });
  const streams = Array.from({ length: buckets }, (_, i) => createWriteStream(join(workDir, `bucket-${String(i)}.ndjson`)));
  const medicationsFile = join(workDir, 'medications.ndjson');
  const medications = createWriteStream(medicationsFile);
  const perBucket = new Array<number>(buckets).fill(0);
  const seen = new Set<string>();
  for (const f of files) {
    const lines = createInterface({ input: createReadStream(join(dir, f)), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      let r: Record<string, unknown>;
      try {
        r = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue; // a torn or invalid line: counted by no one, the export is still read
      }
      if (r['resourceType'] === 'Medication') {
        await write(medications, `${line}\n`);
        continue;
      }
      const patient = patientOf(r);
      if (patient === undefined) continue;
      const h = keyHash(patient);
      if (h % shard.count !== shard.index - 1) continue;
      const b = Math.floor(h / shard.count) % buckets;
      if (r['resourceType'] === 'Patient' && !seen.has(patient)) {
        seen.add(patient);
        perBucket[b] = (perBucket[b] ?? 0) + 1;
      }
      const stream = streams[b];
      if (stream !== undefined) await write(stream, `${line}\n`);
    }
  }
  await closeAll([...streams, medications]);
  return {
    kind: 'bulk',
    units: streams.map((_, i) => ({
      kind: 'bucket' as const,
      path: join(workDir, `bucket-${String(i)}.ndjson`),
      patients: perBucket[i] ?? 0,
    })),
    patients: seen.size,
    medicationsFile,
  };
}

export async function readPopulation(dir: string, workDir: string, shard: Shard): Promise<Population> {
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder (of FHIR Bundles, or a Bulk Data export)`);
  if (isBulk(dir)) return partitionBulk(dir, workDir, shard);
  const files = bundleFiles(dir).filter((f) => inShard(f.slice(f.lastIndexOf('/') + 1), shard));
  return { kind: 'bundles', units: files.map((path) => ({ kind: 'bundle', path })), patients: files.length };
}

/** The resources of one Bundle file (any Bundle type), or undefined when it is not one. */
export function readBundleFile(path: string): FhirResource[] | undefined {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as { resourceType?: unknown; entry?: unknown };
    if (data.resourceType !== 'Bundle' || !Array.isArray(data.entry)) return undefined;
    return (data.entry as { resource?: FhirResource }[]).flatMap((e) => (e.resource !== undefined ? [e.resource] : []));
  } catch {
    return undefined;
  }
}

/** One bucket's patients, each with its resources (and the Medications they reference). */
export async function readBucket(path: string, medications: ReadonlyMap<string, FhirResource>): Promise<FhirResource[][]> {
  const byPatient = new Map<string, FhirResource[]>();
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '') continue;
    const r = JSON.parse(line) as FhirResource;
    const patient = patientOf(r as unknown as Record<string, unknown>);
    if (patient === undefined) continue;
    let list = byPatient.get(patient);
    if (list === undefined) byPatient.set(patient, (list = []));
    list.push(r);
    if (r.resourceType === 'MedicationRequest') {
      const ref = r.medicationReference?.reference;
      const med = ref !== undefined ? medications.get(ref.replace(/^Medication\//, '')) : undefined;
      if (med !== undefined) list.push(med);
    }
  }
  return [...byPatient.values()];
}

export async function readMedications(path: string | undefined): Promise<Map<string, FhirResource>> {
  const out = new Map<string, FhirResource>();
  if (path === undefined) return out;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '') continue;
    const r = JSON.parse(line) as FhirResource;
    if (r.id !== undefined) out.set(r.id, r);
  }
  return out;
}
