import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { applyCardProfile } from '../cards/profiles/index.js';
import { baseUrlOf } from '../http/base-url.js';
import { sendJson, jsonBody } from '../http/json-body.js';
import { HttpError } from '../http/operation-outcome.js';
import { VERSION_EXTENSION, type Versions } from '../http/ops.js';
import type { Caller } from '../security/types.js';
import type { FeedbackService } from './feedback-service.js';
import type { HookService } from './hook-service.js';
import type { ServiceRegistry } from './registry.js';

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

/** 415 unless the body is declared as JSON (application/json, application/fhir+json, application/json+fhir). */
function requireJson(req: Request, _res: Response, next: NextFunction): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  if (!JSON_TYPE.test(type)) {
    next(
      new HttpError(415, {
        code: 'not-supported',
        diagnostics: `Content-Type must be application/json, got "${type.slice(0, 60) || 'none'}"`,
      }),
    );
    return;
  }
  next();
}

/** 404 for an unknown service, before anything else is said about the request (415, 405). */
function requireService(registry: ServiceRegistry) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const id = String(req.params['id'] ?? '');
    if (registry.get(id) === undefined) {
      next(
        new HttpError(404, {
          code: 'not-found',
          diagnostics: `no CDS service "${id.slice(0, 64)}" here; GET /cds-services lists them`,
        }),
      );
      return;
    }
    next();
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

  router.post('/cds-services/:id', deps.authenticate, known, requireJson, json, async (req, res) => {
    const caller = req.caller;
    const response = await deps.hooks.call(req.params['id'] as string, req.body as unknown, {
      log: req.log,
      annotate: (fields) => Object.assign(req.logFields, fields),
      ...(req.abortSignal !== undefined ? { signal: req.abortSignal } : {}),
      now: deps.now(),
      baseUrl: baseUrlOf(req, deps.publicBaseUrl),
      checkFhirServer: (fhirServer) => {
        deps.checkFhirServer(fhirServer, caller);
      },
    });
    // The caller's card profile (its trusted-issuer entry's `profile`), then the answer; the request time-out
    // (503) may have answered already.
    if (!res.headersSent) sendJson(res, 200, applyCardProfile(caller?.profile, response));
  });
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
