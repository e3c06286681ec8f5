import type { Request, Response } from 'express';
import type { CdsResponse } from '../cds/types.js';
import type { Logger } from '../log.js';
import type { CorsPolicy } from './cors.js';
import { answerError, sendError } from './errors.js';
import { parseJsonText, readBodyText, sendJson } from './json-body.js';
import type { HttpError } from './operation-outcome.js';
import type { Awaitable } from './rate-limit.js';
import { startRequest } from './request-context.js';
import { armTimeout } from './timeout.js';
import { TurnQueue } from './turn-queue.js';

/**
 * POST /cds-services/{id} matched as the `:id` route of the CDS router matches it (case-sensitive, one trailing
 * slash allowed). Without a capture group: the router would decode it before any piece ran (a path that is not
 * valid percent-encoding would then miss the request id and the access line); the handler decodes the id itself,
 * where the CDS router did, and sets `req.params.id`.
 */
export const HOOK_PATH = /^\/cds-services\/[^/]+\/?$/;

const PREFIX = '/cds-services/'.length;

/**
 * The request bodies one batch of hook calls may add up to (characters of JSON): 32 typical calls with full
 * prefetch (4 KB each) run as one batch; a record of hundreds of KB runs alone, as batching such records raised
 * their CPU by half (docs/performance.md).
 */
const BATCH_BODY_CHARS = 256 * 1024;

/** The service id of a hook path, decoded as the router decodes a parameter (a URIError with status 400). */
function serviceIdOf(path: string): string {
  const segment = path.endsWith('/') ? path.slice(PREFIX, -1) : path.slice(PREFIX);
  try {
    return decodeURIComponent(segment);
  } catch (err) {
    if (err instanceof URIError) Object.assign(err, { status: 400 });
    throw err;
  }
}

/** The pieces of the HTTP pipeline the hook handler runs, each the same function the middleware chain uses. */
export interface HookHandlerDeps {
  /** The service's logger: request id, X-Request-Id and the access line (startRequest). */
  log: Logger;
  /** Counts the request in the metrics once it is answered (src/http/ops.ts countRequests). */
  countRequest: (req: Request, res: Response) => void;
  /** CORS headers on every answer (a POST is never a preflight). */
  cors: Pick<CorsPolicy, 'headers'>;
  /** The per-address rate limit and its RateLimit headers: the 429 to answer, or undefined (limitAddress). */
  limitAddress: (req: Request, res: Response) => Awaitable<HttpError | undefined>;
  /** REQUEST_TIMEOUT_MS: answers 503 and aborts `req.abort` (armTimeout). */
  timeoutMs: number;
  /** Sets `req.caller`; a promise that rejects with the 401 or 429 to answer, or undefined when decided at once. */
  authenticate: (req: Request, res: Response) => Promise<void> | undefined;
  /** The 404 of an unknown service id. */
  unknownService: (id: string) => HttpError | undefined;
  /** The 415 of a body that is not declared as JSON. */
  notJson: (req: Request) => HttpError | undefined;
  /** BODY_LIMIT (413 above it). */
  bodyLimit: number;
  /** The hook call itself (src/cds/routes.ts hookCall). */
  call: (req: Request, body: unknown) => Promise<CdsResponse>;
}

/**
 * The hook calls' one handler. It does what the middleware chain does for every other route, in the same order
 * and with the same answers: request id and access line -> request metrics -> CORS headers -> per-address rate limit (429) ->
 * time-out (503) -> the service id decoded (400) -> authentication (401, 429 per issuer) -> unknown service (404) -> JSON only (415) -> the
 * body (413, 400) -> the hook call, parsed and run with the other calls of the same turn of the event loop
 * (src/http/turn-queue.ts) -> the answer, serialised once; any error as an OperationOutcome. It skips
 * the chain itself (the router's walk through the layers of every other route, one `next()` per piece); on this
 * machine that was within the noise of CPU per request (docs/performance.md), and it makes each piece a function
 * that a leaner HTTP frame could call.
 *
 * A piece added to the chain in src/app.ts for every route must be added here too, to reach the hook calls.
 */
export function hookHandler(deps: HookHandlerDeps): (req: Request, res: Response) => void {
  const { log } = deps;
  const fail = (req: Request, res: Response, err: unknown): void => {
    answerError(err, res, () => req.log);
  };

  // The calls of one turn of the event loop run together, after its requests are read (src/http/turn-queue.ts),
  // up to BATCH_BODY_CHARS of request bodies. Each queued call answers its own errors; this logs only a failure
  // to answer one.
  const calls = new TurnQueue((err) => {
    log.error({ err }, 'unexpected error');
  }, BATCH_BODY_CHARS);

  const answer = (req: Request, res: Response, body: unknown): void => {
    // Timed out (503 answered) or the client gone while queued: nothing is left to answer.
    if (req.abort?.aborted === true) return;
    let pending: Promise<CdsResponse>;
    try {
      pending = deps.call(req, body);
    } catch (err) {
      fail(req, res, err);
      return;
    }
    pending.then(
      (response) => {
        if (!res.headersSent) sendJson(res, 200, response); // the time-out (503) may have answered already
      },
      (err: unknown) => {
        fail(req, res, err);
      },
    );
  };

  const authenticated = (req: Request, res: Response): void => {
    const refused = deps.unknownService(String(req.params['id'] ?? '')) ?? deps.notJson(req);
    if (refused !== undefined) {
      sendError(res, refused);
      return;
    }
    readBodyText(req, deps.bodyLimit, (error, text) => {
      if (error !== undefined) {
        sendError(res, error);
        return;
      }
      // Parsed with the rest of the call, in the turn's batch of calls.
      calls.defer(() => {
        try {
          const parsed = parseJsonText(text ?? '');
          if ('error' in parsed) sendError(res, parsed.error);
          else answer(req, res, parsed.body);
        } catch (err) {
          fail(req, res, err);
        }
      }, text?.length ?? 0);
    });
  };

  const allowed = (req: Request, res: Response, refused: HttpError | undefined): void => {
    if (refused !== undefined) {
      sendError(res, refused);
      return;
    }
    armTimeout(req, res, deps.timeoutMs);
    let pending: Promise<void> | undefined;
    try {
      req.params = { id: serviceIdOf(req.path) };
      pending = deps.authenticate(req, res);
    } catch (err) {
      fail(req, res, err);
      return;
    }
    if (pending === undefined) authenticated(req, res);
    else
      pending.then(
        () => {
          authenticated(req, res);
        },
        (err: unknown) => {
          fail(req, res, err);
        },
      );
  };

  return (req, res) => {
    startRequest(req, res, log);
    deps.countRequest(req, res);
    deps.cors.headers(req, res);
    let limited: Awaitable<HttpError | undefined>;
    try {
      limited = deps.limitAddress(req, res);
    } catch (err) {
      fail(req, res, err);
      return;
    }
    if (limited instanceof Promise)
      limited.then(
        (refused) => {
          allowed(req, res, refused);
        },
        (err: unknown) => {
          fail(req, res, err);
        },
      );
    else allowed(req, res, limited);
  };
}
