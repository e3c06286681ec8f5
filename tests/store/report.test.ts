import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { projectPath } from '../../src/data-files.js';
import { cds } from '../helpers/cds-client.js';
import { validPatientViewFor } from '../helpers/requests.js';
import { testService } from '../helpers/service.js';
import { ENGINES } from './engines.js';

const run = promisify(execFile);
const REASON_SYSTEM = 'http://hip-pain-cds.org/fhir/CodeSystem/override-reason';

describe.each(ENGINES)('npm run feedback-report on $name', (engine) => {
  test('prints per topic: issued, accepted, overridden by reason, acceptance rate', async () => {
    const db = await engine.fresh();
    const env = { ...db.env, FEEDBACK_STORE: 'file' };
    const service = await testService(env);
    try {
      const cardsOf = async (patientId: string): Promise<Map<string, string>> => {
        const body = validPatientViewFor(service.registry, patientId);
        const res = await cds(service.app).hook('hip-pain-patient-view', body);
        return new Map(res.body.cards.map((c) => [c.source.topic?.code ?? '', c.uuid]));
      };
      const p1 = await cardsOf('report-1');
      const p2 = await cardsOf('report-2');
      const p3 = await cardsOf('report-3');
      const ts = new Date().toISOString();
      const override = (card: string | undefined, code: string) => ({
        card,
        outcome: 'overridden',
        overrideReason: { reason: { system: REASON_SYSTEM, code } },
        outcomeTimestamp: ts,
      });
      const fb = await cds(service.app).post('/cds-services/hip-pain-patient-view/feedback', {
        feedback: [
          override(p1.get('radiographs-first'), 'patient-declined'),
          override(p2.get('radiographs-first'), 'patient-declined'),
          override(p3.get('radiographs-first'), 'radiographs-done-elsewhere'),
        ],
      });
      expect(fb.body).toMatchObject({ created: 3 });
      await service.issuedCards.flush();
      const { stdout } = await run(process.execPath, [projectPath('dist', 'tools', 'feedback-report.js')], {
        env: { PATH: process.env['PATH'] ?? '', ...env },
      });
      const row = stdout.split('\n').find((l) => l.startsWith('radiographs-first '));
      expect(row?.split(/\s{2,}/)).toEqual([
        'radiographs-first',
        '3',
        '0',
        '3',
        'patient-declined 2, radiographs-done-elsewhere 1',
        '0.0%',
      ]);
      const json = await run(process.execPath, [projectPath('dist', 'tools', 'feedback-report.js'), '--json'], {
        env: { PATH: process.env['PATH'] ?? '', ...env },
      });
      const summary = JSON.parse(json.stdout) as { topics: { topic: string; issued: number }[] };
      const issuedTopics = summary.topics
        .filter((t) => t.issued > 0)
        .map((t) => t.topic)
        .sort();
      expect(issuedTopics).toEqual([...p1.keys()].sort());
    } finally {
      await service.close();
      await db.drop();
    }
  });
});
