import { weeksBefore } from '../time.js';
import type { Rule } from '../rule.js';

/** exercise-program-review [info] — PATHWAY §3. The card: cards/exercise-program-review.yaml. */
export const exerciseProgramReview: Rule = {
  topic: 'exercise-program-review',
  hooks: 'patient-view',
  valueSets: ['hip-pain', 'hip-osteoarthritis', 'femoroacetabular-impingement', 'acetabular-labral-tear', 'hip-dysplasia', 'greater-trochanteric-pain-syndrome', 'gluteal-tendinopathy', 'gluteus-medius-tear', 'hip-strain', 'hip-fracture', 'prom', 'exercise-therapy'],
  needs: ['Observation', 'Procedure', 'ServiceRequest'],
  about: {
    fires:
      'exercise therapy started >= 6 weeks ago and the patient is not improving (no PROM trend reaching the minimal important change).',
  },
  evaluate({ facts, config }) {
    const start = facts.therapyStart;
    if (start === undefined || facts.improving) return null;
    if (start.getTime() > weeksBefore(facts.now, config.programReviewWeeks).getTime()) return null;
    return { topic: 'exercise-program-review', evidence: {}, suggestions: [] };
  },
};
