import { isMedication, type Rule } from '../rule.js';
import { ADVANCED_IMAGING_SETS, inAny } from '../value-set-ids.js';
import type { EventEntry } from '../../record/types.js';

/** mri-before-radiographs [warning] — order-select / order-sign, PATHWAY §3. The card: cards/mri-before-radiographs.yaml. */
export const mriBeforeRadiographs: Rule = {
  topic: 'mri-before-radiographs',
  hooks: 'order',
  valueSets: ['hip-pain', 'hip-osteoarthritis', 'femoroacetabular-impingement', 'acetabular-labral-tear', 'hip-dysplasia', 'greater-trochanteric-pain-syndrome', 'gluteal-tendinopathy', 'gluteus-medius-tear', 'hip-strain', 'hip-radiograph', 'hip-mri', 'hip-mr-arthrogram', 'hip-ct-arthrogram'],
  needs: ['Condition', 'Procedure', 'ServiceRequest', 'DiagnosticReport', 'ImagingStudy'],
  about: {
    fires:
      'an MRI, MR arthrogram or CT arthrogram of the hip/pelvis is being ordered and no radiograph is on record (12 months, done or ordered; the other draft orders of this call count).',
    notWhen:
      'a structural diagnosis is already established; the patient is excluded (paediatric, deceased, active hip fracture: a suspected fracture is a reason for MRI).',
    suggestion: 'replace it \u2014 delete the draft (resourceId) and create the AP pelvis and lateral hip radiographs.',
  },
  evaluate({ facts, judged }) {
    if (facts.excluded !== undefined || facts.structuralDiagnosis || facts.radiographOnRecord) return null;
    const orders = judged.filter((o): o is EventEntry => !isMedication(o) && inAny(o.sets, ADVANCED_IMAGING_SETS));
    if (orders.length === 0) return null;
    return {
      topic: 'mri-before-radiographs',
      evidence: { orders },
      suggestions: [{ id: 'replace-with-radiographs', orders }],
    };
  },
};
