import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './operation-outcome.js';

/** Called once with the parsed body (undefined for an empty one), or with the 400, 413 or 415 to answer. */
export type JsonBodyDone = (error: HttpError | undefined, body?: unknown) => void;

/** Called once with the body's text, or with the 400, 413 or 415 to answer. */
export type BodyTextDone = (error: HttpError | undefined, text?: string) => void;

/**
 * Reads a JSON request body's text: UTF-8 only, no content encoding, at most `limit` bytes (checked against
 * Content-Length before reading, and while reading). A lean replacement for express.json on the hook path (same
 * answers: 413, 400, 415), without per-request charset and type machinery. The hook handler parses the text
 * later, with the rest of the call (src/http/hook-handler.ts); readJsonBody below parses it at once.
 */
export function readBodyText(req: Request, limit: number, done: BodyTextDone): void {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity') {
    done(
      new HttpError(415, { code: 'not-supported', diagnostics: `Content-Encoding ${encoding.slice(0, 30)} is not supported` }),
    );
    return;
  }
  const charset = /charset=([^;\s]+)/i
    .exec(req.headers['content-type'] ?? '')?.[1]
    ?.toLowerCase()
    .replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    done(new HttpError(415, { code: 'not-supported', diagnostics: 'request body must be UTF-8 JSON' }));
    return;
  }
  const tooLarge = (): HttpError =>
    new HttpError(413, { code: 'too-long', diagnostics: `request body is larger than the limit of ${limit} bytes` });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    done(tooLarge());
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let failed = false;
  const fail = (err: HttpError): void => {
    if (failed) return;
    failed = true;
    req.off('data', onData);
    req.resume();
    done(err);
  };
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > limit) fail(tooLarge());
    else chunks.push(chunk);
  };
  const cutShort = (): void => {
    fail(new HttpError(400, { code: 'incomplete', diagnostics: 'request body was cut short' }));
  };
  req.on('data', onData);
  req.once('aborted', cutShort);
  req.once('error', cutShort);
  req.once('end', () => {
    if (failed) return;
    failed = true;
    const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
    // The request keeps this scope while it is answered; emptied, the body's Buffers are garbage at once instead
    // of being kept (outside the JS heap) until a full collection, long after the answer.
    chunks.length = 0;
    done(undefined, text);
  });
}

/** A body's text parsed as JSON: undefined for an empty one, or the 400 of text that is not JSON. */
export function parseJsonText(text: string): { error: HttpError } | { body: unknown } {
  try {
    return { body: text.trim() === '' ? undefined : (JSON.parse(text) as unknown) };
  } catch {
    return { error: new HttpError(400, { code: 'structure', diagnostics: 'request body is not valid JSON' }) };
  }
}

/** Reads a JSON request body (readBodyText) and parses it at once (parseJsonText). */
export function readJsonBody(req: Request, limit: number, done: JsonBodyDone): void {
  readBodyText(req, limit, (error, text) => {
    if (error !== undefined) {
      done(error);
      return;
    }
    const parsed = parseJsonText(text ?? '');
    if ('error' in parsed) done(parsed.error);
    else done(undefined, parsed.body);
  });
}

/** The middleware form of readJsonBody: the body in `req.body`. */
export function jsonBody(limit: number) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    readJsonBody(req, limit, (error, body) => {
      if (error !== undefined) {
        next(error);
        return;
      }
      req.body = body;
      next();
    });
  };
}

/**
 * Answers a JSON body: serialised once, its length counted (Buffer.byteLength: no encoded copy is made to measure
 * it), written with one `res.end` of the string; no ETag or freshness work.
 */
export function sendJson(res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text, 'utf8'));
  res.end(text, 'utf8');
}
