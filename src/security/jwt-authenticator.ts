import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { HttpError } from '../http/operation-outcome.js';
import { type JwksCache, localKeySet } from './jwks.js';
import { ReplayCache } from './replay-cache.js';
import { ASYMMETRIC_ALGORITHMS, type TrustedIssuer } from './trusted-issuers.js';
import type { Authenticator, Caller } from './types.js';

/**
 * Checks the CDS client's JWT (CDS Hooks 2.0.1 "Trusting CDS Clients") on every call:
 * header `alg` asymmetric and allowed for the issuer, `typ` JWT, `kid` present; `iss` trusted; the key from the
 * issuer's configured JWKS URL, or from `jku` only when that URL is allowlisted for the issuer (or from keys
 * given out of band); signature; `aud` = the exact URL called; `exp` and `iat` with a small clock skew and a
 * bounded lifetime; `jti` not seen before; `tenant` when the issuer lists tenants.
 * Every failure is the same 401 to the caller; the reason goes to the log.
 */

export type AuthFailure =
  | 'missing'
  | 'malformed'
  | 'alg-not-allowed'
  | 'typ'
  | 'no-kid'
  | 'untrusted-iss'
  | 'untrusted-jku'
  | 'no-key-source'
  | 'unknown-kid'
  | 'bad-signature'
  | 'expired'
  | 'iat-in-future'
  | 'lifetime-too-long'
  | 'missing-claim'
  | 'wrong-aud'
  | 'replayed-jti'
  | 'tenant-not-allowed';

export class AuthError extends HttpError {
  constructor(readonly reason: AuthFailure) {
    super(
      401,
      {
        code: 'login',
        diagnostics:
          reason === 'missing'
            ? 'authentication required: send a JWT as Authorization: Bearer'
            : 'the JWT in the Authorization header was not accepted',
      },
      {
        'WWW-Authenticate':
          reason === 'missing' ? 'Bearer realm="hip-pain-cds"' : 'Bearer realm="hip-pain-cds", error="invalid_token"',
      },
    );
  }
}

export interface JwtAuthenticatorOptions {
  issuers: readonly TrustedIssuer[];
  jwks: JwksCache;
  clockSkewSeconds: number;
  maxLifetimeSeconds: number;
  now?: () => number;
}

function normaliseUrl(u: string): string {
  try {
    const url = new URL(u);
    return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return u;
  }
}

export class JwtAuthenticator implements Authenticator {
  private readonly byIss = new Map<string, TrustedIssuer>();
  private readonly outOfBand = new Map<string, ReturnType<typeof localKeySet>>();
  private readonly replay: ReplayCache;

  constructor(private readonly options: JwtAuthenticatorOptions) {
    for (const i of options.issuers) {
      this.byIss.set(i.iss, i);
      if (i.jwks !== undefined) this.outOfBand.set(i.iss, localKeySet(i.jwks));
    }
    this.replay = new ReplayCache(200_000, options.now);
  }

  private nowSeconds(): number {
    return Math.floor((this.options.now ?? Date.now)() / 1000);
  }

  async authenticate(authorization: string | undefined, audience: string): Promise<Caller> {
    if (authorization === undefined || authorization.trim() === '') throw new AuthError('missing');
    const m = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i.exec(authorization.trim());
    if (m?.[1] === undefined) throw new AuthError('malformed');
    const token = m[1];

    let header: ReturnType<typeof decodeProtectedHeader>;
    let claims: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      claims = decodeJwt(token);
    } catch {
      throw new AuthError('malformed');
    }
    const issuer = typeof claims.iss === 'string' ? this.byIss.get(claims.iss) : undefined;
    if (issuer === undefined) throw new AuthError('untrusted-iss');
    const algorithms = (issuer.algorithms ?? ASYMMETRIC_ALGORITHMS) as string[];
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) throw new AuthError('alg-not-allowed');
    if (header.typ !== undefined && header.typ.toUpperCase() !== 'JWT') throw new AuthError('typ');
    if (typeof header.kid !== 'string' || header.kid === '') throw new AuthError('no-kid');

    // The key: out-of-band keys first; else the allowlisted jku; else the configured JWKS URL.
    let getKey;
    const oob = this.outOfBand.get(issuer.iss);
    if (header.jku !== undefined && !(issuer.allowedJku ?? []).includes(header.jku)) throw new AuthError('untrusted-jku');
    if (oob !== undefined && oob.kids.has(header.kid)) getKey = oob.getKey;
    else {
      const url = header.jku ?? issuer.jwksUrl;
      if (url === undefined) throw new AuthError(oob !== undefined ? 'unknown-kid' : 'no-key-source');
      try {
        getKey = await this.options.jwks.keyFor(url, header.kid);
      } catch {
        throw new AuthError('unknown-kid');
      }
    }

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        algorithms,
        issuer: issuer.iss,
        clockTolerance: this.options.clockSkewSeconds,
        requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
        currentDate: new Date(this.nowSeconds() * 1000),
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new AuthError('expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        if (err.claim === 'iat') throw new AuthError('iat-in-future');
        if (err.reason === 'missing') throw new AuthError('missing-claim');
        throw new AuthError('malformed');
      }
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new AuthError('bad-signature');
      if (err instanceof joseErrors.JWKSNoMatchingKey) throw new AuthError('unknown-kid');
      throw new AuthError('bad-signature');
    }

    const now = this.nowSeconds();
    const skew = this.options.clockSkewSeconds;
    const iat = payload.iat as number;
    const exp = payload.exp as number;
    if (iat > now + skew) throw new AuthError('iat-in-future');
    if (exp - iat > this.options.maxLifetimeSeconds) throw new AuthError('lifetime-too-long');

    const expected = normaliseUrl(audience);
    const auds = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!auds.some((a) => typeof a === 'string' && normaliseUrl(a) === expected)) throw new AuthError('wrong-aud');

    const tenant = typeof payload['tenant'] === 'string' ? payload['tenant'] : undefined;
    if (issuer.tenants !== undefined && (tenant === undefined || !issuer.tenants.includes(tenant)))
      throw new AuthError('tenant-not-allowed');

    if (typeof payload.jti !== 'string' || payload.jti === '') throw new AuthError('missing-claim');
    if (!this.replay.add(`${issuer.iss}|${payload.jti}`, (exp + skew) * 1000)) throw new AuthError('replayed-jti');

    return { authenticated: true, issuer: issuer.iss, ...(tenant !== undefined ? { tenant } : {}) };
  }
}
