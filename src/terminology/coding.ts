/**
 * Codings are compared as `system|code` after normalisation, so that the same concept written in different
 * ways by different EHRs meets the same value set entry.
 */

export const SYSTEMS = {
  snomed: 'http://snomed.info/sct',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  loinc: 'http://loinc.org',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  cpt: 'http://www.ama-assn.org/go/cpt',
  hcpcs: 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  ucum: 'http://unitsofmeasure.org',
} as const;

/** Other spellings of the systems above seen in real records (OIDs, http/https, trailing slashes). */
const ALIASES: Record<string, string> = {
  'urn:oid:2.16.840.1.113883.6.96': SYSTEMS.snomed,
  'http://snomed.info/sct/': SYSTEMS.snomed,
  'https://snomed.info/sct': SYSTEMS.snomed,
  'urn:oid:2.16.840.1.113883.6.90': SYSTEMS.icd10cm,
  'http://hl7.org/fhir/sid/icd-10-cm/': SYSTEMS.icd10cm,
  'urn:oid:2.16.840.1.113883.6.1': SYSTEMS.loinc,
  'https://loinc.org': SYSTEMS.loinc,
  'http://loinc.org/': SYSTEMS.loinc,
  'urn:oid:2.16.840.1.113883.6.88': SYSTEMS.rxnorm,
  'http://www.nlm.nih.gov/research/umls/rxnorm/': SYSTEMS.rxnorm,
  'https://www.nlm.nih.gov/research/umls/rxnorm': SYSTEMS.rxnorm,
  'urn:oid:2.16.840.1.113883.6.12': SYSTEMS.cpt,
  'http://www.ama-assn.org/go/cpt/': SYSTEMS.cpt,
  'https://www.ama-assn.org/go/cpt': SYSTEMS.cpt,
  'urn:oid:2.16.840.1.113883.6.285': SYSTEMS.hcpcs,
  'urn:oid:2.16.840.1.113883.6.14': SYSTEMS.hcpcs,
  'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets/': SYSTEMS.hcpcs,
};

export function normaliseSystem(system: string): string {
  const s = system.trim();
  return ALIASES[s] ?? s;
}

export function normaliseCode(system: string, code: string): string {
  const c = code.trim();
  if (system === SYSTEMS.icd10cm) {
    // ICD-10-CM is written with a dot after the category (M16.11); some systems send M1611 or m16.11.
    const upper = c.toUpperCase();
    return upper.length > 3 && !upper.includes('.') ? `${upper.slice(0, 3)}.${upper.slice(3)}` : upper;
  }
  if (system === SYSTEMS.cpt || system === SYSTEMS.hcpcs) return c.toUpperCase();
  return c;
}

/** The key every value set look-up uses, or undefined for a coding without system or code. */
export function codingKey(system: unknown, code: unknown): string | undefined {
  if (typeof system !== 'string' || typeof code !== 'string' || system.trim() === '' || code.trim() === '') return undefined;
  const s = normaliseSystem(system);
  return `${s}|${normaliseCode(s, code)}`;
}
