import type { HookName } from '../cds/types.js';
import type { PatientRecord } from '../record/types.js';
import type { PathwayConfig } from './config.js';
import { computeFacts, type PatientFacts } from './facts.js';
import type { Finding, RuleInput } from './rule.js';
import { RULES } from './rules/index.js';

export interface PathwayResult {
  facts: PatientFacts;
  findings: Finding[];
  /** Why some rule could not decide (for the log; no patient data). */
  notes: string[];
}

/**
 * Runs the pathway on an indexed record: facts once, then every rule of the hook. patient-view runs the 13
 * chart topics (none for an excluded patient: paediatric, deceased, active hip fracture); order-select and
 * order-sign run the 5 order topics on the judged drafts.
 */
export function evaluatePathway(record: PatientRecord, hook: HookName, config: PathwayConfig): PathwayResult {
  const facts = computeFacts(record, config);
  const kind = hook === 'patient-view' ? 'patient-view' : 'order';
  const findings: Finding[] = [];
  const notes: string[] = [];
  if (kind === 'patient-view' && facts.excluded !== undefined) return { facts, findings, notes };
  if (kind === 'order' && record.judged.length === 0) return { facts, findings, notes };
  const input: RuleInput = {
    facts,
    judged: kind === 'order' ? record.judged : [],
    drafts: record.drafts,
    config,
  };
  for (const rule of RULES) {
    if (rule.hooks !== kind) continue;
    const finding = rule.evaluate(input);
    if (finding !== null) findings.push(finding);
    else if (rule.undecided !== undefined) notes.push(...rule.undecided(input));
  }
  return { facts, findings, notes };
}
