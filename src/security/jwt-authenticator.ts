import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { HttpError } from '../http/operation-outcome.js';
import { metrics } from '../metrics.js';
import { JwksError, type JwksCache, localKeySet } from './jwks.js';
import { ReplayCache, type ReplayGuard } from './replay-cache.js';
import { ASYMMETRIC_ALGORITHMS, type TrustedIssuer } from './trusted-issuers.js';
import type { Authenticator, Caller } from './types.js';

/**
 * Checks the CDS client's JWT (CDS Hooks 2.0.1 "Trusting CDS Clients") on every call, in this order:
 *  1. `Authorization: Bearer <compact JWS>`;
 *  2. header: `typ` JWT, `kid` present; `iss` (still unverified) names a trusted issuer; `alg` asymmetric and
 *     allowed for that issuer (never `none`, never HMAC); `jku`, when present, on that issuer's allowlist;
 *  3. the key: out-of-band keys of the issuer, else the allowlisted `jku`, else the issuer's `jwksUrl`
 *     (src/security/jwks.ts: cached, refreshed on an unknown kid, refreshes rate limited), nothing fetched for
 *     an issuer with `fetchJwks: false`; an embedded `jwk`, `x5u` or `x5c` header is never used;
 *  4. signature (jose `jwtVerify`, algorithms pinned), required claims iss/aud/exp/iat/jti, `exp` and `nbf`
 *     with the clock skew;
 *  5. `iat` not in the future (beyond the skew), lifetime `exp - iat` bounded;
 *  6. `aud` = the exact URL called (string or array);
 *  7. `tenant` from the issuer's list when it has one;
 *  8. `jti` not seen before within the token's lifetime (checked last, so only valid tokens are remembered).
 * Every failure is the same 401 to the caller; the reason (and the issuer, when it is a trusted one) goes to the
 * log, never the token.
 */

export type AuthFailure =
  | 'missing'
  | 'malformed'
  | 'typ'
  | 'no-kid'
  | 'untrusted-iss'
  | 'alg-not-allowed'
  | 'untrusted-jku'
  | 'no-key-source'
  | 'unknown-kid'
  | 'ambiguous-kid'
  | 'jwks-unavailable'
  | 'bad-signature'
  | 'missing-claim'
  | 'bad-claim'
  | 'expired'
  | 'not-yet-valid'
  | 'iat-in-future'
  | 'lifetime-too-long'
  | 'wrong-aud'
  | 'tenant-not-allowed'
  | 'replayed-jti'
  | 'replay-cache-full';

export const WWW_AUTHENTICATE_MISSING = 'Bearer realm="hip-pain-cds"';
export const WWW_AUTHENTICATE_INVALID = 'Bearer realm="hip-pain-cds", error="invalid_token"';

export class AuthError extends HttpError {
  constructor(
    readonly reason: AuthFailure,
    /** The issuer, only when it is a configured (trusted) one: safe to log. */
    readonly issuer?: string,
  ) {
    super(
      401,
      {
        code: 'login',
        diagnostics:
          reason === 'missing'
            ? 'authentication required: send a JWT as Authorization: Bearer'
            : 'the JWT in the Authorization header was not accepted',
      },
      { 'WWW-Authenticate': reason === 'missing' ? WWW_AUTHENTICATE_MISSING : WWW_AUTHENTICATE_INVALID },
    );
  }
}

export interface JwtAuthenticatorOptions {
  issuers: readonly TrustedIssuer[];
  jwks: JwksCache;
  clockSkewSeconds: number;
  maxLifetimeSeconds: number;
  now?: () => number;
  /** Largest number of remembered jti values of the in-process cache (default 200 000). */
  replayCacheSize?: number;
  /** Where jti values are remembered (default: in this process); the service passes the shared one. */
  replay?: ReplayGuard;
}

/** `scheme://host[:port]/path` without trailing slash (scheme and host lower case, default port dropped). */
export function normaliseUrl(u: string): string {
  try {
    const url = new URL(u);
    return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return u;
  }
}

const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;
const MAX_JTI_LENGTH = 256;

/** `typ` as RFC 7515 allows it: "JWT" or "application/jwt", any case. */
function isJwtTyp(typ: unknown): boolean {
  return typeof typ === 'string' && /^(application\/)?jwt$/i.test(typ);
}

export class JwtAuthenticator implements Authenticator {
  private readonly byIss = new Map<string, TrustedIssuer>();
  private readonly outOfBand = new Map<string, ReturnType<typeof localKeySet>>();
  private readonly replay: ReplayGuard;

