import { C } from '../conditions.js';
import type { RuleOf } from '../rule.js';

/** radiographs-first [warning] — docs/clinical-spec.md §3. The card: cards/radiographs-first.yaml. */
export const radiographsFirst: RuleOf<'radiographs-first'> = {
  topic: 'radiographs-first',
  hooks: 'patient-view',
  valueSets: [
    'hip-pain',
    'hip-osteoarthritis',
    'femoroacetabular-impingement',
    'acetabular-labral-tear',
    'hip-dysplasia',
    'greater-trochanteric-pain-syndrome',
    'gluteal-tendinopathy',
    'gluteus-medius-tear',
    'hip-strain',
    'hip-fracture',
    'prom',
    'exercise-therapy',
    'hip-radiograph',
    'hip-mri',
    'hip-mr-arthrogram',
    'hip-ct-arthrogram',
  ],
  needs: ['Condition', 'Observation', 'Procedure', 'ServiceRequest', 'DiagnosticReport', 'ImagingStudy'],
  when: [C.activeEpisode, C.persistentHipPain, C.noRadiographOnRecord],
  unless: [C.structuralDiagnosis, C.advancedImagingOnRecord],
  offers: ['order-radiographs'],
  suggests: 'AP pelvis and lateral hip radiographs (two ServiceRequests in one suggestion).',
  evaluate: () => ({ topic: 'radiographs-first', evidence: {}, suggestions: [{ id: 'order-radiographs' }] }),
};
