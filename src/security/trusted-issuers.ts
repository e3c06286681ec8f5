import { Ajv } from 'ajv';
import type { JSONWebKeySet } from 'jose';
import { projectPath, readYamlFile } from '../data-files.js';

/**
 * Trusted CDS clients (JWT issuers), from the file named by TRUSTED_ISSUERS_FILE (YAML or JSON), plus the CDS
 * Hooks sandbox preset when CDS_SANDBOX_PRESET is on (never in production).
 */
export interface TrustedIssuer {
  /** Exact `iss` value. */
  iss: string;
  /** Where the issuer's JWK Set is published (used when the JWT has no `jku`). */
  jwksUrl?: string;
  /** `jku` values accepted for this issuer; a JWT whose `jku` is not listed is refused. */
  allowedJku?: string[];
  /** Keys given out of band (CDS Hooks 2.0.1: "the CDS Client and CDS Service SHALL communicate the JWK Set out-of-band"). */
  jwks?: JSONWebKeySet;
  /** Accepted algorithms, a subset of the asymmetric ones; default all of them. */
  algorithms?: string[];
  /** When set, the JWT must carry a `tenant` claim from this list. */
  tenants?: string[];
  /** fhirServer base URLs the service may call for this issuer (prefixes; `:*` allows any port). */
  fhirServers: string[];
}

/** Asymmetric algorithms only: never `none`, never HMAC (CDS Hooks 2.0.1 "Trusting CDS Clients"). */
export const ASYMMETRIC_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;

const schema = {
  type: 'object',
  required: ['issuers'],
  additionalProperties: false,
  properties: {
    issuers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['iss', 'fhirServers'],
        additionalProperties: false,
        properties: {
          iss: { type: 'string', minLength: 1 },
          jwksUrl: { type: 'string', pattern: '^https?://' },
          allowedJku: { type: 'array', items: { type: 'string', pattern: '^https?://' } },
          jwks: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: { type: 'object' } } } },
          algorithms: { type: 'array', minItems: 1, items: { enum: ASYMMETRIC_ALGORITHMS } },
          tenants: { type: 'array', minItems: 1, items: { type: 'string' } },
          fhirServers: { type: 'array', items: { type: 'string', pattern: '^https?://' } },
        },
        anyOf: [{ required: ['jwksUrl'] }, { required: ['allowedJku'] }, { required: ['jwks'] }],
      },
    },
  },
} as const;

export function readTrustedIssuers(file: string): TrustedIssuer[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const check = ajv.compile(schema);
  const data = readYamlFile(file);
  if (!check(data)) throw new Error(`${file}: ${ajv.errorsText(check.errors)}`);
  const issuers = (data as { issuers: TrustedIssuer[] }).issuers;
  const seen = new Set<string>();
  for (const i of issuers) {
    if (seen.has(i.iss)) throw new Error(`${file}: issuer ${i.iss} is listed twice`);
    seen.add(i.iss);
    for (const k of i.jwks?.keys ?? []) {
      if (typeof k['d'] === 'string') throw new Error(`${file}: issuer ${i.iss} lists a private key; give public keys only`);
    }
  }
  return issuers;
}

/** The documented preset for testing with the CDS Hooks sandbox (config/presets/cds-hooks-sandbox.yaml). */
export function sandboxPreset(): TrustedIssuer[] {
  return readTrustedIssuers(projectPath('config', 'presets', 'cds-hooks-sandbox.yaml'));
}
