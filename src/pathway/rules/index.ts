import type { Rule } from '../rule.js';
import { ALL_TOPICS } from '../topics.js';
import { acetaminophenMaxDose } from './acetaminophen-max-dose.js';
import { addAcetaminophen } from './add-acetaminophen.js';
import { addDuloxetine } from './add-duloxetine.js';
import { advancedImagingForSurgicalPlanning } from './advanced-imaging-for-surgical-planning.js';
import { avoidArthroscopyInOa } from './avoid-arthroscopy-in-oa.js';
import { avoidHyaluronicAcid } from './avoid-hyaluronic-acid.js';
import { avoidOpioids } from './avoid-opioids.js';
import { exerciseProgramReview } from './exercise-program-review.js';
import { exerciseTherapyFirst } from './exercise-therapy-first.js';
import { hipPreservationReferral } from './hip-preservation-referral.js';
import { intraArticularCorticosteroid } from './intra-articular-corticosteroid.js';
import { mriBeforeRadiographs } from './mri-before-radiographs.js';
import { mriWithoutContrast } from './mri-without-contrast.js';
import { nsaidGastroprotection } from './nsaid-gastroprotection.js';
import { orthopedicReferral } from './orthopedic-referral.js';
import { outcomeMeasureTracking } from './outcome-measure-tracking.js';
import { overuseEarlyCare } from './overuse-early-care.js';
import { radiographsFirst } from './radiographs-first.js';

/** Every rule, in the order cards are returned (docs/clinical-spec.md §3 order). */
export const RULES: readonly Rule[] = [
  radiographsFirst,
  mriWithoutContrast,
  advancedImagingForSurgicalPlanning,
  exerciseTherapyFirst,
  overuseEarlyCare,
  exerciseProgramReview,
  outcomeMeasureTracking,
  addAcetaminophen,
  addDuloxetine,
  nsaidGastroprotection,
  intraArticularCorticosteroid,
  orthopedicReferral,
  hipPreservationReferral,
  mriBeforeRadiographs,
  avoidOpioids,
  acetaminophenMaxDose,
  avoidHyaluronicAcid,
  avoidArthroscopyInOa,
];

const missing = ALL_TOPICS.filter((t) => !RULES.some((r) => r.topic === t));
if (missing.length > 0 || RULES.length !== ALL_TOPICS.length)
  throw new Error(`every topic needs exactly one rule; missing: ${missing.join(', ')}`);
