import fc from 'fast-check';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validOrderSelect, validOrderSign, validPatientView } from '../helpers/requests.js';
import { testService, type TestService } from '../helpers/service.js';
import { checkCards } from '../helpers/cds-client.js';
import type { CdsRequest } from '../../src/cds/types.js';

/**
 * Property: whatever a client sends, the service answers 2xx or 4xx with an OperationOutcome, never 5xx, and
 * every 200 is a valid CDS response. Thousands of valid requests are mutated at random places: a value replaced
 * by any JSON, removed, wrapped in an array, or a whole object swapped for a string.
 */
let service: TestService;
let server: Server;
let base: string;

beforeAll(async () => {
  service = await testService();
  server = service.app.listen(0, '127.0.0.1');
  await new Promise<void>((r) =>
    server.once('listening', () => {
      r();
    }),
  );
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) =>
    server.close(() => {
      r();
    }),
  );
  await service.close();
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path into a JSON value (objects and arrays), shortest first. */
function paths(x: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(x)) x.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (x !== null && typeof x === 'object') for (const [k, v] of Object.entries(x)) paths(v, [...prefix, k], out);
  return out;
}

type Mutation = { kind: 'replace'; value: Json } | { kind: 'delete' } | { kind: 'wrap' } | { kind: 'stringify' };

/** A mutation of the whole document: replaced, wrapped in an array, sent as a string, or deleted (null). */
function mutateWhole(doc: Json, m: Mutation): Json {
  switch (m.kind) {
    case 'replace':
      return m.value;
    case 'wrap':
      return [doc];
    case 'stringify':
      return JSON.stringify(doc);
    case 'delete':
      return null;
  }
}

function mutate(doc: Json, path: (string | number)[], m: Mutation): Json {
  if (path.length === 0) return mutateWhole(doc, m);
  const copy = structuredClone(doc) as Record<string | number, Json>;
  let parent = copy;
  for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else Reflect.deleteProperty(parent, last);
  } else if (m.kind === 'replace') parent[last] = m.value;
  else if (m.kind === 'wrap') parent[last] = [parent[last] as Json];
  else parent[last] = JSON.stringify(parent[last]);
  return copy;
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: 'replace' as const, value: value as Json })) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<Json>(null, '', 0, -1, 1e308, true, [], {}, 'Patient/../../etc', '{{context.patientId}}', '$now', '\u0000')
      .map((value) => ({ kind: 'replace' as const, value })),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'delete' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'wrap' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'stringify' as const }) },
);

async function send(id: string, body: string, contentType = 'application/json'): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${base}/cds-services/${id}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

function assertSafe(status: number, json: unknown): void {
  if (status >= 500) throw new Error(`5xx: ${JSON.stringify(json).slice(0, 400)}`);
  if (status >= 400) {
    if ((json as { resourceType?: string }).resourceType !== 'OperationOutcome')
      throw new Error(`${status} without OperationOutcome`);
  } else if (status === 200) checkCards(json);
  else throw new Error(`unexpected status ${status}`);
}

const bases: [string, () => CdsRequest][] = [
  ['hip-pain-patient-view', () => validPatientView(service.registry)],
  ['hip-pain-order-select', () => validOrderSelect(service.registry)],
  ['hip-pain-order-sign', () => validOrderSign(service.registry)],
];

describe.each(bases)('%s: mutated requests never get a 5xx', (id, make) => {
  test('1000 random mutations (up to 3 each)', async () => {
    const doc = make() as unknown as Json;
    const all = paths(doc);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(all.length - 1), mutation), { minLength: 1, maxLength: 3 }), async (steps) => {
        let body = doc;
        for (const [i, m] of steps) {
          const candidates = paths(body);
          body = mutate(body, candidates[i % candidates.length] ?? [], m);
        }
        const { status, json } = await send(id, JSON.stringify(body));
        assertSafe(status, json);
      }),
      { numRuns: 1000 },
    );
  }, 120_000);
});

test('random bytes and broken JSON never get a 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.string({ maxLength: 300 }),
      fc.constantFrom('application/json', 'application/fhir+json', 'text/plain', ''),
      async (text, type) => {
        const { status, json } = await send('hip-pain-patient-view', text, type);
        assertSafe(status, json);
      },
    ),
    { numRuns: 500 },
  );
}, 60_000);
