import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured logs. The service never logs tokens, JWTs, request bodies or anything that identifies a patient
 * (ids, names, dates, codes of one patient); the redaction below is only a second line of defence.
 */
export const REDACTED_PATHS = [
  // Exact paths only: wildcard paths make pino inspect every log line deeply, on the request path.
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'fhirAuthorization',
  'access_token',
  'token',
  'jwt',
  'prefetch',
  'context',
];

export interface LoggerOptions {
  level: string;
  /** Where lines go; default: stdout, written asynchronously so logging never blocks a request. */
  destination?: DestinationStream;
}

/**
 * pino's ISO time (`,"time":"2026-12-01T12:00:00.000Z"`), formatted once per millisecond: under load many lines
 * share one, and formatting a date is most of what a line's time costs.
 */
let lastMs = NaN;
let lastTime = '';
export function isoTime(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastTime = `,"time":"${new Date(ms).toISOString()}"`;
  }
  return lastTime;
}

export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level: options.level,
      base: { service: 'hip-pain-cds' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
