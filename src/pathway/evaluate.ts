import type { HookName } from '../cds/types.js';
import type { PatientRecord } from '../record/types.js';
import type { PathwayConfig } from './config.js';
import { contradicted } from './contradictions.js';
import { computeFacts, type PatientFacts } from './facts.js';
import { applies, type Finding, type ResourceType, type RuleInput } from './rule.js';
import { RULES } from './rules/index.js';

export interface PathwayResult {
  facts: PatientFacts;
  findings: Finding[];
  /** Why some rule could not decide, numbers that cannot be computed (for the log; no patient data). */
  notes: string[];
  /** Topics not evaluated because a resource type they need is unknown. */
  skipped: string[];
}

export interface EvaluateOptions {
  /** Resource types whose data is incomplete (docs/fhir-data.md): the rules that need one of them do not run. */
  unknown?: readonly ResourceType[];
}

/**
 * Runs the pathway on an indexed record: facts once, then every rule of the hook whose conditions hold.
 * patient-view runs the 13 chart topics (none for an excluded patient: paediatric, deceased, active hip
 * fracture); order-select and order-sign run the 5 order topics on the judged drafts. Contradicting
 * patient-view cards are never returned together (src/pathway/contradictions.ts).
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
  const notes: string[] = [...facts.cannotCompute];
  const skipped: string[] = [];
  if (kind === 'patient-view' && facts.excluded !== undefined) return { facts, findings, notes, skipped };
  if (kind === 'order' && record.judged.length === 0) return { facts, findings, notes, skipped };
  const input: RuleInput = { facts, judged: kind === 'order' ? record.judged : [], drafts: record.drafts, config };
  for (const rule of RULES) {
    if (rule.hooks !== kind) continue;
    if (rule.needs.some((t) => unknown.has(t))) {
      skipped.push(rule.topic);
      continue;
    }
    const finding = applies(rule, input) ? rule.evaluate(input) : null;
    if (finding !== null) {
      for (const s of finding.suggestions)
        if (!rule.offers.includes(s.id)) throw new Error(`${rule.topic} chose suggestion "${s.id}" that it does not offer`);
      findings.push(finding);
    } else if (rule.undecided !== undefined) notes.push(...rule.undecided(input));
  }
  const drops = contradicted(findings.map((f) => f.topic));
  for (const c of drops) notes.push(`${c.drop} dropped beside ${c.keep}: ${c.why}`);
  const dropped = new Set(drops.map((c) => c.drop));
  return { facts, findings: findings.filter((f) => !dropped.has(f.topic)), notes, skipped };
}
