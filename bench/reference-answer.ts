import { readFileSync } from 'node:fs';

/** One card, of the size and shape of a real one without detail: the answer when no scenario's answer is given. */
const FIXED_ANSWER = {
  cards: [
    {
      uuid: '8f4a1c1e-3f7e-4d0a-9d59-0a6f7d5c2b11',
      summary: 'Persistent hip pain without radiographs: order AP pelvis and lateral hip views before any other imaging',
      indicator: 'warning',
      source: {
        label: 'Hip pain pathway v1.0.0',
        topic: {
          system: 'http://hip-pain-cds.org/fhir/CodeSystem/topic',
          code: 'radiographs-first',
          display: 'Radiographs first',
        },
      },
    },
  ],
};

/**
 * The answer of the reference servers: the service's own answer to the scenario being measured (ANSWER_FILE,
 * written by bench/run.ts), so that the floor does the same JSON round trip as the service, the same bytes in and
 * out; else one fixed card.
 */
export function referenceAnswer(): unknown {
  const file = process.env['ANSWER_FILE'];
  return file !== undefined && file !== '' ? (JSON.parse(readFileSync(file, 'utf8')) as unknown) : FIXED_ANSWER;
}
