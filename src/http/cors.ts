import type { NextFunction, Request, Response } from 'express';

/**
 * CORS for browser clients such as the CDS Hooks sandbox (https://sandbox.cds-hooks.org): every call carries
 * Authorization and JSON, so every call is preflighted. Allowed origins are `*`, exact origins, or patterns with
 * a port wildcard (`http://localhost:*`). The service authenticates with JWTs, never cookies, so no credentials.
 * Headers are set on every answer, errors included, so the browser shows the real status.
 */
export class CorsPolicy {
  private readonly any: boolean;
  private readonly exact: ReadonlySet<string>;
  private readonly patterns: readonly RegExp[];

  constructor(allowed: readonly string[]) {
    this.any = allowed.includes('*');
    this.exact = new Set(allowed.filter((o) => !o.includes('*')));
    this.patterns = allowed
      .filter((o) => o !== '*' && o.includes('*'))
      .map((o) => new RegExp(`^${o.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`));
  }

  originAllowed(origin: string): boolean {
    return this.any || this.exact.has(origin) || this.patterns.some((p) => p.test(origin));
  }

  /** The headers of an answer to an allowed origin (every answer, errors included). */
  headers(req: Request, res: Response): void {
    const origin = req.headers.origin;
    if (origin !== undefined && this.originAllowed(origin)) {
      res.setHeader('Access-Control-Allow-Origin', this.any ? '*' : origin);
      if (!this.any) res.append('Vary', 'Origin');
      res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After, WWW-Authenticate');
    }
  }

  /** Answers a preflight (OPTIONS with Access-Control-Request-Method) with 204; false for any other request. */
  preflight(req: Request, res: Response): boolean {
    if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
    const origin = req.headers.origin;
    if (origin !== undefined && this.originAllowed(origin)) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept, X-Request-Id');
      res.setHeader('Access-Control-Max-Age', '600');
      // Chrome's Private Network Access: a public page (the sandbox) calling a service on localhost.
      if (req.headers['access-control-request-private-network'] === 'true')
        res.setHeader('Access-Control-Allow-Private-Network', 'true');
    }
    res.status(204).end();
    return true;
  }
}

/** The middleware form of CorsPolicy (given one, or the allowed origins). */
export function cors(allowed: readonly string[] | CorsPolicy) {
  const policy = allowed instanceof CorsPolicy ? allowed : new CorsPolicy(allowed);
  return (req: Request, res: Response, next: NextFunction): void => {
    policy.headers(req, res);
    if (!policy.preflight(req, res)) next();
  };
}
