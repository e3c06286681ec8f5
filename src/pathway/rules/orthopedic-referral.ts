import { C } from '../conditions.js';
import type { RuleOf } from '../rule.js';

/** orthopedic-referral [info] — docs/clinical-spec.md §3. The card: cards/orthopedic-referral.yaml. */
export const orthopedicReferral: RuleOf<'orthopedic-referral'> = {
  topic: 'orthopedic-referral',
  hooks: 'patient-view',
  when: [C.activeEpisode, C.hipOsteoarthritis, C.failedConservativeCare],
  unless: [C.recentOrthopedicReferral],
  offers: ['refer-orthopedics'],
  suggests: 'a referral to an orthopaedic surgeon.',
  evaluate: () => ({ topic: 'orthopedic-referral', evidence: {}, suggestions: [{ id: 'refer-orthopedics' }] }),
};
