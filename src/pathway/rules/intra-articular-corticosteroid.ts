import { PATIENT_VIEW_SETS } from '../value-set-ids.js';
import { C } from '../conditions.js';
import { condition, type RuleInput, type RuleOf } from '../rule.js';
import { weeksBefore } from '../time.js';
import type { MedicationEntry } from '../../record/types.js';

/** Current NSAID or acetaminophen orders started at least analgesicTrialWeeks ago. */
function triedAnalgesics({ facts, config }: RuleInput): MedicationEntry[] {
  const since = weeksBefore(facts.now, config.analgesicTrialWeeks).getTime();
  return [...facts.current.nsaid, ...facts.current.acetaminophen].filter(
    (m, i, all) => all.indexOf(m) === i && m.authoredOn !== undefined && m.authoredOn.getTime() <= since,
  );
}

const onAnalgesicTrial = condition(
  'a current NSAID or acetaminophen started at least `analgesicTrialWeeks` ago',
  (input) => triedAnalgesics(input).length > 0,
);

/** intra-articular-corticosteroid [info] — docs/clinical-spec.md §3. The card: cards/intra-articular-corticosteroid.yaml. */
export const intraArticularCorticosteroid: RuleOf<'intra-articular-corticosteroid'> = {
  topic: 'intra-articular-corticosteroid',
  hooks: 'patient-view',
  valueSets: [...PATIENT_VIEW_SETS, 'medication-nsaid', 'medication-acetaminophen', 'hip-joint-injection'],
  needs: ['Condition', 'Observation', 'MedicationRequest', 'Medication', 'Procedure', 'ServiceRequest', 'DiagnosticReport'],
  when: [C.activeEpisode, C.hipOsteoarthritis, C.persistentHipPain, onAnalgesicTrial],
  unless: [C.recentHipInjection],
  offers: ['order-injection-ultrasound', 'order-injection-fluoroscopy'],
  suggests: 'an ultrasound- or fluoroscopy-guided intra-articular corticosteroid injection of the hip.',
  evaluate: (input) => ({
    topic: 'intra-articular-corticosteroid',
    evidence: { analgesics: triedAnalgesics(input) },
    suggestions: [{ id: 'order-injection-ultrasound' }, { id: 'order-injection-fluoroscopy' }],
  }),
};
