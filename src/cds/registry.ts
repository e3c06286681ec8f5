import { Ajv } from 'ajv';
import { basename } from 'node:path';
import { dataFiles, projectPath, readJsonFile } from '../data-files.js';
import type { Terminology } from '../terminology/valuesets.js';
import { HOOK_NAMES, type CdsServiceDefinition } from './types.js';

/**
 * The service registry: one JSON file per CDS Service in hooks/. Prefetch templates are short FHIR queries a person
 * can type into an EHR's configuration (by patient, status, category): at most MAX_TEMPLATE_LENGTH characters. The
 * service filters what they bring by value set itself (src/record/, which indexes every resource by value set), so
 * the code lists live in one place (valuesets/) and not in URLs. A template may still name value sets with
 * `{{valueSets:a,b}}` (expanded at start-up into their `system|code,...` list), within the same length.
 */

const definitionSchema = {
  type: 'object',
  required: ['id', 'hook', 'title', 'description', 'prefetch'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9-]+$' },
    hook: { enum: HOOK_NAMES },
    title: { type: 'string', minLength: 1 },
    description: { type: 'string', minLength: 1 },
    usageRequirements: { type: 'string' },
    prefetch: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
  },
} as const;

/** Longest prefetch template, expanded (Epic health systems type them in by hand; 412 bodies quote them). */
export const MAX_TEMPLATE_LENGTH = 300;
const VALUE_SET_TOKEN = /\{\{valueSets:([a-z0-9,-]+)\}\}/g;
/** Prefetch tokens of CDS Hooks 2.0.1 that this service's templates may use. */
const ALLOWED_TOKENS =
  /\{\{(context\.(patientId|encounterId|userId)|userPractitionerId|userPractitionerRoleId|userPatientId|userRelatedPersonId)\}\}/g;

export class ServiceRegistry {
  private readonly byId = new Map<string, CdsServiceDefinition>();

  constructor(definitions: readonly CdsServiceDefinition[]) {
    for (const d of definitions) {
      if (this.byId.has(d.id)) throw new Error(`CDS service ${d.id} is defined twice`);
      this.byId.set(d.id, d);
    }
  }

  get(id: string): CdsServiceDefinition | undefined {
    return this.byId.get(id);
  }

  list(): CdsServiceDefinition[] {
    return [...this.byId.values()];
  }
}

export function expandPrefetchTemplate(template: string, terminology: Terminology): string {
  const expanded = template.replace(VALUE_SET_TOKEN, (_m, ids: string) => terminology.expandForSearch(ids.split(',')));
  const leftover = /\{\{[^}]*\}\}/.exec(expanded.replace(ALLOWED_TOKENS, ''));
  if (leftover) throw new Error(`prefetch template uses an unsupported token ${leftover[0]}: ${template}`);
  if (expanded.length > MAX_TEMPLATE_LENGTH)
    throw new Error(
      `prefetch template is ${expanded.length} characters, more than ${MAX_TEMPLATE_LENGTH}: query by patient, status or category and let the service filter by value set: ${template.slice(0, 80)}...`,
    );
  return expanded;
}

export function loadServiceRegistry(terminology: Terminology, folder = projectPath('hooks')): ServiceRegistry {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const check = ajv.compile<CdsServiceDefinition>(definitionSchema);
  const definitions = dataFiles(folder, ['.json']).map((file) => {
    const data = readJsonFile(file);
    if (!check(data)) throw new Error(`${file}: ${ajv.errorsText(check.errors)}`);
    const d = data;
    if (d.id !== basename(file, '.json')) throw new Error(`${file}: id "${d.id}" must match the file name`);
    const prefetch = Object.fromEntries(Object.entries(d.prefetch).map(([k, t]) => [k, expandPrefetchTemplate(t, terminology)]));
    return { ...d, prefetch };
  });
  return new ServiceRegistry(definitions);
}
