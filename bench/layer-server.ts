import { createServer } from 'node:http';
import { loadServiceConfig } from '../src/config/service-config.js';
import { createLogger } from '../src/log.js';
import { buildService } from '../src/service.js';
import { preshape } from '../src/http/preshape.js';
import { TurnQueue } from '../src/http/turn-queue.js';

/**
 * The layers between the bare floor and the full service, measured with the same body as scenario (a):
 *   LAYER=call      node:http, read the body, JSON.parse, HookService.call, JSON.stringify, res.end: the pipeline
 *                   (validate, gather, index, facts, rules, cards) with the least HTTP around it; the calls of a
 *                   turn of the event loop run together, as the service runs them (src/http/turn-queue.ts);
 *   LAYER=call+log  the same and one pino access line per request, with the fields the service's line carries.
 * The full service (src/server.ts) is the third layer; the difference between the three is what the HTTP
 * framework, the middleware and the access line cost.
 */
const layer = process.env['LAYER'] ?? 'call';
const config = loadServiceConfig();
const log = createLogger({ level: layer === 'call+log' ? 'info' : 'silent' });
const service = await buildService(config, { log: createLogger({ level: layer === 'app' ? 'info' : 'silent' }) });
const noop = (): void => undefined;
const calls = new TurnQueue(noop);

const server =
  layer === 'app'
    ? createServer(preshape(service.app))
    : createServer((req, res) => {
        const chunks: Buffer[] = [];
        const startedAt = performance.now();
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          calls.defer(answer);
        });
        const answer = (): void => {
          const id = (req.url ?? '').slice('/cds-services/'.length);
          const fields: Record<string, unknown> = {};
          service.hooks
            .call(id, JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown, {
              log,
              annotate: layer === 'call+log' ? (f) => Object.assign(fields, f) : noop,
              now: new Date(),
              checkFhirServer: noop,
            })
            .then(
              (response) => {
                const text = JSON.stringify(response);
                res.writeHead(200, {
                  'content-type': 'application/json; charset=utf-8',
                  'content-length': Buffer.byteLength(text),
                });
                res.end(text);
                if (layer === 'call+log')
                  log.info(
                    {
                      reqId: 'bench',
                      method: req.method,
                      path: req.url,
                      status: 200,
                      ms: performance.now() - startedAt,
                      ...fields,
                    },
                    'request',
                  );
              },
              () => res.writeHead(500).end(),
            );
        };
      });
server.keepAliveTimeout = 5000;
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(
    `${JSON.stringify({ msg: `layer ${layer} listening`, port: typeof a === 'object' && a !== null ? a.port : 0 })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
