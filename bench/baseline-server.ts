import { createServer } from 'node:http';
import { TurnQueue } from '../src/http/turn-queue.js';
import { referenceAnswer } from './reference-answer.js';

/**
 * The floor: a bare node:http server doing the same JSON round trip as a hook call, with no framework and no
 * logic — read the whole body, JSON.parse it, JSON.stringify the service's answer to that scenario (the same
 * bytes out; bench/reference-answer.ts) and send it. Every benchmark scenario is compared with this server, measured in
 * the same run on the same machine.
 *
 * BATCH=1: the same, with the round trips of one turn of the event loop run together as the service runs its hook
 * calls (src/http/turn-queue.ts): what that batching alone gains a server that does nothing else, shown beside the
 * floor so that the service's ratio can be read against both.
 */
const answer = referenceAnswer();
const batch = process.env['BATCH'] === '1' ? new TurnQueue(() => undefined) : undefined;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  const respond = (): void => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const text = JSON.stringify(answer);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    } catch {
      res.writeHead(400).end();
    }
  };
  req.on('end', () => {
    if (batch !== undefined) batch.defer(respond);
    else respond();
  });
});
server.keepAliveTimeout = 5000;
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(
    `${JSON.stringify({ msg: 'baseline listening', port: typeof a === 'object' && a !== null ? a.port : 0 })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
