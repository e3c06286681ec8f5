import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './operation-outcome.js';

/**
 * Reads a JSON request body: UTF-8 only, no content encoding, at most `limit` bytes (checked against
 * Content-Length before reading, and while reading), parsed once with JSON.parse. A lean replacement for
 * express.json on the hook path (same answers: 413, 400, 415), without per-request charset and type machinery.
 */
export function jsonBody(limit: number) {
  const tooLarge = (): HttpError =>
    new HttpError(413, { code: 'too-long', diagnostics: `request body is larger than the limit of ${limit} bytes` });
  return (req: Request, _res: Response, next: NextFunction): void => {
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      next(
        new HttpError(415, { code: 'not-supported', diagnostics: `Content-Encoding ${encoding.slice(0, 30)} is not supported` }),
      );
      return;
    }
    const charset = /charset=([^;\s]+)/i
      .exec(req.headers['content-type'] ?? '')?.[1]
      ?.toLowerCase()
      .replace(/"/g, '');
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      next(new HttpError(415, { code: 'not-supported', diagnostics: 'request body must be UTF-8 JSON' }));
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      next(tooLarge());
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
      next(err);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) fail(tooLarge());
      else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('aborted', () => {
      fail(new HttpError(400, { code: 'incomplete', diagnostics: 'request body was cut short' }));
    });
    req.once('error', () => {
      fail(new HttpError(400, { code: 'incomplete', diagnostics: 'request body was cut short' }));
    });
    req.once('end', () => {
      if (failed) return;
      const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
      try {
        req.body = text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
      } catch {
        failed = true;
        next(new HttpError(400, { code: 'structure', diagnostics: 'request body is not valid JSON' }));
        return;
      }
      next();
    });
  };
}

/** Answers a JSON body that is already a string: no re-serialising, no ETag or freshness work. */
export function sendJson(res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
