import { CardRenderer } from '../cards/render.js';
import type { CardTemplates } from '../cards/templates.js';
import type { Card, HookName } from '../cds/types.js';
import { RecordIndexer, type RecordInput } from '../record/index-record.js';
import type { PatientRecord } from '../record/types.js';
import type { Terminology } from '../terminology/valuesets.js';
import { checkPathway } from './check.js';
import type { PathwayConfig } from './config.js';
import { evaluatePathway, type EvaluateOptions, type PathwayResult } from './evaluate.js';
import type { Finding } from './rule.js';

export interface PathwayRun extends PathwayResult {
  record: PatientRecord;
  /** One card per finding, in the same order. */
  cards: Card[];
}

/**
 * The pathway from gathered data to cards, the one way the service, the evaluate and docs tools, the demo and
 * the benchmark run it: index the record once -> facts -> rules -> cards. Built once (checked at start-up:
 * src/pathway/check.ts); `run` is pure apart from card uuids.
 */
export class Pathway {
  private readonly indexer: RecordIndexer;
  private readonly renderer: CardRenderer;

  constructor(
    terminology: Terminology,
    templates: CardTemplates,
    readonly config: PathwayConfig,
  ) {
    const problems = checkPathway(terminology, templates, config);
    if (problems.length > 0) throw new Error(`the pathway's data do not agree with its rules:\n- ${problems.join('\n- ')}`);
    this.indexer = new RecordIndexer(terminology);
    this.renderer = new CardRenderer(templates, config);
  }

  run(hook: HookName, input: RecordInput, options: EvaluateOptions = {}): PathwayRun {
    const evaluated = this.evaluate(hook, input, options);
    return { ...evaluated, cards: this.render(evaluated.findings, evaluated) };
  }

  /** The record indexed once, the facts and the findings, without cards (the service renders after quieting). */
  evaluate(hook: HookName, input: RecordInput, options: EvaluateOptions = {}): PathwayResult & { record: PatientRecord } {
    const record = this.indexer.index(input);
    return { ...evaluatePathway(record, hook, this.config, options), record };
  }

  /** One card per finding, in the same order. */
  render(findings: readonly Finding[], evaluated: { facts: PathwayResult['facts']; record: PatientRecord }): Card[] {
    return this.renderer.renderAll(findings, evaluated.facts, evaluated.record);
  }
}
