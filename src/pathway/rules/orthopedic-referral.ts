import type { Rule } from '../rule.js';

/** orthopedic-referral [info] — PATHWAY §3. The card: cards/orthopedic-referral.yaml. */
export const orthopedicReferral: Rule = {
  topic: 'orthopedic-referral',
  hooks: 'patient-view',
  valueSets: ['hip-pain', 'hip-osteoarthritis', 'femoroacetabular-impingement', 'acetabular-labral-tear', 'hip-dysplasia', 'greater-trochanteric-pain-syndrome', 'gluteal-tendinopathy', 'gluteus-medius-tear', 'hip-strain', 'hip-fracture', 'prom', 'exercise-therapy', 'orthopedic-referral', 'medication-nsaid', 'medication-acetaminophen', 'medication-duloxetine'],
  needs: ['Condition', 'Observation', 'MedicationRequest', 'Medication', 'Procedure', 'ServiceRequest', 'DiagnosticReport'],
  about: {
    fires:
      'hip OA and failed conservative care (persistent pain with exercise therapy and/or a hip analgesic started >= 3 months ago).',
    notWhen: 'a referral to orthopaedics was made in the last 12 months.',
  },
  evaluate({ facts }) {
    if (facts.hipOsteoarthritis.length === 0 || !facts.failedConservativeCare) return null;
    if (facts.recentOrthopedicReferrals.length > 0) return null;
    return { topic: 'orthopedic-referral', evidence: {}, suggestions: [{ id: 'refer-orthopedics' }] };
  },
};