  constructor(private readonly options: JwtAuthenticatorOptions) {
    for (const i of options.issuers) {
      this.byIss.set(i.iss, i);
      if (i.jwks !== undefined) this.outOfBand.set(i.iss, localKeySet(i.jwks));
    }
    this.replay = options.replay ?? new ReplayCache(options.replayCacheSize ?? 200_000, options.now);
  }

  private nowSeconds(): number {
    return Math.floor((this.options.now ?? Date.now)() / 1000);
  }

  async authenticate(authorization: string | undefined, audience: string): Promise<Caller> {
    if (authorization === undefined || authorization.trim() === '') throw new AuthError('missing');
    const m = BEARER.exec(authorization.trim());
    if (m?.[1] === undefined) throw new AuthError('malformed');
    const token = m[1];

    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      throw new AuthError('malformed');
    }
    if (!isJwtTyp(header.typ)) throw new AuthError('typ');
    if (typeof header.kid !== 'string' || header.kid === '') throw new AuthError('no-kid');
    const issuer = typeof unverified.iss === 'string' ? this.byIss.get(unverified.iss) : undefined;
    if (issuer === undefined) throw new AuthError('untrusted-iss');
    const fail = (reason: AuthFailure): AuthError => new AuthError(reason, issuer.iss);
    const algorithms = (issuer.algorithms ?? ASYMMETRIC_ALGORITHMS).filter((a) =>
      (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a),
    );
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) throw fail('alg-not-allowed');
    if (header.jku !== undefined && (typeof header.jku !== 'string' || !(issuer.allowedJku ?? []).includes(header.jku)))
      throw fail('untrusted-jku');

    // The key: out-of-band keys first; else the allowlisted jku; else the configured JWKS URL.
    let getKey;
    const oob = this.outOfBand.get(issuer.iss);
    if (oob?.kids.has(header.kid)) getKey = oob.getKey;
    else {
      const url = issuer.fetchJwks === false ? undefined : (header.jku ?? issuer.jwksUrl);
      if (url === undefined) throw fail(oob !== undefined ? 'unknown-kid' : 'no-key-source');
      try {
        getKey = await this.options.jwks.keyFor(url, header.kid);
      } catch (err) {
        throw fail(err instanceof JwksError ? err.reason : 'jwks-unavailable');
      }
    }

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        algorithms,
        typ: 'JWT',
        issuer: issuer.iss,
        clockTolerance: this.options.clockSkewSeconds,
        requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
        currentDate: new Date(this.nowSeconds() * 1000),
      }));
    } catch (err) {
      throw fail(failureOf(err));
    }

    const now = this.nowSeconds();
    const skew = this.options.clockSkewSeconds;
    const iat = payload.iat as number;
    const exp = payload.exp as number;
    if (iat > now + skew) throw fail('iat-in-future');
    if (exp - iat > this.options.maxLifetimeSeconds) throw fail('lifetime-too-long');

    const expected = normaliseUrl(audience);
    const auds = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!auds.some((a) => typeof a === 'string' && normaliseUrl(a) === expected)) throw fail('wrong-aud');

    const tenantClaim = payload['tenant'];
    if (tenantClaim !== undefined && typeof tenantClaim !== 'string') throw fail('bad-claim');
    const tenant = tenantClaim;
    if (issuer.tenants !== undefined && (tenant === undefined || !issuer.tenants.includes(tenant)))
      throw fail('tenant-not-allowed');

    if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > MAX_JTI_LENGTH) throw fail('bad-claim');
    const verdict = await this.replay.add(`${issuer.iss}|${payload.jti}`, (exp + skew) * 1000);
    if (verdict === 'replay') metrics.refused('replay');
    if (verdict === 'replay') throw fail('replayed-jti');
    if (verdict === 'full') throw fail('replay-cache-full');

    return {
      authenticated: true,
      issuer: issuer.iss,
      ...(tenant !== undefined ? { tenant } : {}),
      ...(issuer.profile !== undefined ? { profile: issuer.profile } : {}),
    };
  }
}

/** The reason behind an error of jose's jwtVerify. */
function failureOf(err: unknown): AuthFailure {
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return 'missing-claim';
    if (err.claim === 'typ') return 'typ';
    if (err.claim === 'nbf') return 'not-yet-valid';
    if (err.claim === 'iat' && err.reason === 'check_failed') return 'iat-in-future';
    return 'bad-claim';
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad-signature';
  if (err instanceof joseErrors.JWKSMultipleMatchingKeys) return 'ambiguous-kid';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'unknown-kid';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'alg-not-allowed';
  if (err instanceof joseErrors.JWTInvalid || err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JOSENotSupported)
    return 'malformed';
  return 'bad-signature';
}
