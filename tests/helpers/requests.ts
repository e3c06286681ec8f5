import { randomUUID } from 'node:crypto';
import { loadScenario } from '../../tools/fixtures/scenarios.js';
import type { ServiceRegistry } from '../../src/cds/registry.js';
import type { CdsRequest } from '../../src/cds/types.js';
import { scenarioRequest } from './scenario-call.js';

/** A valid patient-view request with full prefetch (a patient with persistent hip pain). */
export function validPatientView(registry: ServiceRegistry): CdsRequest {
  return scenarioRequest(loadScenario('radiographs-first-pain-better-by-1-point', new Date()), registry, { prefetch: 'full' });
}

/**
 * The same request for another patient: the patient's id changed everywhere it appears (context, the Patient,
 * every subject), since the service drops any resource of a patient other than context.patientId.
 */
export function validPatientViewFor(registry: ServiceRegistry, patientId: string): CdsRequest {
  const request = validPatientView(registry);
  const original = request.context.patientId;
  return JSON.parse(JSON.stringify(request).split(original).join(patientId)) as CdsRequest;
}

export function validOrderSelect(registry: ServiceRegistry): CdsRequest {
  return scenarioRequest(loadScenario('mri-before-radiographs-mri-selected', new Date()), registry, { prefetch: 'full' });
}

export function validOrderSign(registry: ServiceRegistry): CdsRequest {
  return scenarioRequest(loadScenario('acetaminophen-max-dose-2-tablets-every-4-hours', new Date()), registry, {
    prefetch: 'full',
  });
}

export const clone = <T>(x: T): T => structuredClone(x);
export const newHookInstance = (): string => randomUUID();
