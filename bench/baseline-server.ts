import { createServer } from 'node:http';
import { referenceAnswer } from './reference-answer.js';

/**
 * The floor: a bare node:http server doing the same JSON round trip as a hook call, with no framework and no
 * logic — read the whole body, JSON.parse it, JSON.stringify the service's answer to that scenario (the same
 * bytes out; bench/reference-answer.ts) and send it. Every benchmark scenario is compared with this server, measured in
 * the same run on the same machine.
 */
const answer = referenceAnswer();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const text = JSON.stringify(answer);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
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
