import { Ajv } from 'ajv';
import Mustache from 'mustache';
import { basename } from 'node:path';
import { dataFiles, projectPath, readYamlFile } from '../data-files.js';
import { ALL_TOPICS, type TopicCode } from '../pathway/topics.js';

/**
 * Card templates: one YAML file per topic in cards/, holding everything a clinician reads on the card (summary,
 * detail, suggestion labels, the FHIR resources suggested, override reasons), the pathway sources it cites, and the
 * topic's documentation: every statement of the sources that belongs to the topic, rendered into docs/pathway.md
 * (and the topic's page), not into the card. cards/_shared.yaml holds the pathway's name and version, its sources,
 * labels, laterality wording and codes, and partials used by several cards.
 */

export interface ActionTemplate {
  type: 'create' | 'update' | 'delete';
  description: string;
  /** create: the resource to propose (subject, requester, encounter, authoredOn, reasonReference are added). */
  resource?: Record<string, unknown>;
  /** update: fields replaced on the judged draft order. */
  set?: Record<string, unknown>;
  /** delete/update: one action per judged order of the finding. */
  forEachOrder?: boolean;
  /**
   * create: the order is for one hip. The side the hip conditions name is added (bodySite, code text, description);
   * `codes` are side-specific codings that replace the coding of the same system (LOINC "MR Hip - left ...").
   */
  laterality?: { codes?: Partial<Record<'left' | 'right', Coding>> };
}

export interface Coding {
  system: string;
  code: string;
  display: string;
}

/** A statement of a pathway source that belongs to a topic, close to the source's words. */
export interface EvidenceStatement {
  source: string;
  section: string;
  statement: string;
}

export interface TopicDocumentation {
  /** Every statement of the sources that belongs to this topic. */
  evidence: EvidenceStatement[];
  /** What the pathway adds or chooses, and where it comes from when not from the sources. */
  notes?: string[];
}

export interface SuggestionTemplate {
  label: string;
  isRecommended?: boolean;
  actions: ActionTemplate[];
}

export interface CardTemplate {
  topic: TopicCode;
  display: string;
  indicator: 'info' | 'warning' | 'critical';
  summary: string;
  detail: string;
  /** The pathway sources the card rests on (keys of _shared.yaml `sources`), cited by title under the detail. */
  sources: string[];
  documentation: TopicDocumentation;
  selectionBehavior?: 'at-most-one' | 'any';
  /** `quiet`: how long this answer quiets the topic for the patient (src/feedback/quiet.ts), e.g. "3 months" or "none". */
  overrideReasons?: { code: string; display: string; quiet?: string }[];
  suggestions?: Record<string, SuggestionTemplate>;
}

export interface PathwaySource {
  title: string;
  /** "Last updated" date of the page, YYYY-MM-DD. */
  updated: string;
  publisher: string;
}

export type Side = 'left' | 'right' | 'both' | 'unknown';

export interface SharedTemplates {
  pathway: { name: string; version: string };
  /** The two source documents: 2025 clinical summaries of guidelines on a medical information site. */
  sources: Record<string, PathwaySource>;
  /** How a card cites its sources: a Mustache template over {titles, many}. */
  sourcesLine: string;
  laterality: {
    /** bodySite of a one-sided order (and of an order whose side is to be confirmed). */
    bodySite: Record<'left' | 'right' | 'unknown', Coding>;
    /** Added to the order's code text and description. */
    orderText: Record<Side, string>;
    /** Added to the suggestion label. */
    labelText: Record<Side, string>;
    /** bodySite text. */
    siteText: Record<Side, string>;
  };
  labels: Record<string, Record<string, string>>;
  partials: Record<string, string>;
}

const codingSchema = {
  type: 'object',
  required: ['system', 'code', 'display'],
  additionalProperties: false,
  properties: { system: { type: 'string' }, code: { type: 'string' }, display: { type: 'string' } },
} as const;

const actionSchema = {
  type: 'object',
  required: ['type', 'description'],
  additionalProperties: false,
  properties: {
    type: { enum: ['create', 'update', 'delete'] },
    description: { type: 'string', minLength: 1 },
    resource: { type: 'object', required: ['resourceType'] },
    set: { type: 'object' },
    forEachOrder: { type: 'boolean' },
    laterality: {
      type: 'object',
      additionalProperties: false,
      properties: {
        codes: {
          type: 'object',
          additionalProperties: false,
          properties: { left: codingSchema, right: codingSchema },
        },
      },
    },
  },
  allOf: [
    { if: { properties: { type: { const: 'create' } } }, then: { required: ['resource'] } },
    { if: { properties: { type: { const: 'update' } } }, then: { required: ['set', 'forEachOrder'] } },
    { if: { properties: { type: { const: 'delete' } } }, then: { required: ['forEachOrder'] } },
  ],
} as const;

