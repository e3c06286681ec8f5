import { C } from '../conditions.js';
import type { RuleOf } from '../rule.js';

/** add-duloxetine [info] — docs/clinical-spec.md §3. The card: cards/add-duloxetine.yaml. */
export const addDuloxetine: RuleOf<'add-duloxetine'> = {
  topic: 'add-duloxetine',
  hooks: 'patient-view',
  when: [C.activeEpisode, C.persistentHipPain, C.currentNsaid, C.currentAcetaminophen],
  unless: [C.currentDuloxetine, C.duloxetineContraindicated],
  offers: ['order-duloxetine'],
  suggests: 'duloxetine 30 mg once daily (to 60 mg).',
  evaluate: () => ({ topic: 'add-duloxetine', evidence: {}, suggestions: [{ id: 'order-duloxetine' }] }),
};
