import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadCardTemplates } from '../src/cards/templates.js';
import { buildKnowledge } from '../src/knowledge/fhir-knowledge.js';
import { loadTerminology } from '../src/terminology/valuesets.js';

/**
 * `npm run export-fhir -- <dir>`: writes the pathway's knowledge as FHIR R4 JSON resources, one file each
 * (CodeSystem-topic.json, CodeSystem-override-reason.json, ValueSet-<id>.json), the layout an implementation
 * guide's input/resources folder or a terminology server's loader takes; the same resources the service serves
 * at GET /fhir/CodeSystem/<id> and GET /fhir/ValueSet/<id>.
 */
export function exportFhir(dir: string): string[] {
  const knowledge = buildKnowledge(loadTerminology(), loadCardTemplates());
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const resource of [...knowledge.codeSystems.values(), ...knowledge.valueSets.values()]) {
    const file = join(dir, `${resource.resourceType}-${resource.id ?? ''}.json`);
    writeFileSync(file, `${JSON.stringify(resource, null, 2)}\n`);
    written.push(file);
  }
  return written;
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const dir = process.argv[2];
  if (dir === undefined || dir.startsWith('-')) {
    process.stderr.write('usage: npm run export-fhir -- <dir>\n');
    process.exit(2);
  }
  const written = exportFhir(resolve(dir));
  process.stdout.write(`wrote ${written.length} FHIR resources to ${resolve(dir)}\n`);
}
