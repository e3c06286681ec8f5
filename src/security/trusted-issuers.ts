import { Ajv } from 'ajv';
import type { JSONWebKeySet } from 'jose';
import { schemaErrorsText } from '../config/schema-errors.js';
import { projectPath, readYamlFile } from '../data-files.js';
import { CARD_PROFILES, type CardProfileName } from '../cards/profiles/index.js';
import { allowlistEntryProblem } from './fhir-server-policy.js';

/**
 * Trusted CDS clients (JWT issuers), from the file named by TRUSTED_ISSUERS_FILE (YAML or JSON), plus the CDS
 * Hooks sandbox preset when CDS_SANDBOX_PRESET is on (never in production). The file is checked in full at
 * start-up; any problem stops the service with a message naming the issuer and the field.
 */
export interface TrustedIssuer {
  /** Exact `iss` value (compared as a string: no normalisation, so a trailing slash matters). */
  iss: string;
  /** Where the issuer's JWK Set is published (used when the JWT has no `jku`). */
  jwksUrl?: string;
  /** `jku` values accepted for this issuer (exact strings); a JWT whose `jku` is not listed is refused. */
  allowedJku?: string[];
  /** Public keys given out of band (CDS Hooks 2.0.1: "the CDS Client and CDS Service SHALL communicate the JWK Set out-of-band"). */
  jwks?: JSONWebKeySet;
  /** Accepted algorithms, a subset of the asymmetric ones; default all of them. */
  algorithms?: string[];
  /** When set, the JWT must carry a `tenant` claim from this list. */
  tenants?: string[];
  /** fhirServer base URLs the service may call for this issuer (prefixes; `:*` allows any port). */
  fhirServers: string[];
  /**
   * Whether keys may be fetched (from `jwksUrl` or an allowed `jku`); default true. When false, only `jwks` is
   * used and an allowed `jku` is a name that is checked, never a URL that is called: no network is needed,
   * and a token with an unknown kid is refused at once (the sandbox preset ships its public keys this way).
   */
  fetchJwks?: boolean;
  /**
   * The card profile for this client (src/cards/profiles/): `epic` rewrites every card to the rules Epic
   * documents (docs/ehr-integration.md). Without it, cards are as the templates make them.
   */
  profile?: CardProfileName;
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
      minItems: 1,
      items: {
        type: 'object',
        required: ['iss', 'fhirServers'],
        additionalProperties: false,
        properties: {
          iss: { type: 'string', minLength: 1 },
          jwksUrl: { type: 'string', pattern: '^https?://' },
          allowedJku: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^https?://' } },
          jwks: {
            type: 'object',
            required: ['keys'],
            properties: {
              keys: {
                type: 'array',
                minItems: 1,
                items: {
                  type: 'object',
                  required: ['kty', 'kid'],
                  properties: { kty: { enum: ['EC', 'RSA'] }, kid: { type: 'string' } },
                },
              },
            },
          },
          algorithms: { type: 'array', minItems: 1, items: { enum: ASYMMETRIC_ALGORITHMS } },
          tenants: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
          fhirServers: { type: 'array', items: { type: 'string', pattern: '^https?://' } },
          fetchJwks: { type: 'boolean' },
          profile: { enum: CARD_PROFILES },
        },
        anyOf: [{ required: ['jwksUrl'] }, { required: ['allowedJku'] }, { required: ['jwks'] }],
        // Keys that may not be fetched must be given.
        if: { required: ['fetchJwks'], properties: { fetchJwks: { const: false } } },
        then: { required: ['jwks'] },
      },
    },
  },
} as const;

export interface ReadIssuersOptions {
  /** Production: JWKS URLs, allowed jku and fhirServers must all be https. */
  httpsOnly?: boolean;
  /** The setting that named the file (TRUSTED_ISSUERS_FILE, CDS_SANDBOX_PRESET): every error starts with it. */
  setting?: string;
}

function keyUrlProblem(url: string, httpsOnly: boolean): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (u.username !== '' || u.password !== '') return 'credentials in the URL';
  if (httpsOnly && u.protocol !== 'https:') return 'plain http (a JWK Set fetched over http can be swapped in transit)';
  return undefined;
}

export function readTrustedIssuers(file: string, options: ReadIssuersOptions = {}): TrustedIssuer[] {
  const httpsOnly = options.httpsOnly ?? false;
  const label = options.setting === undefined ? file : `${options.setting} ${file}`;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const check = ajv.compile<{ issuers: TrustedIssuer[] }>(schema);
  let data: unknown;
  try {
    data = readYamlFile(file);
  } catch (err) {
    throw new Error(options.setting === undefined ? (err as Error).message : `${options.setting}: ${(err as Error).message}`);
  }
  if (!check(data)) throw new Error(`${label}: ${schemaErrorsText(check.errors)}`);
  const issuers = data.issuers;
  const seen = new Set<string>();
  for (const i of issuers) {
    const where = `${label}: issuer ${i.iss}`;
    if (seen.has(i.iss)) throw new Error(`${where} is listed twice`);
    seen.add(i.iss);
    for (const k of i.jwks?.keys ?? []) {
      const key = k as Record<string, unknown>;
      if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'].some((m) => key[m] !== undefined))
        throw new Error(`${where} lists a private or symmetric key (kid ${String(key['kid'])}); give public keys only`);
    }
    for (const [field, urls] of [
      ['jwksUrl', i.jwksUrl !== undefined ? [i.jwksUrl] : []],
      ['allowedJku', i.allowedJku ?? []],
    ] as const) {
      for (const url of urls) {
        const problem = keyUrlProblem(url, httpsOnly);
        if (problem !== undefined) throw new Error(`${where}: ${field} ${url}: ${problem}`);
      }
    }
    for (const server of i.fhirServers) {
      const problem = allowlistEntryProblem(server, httpsOnly);
      if (problem !== undefined) throw new Error(`${where}: fhirServers ${server}: ${problem}`);
    }
  }
  return issuers;
}

/** The documented preset for testing with the CDS Hooks sandbox (config/presets/cds-hooks-sandbox.yaml). */
export function sandboxPreset(file = projectPath('config', 'presets', 'cds-hooks-sandbox.yaml')): TrustedIssuer[] {
  return readTrustedIssuers(file, { setting: 'CDS_SANDBOX_PRESET' });
}