const templateSchema = {
  type: 'object',
  required: ['topic', 'display', 'indicator', 'summary', 'detail', 'sources', 'documentation'],
  additionalProperties: false,
  properties: {
    topic: { enum: ALL_TOPICS },
    display: { type: 'string', minLength: 1 },
    indicator: { enum: ['info', 'warning', 'critical'] },
    summary: { type: 'string', minLength: 1, maxLength: 139 },
    detail: { type: 'string', minLength: 1 },
    sources: { type: 'array', minItems: 1, items: { type: 'string' } },
    documentation: {
      type: 'object',
      required: ['evidence'],
      additionalProperties: false,
      properties: {
        evidence: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['source', 'section', 'statement'],
            additionalProperties: false,
            properties: {
              source: { type: 'string' },
              section: { type: 'string', minLength: 1 },
              statement: { type: 'string', minLength: 1 },
            },
          },
        },
        notes: { type: 'array', items: { type: 'string', minLength: 1 } },
      },
    },
    selectionBehavior: { enum: ['at-most-one', 'any'] },
    overrideReasons: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['code', 'display'],
        additionalProperties: false,
        properties: {
          code: { type: 'string', pattern: '^[a-z0-9-]+$' },
          display: { type: 'string', minLength: 1 },
          quiet: { type: 'string', pattern: '^(none|[1-9][0-9]{0,3} (day|week|month|year)s?)$' },
        },
      },
    },
    suggestions: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['label', 'actions'],
        additionalProperties: false,
        properties: {
          label: { type: 'string', minLength: 1 },
          isRecommended: { type: 'boolean' },
          actions: { type: 'array', minItems: 1, items: actionSchema },
        },
      },
    },
  },
} as const;

const sharedSchema = {
  type: 'object',
  required: ['pathway', 'sources', 'sourcesLine', 'laterality', 'labels', 'partials'],
  properties: {
    sources: {
      type: 'object',
      minProperties: 1,
      additionalProperties: {
        type: 'object',
        required: ['title', 'updated', 'publisher'],
        properties: { title: { type: 'string' }, updated: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }, publisher: { type: 'string' } },
      },
    },
    sourcesLine: { type: 'string', minLength: 1 },
    laterality: {
      type: 'object',
      required: ['bodySite', 'orderText', 'labelText', 'siteText'],
      properties: {
        bodySite: { type: 'object', required: ['left', 'right', 'unknown'], additionalProperties: codingSchema },
        orderText: { type: 'object', required: ['left', 'right', 'both', 'unknown'] },
        labelText: { type: 'object', required: ['left', 'right', 'both', 'unknown'] },
        siteText: { type: 'object', required: ['left', 'right', 'both', 'unknown'] },
      },
    },
    pathway: {
      type: 'object',
      required: ['name', 'version'],
      properties: { name: { type: 'string' }, version: { type: 'string' } },
    },
    labels: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'string' } } },
    partials: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

export interface CardTemplates {
  shared: SharedTemplates;
  byTopic: ReadonlyMap<TopicCode, CardTemplate>;
}

/** Every string of a template, for parsing them all once at start-up. */
function* strings(x: unknown): Generator<string> {
  if (typeof x === 'string') yield x;
  else if (Array.isArray(x)) for (const v of x) yield* strings(v);
  else if (x !== null && typeof x === 'object') for (const v of Object.values(x)) yield* strings(v);
}

export function loadCardTemplates(folder = projectPath('cards')): CardTemplates {
  const ajv = new Ajv({ allErrors: true, strict: false });
  // The schemas check the YAML; the interfaces above are what a file that passes them holds.
  const checkTemplate = ajv.compile<CardTemplate>(templateSchema);
  const checkShared = ajv.compile<SharedTemplates>(sharedSchema);
  const sharedFile = `${folder}/_shared.yaml`;
  const shared = readYamlFile(sharedFile);
  if (!checkShared(shared)) throw new Error(`${sharedFile}: ${ajv.errorsText(checkShared.errors)}`);
  const byTopic = new Map<TopicCode, CardTemplate>();
  for (const file of dataFiles(folder, ['.yaml'])) {
    const data = readYamlFile(file);
    if (!checkTemplate(data)) throw new Error(`${file}: ${ajv.errorsText(checkTemplate.errors)}`);
    const t = data;
    if (t.topic !== basename(file, '.yaml')) throw new Error(`${file}: topic "${t.topic}" must match the file name`);
    if (t.suggestions !== undefined && Object.keys(t.suggestions).length > 0 && t.selectionBehavior === undefined) {
      throw new Error(`${file}: a card with suggestions needs selectionBehavior`);
    }
    const unknownSources = t.sources.filter((k) => !(k in shared.sources));
    const unknownEvidence = t.documentation.evidence.filter((e) => !(e.source in shared.sources));
    if (unknownSources.length > 0 || unknownEvidence.length > 0)
      throw new Error(`${file}: sources not in _shared.yaml: ${[...unknownSources, ...unknownEvidence.map((e) => e.source)].join(', ')}`);
    if (t.indicator !== 'info' && t.overrideReasons === undefined)
      throw new Error(`${file}: warnings and critical cards carry overrideReasons`);
    // Parse (and cache) every Mustache string now, so a broken template stops start-up instead of a request.
    for (const s of strings(t)) Mustache.parse(s);
    byTopic.set(t.topic, t);
  }
  const missing = ALL_TOPICS.filter((topic) => !byTopic.has(topic));
  if (missing.length > 0) throw new Error(`cards/ lacks templates for: ${missing.join(', ')}`);
  const s = shared;
  for (const p of Object.values(s.partials)) Mustache.parse(p);
  Mustache.parse(s.sourcesLine);
  return { shared: s, byTopic };
}
