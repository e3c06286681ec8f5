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

export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level: options.level,
      base: { service: 'hip-pain-cds' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
