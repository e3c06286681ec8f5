import { C } from '../conditions.js';
import { PATIENT_VIEW_SETS } from '../value-set-ids.js';
import type { RuleOf } from '../rule.js';

/** outcome-measure-tracking [info] — docs/clinical-spec.md §3. The card: cards/outcome-measure-tracking.yaml. */
export const outcomeMeasureTracking: RuleOf<'outcome-measure-tracking'> = {
  topic: 'outcome-measure-tracking',
  hooks: 'patient-view',
  valueSets: [...PATIENT_VIEW_SETS],
  needs: ['Observation', 'Procedure', 'ServiceRequest'],
  when: [C.activeEpisode, C.exerciseTherapy, C.noRecentProm],
  unless: [],
  offers: [],
  evaluate: () => ({ topic: 'outcome-measure-tracking', evidence: {}, suggestions: [] }),
};
