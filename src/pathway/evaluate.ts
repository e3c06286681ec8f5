import type { HookName } from '../cds/types.js';
import type { PatientRecord } from '../record/types.js';
import type { PathwayConfig } from './config.js';
import { computeFacts, type PatientFacts } from './facts.js';
import type { Finding, ResourceType, RuleInput } from './rule.js';
import { RULES } from './rules/index.js';

export interface PathwayResult {
  facts: PatientFacts;
  findings: Finding[];
  /** Why some rule could not decide (for the log; no patient data). */
  notes: string[];
  /** Topics not evaluated because a resource type they need is unknown. */
  skipped: string[];
}

export interface EvaluateOptions {
  /** Resource types whose data is incomplete (docs/fhir-data.md): the rules that need one of them do not run. */
  unknown?: readonly ResourceType[];
}

/**
 * Runs the pathway on an indexed record: facts once, then every rule of the hook. patient-view runs the 13
 * chart topics (none for an excluded patient: paediatric, deceased, active hip fracture); order-select and
 * order-sign run the 5 order topics on the judged drafts.
 */
export function evaluatePathway(
  record: PatientRecord,
  hook: HookName,
  config: PathwayConfig,
  options: EvaluateOptions = {},
): PathwayResult {
  const unknown = new Set(options.unknown ?? []);
  const facts = computeFacts(record, config);
  const kind = hook === 'patient-view' ? 'patient-view' : 'order';
  const findings: Finding[] = [];
  const notes: string[] = [];
  const skipped: string[] = [];
  if (kind === 'patient-view' && facts.excluded !== undefined) return { facts, findings, notes, skipped };
  if (kind === 'order' && record.judged.length === 0) return { facts, findings, notes, skipped };
  const input: RuleInput = {
    facts,
    judged: kind === 'order' ? record.judged : [],
    drafts: record.drafts,
    config,
  };
  for (const rule of RULES) {
    if (rule.hooks !== kind) continue;
    if (rule.needs.some((t) => unknown.has(t))) {
      skipped.push(rule.topic);
      continue;
    }
    const finding = rule.evaluate(input);
    if (finding !== null) findings.push(finding);
    else if (rule.undecided !== undefined) notes.push(...rule.undecided(input));
  }
  return { facts, findings, notes, skipped };
}
