import type { IncomingMessage, ServerResponse } from 'node:http';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Every own property Express (app.handle, its router, parseurl), the hook handler and the rest of this service add
 * to a request, in the order they add them, each with the value a read gives before it is added (undefined; the
 * event count, 0, is read from the prototype until the first listener). tests/cds/preshape.test.ts fails when a
 * hook call adds one that is not here.
 */
export const REQUEST_FIELDS = {
  res: undefined,
  next: undefined,
  baseUrl: undefined,
  originalUrl: undefined,
  _parsedUrl: undefined,
  route: undefined,
  params: undefined,
  id: undefined,
  startedAt: undefined,
  logFields: undefined,
  baseLog: undefined,
  abort: undefined,
  caller: undefined,
  requestLog: undefined,
  body: undefined,
  _eventsCount: 0,
} as const;

/** The same for the response: Express's `locals`, and what Node's writeHead sets (the prototype's 200 until then). */
export const RESPONSE_FIELDS: Readonly<Record<string, unknown>> = {
  locals: undefined,
  statusCode: 200,
  statusMessage: undefined,
};

/** The router's own symbol for the matched route: module-private, so it is read from the first requests. */
const ROUTE_SYMBOL = 'router.tracing.matchedRoute';
let routeSymbol: symbol | undefined;
let symbolLookups = 0;

/** A request and a response with the fields given here (all optional: the types of Express and the service own them). */
type Shaped = IncomingMessage & Partial<Record<keyof typeof REQUEST_FIELDS, unknown>>;
type ShapedResponse = Omit<ServerResponse, 'statusMessage'> & { statusMessage?: string; locals?: unknown };

/**
 * Gives each request and response, before Express sees them, the properties that would otherwise be added to them
 * one by one later. Express changes the prototype of both (app.handle); V8 then gives every property added
 * afterwards a hidden class of its own for each request, so that every later read and write of them, in Express,
 * in Node's HTTP code and here, misses its inline cache. Added before the prototype changes, the properties keep
 * one hidden class for every request (docs/performance.md: about a fifth of the CPU of a hook call). Nothing reads
 * differently: each field holds what reading it gave anyway. Written out, not looped: each store is then one
 * cached transition.
 */
export function preshape(app: Listener): Listener {
  return (request, response) => {
    const req: Shaped = request;
    req.res = undefined;
    req.next = undefined;
    req.baseUrl = undefined;
    req.originalUrl = undefined;
    req._parsedUrl = undefined;
    req.route = undefined;
    req.params = undefined;
    req.id = undefined;
    req.startedAt = undefined;
    req.logFields = undefined;
    req.baseLog = undefined;
    req.abort = undefined;
    req.caller = undefined;
    req.requestLog = undefined;
    req.body = undefined;
    req._eventsCount = 0;
    if (routeSymbol !== undefined) Reflect.set(req, routeSymbol, undefined);
    else if (symbolLookups < 10) {
      symbolLookups++;
      response.once('finish', () => {
        routeSymbol ??= Object.getOwnPropertySymbols(req).find((s) => s.description === ROUTE_SYMBOL);
      });
    }
    const res: ShapedResponse = response;
    res.locals = undefined;
    res.statusCode = 200;
    res.statusMessage = undefined; // Node's writeHead fills it in
    app(request, response);
  };
}
