import express from 'express';
import { referenceAnswer } from './reference-answer.js';

/**
 * A second reference: the framework's floor. Express with express.json, doing the same JSON round trip as the
 * baseline (parse the body, serialise the same answer), and nothing else. The gap between the baseline and this
 * server is what the framework costs on this machine; the gap between this server and the service is ours.
 */
const app = express();
app.disable('x-powered-by');
app.disable('etag');
const answer = referenceAnswer();
app.post('/cds-services/:id', express.json({ limit: '5mb' }), (_req, res) => {
  res.json(answer);
});
const server = app.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(
    `${JSON.stringify({ msg: 'express floor listening', port: typeof a === 'object' && a !== null ? a.port : 0 })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
