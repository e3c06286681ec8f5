import type { Bundle, FhirResource } from 'fhir/r4.js';
import type { CdsServiceDefinition } from '../../src/cds/types.js';
import { codingsOf } from '../../src/record/read.js';
import { codingKey } from '../../src/terminology/coding.js';

/**
 * Builds the prefetch an EHR would send for a service's templates from a patient's resources, applying the
 * two search parameters the templates use besides `patient` (`code` and `status`) and `_include` of
 * Medications, so that tests send what a conformant client would.
 */
export function buildPrefetch(service: CdsServiceDefinition, resources: readonly FhirResource[]): Record<string, FhirResource | null> {
  const prefetch: Record<string, FhirResource | null> = {};
  for (const [key, template] of Object.entries(service.prefetch)) {
    const [path, query = ''] = template.split('?');
    const type = (path ?? '').split('/')[0] ?? '';
    if (!template.includes('?')) {
      prefetch[key] = resources.find((r) => r.resourceType === type) ?? null;
      continue;
    }
    const params = new URLSearchParams(query);
    const codes = params.get('code')?.split(',').map((c) => {
      const [system, code] = c.split('|');
      return codingKey(system, code);
    });
    const statuses = params.get('status')?.split(',');
    const matches = resources.filter((r) => {
      if (r.resourceType !== type) return false;
      const rec = r as unknown as Record<string, unknown>;
      if (statuses !== undefined && !statuses.includes(String(rec['status']))) return false;
      if (codes !== undefined) {
        const element = type === 'ImagingStudy' ? rec['procedureCode'] : rec['code'];
        const keys = codingsOf(element).map((c) => codingKey(c.system, c.code));
        const componentKeys = Array.isArray(rec['component']) ? (rec['component'] as { code?: unknown }[]).flatMap((c) => codingsOf(c.code).map((x) => codingKey(x.system, x.code))) : [];
        if (![...keys, ...componentKeys].some((k) => k !== undefined && codes.includes(k))) return false;
      }
      return true;
    });
    const included: FhirResource[] = [];
    if (params.get('_include') === 'MedicationRequest:medication') {
      for (const m of matches) {
        const ref = (m as { medicationReference?: { reference?: string } }).medicationReference?.reference;
        const med = ref !== undefined ? resources.find((r) => r.resourceType === 'Medication' && `Medication/${r.id}` === ref) : undefined;
        if (med !== undefined && !included.includes(med)) included.push(med);
      }
    }
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      total: matches.length,
      entry: [
        ...matches.map((resource) => ({ fullUrl: `urn:uuid:${resource.id ?? ''}`, resource, search: { mode: 'match' as const } })),
        ...included.map((resource) => ({ resource, search: { mode: 'include' as const } })),
      ],
    };
    prefetch[key] = bundle;
  }
  return prefetch;
}
