import type { Express } from 'express';
import request from 'supertest';
import { preshape } from '../../src/http/preshape.js';
import { CdsValidator } from '../../src/cds/validate.js';
import type { Card, CdsResponse } from '../../src/cds/types.js';
import { ALL_TOPICS, TOPIC_SYSTEM } from '../../src/pathway/topics.js';

/**
 * The only way tests talk to the service. Every answer is checked before the test sees it:
 *  - a hook answer (200) against the CDS Hooks 2.0.1 response schema, plus the pathway's own contract (topic
 *    Coding from our CodeSystem, one card per topic, unique uuids, summary under 140 characters);
 *  - discovery against its schema;
 *  - every non-2xx answer must be a JSON OperationOutcome with at least one issue.
 * So no test can pass with a malformed card or an HTML error page.
 */

const validator = new CdsValidator();

export interface Answer<T = unknown> {
  status: number;
  body: T;
  headers: Record<string, string>;
}

export function checkCards(body: unknown): asserts body is CdsResponse {
  const issues = validator.responseIssues(body as CdsResponse);
  if (issues.length > 0)
    throw new Error(`invalid CDS response: ${JSON.stringify(issues)}\n${JSON.stringify(body, null, 1).slice(0, 3000)}`);
  const cards = (body as CdsResponse).cards;
  const uuids = new Set<string>();
  const topics = new Set<string>();
  for (const card of cards) {
    const topic = card.source.topic;
    if (topic?.system !== TOPIC_SYSTEM || !(ALL_TOPICS as readonly string[]).includes(topic.code ?? ''))
      throw new Error(`card with unknown topic ${JSON.stringify(topic)}`);
    if (topics.has(topic.code as string)) throw new Error(`two cards for topic ${topic.code}`);
    topics.add(topic.code as string);
    for (const id of [card.uuid, ...(card.suggestions ?? []).map((s) => s.uuid)]) {
      if (uuids.has(id)) throw new Error(`uuid ${id} used twice`);
      uuids.add(id);
    }
    if (card.indicator !== 'info' && (card.overrideReasons ?? []).length === 0)
      throw new Error(`${topic.code}: a ${card.indicator} card needs overrideReasons`);
  }
}

function checkOperationOutcome(status: number, body: unknown, contentType: string | undefined): void {
  if (!(contentType ?? '').includes('json')) throw new Error(`${status} answered ${contentType ?? 'no content type'}, not JSON`);
  const oo = body as { resourceType?: string; issue?: { severity?: string; code?: string; diagnostics?: string }[] };
  if (oo.resourceType !== 'OperationOutcome' || !Array.isArray(oo.issue) || oo.issue.length === 0) {
    throw new Error(`${status} answered without an OperationOutcome: ${JSON.stringify(body).slice(0, 500)}`);
  }
  for (const i of oo.issue) {
    if (
      typeof i.severity !== 'string' ||
      typeof i.code !== 'string' ||
      typeof i.diagnostics !== 'string' ||
      i.diagnostics === ''
    ) {
      throw new Error(`OperationOutcome issue lacks severity, code or diagnostics: ${JSON.stringify(i)}`);
    }
    if (/\bat\s+\S+\s+\(.*:\d+:\d+\)/.test(i.diagnostics)) throw new Error(`stack trace in an error answer: ${i.diagnostics}`);
  }
}

function check(path: string, res: request.Response): Answer {
  const status = res.status;
  const body = res.body as unknown;
  const type = res.headers['content-type'];
  if (status >= 400) checkOperationOutcome(status, body, type);
  else if (status === 200 && /^\/cds-services\/[^/]+$/.test(path.split('?')[0] ?? '')) checkCards(body);
  else if (status === 200 && path === '/cds-services') {
    if (!validator.discovery(body)) throw new Error(`invalid discovery: ${JSON.stringify(validator.discovery.errors)}`);
  }
  return { status, body, headers: res.headers };
}

/** The service as `npm start` serves it: the Express app behind the request listener of src/server.ts (preshape). */
export function cds(express: Express) {
  const app = preshape(express);
  return {
    async get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
      return check(path, await request(app).get(path).set(headers));
    },
    async post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
      const req = request(app).post(path).set(headers);
      const res =
        typeof body === 'string'
          ? await req.set('content-type', headers['content-type'] ?? 'application/json').send(body)
          : await req.send(body as object);
      return check(path, res);
    },
    async hook(serviceId: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer<CdsResponse>> {
      return (await this.post(`/cds-services/${serviceId}`, body, headers)) as Answer<CdsResponse>;
    },
    async raw(
      method: 'get' | 'post' | 'put' | 'delete' | 'options' | 'patch',
      path: string,
      headers: Record<string, string> = {},
      body?: string,
    ): Promise<Answer> {
      let req = request(app)[method](path).set(headers);
      if (body !== undefined) req = req.send(body);
      return check(path, await req);
    },
  };
}

export function topicsOf(cards: readonly Card[]): string[] {
  return cards.map((c) => c.source.topic?.code ?? '').sort();
}

/**
 * A hook answer's cards without what differs on every call (uuids, and the test request's port in source.url),
 * to compare two answers for the same patient.
 */
export function normalisedCards(res: CdsResponse): unknown {
  return JSON.parse(
    JSON.stringify(res.cards)
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
      .replace(/http:\/\/127\.0\.0\.1:\d+\/pathway\//g, '<base>/pathway/'),
  ) as unknown;
}
