import type { NextFunction, Request, Response } from 'express';

/**
 * CORS for browser clients such as the CDS Hooks sandbox (https://sandbox.cds-hooks.org): every call carries
 * Authorization and JSON, so every call is preflighted. Allowed origins are `*`, exact origins, or patterns with
 * a port wildcard (`http://localhost:*`). The service authenticates with JWTs, never cookies, so no credentials.
 * Headers are set on every answer, errors included, so the browser shows the real status.
 */
export function cors(allowed: readonly string[]) {
  const any = allowed.includes('*');
  const exact = new Set(allowed.filter((o) => !o.includes('*')));
  const patterns = allowed
    .filter((o) => o !== '*' && o.includes('*'))
    .map((o) => new RegExp(`^${o.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`));
  const originAllowed = (origin: string): boolean => any || exact.has(origin) || patterns.some((p) => p.test(origin));

  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    if (origin !== undefined && originAllowed(origin)) {
      res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
      if (!any) res.append('Vary', 'Origin');
      res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After, WWW-Authenticate');
    }
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      if (origin !== undefined && originAllowed(origin)) {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept, X-Request-Id');
        res.setHeader('Access-Control-Max-Age', '600');
        // Chrome's Private Network Access: a public page (the sandbox) calling a service on localhost.
        if (req.headers['access-control-request-private-network'] === 'true')
          res.setHeader('Access-Control-Allow-Private-Network', 'true');
      }
      res.status(204).end();
      return;
    }
    next();
  };
}
