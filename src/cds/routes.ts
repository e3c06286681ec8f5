import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { applyCardProfile } from '../cards/profiles/index.js';
import { baseUrlOf } from '../http/base-url.js';
import { jsonBody } from '../http/json-body.js';
import { HttpError } from '../http/operation-outcome.js';
import { VERSION_EXTENSION, type Versions } from '../http/ops.js';
import type { Caller } from '../security/types.js';
import type { FeedbackService } from './feedback-service.js';
import type { CallContext, HookService } from './hook-service.js';
import type { ServiceRegistry } from './registry.js';
import type { CdsResponse } from './types.js';

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}

export interface CdsRoutesDeps {
  registry: ServiceRegistry;
  hooks: HookService;
  feedback: FeedbackService;
  bodyLimit: number;
  /** Authentication middleware (runs before the body is read). */
  authenticate: (req: Request, res: Response, next: NextFunction) => void;
  /** Throws when this caller may not have the service call this fhirServer. */
  checkFhirServer: (fhirServer: string, caller: Caller | undefined) => void;
  now: () => Date;
  /** PUBLIC_BASE_URL: the base of the links cards carry (else the request's own). */
  publicBaseUrl?: string;
  /** Service and pathway versions: in discovery, as each service's `extension` (CDS Hooks 2.0.1 "Extensions"). */
  versions: Versions;
}

/** application/json, application/fhir+json, any other `+json`, and the pre-R4 `application/json+fhir` some EHRs still send. */
const JSON_TYPE = /^application\/([a-z.+-]+\+)?json(\+fhir)?$/i;

/** The 415 of a body not declared as JSON (application/json, application/fhir+json, application/json+fhir); undefined when it is. */
export function notJson(req: Request): HttpError | undefined {
  const header = req.headers['content-type'] ?? '';
  const semicolon = header.indexOf(';');
  const type = (semicolon >= 0 ? header.slice(0, semicolon) : header).trim();
  if (JSON_TYPE.test(type)) return undefined;
  return new HttpError(415, {
    code: 'not-supported',
    diagnostics: `Content-Type must be application/json, got "${type.slice(0, 60) || 'none'}"`,
  });
}

/** The 404 of an unknown service, said before anything else about the request (415, 405); undefined when known. */
export function unknownService(registry: ServiceRegistry, id: string): HttpError | undefined {
  if (registry.get(id) !== undefined) return undefined;
  return new HttpError(404, {
    code: 'not-found',
    diagnostics: `no CDS service "${id.slice(0, 64)}" here; GET /cds-services lists them`,
  });
}

function requireJson(req: Request, _res: Response, next: NextFunction): void {
  next(notJson(req));
}

function requireService(registry: ServiceRegistry) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    next(unknownService(registry, String(req.params['id'] ?? '')));
  };
}

export type HookCallDeps = Pick<CdsRoutesDeps, 'hooks' | 'checkFhirServer' | 'now' | 'publicBaseUrl'>;

/**
 * What POST /cds-services/{id} answers once the request is authenticated (`req.caller`) and its body read: the
 * hook call with the request's logger, access-line fields, abort signal, clock and base URL, then the caller's
 * card profile. The hook handler (src/http/hook-handler.ts) runs it; the HTTP around it (request id, CORS,
 * limits, time-out) is the handler's.
 */
export function hookCall(deps: HookCallDeps): (req: Request, body: unknown) => Promise<CdsResponse> {
  return async (req, body) => {
    const caller = req.caller;
    const fields = req.logFields;
    const ctx: CallContext = {
      // The request's logger is made only if the call logs something (most calls log only their access line).
      get log() {
        return req.log;
      },
      annotate: (added) => Object.assign(fields, added),
      now: deps.now(),
      baseUrl: baseUrlOf(req, deps.publicBaseUrl),
      checkFhirServer: (fhirServer) => {
        deps.checkFhirServer(fhirServer, caller);
      },
    };
    if (req.abort !== undefined) ctx.abort = req.abort;
    const response = await deps.hooks.call(String(req.params['id']), body, ctx);
    // The caller's card profile (its trusted-issuer entry's `profile`).
    return applyCardProfile(caller?.profile, response);
  };
}

function methodNotAllowed(allow: string) {
  return (req: Request, res: Response): void => {
    res.setHeader('Allow', allow);
    throw new HttpError(
      405,
      { code: 'not-supported', diagnostics: `${req.method} is not allowed here; use ${allow}` },
      { Allow: allow },
    );
  };
}

/** The CDS Hooks endpoints: discovery, the three services, and their feedback. */
export function cdsRoutes(deps: CdsRoutesDeps): Router {
  const router = express.Router({ caseSensitive: true, strict: false });
  const json = jsonBody(deps.bodyLimit);
  const known = requireService(deps.registry);

  router.get('/cds-services', deps.authenticate, (_req, res) => {
    const services = deps.registry.list().map((s) => ({
      hook: s.hook,
      title: s.title,
      description: s.description,
      id: s.id,
      prefetch: s.prefetch,
      ...(s.usageRequirements !== undefined ? { usageRequirements: s.usageRequirements } : {}),
      extension: { [VERSION_EXTENSION]: deps.versions },
    }));
    res.json({ services });
  });
  router.all('/cds-services', methodNotAllowed('GET'));

  // POST /cds-services/:id is answered by the hook handler (src/http/hook-handler.ts, registered in src/app.ts
  // before this router), which runs hookCall; every other method here is a 405.
  router.all('/cds-services/:id', known, methodNotAllowed('POST'));

  router.post('/cds-services/:id/feedback', deps.authenticate, known, requireJson, json, async (req, res) => {
    const result = await deps.feedback.record(req.params['id'] as string, req.body as unknown, req.log, deps.now());
    if (res.headersSent) return;
    res.status(200).json({
      received: result.created + result.duplicates + result.unknown,
      created: result.created,
      duplicates: result.duplicates,
      ...(result.unknown > 0 ? { unknownCards: result.unknown } : {}),
    });
  });
  router.all('/cds-services/:id/feedback', known, methodNotAllowed('POST'));

  return router;
}
