import { resolve } from 'node:path';
import { loadCardTemplates } from '../src/cards/templates.js';
import { HOOK_NAMES, type HookName } from '../src/cds/types.js';
import { loadPathwayConfig } from '../src/pathway/config.js';
import { describeFacts } from '../src/pathway/describe.js';
import { Pathway, type PathwayRun } from '../src/pathway/run.js';
import { isoDay } from '../src/pathway/time.js';
import { loadTerminology } from '../src/terminology/valuesets.js';
import { asOf, chartAt } from './as-of.js';
import { readPatientFile, type PatientFile } from './fixtures/patient-file.js';

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

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

interface Options {
  file: string;
  hook?: HookName;
  asOf?: string;
  json: boolean;
}

function parse(args: readonly string[]): Options | string {
  const valueOf = (flag: string): string | undefined => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--hook' && args[i - 1] !== '--as-of');
  if (file === undefined) return '';
  const hook = valueOf('--hook');
  if (hook !== undefined && !(HOOK_NAMES as readonly string[]).includes(hook)) return `unknown hook ${hook}`;
  const at = valueOf('--as-of');
  if (args.includes('--as-of') && (at === undefined || at.startsWith('--'))) return '--as-of needs "last-encounter" or a date';
  return {
    file,
    json: args.includes('--json'),
    ...(hook !== undefined ? { hook: hook as HookName } : {}),
    ...(at !== undefined ? { asOf: at } : {}),
  };
}

function text(file: string, hook: HookName, now: Date, run: PathwayRun): string {
  const out: string[] = [
    file,
    `hook ${hook}; as of ${isoDay(now)}; ${Object.entries(run.record.counts)
      .map(([t, n]) => `${n} ${t}`)
      .join(', ')}`,
    '',
    'Facts (docs/clinical-spec.md §2)',
  ];
  for (const [label, value] of describeFacts(run.facts)) out.push(`  ${label.padEnd(40)} ${value}`);
  for (const note of run.notes) out.push(`  note: ${note}`);
  out.push('', `Cards (${run.cards.length})`);
  if (run.cards.length === 0) out.push('  none');
  for (const c of run.cards) {
    out.push('', `  [${c.indicator}] ${c.source.topic?.code ?? ''}: ${c.summary}`);
    for (const line of (c.detail ?? '').split('\n')) out.push(`      ${line}`);
    for (const s of c.suggestions ?? [])
      out.push(
        `    suggestion: ${s.label} (${(s.actions ?? []).map((a) => a.type + (a.resourceId !== undefined ? ` ${a.resourceId}` : '')).join(', ')})`,
      );
  }
  return `${out.join('\n')}\n`;
}

/** The evaluate command: its arguments in, its output and exit code out (the CLI below only prints them). */
export function evaluateCommand(args: readonly string[], pathway?: Pathway): CommandResult {
  const options = parse(args);
  if (typeof options === 'string') return { code: 2, stdout: '', stderr: `${options === '' ? '' : `${options}\n`}${USAGE}` };
  let now = new Date();
  let file: PatientFile;
  try {
    file = readPatientFile(resolve(options.file), now, options.hook ?? 'patient-view');
    if (options.asOf !== undefined) {
      now = asOf(options.asOf, file.entries);
      file = { ...file, entries: chartAt(file.entries, now) };
    }
  } catch (err) {
    return { code: 2, stdout: '', stderr: `cannot read ${options.file}: ${(err as Error).message}\n${USAGE}` };
  }
  const hook: HookName = options.hook ?? file.hook ?? 'patient-view';
  const runner = pathway ?? new Pathway(loadTerminology(), loadCardTemplates(), loadPathwayConfig(process.env['PATHWAY_CONFIG']));
  const run = runner.run(hook, {
    now,
    context: { patientId: file.patientId, userId: 'Practitioner/evaluate' },
    entries: file.entries,
    draftOrders: file.draftOrders,
    ...(hook === 'order-select'
      ? { selections: file.selections ?? file.draftOrders.map((d) => `${d.resource.resourceType}/${d.resource.id ?? ''}`) }
      : {}),
  });
  const stdout = options.json
    ? `${JSON.stringify({ hook, asOf: now.toISOString(), facts: Object.fromEntries(describeFacts(run.facts)), notes: run.notes, cards: run.cards }, null, 2)}\n`
    : text(options.file, hook, now, run);
  return { code: 0, stdout, stderr: '' };
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const result = evaluateCommand(process.argv.slice(2));
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.code;
}
