import { C } from '../conditions.js';
import { ADVANCED_IMAGING_SETS, PATIENT_VIEW_SETS } from '../value-set-ids.js';
import type { RuleOf } from '../rule.js';

/** radiographs-first [warning] — docs/clinical-spec.md §3. The card: cards/radiographs-first.yaml. */
export const radiographsFirst: RuleOf<'radiographs-first'> = {
  topic: 'radiographs-first',
  hooks: 'patient-view',
  valueSets: [...PATIENT_VIEW_SETS, 'hip-radiograph', ...ADVANCED_IMAGING_SETS],
  needs: ['Condition', 'Observation', 'Procedure', 'ServiceRequest', 'DiagnosticReport', 'ImagingStudy'],
  when: [C.activeEpisode, C.persistentHipPain, C.noRadiographOnRecord],
  unless: [C.structuralDiagnosis, C.advancedImagingOnRecord],
  offers: ['order-radiographs'],
  suggests: 'AP pelvis and lateral hip radiographs (two ServiceRequests in one suggestion).',
  evaluate: () => ({ topic: 'radiographs-first', evidence: {}, suggestions: [{ id: 'order-radiographs' }] }),
};
