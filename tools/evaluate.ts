import { resolve } from 'node:path';
import { CardRenderer } from '../src/cards/render.js';
import { loadCardTemplates } from '../src/cards/templates.js';
import { HOOK_NAMES, type HookName } from '../src/cds/types.js';
import { readPatientFile } from './fixtures/patient-file.js';
import { loadPathwayConfig } from '../src/pathway/config.js';
import { describeFacts } from '../src/pathway/describe.js';
import { evaluatePathway } from '../src/pathway/evaluate.js';
import { RecordIndexer } from '../src/record/index-record.js';
import { loadTerminology } from '../src/terminology/valuesets.js';

/**
 * npm run evaluate -- <patient.json> [--hook patient-view|order-select|order-sign] [--json]
 *
 * Prints what the pathway concludes for one patient file (a FHIR Bundle, e.g. a Synthea record, or a scenario of
 * fhir-fixtures/scenarios): the facts of PATHWAY §2 and every card with its summary and detail. For order hooks,
 * draft MedicationRequests and ServiceRequests of a Bundle are the orders being placed. Runs the same modules
 * as the service (index, facts, rules, cards), without HTTP.
 */
function usage(message?: string): never {
  if (message !== undefined) process.stderr.write(`${message}\n`);
  process.stderr.write('usage: npm run evaluate -- <patient.json> [--hook patient-view|order-select|order-sign] [--json]\n');
  process.exit(2);
}

const args = process.argv.slice(2);
const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--hook');
if (file === undefined) usage();
const hookArg = args.includes('--hook') ? args[args.indexOf('--hook') + 1] : undefined;
if (hookArg !== undefined && !(HOOK_NAMES as readonly string[]).includes(hookArg)) usage(`unknown hook ${hookArg}`);

const now = new Date();
const terminology = loadTerminology();
const config = loadPathwayConfig(process.env['PATHWAY_CONFIG']);
let patientFile;
try {
  patientFile = readPatientFile(resolve(file), now, (hookArg as HookName | undefined) ?? 'patient-view');
} catch (err) {
  usage(`cannot read ${file}: ${(err as Error).message}`);
}
const hook: HookName = (hookArg as HookName | undefined) ?? patientFile.hook ?? 'patient-view';
const record = new RecordIndexer(terminology).index({
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
const result = evaluatePathway(record, hook, config);
const cards = result.findings.map((f) => new CardRenderer(loadCardTemplates(), config).render(f, result.facts, record));

if (args.includes('--json')) {
  process.stdout.write(
    `${JSON.stringify({ hook, facts: Object.fromEntries(describeFacts(result.facts)), notes: result.notes, cards }, null, 2)}\n`,
  );
} else {
  const out: string[] = [];
  out.push(
    `${file}`,
    `hook ${hook}; ${Object.entries(record.counts)
      .map(([t, n]) => `${n} ${t}`)
      .join(', ')}`,
    '',
    'Facts (PATHWAY §2)',
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
