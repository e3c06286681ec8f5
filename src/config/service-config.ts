import { allowlistEntryProblem } from '../security/fhir-server-policy.js';
import { bool, bytes, ConfigError, type Env, int, list, type Mode, nodeEnv, oneOf, optionalStr, str } from './env.js';

export type { Mode } from './env.js';

/** Everything the service reads from its environment, parsed and checked once at start-up. */
export interface ServiceConfig {
  mode: Mode;
  host: string;
  port: number;
  /** `npm start` workers: 1 = single process; more = node:cluster workers sharing the port. */
  workers: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest accepted request body in bytes. */
  bodyLimit: number;
  /** Origins allowed by CORS: `*`, exact origins, or `http://localhost:*` style port wildcards. */
  corsOrigins: string[];
  /** Express `trust proxy`: false, true, a hop count or a list of proxy addresses (for the client address). */
  trustProxy: boolean | number | string;
  /**
   * The URL clients use to reach the service (`scheme://host[:port][/prefix]`, no trailing slash); the JWT `aud`
   * must be this + the path called. Required in production: without it the audience is built from the Host
   * header, which the caller chooses.
   */
  publicBaseUrl: string | undefined;
  feedback: {
    /** The former JSON Lines feedback file: imported once into the database at start-up, then renamed. */
    legacyFile: string | undefined;
    /** Largest feedback item (its JSON, in bytes); a request with a larger one is refused (413). */
    maxItemBytes: number;
  };
  /** The shared state (docs/storage.md): feedback, issued cards, quiet periods, JWT replay cache, rate limits. */
  storage: {
    /** `postgres://...`: PostgreSQL shared by every instance; undefined: SQLite at `sqliteFile`. */
    databaseUrl: string | undefined;
    /** The SQLite database file (created on first start); `:memory:` keeps nothing (tests). */
    sqliteFile: string;
    /** PostgreSQL connections per process. */
    poolSize: number;
    /** `auto`: node:sqlite where Node has it (22.13+), else better-sqlite3. */
    sqliteDriver: 'auto' | 'node:sqlite' | 'better-sqlite3';
    feedbackRetentionDays: number;
    issuedCardsRetentionDays: number;
    /** Key of the patient HMAC (src/store/patient-hash.ts); required in production. */
    patientHashSecret: string;
    /** True when the development default secret is in use. */
    patientHashSecretIsDefault: boolean;
  };
  /** File with the pathway's windows and thresholds overriding the defaults in config/pathway.yaml. */
  pathwayConfigFile: string | undefined;
  fhir: {
    /** One time budget for all FHIR queries of one hook call. */
    gatherTimeoutMs: number;
    /** How many `next` pages one query may follow. */
    maxPages: number;
    /** Page size asked for with `_count`. */
    pageSize: number;
    /** Entries per prefetch key or query, every page together; more leaves its types unknown. */
    maxEntries: number;
    /** Resources per call, every key together; more leaves the largest keys' types unknown. */
    maxResources: number;
    /** Bytes per FHIR answer, decompressed, enforced while the answer is read. */
    maxResponseBytes: number;
    /** fhirServer base URLs allowed when authentication is off (prefixes; default: loopback only). */
    allowedServers: string[];
    /** Allow plain http fhirServer URLs (never in production). */
    allowHttp: boolean;
  };
  auth: {
    /** Require a valid JWT on every endpoint. */
    required: boolean;
    trustedIssuersFile: string | undefined;
    /** Turn on the documented CDS Hooks sandbox issuer preset (refused in production). */
    sandboxPreset: boolean;
    clockSkewSeconds: number;
    /** Longest accepted JWT lifetime (exp - iat). */
    maxTokenLifetimeSeconds: number;
    /** Least time between two JWKS refreshes of one issuer. */
    jwksRefreshIntervalMs: number;
    /** A cached JWK Set older than this is fetched again before use (how long a removed key stays trusted). */
    jwksMaxAgeMs: number;
    jwksTimeoutMs: number;
  };
  /** GET /metrics: a bearer token it needs (METRICS_TOKEN), or a listener of its own (METRICS_PORT). */
  metrics: { token: string | undefined; port: number | undefined };
  limits: {
    /** Requests per minute per authenticated issuer (0 = unlimited). */
    perIssuerPerMinute: number;
    /** Requests per minute per client address (0 = unlimited). */
    perAddressPerMinute: number;
    /** Whole-request time-out. */
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    maxHeaderBytes: number;
    keepAliveTimeoutMs: number;
  };
}

/** Default fhirServer allowlist when authentication is off: this machine, any port. */
export const LOOPBACK_FHIR_SERVERS = [
  'http://localhost:*',
  'http://127.0.0.1:*',
  'http://[::1]:*',
  'https://localhost:*',
  'https://127.0.0.1:*',
  'https://[::1]:*',
];

