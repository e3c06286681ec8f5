import { expandPrefetchTemplate, MAX_TEMPLATE_LENGTH } from '../../src/cds/registry.js';
import { cds } from '../helpers/cds-client.js';
import { testService, type TestService } from '../helpers/service.js';

let service: TestService;
beforeAll(async () => {
  service = await testService();
});
afterAll(() => service.close());

interface Discovered {
  services: {
    id: string;
    hook: string;
    title: string;
    description: string;
    prefetch: Record<string, string>;
    usageRequirements?: string;
  }[];
}

describe('GET /cds-services (discovery)', () => {
  test('lists the three services with title, description and prefetch', async () => {
    const res = await cds(service.app).get('/cds-services');
    expect(res.status).toBe(200);
    const body = res.body as Discovered;
    expect(body.services.map((s) => [s.id, s.hook])).toEqual([
      ['hip-pain-order-select', 'order-select'],
      ['hip-pain-order-sign', 'order-sign'],
      ['hip-pain-patient-view', 'patient-view'],
    ]);
    for (const s of body.services) {
      expect(s.title.length).toBeGreaterThan(5);
      expect(s.description.length).toBeGreaterThan(20);
      expect(Object.keys(s.prefetch).sort()).toEqual([
        'conditions',
        'diagnosticReports',
        'imagingStudies',
        'medications',
        'observations',
        'patient',
        'procedures',
        'serviceRequests',
      ]);
      for (const template of Object.values(s.prefetch)) {
        // Only CDS Hooks 2.0.1 tokens remain after the value-set tokens are expanded.
        expect(template.replace(/\{\{context\.patientId\}\}/g, '')).not.toMatch(/\{\{|\}\}/);
        expect(template).toMatch(/^[A-Z][A-Za-z]+(\/|\?patient=)\{\{context\.patientId\}\}/);
      }
    }
  });

  test('templates a person can type: no code lists, at most 300 characters; observations by category', async () => {
    const body = (await cds(service.app).get('/cds-services')).body as Discovered;
    for (const s of body.services)
      for (const template of Object.values(s.prefetch)) {
        expect(template.length).toBeLessThanOrEqual(300);
        expect(new URLSearchParams(template.split('?')[1]).has('code')).toBe(false);
      }
    const pv = body.services.find((s) => s.id === 'hip-pain-patient-view');
    const sign = body.services.find((s) => s.id === 'hip-pain-order-sign');
    // PROMs (survey; Synthea records pain scores as vital-signs) and eGFR (laboratory); the orders need eGFR only.
    expect(pv?.prefetch['observations']).toBe('Observation?patient={{context.patientId}}&category=survey,vital-signs,laboratory');
    expect(sign?.prefetch['observations']).toBe('Observation?patient={{context.patientId}}&category=laboratory');
  });

  test('a template longer than 300 characters once expanded (a code list in the URL) is refused at start-up', () => {
    const long = 'Procedure?patient={{context.patientId}}&code={{valueSets:hip-radiograph,hip-mri,hip-joint-injection}}';
    expect(() => expandPrefetchTemplate(long, service.terminology)).toThrow(
      new RegExp(`more than ${MAX_TEMPLATE_LENGTH}: query by patient, status or category`),
    );
    expect(expandPrefetchTemplate('Observation?patient={{context.patientId}}&category=laboratory', service.terminology)).toBe(
      'Observation?patient={{context.patientId}}&category=laboratory',
    );
  });

  test('medications are current ones and include their Medication resources', async () => {
    const body = (await cds(service.app).get('/cds-services')).body as Discovered;
    for (const s of body.services) {
      expect(s.prefetch['medications']).toBe(
        'MedicationRequest?patient={{context.patientId}}&status=active,on-hold&_include=MedicationRequest:medication',
      );
      expect(s.prefetch['patient']).toBe('Patient/{{context.patientId}}');
    }
  });

  test('only GET is allowed on discovery', async () => {
    const res = await cds(service.app).raw('delete', '/cds-services');
    expect(res.status).toBe(405);
    expect(res.headers['allow']).toBe('GET');
  });
});
