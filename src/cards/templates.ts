import { Ajv } from 'ajv';
import Mustache from 'mustache';
import { basename } from 'node:path';
import { dataFiles, projectPath, readYamlFile } from '../data-files.js';
import { ALL_TOPICS, type TopicCode } from '../pathway/topics.js';

/**
 * Card templates: one YAML file per topic in cards/, holding everything a clinician reads on the card (summary,
 * detail, suggestion labels, the FHIR resources suggested, override reasons) and the guidance it rests on.
 * cards/_shared.yaml holds the pathway's name and version, labels, and partials used by several cards.
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
  guidance: { document: string; section: string; statement: string };
  selectionBehavior?: 'at-most-one' | 'any';
  /** `quiet`: how long this answer quiets the topic for the patient (src/feedback/quiet.ts), e.g. "3 months" or "none". */
  overrideReasons?: { code: string; display: string; quiet?: string }[];
  suggestions?: Record<string, SuggestionTemplate>;
}

export interface SharedTemplates {
  pathway: { name: string; version: string };
  labels: Record<string, Record<string, string>>;
  partials: Record<string, string>;
}

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
  },
  allOf: [
    { if: { properties: { type: { const: 'create' } } }, then: { required: ['resource'] } },
    { if: { properties: { type: { const: 'update' } } }, then: { required: ['set', 'forEachOrder'] } },
    { if: { properties: { type: { const: 'delete' } } }, then: { required: ['forEachOrder'] } },
  ],
} as const;

const templateSchema = {
  type: 'object',
  required: ['topic', 'display', 'indicator', 'summary', 'detail', 'guidance'],
  additionalProperties: false,
  properties: {
    topic: { enum: ALL_TOPICS },
    display: { type: 'string', minLength: 1 },
    indicator: { enum: ['info', 'warning', 'critical'] },
    summary: { type: 'string', minLength: 1, maxLength: 139 },
    detail: { type: 'string', minLength: 1 },
    guidance: {
      type: 'object',
      required: ['document', 'section', 'statement'],
      additionalProperties: false,
      properties: { document: { type: 'string' }, section: { type: 'string' }, statement: { type: 'string' } },
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
  required: ['pathway', 'labels', 'partials'],
  properties: {
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
  const checkTemplate = ajv.compile(templateSchema);
  const checkShared = ajv.compile(sharedSchema);
  const sharedFile = `${folder}/_shared.yaml`;
  const shared = readYamlFile(sharedFile);
  if (!checkShared(shared)) throw new Error(`${sharedFile}: ${ajv.errorsText(checkShared.errors)}`);
  const byTopic = new Map<TopicCode, CardTemplate>();
  for (const file of dataFiles(folder, ['.yaml'])) {
    const data = readYamlFile(file);
    if (!checkTemplate(data)) throw new Error(`${file}: ${ajv.errorsText(checkTemplate.errors)}`);
    const t = data as CardTemplate;
    if (t.topic !== basename(file, '.yaml')) throw new Error(`${file}: topic "${t.topic}" must match the file name`);
    if (t.suggestions !== undefined && Object.keys(t.suggestions).length > 0 && t.selectionBehavior === undefined) {
      throw new Error(`${file}: a card with suggestions needs selectionBehavior`);
    }
    if (t.indicator !== 'info' && t.overrideReasons === undefined)
      throw new Error(`${file}: warnings and critical cards carry overrideReasons`);
    // Parse (and cache) every Mustache string now, so a broken template stops start-up instead of a request.
    for (const s of strings(t)) Mustache.parse(s);
    byTopic.set(t.topic, t);
  }
  const missing = ALL_TOPICS.filter((topic) => !byTopic.has(topic));
  if (missing.length > 0) throw new Error(`cards/ lacks templates for: ${missing.join(', ')}`);
  const s = shared as SharedTemplates;
  for (const p of Object.values(s.partials)) Mustache.parse(p);
  return { shared: s, byTopic };
}
