import { createServer } from 'node:http';
import { FIXED_CARD } from './fixed-card.js';

/**
 * The floor: a bare node:http server doing the same JSON round trip as a hook call, with no framework and no
 * logic — read the whole body, JSON.parse it, answer one fixed card. Every benchmark scenario is compared with
 * this server, measured in the same run on the same machine.
 */
const card = FIXED_CARD;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(card);
    } catch {
      res.writeHead(400).end();
    }
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