function trustProxyOf(value: string | undefined): boolean | number | string {
  if (value === undefined || /^(false|0|no|off)$/i.test(value)) return false;
  if (/^(true|yes|on)$/i.test(value)) return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/**
 * PUBLIC_BASE_URL: an absolute http(s) URL without credentials, query or fragment; normalised to
 * `scheme://host[:port][/prefix]` (lower-case host, default port dropped, no trailing slash).
 */
function publicBaseUrlOf(value: string | undefined, production: boolean): string | undefined {
  if (value === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigError(`PUBLIC_BASE_URL must be an absolute URL such as https://cds.example.org, got "${value}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ConfigError(`PUBLIC_BASE_URL must be an http(s) URL, got "${value}"`);
  if (u.username !== '' || u.password !== '' || u.search !== '' || u.hash !== '' || /[?#]/.test(value))
    throw new ConfigError(`PUBLIC_BASE_URL must be a plain base URL without credentials, query or fragment, got "${value}"`);
  if (production && u.protocol !== 'https:')
    throw new ConfigError(`PUBLIC_BASE_URL must be https in production (NODE_ENV=production), got "${value}"`);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/** The development-only patient hash key (production requires PATIENT_HASH_SECRET). */
export const DEVELOPMENT_PATIENT_HASH_SECRET = 'hip-pain-cds-development-only-patient-hash-secret';

/** DATABASE_URL: unset (SQLite) or a postgres:// / postgresql:// URL. */
function databaseUrlOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^postgres(ql)?:\/\/[^/]/i.test(value))
    throw new ConfigError(
      'DATABASE_URL must be a postgres:// (or postgresql://) URL; leave it unset for the embedded SQLite file',
    );
  return value;
}

/** METRICS_TOKEN: at least 16 characters without spaces (a guessable token would expose the counts). */
function metricsTokenOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length < 16 || /\s/.test(value))
    throw new ConfigError('METRICS_TOKEN must be at least 16 characters without spaces (e.g. openssl rand -hex 24)');
  return value;
}

function optionalPort(env: Env, name: string): number | undefined {
  return optionalStr(env, name) === undefined ? undefined : int(env, name, 0, 0, 65535);
}

export function loadServiceConfig(env: Env = process.env): ServiceConfig {
  const mode: Mode = nodeEnv(env);
  const production = mode === 'production';
  const trustedIssuersFile = optionalStr(env, 'TRUSTED_ISSUERS_FILE');
  const sandboxPreset = bool(env, 'CDS_SANDBOX_PRESET', false);

  // FEEDBACK_STORE=memory (tests, the demo): an in-memory SQLite database, nothing kept; `file` (default): the database.
  // NODE_ENV=test without SQLITE_FILE or FEEDBACK_STORE: in memory too (a test never writes var/ by accident).
  const feedbackStore = oneOf(
    env,
    'FEEDBACK_STORE',
    ['memory', 'file'],
    mode === 'test' && optionalStr(env, 'SQLITE_FILE') === undefined ? 'memory' : 'file',
  );
  const memoryOnly = feedbackStore === 'memory';
  const requestTimeoutMs = int(env, 'REQUEST_TIMEOUT_MS', 10000, 100, 600000);
  const config: ServiceConfig = {
    mode,
    host: str(env, 'HOST', '0.0.0.0'),
    port: int(env, 'PORT', 3000, 0, 65535),
    workers: int(env, 'WEB_CONCURRENCY', 1, 1, 64),
    logLevel: oneOf(
      env,
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      mode === 'test' ? 'silent' : 'info',
    ),
    bodyLimit: bytes(env, 'BODY_LIMIT', 5 * 1024 * 1024),
    corsOrigins: list(env, 'CORS_ORIGINS', ['*']),
    trustProxy: trustProxyOf(optionalStr(env, 'TRUST_PROXY')),
    publicBaseUrl: publicBaseUrlOf(optionalStr(env, 'PUBLIC_BASE_URL'), production),
    feedback: {
      legacyFile: memoryOnly ? undefined : str(env, 'FEEDBACK_FILE', 'var/feedback.jsonl'),
      maxItemBytes: bytes(env, 'FEEDBACK_MAX_ITEM_BYTES', 16 * 1024),
    },
    storage: {
      databaseUrl: databaseUrlOf(optionalStr(env, 'DATABASE_URL')),
      sqliteFile: memoryOnly ? ':memory:' : str(env, 'SQLITE_FILE', 'var/hip-pain-cds.sqlite'),
      poolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
      sqliteDriver: oneOf(env, 'SQLITE_DRIVER', ['auto', 'node:sqlite', 'better-sqlite3'], 'auto'),
      feedbackRetentionDays: int(env, 'FEEDBACK_RETENTION_DAYS', 730, 1, 36500),
      issuedCardsRetentionDays: int(env, 'ISSUED_CARDS_RETENTION_DAYS', 90, 1, 36500),
      patientHashSecret: optionalStr(env, 'PATIENT_HASH_SECRET') ?? DEVELOPMENT_PATIENT_HASH_SECRET,
      patientHashSecretIsDefault: optionalStr(env, 'PATIENT_HASH_SECRET') === undefined,
    },
    pathwayConfigFile: optionalStr(env, 'PATHWAY_CONFIG'),
    fhir: {
      gatherTimeoutMs: int(env, 'FHIR_TIMEOUT_MS', 3000, 50, 60000),
      maxPages: int(env, 'FHIR_MAX_PAGES', 20, 1, 100),
      pageSize: int(env, 'FHIR_PAGE_SIZE', 200, 1, 1000),
      maxEntries: int(env, 'FHIR_MAX_ENTRIES', 10_000, 1, 1_000_000),
      maxResources: int(env, 'FHIR_MAX_RESOURCES', 30_000, 1, 10_000_000),
      maxResponseBytes: bytes(env, 'FHIR_MAX_RESPONSE_BYTES', 20 * 1024 * 1024),
      allowedServers: list(env, 'ALLOWED_FHIR_SERVERS', LOOPBACK_FHIR_SERVERS).map((s) => s.replace(/\/+$/, '')),
      allowHttp: production ? false : bool(env, 'ALLOW_HTTP_FHIR', true),
    },
    auth: {
      // The sandbox preset alone does not require a JWT: in development its signed calls are verified and the
      // demo's unsigned calls still work (config/presets/cds-hooks-sandbox.yaml).
      required: bool(env, 'AUTH_REQUIRED', production || trustedIssuersFile !== undefined),
      trustedIssuersFile,
      sandboxPreset,
      clockSkewSeconds: int(env, 'JWT_CLOCK_SKEW_SECONDS', 30, 0, 300),
      maxTokenLifetimeSeconds: int(env, 'JWT_MAX_LIFETIME_SECONDS', 3600, 60, 86400),
      jwksRefreshIntervalMs: int(env, 'JWKS_MIN_REFRESH_MS', 30000, 0, 3600000),
      jwksMaxAgeMs: int(env, 'JWKS_MAX_AGE_MS', 3600000, 1000, 86400000),
      jwksTimeoutMs: int(env, 'JWKS_TIMEOUT_MS', 2000, 100, 30000),
    },
    metrics: { token: metricsTokenOf(optionalStr(env, 'METRICS_TOKEN')), port: optionalPort(env, 'METRICS_PORT') },
    limits: {
      perIssuerPerMinute: int(env, 'RATE_LIMIT_PER_ISSUER', 1200, 0),
      perAddressPerMinute: int(env, 'RATE_LIMIT_PER_ADDRESS', 600, 0),
      requestTimeoutMs,
      // Default 5 s, or the request time-out when that is shorter.
      headersTimeoutMs: int(env, 'HEADERS_TIMEOUT_MS', Math.min(5000, requestTimeoutMs), 100, 600000),
      maxHeaderBytes: int(env, 'MAX_HEADER_BYTES', 16384, 1024, 1048576),
      keepAliveTimeoutMs: int(env, 'KEEP_ALIVE_TIMEOUT_MS', 5000, 100, 600000),
    },
  };

  for (const server of config.fhir.allowedServers) {
    const problem = allowlistEntryProblem(server, false);
    if (problem !== undefined) throw new ConfigError(`ALLOWED_FHIR_SERVERS: ${server}: ${problem}`);
  }

  if (config.metrics.port !== undefined && config.metrics.port !== 0 && config.metrics.port === config.port)
    throw new ConfigError(`METRICS_PORT must differ from PORT (${config.port}): it is a listener of its own`);
  // node:http refuses a headers time-out longer than the request time-out (ERR_OUT_OF_RANGE at start-up).
  if (config.limits.headersTimeoutMs > config.limits.requestTimeoutMs) {
    throw new ConfigError(
      `HEADERS_TIMEOUT_MS (${config.limits.headersTimeoutMs}) must not be longer than REQUEST_TIMEOUT_MS (${config.limits.requestTimeoutMs})`,
    );
  }
  if (production) {
    if (!config.auth.required) throw new ConfigError('AUTH_REQUIRED cannot be false in production (NODE_ENV=production)');
    if (config.auth.sandboxPreset) throw new ConfigError('CDS_SANDBOX_PRESET is for local testing and is refused in production');
    if (config.auth.trustedIssuersFile === undefined) {
      throw new ConfigError('production (NODE_ENV=production) needs TRUSTED_ISSUERS_FILE: no CDS client would be trusted');
    }
    if (config.publicBaseUrl === undefined) {
      throw new ConfigError(
        'production (NODE_ENV=production) needs PUBLIC_BASE_URL (the https URL clients call): the JWT audience must not come from the Host header',
      );
    }
    if (bool(env, 'ALLOW_HTTP_FHIR', false))
      throw new ConfigError('ALLOW_HTTP_FHIR cannot be true in production (NODE_ENV=production): fhirServer must be https');
    if (config.storage.patientHashSecretIsDefault || config.storage.patientHashSecret.length < 32)
      throw new ConfigError(
        'production (NODE_ENV=production) needs PATIENT_HASH_SECRET (at least 32 characters, the same on every instance): the key of the patient hash in the database',
      );
  }
  return config;
}
