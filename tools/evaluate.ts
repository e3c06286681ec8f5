import { resolve } from 'node:path';
import { loadCardTemplates } from '../src/cards/templates.js';
import { HOOK_NAMES, type HookName } from '../src/cds/types.js';
import { loadPathwayConfig } from '../src/pathway/config.js';
import { describeFacts } from '../src/pathway/describe.js';
import { isoDay } from '../src/pathway/time.js';
import { Pathway } from '../src/pathway/run.js';
import { loadTerminology } from '../src/terminology/valuesets.js';
import { asOf, chartAt } from './as-of.js';
import { readPatientFile } from './fixtures/patient-file.js';

/**
 * npm run evaluate -- <patient.json> [--hook patient-view|order-select|order-sign] [--as-of last-encounter|<date>] [--json]
 *
 * Prints what the pathway concludes for one patient file (a FHIR Bundle, e.g. a Synthea record, or a scenario of
 * fhir-fixtures/scenarios): the facts of docs/clinical-spec.md §2 and every card with its summary and detail.
 * `--as-of last-encounter` evaluates the chart as if it were opened the day after its latest encounter (and
 * `--as-of <date>` at that date), leaving out what was recorded later. For order hooks, draft MedicationRequests
 * and ServiceRequests of a Bundle are the orders being placed. Runs the same pipeline as the service
 * (src/pathway/run.ts), without HTTP.
 */
const USAGE =
  'usage: npm run evaluate -- <patient.json> [--hook patient-view|order-select|order-sign] [--as-of last-encounter|<date>] [--json]\n';
function usage(message?: string): never {
  if (message !== undefined) process.stderr.write(`${message}\n`);
  process.stderr.write(USAGE);
  process.exit(2);
}

const args = process.argv.slice(2);
const valueOf = (flag: string): string | undefined => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--hook' && args[i - 1] !== '--as-of');
if (file === undefined) usage();
const hookArg = valueOf('--hook');
if (hookArg !== undefined && !(HOOK_NAMES as readonly string[]).includes(hookArg)) usage(`unknown hook ${hookArg}`);
const asOfArg = valueOf('--as-of');
if (args.includes('--as-of') && asOfArg === undefined) usage('--as-of needs "last-encounter" or a date');

const config = loadPathwayConfig(process.env['PATHWAY_CONFIG']);
const pathway = new Pathway(loadTerminology(), loadCardTemplates(), config);
let patientFile;
let now = new Date();
try {
  patientFile = readPatientFile(resolve(file), now, (hookArg as HookName | undefined) ?? 'patient-view');
  if (asOfArg !== undefined) {
    now = asOf(asOfArg, patientFile.entries);
    patientFile = { ...patientFile, entries: chartAt(patientFile.entries, now) };
  }
} catch (err) {
  usage(`cannot read ${file}: ${(err as Error).message}`);
}
const hook: HookName = (hookArg as HookName | undefined) ?? patientFile.hook ?? 'patient-view';
const result = pathway.run(hook, {
  now,
  context: { patientId: patientFile.patientId, userId: 'Practitioner/evaluate' },
  entries: patientFile.entries,
  draftOrders: patientFile.draftOrders,
  ...(hook === 'order-select'
    ? {
        selections:
          patientFile.selections ?? patientFile.draftOrders.map((d) => `${d.resource.resourceType}/${d.resource.id ?? ''}`),
      }
    : {}),
});
const { record, cards } = result;

if (args.includes('--json')) {
  process.stdout.write(
    `${JSON.stringify({ hook, asOf: now.toISOString(), facts: Object.fromEntries(describeFacts(result.facts)), notes: result.notes, cards }, null, 2)}\n`,
  );
} else {
  const out: string[] = [];
  out.push(
    `${file}`,
    `hook ${hook}; as of ${isoDay(now)}; ${Object.entries(record.counts)
      .map(([t, n]) => `${n} ${t}`)
      .join(', ')}`,
    '',
    'Facts (docs/clinical-spec.md §2)',
  );
  for (const [label, value] of describeFacts(result.facts)) out.push(`  ${label.padEnd(40)} ${value}`);
  for (const note of result.notes) out.push(`  note: ${note}`);
  out.push('', `Cards (${cards.length})`);
  if (cards.length === 0) out.push('  none');
  for (const c of cards) {
    out.push('', `  [${c.indicator}] ${c.source.topic?.code ?? ''}: ${c.summary}`);
    for (const line of (c.detail ?? '').split('\n')) out.push(`      ${line}`);
    for (const s of c.suggestions ?? [])
      out.push(
        `    suggestion: ${s.label} (${(s.actions ?? []).map((a) => a.type + (a.resourceId !== undefined ? ` ${a.resourceId}` : '')).join(', ')})`,
      );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
