import { condition } from './rule.js';
import { weeksBefore } from './time.js';

/**
 * The named conditions rules are made of: the terms of docs/clinical-spec.md §2 (and their negations) as a
 * rule reads them. docs/pathway.md lists each rule's conditions by these names.
 */
export const C = {
  excluded: condition(
    'an excluded patient (under 18, deceased, or an active hip fracture)',
    ({ facts }) => facts.excluded !== undefined,
  ),
  hipCondition: condition('a hip condition', ({ facts }) => facts.hipConditions.length > 0),
  activeEpisode: condition('an active episode', ({ facts }) => facts.activeEpisode),
  persistentHipPain: condition('persistent hip pain', ({ facts }) => facts.persistentHipPain),
  failedConservativeCare: condition('failed conservative care', ({ facts }) => facts.failedConservativeCare),
  structuralDiagnosis: condition('a structural diagnosis is established', ({ facts }) => facts.structuralDiagnosis),
  noRadiographOnRecord: condition('no radiograph on record', ({ facts }) => !facts.radiographOnRecord),
  negativeOrEquivocalRadiograph: condition(
    'a negative or equivocal radiograph on record',
    ({ facts }) => facts.negativeOrEquivocalRadiograph !== undefined,
  ),
  advancedImagingOnRecord: condition('advanced imaging on record', ({ facts }) => facts.advancedImagingOnRecord),
  hipOsteoarthritis: condition('hip OA', ({ facts }) => facts.hipOsteoarthritis.length > 0),
  surgicalPlanningDiagnosis: condition(
    'FAI, labral tear or dysplasia',
    ({ facts }) => facts.surgicalPlanningDiagnoses.length > 0,
  ),
  hipPreservationDiagnosis: condition(
    'FAI, labral tear, dysplasia or gluteus medius tear',
    ({ facts }) => facts.hipPreservationDiagnoses.length > 0,
  ),
  noExerciseTherapy: condition(
    'no exercise therapy since the episode started',
    ({ facts }) => facts.exerciseTherapy.length === 0,
  ),
  exerciseTherapy: condition('exercise therapy exists', ({ facts }) => facts.exerciseTherapy.length > 0),
  therapyForReviewWeeks: condition(
    'exercise therapy started at least `programReviewWeeks` ago',
    ({ facts, config }) =>
      facts.therapyStart !== undefined &&
      facts.therapyStart.getTime() <= weeksBefore(facts.now, config.programReviewWeeks).getTime(),
  ),
  notImproving: condition('the patient is not improving', ({ facts }) => !facts.improving),
  noRecentProm: condition('no outcome measure in the last `promRecentWeeks`', ({ facts }) => !facts.promWithinRecentWindow),
  earlyOveruseInjury: condition(
    'an overuse injury whose onset is less than `overuseEarlyWeeks` ago',
    ({ facts }) => facts.earlyOveruseInjuries.length > 0,
  ),
  currentNsaid: condition('a current NSAID', ({ facts }) => facts.current.nsaid.length > 0),
  currentAcetaminophen: condition(
    'current acetaminophen (combination products count)',
    ({ facts }) => facts.current.acetaminophen.length > 0,
  ),
  noCurrentAcetaminophen: condition(
    'no current acetaminophen (combination products count)',
    ({ facts }) => facts.current.acetaminophen.length === 0,
  ),
  currentDuloxetine: condition('current duloxetine', ({ facts }) => facts.current.duloxetine.length > 0),
  duloxetineContraindicated: condition('duloxetine contraindicated', ({ facts }) => facts.duloxetineContraindications.length > 0),
  giRiskFactor: condition('a GI risk factor', ({ facts }) => facts.giRiskFactors.length > 0),
  currentPpi: condition('a current proton pump inhibitor', ({ facts }) => facts.current.ppi.length > 0),
  recentHipInjection: condition(
    'a hip joint injection in the last `injectionLookbackMonths`',
    ({ facts }) => facts.recentHipInjections.length > 0,
  ),
  recentOrthopedicReferral: condition(
    'a referral to orthopaedics in the last `lookbackMonths`',
    ({ facts }) => facts.recentOrthopedicReferrals.length > 0,
  ),
  currentOpioid: condition('a current opioid', ({ facts }) => facts.current.opioid.length > 0),
  adultAlive: condition('an adult patient who is alive', ({ facts }) => facts.adultAlive),
} as const;
