import type { ErrorObject } from 'ajv';

/**
 * ajv's errors in words a person fixing a configuration file can act on: each names the key it is about
 * (`issuers[0].jwksUrl`), and an unknown or missing key is named too (ajv's own text says only "must NOT have
 * additional properties"). ajv's message is kept after the key, so its wording stays searchable.
 */
export function schemaErrorsText(errors: readonly ErrorObject[] | null | undefined): string {
  if (errors === null || errors === undefined || errors.length === 0) return 'does not match its schema';
  return errors.map(describe).join('; ');
}

function keyPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : join(path, part)), '');
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function describe(error: ErrorObject): string {
  const path = keyPath(error.instancePath);
  const message = error.message ?? 'is not valid';
  const params = error.params as Record<string, unknown>;
  const named = (key: unknown): string => (typeof key === 'string' ? join(path, key) : path);
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown key ${named(params['additionalProperty'])} (${message})`;
    case 'required':
      return `missing key ${named(params['missingProperty'])} (${message})`;
    case 'enum': {
      const allowed = params['allowedValues'];
      const list = Array.isArray(allowed) ? `: ${allowed.map(String).join(', ')}` : '';
      return `${path === '' ? 'the file' : path} ${message}${list}`;
    }
    default:
      return `${path === '' ? 'the file' : path} ${message}`;
  }
}
