/**
 * The 18 topics of docs/clinical-spec.md §3. The code is public contract: it is `card.source.topic.code`, under the
 * CodeSystem below. Each topic has one rule (src/pathway/rules/<code>.ts) and one card template (cards/<code>.yaml).
 */
export const TOPIC_SYSTEM = 'http://hip-pain-cds.org/fhir/CodeSystem/topic';
export const OVERRIDE_REASON_SYSTEM = 'http://hip-pain-cds.org/fhir/CodeSystem/override-reason';

export const PATIENT_VIEW_TOPICS = [
  'radiographs-first',
  'mri-without-contrast',
  'advanced-imaging-for-surgical-planning',
  'exercise-therapy-first',
  'overuse-early-care',
  'exercise-program-review',
  'outcome-measure-tracking',
  'add-acetaminophen',
  'add-duloxetine',
  'nsaid-gastroprotection',
  'intra-articular-corticosteroid',
  'orthopedic-referral',
  'hip-preservation-referral',
] as const;

export const ORDER_TOPICS = [
  'mri-before-radiographs',
  'avoid-opioids',
  'acetaminophen-max-dose',
  'avoid-hyaluronic-acid',
  'avoid-arthroscopy-in-oa',
] as const;

export type PatientViewTopic = (typeof PATIENT_VIEW_TOPICS)[number];
export type OrderTopic = (typeof ORDER_TOPICS)[number];
export type TopicCode = PatientViewTopic | OrderTopic;
export const ALL_TOPICS: readonly TopicCode[] = [...PATIENT_VIEW_TOPICS, ...ORDER_TOPICS];
