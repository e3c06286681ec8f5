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
  /** Where lines go; default: stdout (logDestination), written asynchronously so logging never blocks a request. */
  destination?: DestinationStream;
  /** Told of each line dropped because stdout is that far behind (LOG_BACKLOG_BYTES; counted in /metrics). */
  onDrop?: () => void;
}

/**
 * Bytes one write to stdout may carry. pino's default (sonic-boom's 16 KB) made the log fall behind under load:
 * a write's completion is seen once per turn of the event loop, a busy turn takes about 5 ms, and 32 concurrent
 * hook calls log more than 16 KB in that time, so the lines waiting grew without bound (the heap grew by about
 * 1 MB a second at 6,000 calls a second; docs/performance.md). Not larger: while lines wait, sonic-boom measures
 * each new line together with the waiting lines it joins, a copy of up to this many bytes per line.
 */
export const LOG_WRITE_BYTES = 64 * 1024;

/** Bytes of lines waiting for stdout beyond which a new line is dropped (and counted), so a stalled reader of the log cannot exhaust memory. */
export const LOG_BACKLOG_BYTES = 32 * 1024 * 1024;

/** pino's asynchronous destination (sonic-boom). */
export type LogStream = ReturnType<typeof pino.destination>;

/** Log lines to a file descriptor (stdout by default) or file, written asynchronously; pino flushes it on exit. */
export function logDestination(options: { dest?: number | string; onDrop?: () => void; maxLength?: number } = {}): LogStream {
  const stream = pino.destination({
    dest: options.dest ?? 1,
    sync: false,
    maxWrite: LOG_WRITE_BYTES,
    maxLength: options.maxLength ?? LOG_BACKLOG_BYTES,
  });
  const { onDrop } = options;
  if (onDrop !== undefined)
    stream.on('drop', () => {
      onDrop();
    });
  return stream;
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
  const destination = options.destination ?? logDestination(options.onDrop !== undefined ? { onDrop: options.onDrop } : {});
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
