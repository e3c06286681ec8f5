import type { Rule } from '../rule.js';

/** hip-preservation-referral [info] — PATHWAY §3. The card: cards/hip-preservation-referral.yaml. */
export const hipPreservationReferral: Rule = {
  topic: 'hip-preservation-referral',
  hooks: 'patient-view',
  valueSets: ['hip-pain', 'hip-osteoarthritis', 'femoroacetabular-impingement', 'acetabular-labral-tear', 'hip-dysplasia', 'greater-trochanteric-pain-syndrome', 'gluteal-tendinopathy', 'gluteus-medius-tear', 'hip-strain', 'hip-fracture', 'prom', 'exercise-therapy', 'orthopedic-referral'],
  needs: ['Condition', 'Observation', 'MedicationRequest', 'Medication', 'Procedure', 'ServiceRequest', 'DiagnosticReport'],
  about: {
    fires: 'FAI, labral tear, dysplasia or gluteus medius tear, and failed conservative care.',
    notWhen: 'the patient has hip OA (orthopedic-referral covers it); a referral was made in the last 12 months.',
  },
  evaluate({ facts }) {
    if (facts.hipPreservationDiagnoses.length === 0 || !facts.failedConservativeCare) return null;
    if (facts.hipOsteoarthritis.length > 0 || facts.recentOrthopedicReferrals.length > 0) return null;
    return {
      topic: 'hip-preservation-referral',
      evidence: { diagnoses: facts.hipPreservationDiagnoses },
      suggestions: [{ id: 'refer-hip-preservation' }],
    };
  },
};
