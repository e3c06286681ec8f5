import type { NextFunction, Request, Response } from 'express';
import { baseUrlOf } from '../http/base-url.js';
import type { ServiceConfig } from '../config/service-config.js';
import { RateLimiter, setRateLimitHeaders, throttled } from '../http/rate-limit.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { metrics } from '../metrics.js';
import { JwksCache, type JwksFetch } from './jwks.js';
import { AuthError, JwtAuthenticator } from './jwt-authenticator.js';
import { SharedReplayCache } from './replay-cache.js';
import { readTrustedIssuers, sandboxPreset, type TrustedIssuer } from './trusted-issuers.js';
import type { Authenticator, Caller } from './types.js';

export interface Authentication {
  /**
   * Authenticates a request: sets `req.caller`, counts a valid JWT against its issuer's rate limit (and sets the
   * RateLimit headers); undefined when
   * that was decided at once (authentication off, no token), else a promise that rejects with the 401 or 429 to
   * answer (failures are logged without the token). The hook handler (src/http/hook-handler.ts) calls it.
   */
  authenticate: (req: Request, res: Response) => Promise<void> | undefined;
  /** The middleware form of `authenticate`, for the other endpoints. */
  middleware: (req: Request, res: Response, next: NextFunction) => void;
  serversForIssuer: (issuer: string) => readonly string[];
  issuers: readonly TrustedIssuer[];
  /** Whether every endpoint requires a valid JWT. */
  required: boolean;
  /** The JWK Set cache (undefined without issuers). */
  jwks: JwksCache | undefined;
}

/**
 * The URL the client called, as the JWT `aud` must name it: PUBLIC_BASE_URL + the path (no query). Without
 * PUBLIC_BASE_URL (development and tests only; production requires it) it is built from the request's scheme
 * and Host header, which the caller controls: then `aud` only proves the token was made for *a* service at that
 * path, not for this one.
 */
export function audienceOf(req: Request, publicBaseUrl: string | undefined): string {
  return `${baseUrlOf(req, publicBaseUrl)}${req.originalUrl.split('?')[0] ?? ''}`;
}

/**
 * Authentication as configured:
 *  - trusted issuers (TRUSTED_ISSUERS_FILE and/or the sandbox preset) and AUTH_REQUIRED (the default once there
 *    are issuers, and always in production): every endpoint needs a valid JWT;
 *  - development without issuers: calls are accepted unsigned, with a loud warning at start-up.
 * A valid JWT is then counted against its issuer's rate limit (RATE_LIMIT_PER_ISSUER).
 */
export function buildAuthentication(
  config: ServiceConfig,
  log: Logger,
  override?: Authenticator,
  jwksFetch?: JwksFetch,
  /** The shared database: JWT replay cache and per-issuer counts over every worker and instance. */
  store?: Store,
): Authentication {
  const production = config.mode === 'production';
  const issuers: TrustedIssuer[] = [];
  if (config.auth.trustedIssuersFile !== undefined)
    issuers.push(
      ...readTrustedIssuers(config.auth.trustedIssuersFile, { httpsOnly: production, setting: 'TRUSTED_ISSUERS_FILE' }),
    );
  if (config.auth.sandboxPreset) {
    if (production) throw new Error('CDS_SANDBOX_PRESET is refused in production (NODE_ENV=production)');
    for (const preset of sandboxPreset()) if (!issuers.some((i) => i.iss === preset.iss)) issuers.push(preset);
    log.warn(
      "CDS Hooks sandbox preset is ON: JWTs that the sandbox's published key verifies are trusted, and its private key is public (anyone can sign them). Never use this with real patient data.",
    );
  }
  if (production && issuers.length === 0)
    throw new Error('production (NODE_ENV=production) needs at least one trusted issuer in TRUSTED_ISSUERS_FILE');

  const jwks =
    issuers.length > 0
      ? new JwksCache({
          minRefreshMs: config.auth.jwksRefreshIntervalMs,
          maxAgeMs: config.auth.jwksMaxAgeMs,
          timeoutMs: config.auth.jwksTimeoutMs,
          log,
          ...(jwksFetch ? { fetch: jwksFetch } : {}),
        })
      : undefined;
  const authenticator: Authenticator | undefined =
    override ??
    (jwks !== undefined
      ? new JwtAuthenticator({
          issuers,
          jwks,
          clockSkewSeconds: config.auth.clockSkewSeconds,
          maxLifetimeSeconds: config.auth.maxTokenLifetimeSeconds,
          ...(store !== undefined ? { replay: new SharedReplayCache(store) } : {}),
        })
      : undefined);
  const required = config.auth.required;
  if (required && authenticator === undefined)
    throw new Error('AUTH_REQUIRED is on but no trusted issuer is configured (TRUSTED_ISSUERS_FILE or CDS_SANDBOX_PRESET)');
  if (!required && issuers.length > 0) {
    log.warn(
      { issuers: issuers.map((i) => i.iss) },
      '!!! AUTHENTICATION IS OPTIONAL: a call with a JWT is verified against the trusted issuers; a call without one is accepted, with fhirServer limited to ALLOWED_FHIR_SERVERS. Set AUTH_REQUIRED=true to refuse unsigned calls. !!!',
    );
  } else if (!required) {
    log.warn(
      '!!! AUTHENTICATION IS OFF: calls without a JWT are accepted and fhirServer is limited to ALLOWED_FHIR_SERVERS (default: this machine). ' +
        'For development only; set TRUSTED_ISSUERS_FILE (and NODE_ENV=production) for real use. !!!',
    );
  } else {
    log.info(
      { issuers: issuers.map((i) => i.iss), audienceBase: config.publicBaseUrl ?? '(from the Host header)' },
      'authentication required on every endpoint',
    );
  }

  const perIssuer = new RateLimiter(config.limits.perIssuerPerMinute, {
    name: 'issuer',
    log,
    ...(store !== undefined ? { store } : {}),
  });
  const servers = new Map(issuers.map((i) => [i.iss, i.fhirServers]));

  const refused = (err: unknown, req: Request): never => {
    if (err instanceof AuthError) metrics.authFailed(err.reason);
    if (err instanceof AuthError)
      req.log.warn(
        { authFailure: err.reason, ...(err.issuer !== undefined ? { iss: err.issuer } : {}) },
        'authentication failed',
      );
    throw err;
  };
  const accepted = (caller: Caller, req: Request, res: Response): void => {
    req.caller = caller;
    const decision = caller.issuer !== undefined ? perIssuer.check(caller.issuer) : undefined;
    if (decision !== undefined) setRateLimitHeaders(res, decision);
    const wait = decision?.wait ?? 0;
    if (wait > 0) {
      req.log.warn({ limit: 'issuer', iss: caller.issuer }, 'rate limited');
      metrics.refused('rate-limit', 'issuer');
      throw throttled('client', wait);
    }
  };
  const authenticate = (req: Request, res: Response): Promise<void> | undefined => {
    const authorization = req.headers.authorization;
    if (!required && (authorization === undefined || authenticator === undefined)) {
      req.caller = { authenticated: false };
      return undefined;
    }
    return (authenticator as Authenticator).authenticate(authorization, audienceOf(req, config.publicBaseUrl)).then(
      (caller) => {
        accepted(caller, req, res);
      },
      (err: unknown) => refused(err, req),
    );
  };

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const pending = authenticate(req, res);
    if (pending === undefined) next();
    else
      pending.then(() => {
        next();
      }, next);
  };

  return { authenticate, middleware, serversForIssuer: (iss) => servers.get(iss) ?? [], issuers, required, jwks };
}
