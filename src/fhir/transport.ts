import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { type Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Agent } from 'undici';
import { isForbiddenAddress, isUnder } from '../security/fhir-server-policy.js';

/**
 * The connection to a CDS client's FHIR server, and what guards it; nothing here knows about FHIR searches:
 *  - the DNS guard: every connection re-checks the addresses its host name resolves to, so a name that resolves to
 *    a metadata or link-local address is refused even when the URL looked fine;
 *  - token scoping: the Bearer token is added to a request only when its URL is under fhirServer (and only when the
 *    client gave one: an open server is called without);
 *  - a bounded answer: at most `maxBytes` of body, counted after decompression while the stream is read, so a
 *    gzip bomb is stopped after `maxBytes` and never inflates in memory.
 * Paging, redirects and what a status means: fhir-client.ts.
 */

export interface FhirAccess {
  baseUrl: string;
  /** Absent for an open server (fhirServer without fhirAuthorization). */
  accessToken?: string;
}

export interface TransportOptions {
  /** Largest answer body in bytes, decompressed (FHIR_MAX_RESPONSE_BYTES). */
  maxBytes: number;
  /** Refuse connections to these addresses (default: link-local and cloud metadata). */
  forbiddenAddress?: (address: string) => boolean;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Absolute URL. */
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpAnswer {
  status: number;
  /** The Location header of a redirect. */
  location?: string;
  /** The body as text (decompressed); empty for a redirect. */
  text: string;
}

/** Why the transport could not give an answer (fhir-client.ts turns it into a FhirQueryError). */
export class TransportError extends Error {
  constructor(
    readonly kind: 'forbidden-address' | 'unreachable' | 'too-large' | 'bad-encoding' | 'aborted',
    detail: string,
  ) {
    super(detail);
    this.name = 'TransportError';
  }
}

const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

export class GuardedTransport {
  private readonly dispatcher: Agent;

  constructor(private readonly options: TransportOptions) {
    const forbidden = options.forbiddenAddress ?? isForbiddenAddress;
    this.dispatcher = new Agent({
      keepAliveTimeout: 10_000,
      connections: 32,
      connect: {
        lookup: (hostname, opts, callback) => {
          dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
            if (err) {
              callback(err, '', 4);
              return;
            }
            const list = addresses;
            if (list.some((a) => forbidden(a.address))) {
              callback(
                Object.assign(new Error('refused: the FHIR server resolves to a forbidden address'), { code: 'EFORBIDDEN' }),
                '',
                4,
              );
              return;
            }
            if ((opts as { all?: boolean }).all === true)
              (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
            else callback(null, list[0]?.address ?? '', list[0]?.family ?? 4);
          });
        },
      },
    });
  }

  /** One request; no redirect is followed here. */
  async send(access: FhirAccess, request: HttpRequest, signal: AbortSignal): Promise<HttpAnswer> {
    const url = new URL(request.url);
    const headers: Record<string, string> = {
      accept: 'application/fhir+json, application/json;q=0.9',
      'accept-encoding': 'gzip, deflate, br',
      ...request.headers,
    };
    // The token goes to fhirServer and nowhere else, whatever the URL came from.
    if (access.accessToken !== undefined && isUnder(request.url, access.baseUrl))
      headers['authorization'] = `Bearer ${access.accessToken}`;
    let answer;
    try {
      answer = await this.dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        signal,
      });
    } catch (err) {
      throw connectionError(err, signal);
    }
    const status = answer.statusCode;
    if (status >= 300 && status < 400) {
      discard(answer.body);
      const location = answer.headers['location'];
      return { status, text: '', ...(typeof location === 'string' ? { location } : {}) };
    }
    const length = Number(answer.headers['content-length']);
    if (Number.isFinite(length) && length > this.options.maxBytes) {
      discard(answer.body);
      throw tooLarge(this.options.maxBytes);
    }
    const encoding = String(answer.headers['content-encoding'] ?? 'identity')
      .trim()
      .toLowerCase();
    return { status, text: await this.readBounded(answer.body, encoding, signal) };
  }

  /** The body, decompressed, stopped as soon as it passes maxBytes. */
  private async readBounded(body: Readable, encoding: string, signal: AbortSignal): Promise<string> {
    const max = this.options.maxBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > max) {
          callback(tooLarge(max));
          return;
        }
        chunks.push(chunk);
        callback();
      },
    });
    const identity = encoding === 'identity' || encoding === '';
    const makeDecoder = DECODERS[encoding];
    if (!identity && makeDecoder === undefined) {
      discard(body);
      throw new TransportError('bad-encoding', `the FHIR server sent an unsupported Content-Encoding (${encoding.slice(0, 20)})`);
    }
    try {
      // pipeline destroys every stream at the first error: a body over the cap stops being read (and inflated).
      if (makeDecoder === undefined) await pipeline(body, sink);
      else await pipeline(body, makeDecoder(), sink);
    } catch (err) {
      if (err instanceof TransportError) throw err;
      if (isZlibError(err)) throw new TransportError('bad-encoding', 'the FHIR server sent a body that does not decompress');
      throw connectionError(err, signal);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** Stops reading a body that is not wanted (its abort error is expected, not an unhandled one). */
function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

function tooLarge(max: number): TransportError {
  return new TransportError('too-large', `the answer is larger than ${max} bytes (FHIR_MAX_RESPONSE_BYTES)`);
}

function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

function connectionError(err: unknown, signal: AbortSignal): TransportError {
  if (signal.aborted) return new TransportError('aborted', 'aborted');
  const e = err as { code?: string; cause?: { code?: string } } | null;
  const code = e?.code ?? e?.cause?.code;
  if (code === 'EFORBIDDEN') return new TransportError('forbidden-address', 'fhirServer resolves to a forbidden address');
  const named = code !== undefined && /^[A-Z][A-Z_]+$/.test(code) ? ` (${code})` : '';
  return new TransportError('unreachable', `the FHIR server could not be reached or closed the connection${named}`);
}
