/** The value sets the pathway reads (files in valuesets/), by the name docs/clinical-spec.md gives them. */
export const VS = {
  hipPain: 'hip-pain',
  hipOsteoarthritis: 'hip-osteoarthritis',
  fai: 'femoroacetabular-impingement',
  labralTear: 'acetabular-labral-tear',
  dysplasia: 'hip-dysplasia',
  gtps: 'greater-trochanteric-pain-syndrome',
  glutealTendinopathy: 'gluteal-tendinopathy',
  gluteusMediusTear: 'gluteus-medius-tear',
  hipStrain: 'hip-strain',
  hipFracture: 'hip-fracture',
  pepticUlcer: 'peptic-ulcer',
  giBleeding: 'gi-bleeding',
  liverDisease: 'chronic-liver-disease',
  opioidUseDisorder: 'opioid-use-disorder',

  radiograph: 'hip-radiograph',
  mri: 'hip-mri',
  mrArthrogram: 'hip-mr-arthrogram',
  ctArthrogram: 'hip-ct-arthrogram',
  normalConclusion: 'radiograph-normal-conclusion',
  nonspecificAbnormalConclusion: 'radiograph-abnormal-nonspecific-conclusion',
  exerciseTherapy: 'exercise-therapy',
  orthopedicReferral: 'orthopedic-referral',
  hipJointInjection: 'hip-joint-injection',
  hipArthroscopy: 'hip-arthroscopy',
  hyaluronicAcidInjection: 'hyaluronic-acid-injection',
  hipBodySite: 'hip-body-site',

  prom: 'prom',
  egfr: 'egfr',

  nsaid: 'medication-nsaid',
  acetaminophen: 'medication-acetaminophen',
  duloxetine: 'medication-duloxetine',
  opioid: 'medication-opioid',
  opioidUseDisorderTreatment: 'medication-opioid-use-disorder-treatment',
  ppi: 'medication-ppi',
  antithrombotic: 'medication-anticoagulant-antiplatelet',
  systemicCorticosteroid: 'medication-systemic-corticosteroid',
  maoi: 'medication-maoi',
  ssri: 'medication-ssri',
  snri: 'medication-snri',
  tramadol: 'medication-tramadol',
  clopidogrel: 'medication-clopidogrel',
  hyaluronicAcid: 'medication-hyaluronic-acid',
} as const;

/** docs/clinical-spec.md §2 "hip condition": hip pain, OA, FAI, labral tear, dysplasia, GTPS, gluteal tendinopathy or tear, strain. */
export const HIP_CONDITION_SETS: readonly string[] = [
  VS.hipPain,
  VS.hipOsteoarthritis,
  VS.fai,
  VS.labralTear,
  VS.dysplasia,
  VS.gtps,
  VS.glutealTendinopathy,
  VS.gluteusMediusTear,
  VS.hipStrain,
];

/** docs/clinical-spec.md §2 "overuse injury": hip strain/sprain, gluteal or hip tendinopathy, trochanteric bursitis/GTPS. */
export const OVERUSE_SETS: readonly string[] = [VS.hipStrain, VS.glutealTendinopathy, VS.gtps];

/** docs/clinical-spec.md §2 "structural diagnosis": OA, FAI, labral tear, dysplasia or gluteus medius tear. */
export const STRUCTURAL_SETS: readonly string[] = [
  VS.hipOsteoarthritis,
  VS.fai,
  VS.labralTear,
  VS.dysplasia,
  VS.gluteusMediusTear,
];

/** FAI, labral tear or dysplasia: the diagnoses for which advanced imaging plans surgery. */
export const SURGICAL_PLANNING_SETS: readonly string[] = [VS.fai, VS.labralTear, VS.dysplasia];

/** FAI, labral tear, dysplasia or gluteus medius tear: the diagnoses a hip preservation surgeon treats. */
export const HIP_PRESERVATION_SETS: readonly string[] = [VS.fai, VS.labralTear, VS.dysplasia, VS.gluteusMediusTear];

/** Advanced imaging: MRI, MR arthrogram or CT arthrogram of the hip. */
export const ADVANCED_IMAGING_SETS: readonly string[] = [VS.mri, VS.mrArthrogram, VS.ctArthrogram];

/**
 * What every patient-view topic reads besides its own sets: the hip conditions, the hip fracture that excludes a
 * patient, and the outcome measures and therapy that decide an active episode and persistent pain.
 */
export const PATIENT_VIEW_SETS: readonly string[] = [...HIP_CONDITION_SETS, VS.hipFracture, VS.prom, VS.exerciseTherapy];

/** Current hip analgesics for "failed conservative care". */
export const HIP_ANALGESIC_CLASSES: readonly string[] = [VS.nsaid, VS.acetaminophen, VS.duloxetine];

export function inAny(sets: ReadonlySet<string>, ids: readonly string[]): boolean {
  for (const id of ids) if (sets.has(id)) return true;
  return false;
}
