import type { CodeSystem, CodeSystemConcept, ValueSet as FhirValueSet, ValueSetComposeInclude } from 'fhir/r4.js';
import type { CardTemplates } from '../cards/templates.js';
import { ruleInWords } from '../pathway/rule.js';
import { RULES } from '../pathway/rules/index.js';
import { OVERRIDE_REASON_SYSTEM, TOPIC_SYSTEM, type TopicCode } from '../pathway/topics.js';
import type { Terminology, ValueSet } from '../terminology/valuesets.js';

/**
 * The pathway's knowledge as FHIR R4 resources: the two CodeSystems every card names (topics and override
 * reasons) and one ValueSet per file of valuesets/. Each resource's canonical URL is where the service serves
 * it (GET /fhir/CodeSystem/<id>, GET /fhir/ValueSet/<id>), and `npm run export-fhir` writes the same resources
 * to a folder that a terminology server or an implementation guide can load.
 */

export const KNOWLEDGE_BASE = 'http://hip-pain-cds.org/fhir';
export const VALUE_SET_BASE = `${KNOWLEDGE_BASE}/ValueSet`;
/** The public source each code was verified from (a URL, or a public repository and path). */
export const CODE_SOURCE_EXTENSION = `${KNOWLEDGE_BASE}/StructureDefinition/code-source`;
/** For a code that names a procedure on any joint: the body-site value set that makes it a member. */
export const BODY_SITE_QUALIFIER_EXTENSION = `${KNOWLEDGE_BASE}/StructureDefinition/body-site-qualifier`;

const PUBLISHER = 'hip-pain-cds';

export interface KnowledgeResources {
  codeSystems: ReadonlyMap<string, CodeSystem>;
  valueSets: ReadonlyMap<string, FhirValueSet>;
}

/** "hip-osteoarthritis" -> "HipOsteoarthritis" (FHIR `name`: a computable name). */
function computableName(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p !== '')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

function idOf(canonical: string): string {
  return canonical.slice(canonical.lastIndexOf('/') + 1);
}

function topicCodeSystem(templates: CardTemplates, version: string): CodeSystem {
  const concepts: CodeSystemConcept[] = RULES.map((rule) => {
    const template = templates.byTopic.get(rule.topic);
    const words = ruleInWords(rule);
    const notWhen = words.notWhen !== undefined ? ` Not when: ${words.notWhen}` : '';
    return {
      code: rule.topic,
      display: template?.display ?? rule.topic,
      definition: `Fires when: ${words.fires}${notWhen}`,
      property: [
        { code: 'hook', valueCode: rule.hooks === 'patient-view' ? 'patient-view' : 'order-select-order-sign' },
        { code: 'indicator', valueCode: template?.indicator ?? 'info' },
      ],
    };
  });
  return {
    resourceType: 'CodeSystem',
    id: idOf(TOPIC_SYSTEM),
    url: TOPIC_SYSTEM,
    version,
    name: 'HipPainPathwayTopic',
    title: 'Hip pain pathway topics',
    status: 'active',
    experimental: false,
    publisher: PUBLISHER,
    description:
      'The topics of the hip pain pathway. Every card of the service names exactly one in `card.source.topic`; integrators filter and measure cards by it.',
    caseSensitive: true,
    content: 'complete',
    count: concepts.length,
    property: [
      {
        code: 'hook',
        description: 'The CDS hook whose calls can produce a card of this topic (patient-view, or order-select and order-sign).',
        type: 'code',
      },
      { code: 'indicator', description: 'The card indicator: info, warning or critical.', type: 'code' },
    ],
    concept: concepts,
  };
}

function overrideReasonCodeSystem(templates: CardTemplates, version: string): CodeSystem {
  const byCode = new Map<string, { display: string; topics: TopicCode[] }>();
  for (const [topic, template] of templates.byTopic) {
    for (const reason of template.overrideReasons ?? []) {
      const entry = byCode.get(reason.code);
      if (entry === undefined) byCode.set(reason.code, { display: reason.display, topics: [topic] });
      else entry.topics.push(topic);
    }
  }
  const concepts: CodeSystemConcept[] = [...byCode.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, { display, topics }]) => ({
      code,
      display,
      definition: `An override reason offered on the cards of: ${topics.join(', ')}.`,
      property: topics.map((topic) => ({ code: 'topic', valueCode: topic })),
    }));
  return {
    resourceType: 'CodeSystem',
    id: idOf(OVERRIDE_REASON_SYSTEM),
    url: OVERRIDE_REASON_SYSTEM,
    version,
    name: 'HipPainPathwayOverrideReason',
    title: 'Hip pain pathway override reasons',
    status: 'active',
    experimental: false,
    publisher: PUBLISHER,
    description:
      "The reasons a clinician can give for not following a card (`card.overrideReasons`, and feedback's `overrideReason.reason`).",
    caseSensitive: true,
    content: 'complete',
    count: concepts.length,
    property: [
      {
        code: 'topic',
        uri: TOPIC_SYSTEM,
        description: 'A topic whose cards offer this reason.',
        type: 'code',
      },
    ],
    concept: concepts,
  };
}

function valueSetResource(vs: ValueSet, version: string): FhirValueSet {
  const bySystem = new Map<string, ValueSetComposeInclude>();
  for (const c of vs.codes) {
    let include = bySystem.get(c.system);
    if (include === undefined) {
      include = { system: c.system, concept: [] };
      bySystem.set(c.system, include);
    }
    include.concept?.push({
      code: c.code,
      display: c.display,
      extension: [
        { url: CODE_SOURCE_EXTENSION, valueString: c.source },
        ...(c.bodySite !== undefined
          ? [{ url: BODY_SITE_QUALIFIER_EXTENSION, valueCanonical: `${VALUE_SET_BASE}/${c.bodySite}` }]
          : []),
      ],
    });
  }
  const resource: FhirValueSet = {
    resourceType: 'ValueSet',
    id: vs.id,
    url: `${VALUE_SET_BASE}/${vs.id}`,
    version,
    name: computableName(vs.id),
    title: vs.title,
    status: 'active',
    experimental: false,
    publisher: PUBLISHER,
    description: vs.purpose,
    purpose: vs.purpose,
  };
  if (bySystem.size > 0) resource.compose = { include: [...bySystem.values()] };
  return resource;
}

/** Builds every knowledge resource once (the data folders do not change while the service runs). */
export function buildKnowledge(terminology: Terminology, templates: CardTemplates): KnowledgeResources {
  const version = templates.shared.pathway.version;
  const codeSystems = new Map<string, CodeSystem>();
  for (const cs of [topicCodeSystem(templates, version), overrideReasonCodeSystem(templates, version)]) {
    codeSystems.set(cs.id ?? '', cs);
  }
  const valueSets = new Map<string, FhirValueSet>();
  for (const vs of [...terminology.valueSets.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    valueSets.set(vs.id, valueSetResource(vs, version));
  }
  return { codeSystems, valueSets };
}
