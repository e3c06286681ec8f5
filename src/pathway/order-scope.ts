import type { OrderEntry } from '../record/types.js';
import { HIP_CONDITION_SETS, inAny } from './value-set-ids.js';

/**
 * Whether an order is for the hip, as far as it says: the order warnings (avoid-opioids, avoid-hyaluronic-acid)
 * judge only these. An order with no reason, or with a hip reason, is taken to be for the hip; one whose
 * reasonCode/reasonReference name only conditions outside the hip set (knee OA, a dental abscess) is not. A
 * reasonReference that cannot be resolved is not counted either way. Body sites are not read: the hip body-site
 * value set is too small to tell that a coded site is not the hip, and a warning missed is worse than one
 * overridden.
 */
export function forTheHip(order: OrderEntry): boolean {
  const { reasons } = order;
  const named = (reasons.hasReasonCode ? 1 : 0) + reasons.conditions.length;
  return named === 0 || namesHipReason(order);
}

/** Whether the order's reasonCode or reasonReference names a hip condition. */
export function namesHipReason(order: OrderEntry): boolean {
  const { reasons } = order;
  return inAny(reasons.codeSets, HIP_CONDITION_SETS) || reasons.conditions.some((c) => inAny(c.sets, HIP_CONDITION_SETS));
}
