import express, { type Request, type Response, type Router } from 'express';
import type { Bundle, CodeSystem, ValueSet } from 'fhir/r4.js';
import { HttpError } from '../http/operation-outcome.js';
import type { KnowledgeResources } from '../knowledge/fhir-knowledge.js';
import type { PathwaySite } from './pathway-site.js';

/**
 * GET /pathway and /pathway/<topic>: the pathway site (HTML). GET /fhir/CodeSystem/<id> and /fhir/ValueSet/<id>:
 * the pathway's knowledge as FHIR R4 resources at their canonical paths, and /fhir/CodeSystem, /fhir/ValueSet as
 * searchset Bundles (`?url=` finds one by canonical URL). None of them holds patient data, so none needs a JWT:
 * an informaticist opens them in a browser, and a terminology server loads them.
 */
export interface SiteRoutesDeps {
  site: PathwaySite;
  knowledge: KnowledgeResources;
  /** PUBLIC_BASE_URL: its path is the prefix of every link of the pages. */
  publicBaseUrl?: string;
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const HTML = 'text/html; charset=utf-8';

function sendHtml(res: Response, body: string): void {
  res.status(200).set({ 'Content-Type': HTML, 'Cache-Control': 'public, max-age=60' }).send(body);
}

function sendFhir(res: Response, resource: object): void {
  res.status(200).set({ 'Content-Type': FHIR_JSON, 'Cache-Control': 'public, max-age=300' }).send(JSON.stringify(resource));
}

function searchset<T extends CodeSystem | ValueSet>(resources: readonly T[], base: string): Bundle<T> {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: resources.length,
    entry: resources.map((resource) => ({
      fullUrl: `${base}/${resource.resourceType}/${resource.id ?? ''}`,
      resource,
      search: { mode: 'match' },
    })),
  };
}

function notHere(what: string): HttpError {
  return new HttpError(404, { code: 'not-found', diagnostics: `no ${what} here; GET /pathway lists the topics` });
}

export function siteRoutes(deps: SiteRoutesDeps): Router {
  const router = express.Router({ caseSensitive: true, strict: false });
  const prefix = deps.publicBaseUrl !== undefined ? new URL(deps.publicBaseUrl).pathname.replace(/\/+$/, '') : '';
  const fhirBase = (req: Request): string =>
    `${deps.publicBaseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`}/fhir`;

  router.get('/pathway', (_req, res) => {
    sendHtml(res, deps.site.index(prefix));
  });
  router.get('/pathway/:topic', async (req, res) => {
    const topic = req.params.topic;
    if (!deps.site.hasTopic(topic)) throw notHere(`topic "${topic.slice(0, 64)}"`);
    sendHtml(res, await deps.site.topic(topic, prefix));
  });

  const kinds = [
    ['CodeSystem', deps.knowledge.codeSystems],
    ['ValueSet', deps.knowledge.valueSets],
  ] as const;
  for (const [type, byId] of kinds) {
    router.get(`/fhir/${type}`, (req, res) => {
      const url = typeof req.query['url'] === 'string' ? req.query['url'] : undefined;
      const all: (CodeSystem | ValueSet)[] = [...byId.values()];
      sendFhir(res, searchset(url === undefined ? all : all.filter((r) => r.url === url), fhirBase(req)));
    });
    router.get(`/fhir/${type}/:id`, (req, res) => {
      const id = req.params.id;
      const resource = byId.get(id);
      if (resource === undefined) throw notHere(`${type} "${id.slice(0, 64)}"`);
      sendFhir(res, resource);
    });
  }
  return router;
}
