/**
 * FHIR ids as real CDS clients send them. FHIR R4 allows `[A-Za-z0-9\-.]{1,64}`, but EHRs do not keep to the
 * length: Epic's draft MedicationRequest ids run to about 200 characters and its Medication ids to about 108.
 * Every place that reads an id the service echoes back (context ids, `Type/id` of a draft order that a
 * suggestion deletes or changes, references it resolves) uses this one pattern, so none of them drops a real
 * id; the characters stay FHIR's, so an id can never carry a path, a query or markup.
 */
export const MAX_ID_LENGTH = 256;

/** The id characters and length, for use inside a larger pattern (no anchors). */
export const ID_CHARS = '[A-Za-z0-9\\-.]{1,256}';

/** A whole id. */
export const FHIR_ID = new RegExp(`^${ID_CHARS}$`);

/** A relative reference `Type/id`, as in a delete action's `resourceId` or a suggestion's `reasonReference`. */
export const RELATIVE_REFERENCE = new RegExp(`^[A-Za-z]+/${ID_CHARS}$`);

/** The `Type/id` a reference ends with, absolute or relative, without `/_history/n`: groups 1 (type) and 2 (id). */
export const REFERENCE_TAIL = new RegExp(`([A-Za-z]+)/(${ID_CHARS})(?:/_history/[^/]+)?$`);

/** The `Medication/id` (group 1) a Medication reference ends with, absolute or relative, without `/_history/n`. */
export const MEDICATION_REFERENCE = new RegExp(`(?:^|/)(Medication/${ID_CHARS})(?:/_history/[^/]+)?$`);
