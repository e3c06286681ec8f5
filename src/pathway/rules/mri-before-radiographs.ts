import { C } from '../conditions.js';
import { condition, isMedication, type RuleInput, type RuleOf } from '../rule.js';
import { ADVANCED_IMAGING_SETS, HIP_CONDITION_SETS, inAny } from '../value-set-ids.js';
import type { EventEntry } from '../../record/types.js';

/** The judged orders for MRI, MR arthrogram or CT arthrogram of the hip/pelvis (generic codes for the hip count). */
function advancedImagingOrders({ judged }: RuleInput): EventEntry[] {
  return judged.filter((o): o is EventEntry => !isMedication(o) && inAny(o.sets, ADVANCED_IMAGING_SETS));
}

const orderingAdvancedImaging = condition(
  'an MRI, MR arthrogram or CT arthrogram of the hip/pelvis is being ordered (generic joint or pelvis codes with a hip site, reason or text)',
  (input) => advancedImagingOrders(input).length > 0,
);

/** mri-before-radiographs [warning] — order-select / order-sign, docs/clinical-spec.md §3. The card: cards/mri-before-radiographs.yaml. */
export const mriBeforeRadiographs: RuleOf<'mri-before-radiographs'> = {
  topic: 'mri-before-radiographs',
  hooks: 'order',
  valueSets: [...HIP_CONDITION_SETS, 'hip-radiograph', ...ADVANCED_IMAGING_SETS],
  needs: ['Condition', 'Procedure', 'ServiceRequest', 'DiagnosticReport', 'ImagingStudy'],
  when: [orderingAdvancedImaging, C.noRadiographOnRecord],
  unless: [C.structuralDiagnosis, C.excluded],
  offers: ['replace-with-radiographs'],
  suggests: 'replace it: delete the draft (resourceId) and create the AP pelvis and lateral hip radiographs.',
  evaluate(input) {
    const orders = advancedImagingOrders(input);
    return { topic: 'mri-before-radiographs', evidence: { orders }, suggestions: [{ id: 'replace-with-radiographs', orders }] };
  },
};
