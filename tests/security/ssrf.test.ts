import type { CdsRequest } from '../../src/cds/types.js';
import { FhirHttpFetcher } from '../../src/fhir/fhir-client.js';
import {
  allowlistEntryProblem,
  isForbiddenAddress,
  isForbiddenHost,
  isUnder,
  normaliseBaseUrl,
} from '../../src/security/fhir-server-policy.js';
import { cds, type Answer } from '../helpers/cds-client.js';
import { validPatientView } from '../helpers/requests.js';
import { testService, type TestService } from '../helpers/service.js';
import {
  fhirServerForbidden,
  first,
  sendJson,
  startFhirServer,
  startLocal,
  type FhirServerControl,
  type LocalServer,
} from './support.js';

/**
 * Server-side request forgery: which fhirServer the service calls, and where its requests may go. The real
 * service with authentication off (the default allowlist: loopback only), a real FHIR server on 127.0.0.1 and a
 * second server on another port standing for "another host" that counts every request it gets.
 */

const SERVICE = '/cds-services/hip-pain-patient-view';
const TOKEN = 'ssrf-test-access-token';

let fhir: FhirServerControl;
let elsewhere: LocalServer;
let service: TestService;

beforeAll(async () => {
  fhir = await startFhirServer({ id: 'pat-ssrf', family: 'Ssrfson', given: 'Bo' });
  elsewhere = await startLocal((_req, res) => {
    sendJson(res, 200, { resourceType: 'Bundle', type: 'searchset', entry: [] });
  });
  service = await testService({ RATE_LIMIT_PER_ADDRESS: '0', FHIR_TIMEOUT_MS: '2000' });
});
afterAll(async () => {
  await service.close();
  await fhir.close();
  await elsewhere.close();
});
beforeEach(() => {
  fhir.mode = { kind: 'data' };
});

/** A patient-view call without prefetch: everything must come from fhirServer. */
function fetchingRequest(fhirServer: string): CdsRequest {
  const body = validPatientView(service.registry);
  delete body.prefetch;
  body.fhirServer = fhirServer;
  body.fhirAuthorization = { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'cds' };
  return body;
}

const call = (body: unknown, svc: TestService = service): Promise<Answer> => cds(svc.app).post(SERVICE, body);

describe('authentication off: the default allowlist is this machine only', () => {
  test('a loopback FHIR server is called, with the token, and nothing else is', async () => {
    const before = fhir.hits.length;
    const res = await call(fetchingRequest(`${fhir.url}/fhir`));
    expect(res.status).toBe(200);
    const hits = fhir.hits.slice(before);
    expect(hits.length).toBeGreaterThanOrEqual(8);
    expect(hits.every((h) => h.authorization === `Bearer ${TOKEN}` && h.path.startsWith('/fhir/'))).toBe(true);
  });

  test.each([
    ['http://10.1.2.3/fhir', 'it is not on the allowlist (ALLOWED_FHIR_SERVERS)'],
    ['https://ehr.example.org/fhir', 'it is not on the allowlist (ALLOWED_FHIR_SERVERS)'],
    ['http://127.0.0.1.nip.io/fhir', 'it is not on the allowlist (ALLOWED_FHIR_SERVERS)'],
    ['http://169.254.169.254/latest/meta-data', 'link-local and cloud metadata addresses are never called'],
    ['http://169.254.169.254./latest', 'link-local and cloud metadata addresses are never called'],
    ['http://0xA9FEA9FE/latest', 'link-local and cloud metadata addresses are never called'],
    ['http://2852039166/latest', 'link-local and cloud metadata addresses are never called'],
    ['http://0251.0376.0251.0376/latest', 'link-local and cloud metadata addresses are never called'],
    ['http://[::ffff:169.254.169.254]/latest', 'link-local and cloud metadata addresses are never called'],
    ['http://[::ffff:a9fe:a9fe]/latest', 'link-local and cloud metadata addresses are never called'],
    ['http://[64:ff9b::a9fe:a9fe]/latest', 'link-local and cloud metadata addresses are never called'],
    ['http://[fd00:ec2::254]/latest', 'link-local and cloud metadata addresses are never called'],
    ['http://[fe80::1]/fhir', 'link-local and cloud metadata addresses are never called'],
    ['http://metadata.google.internal/computeMetadata/v1', 'link-local and cloud metadata addresses are never called'],
    ['http://100.100.100.200/latest', 'link-local and cloud metadata addresses are never called'],
    ['http://0.0.0.0:8080/fhir', 'link-local and cloud metadata addresses are never called'],
    ['http://user:secret@127.0.0.1:8080/fhir', 'it must be an http(s) URL without credentials'],
    ['http://127.0.0.1:8080@169.254.169.254/fhir', 'it must be an http(s) URL without credentials'],
    ['http://127.0.0.1:8080/fhir?x=1', 'a base URL has no query or fragment'],
    ['http://127.0.0.1:8080/fhir#frag', 'a base URL has no query or fragment'],
  ])('%s answers 412 forbidden: %s', async (fhirServer, why) => {
    const before = fhir.hits.length + elsewhere.hits.length;
    const res = await call(fetchingRequest(fhirServer));
    expect(res.status).toBe(412);
    expect(res.body).toEqual(fhirServerForbidden(why));
    expect(JSON.stringify(res.body)).not.toContain('secret');
    expect(fhir.hits.length + elsewhere.hits.length).toBe(before);
  });
});

describe('redirects, next links and name resolution never lead elsewhere', () => {
  test('a redirect to the cloud metadata address is not followed: 412 naming the query', async () => {
    fhir.mode = { kind: 'redirect', location: 'http://169.254.169.254/latest/meta-data', only: /\/Patient\// };
    const res = await call(fetchingRequest(`${fhir.url}/fhir`));
    expect(res.status).toBe(412);
    const issue = first(res.body);
    expect(issue).toMatchObject({ severity: 'error', code: 'forbidden', expression: ['prefetch.patient'] });
    expect(issue.diagnostics).toMatch(
      /^could not get prefetch\.patient from fhirServer \(Patient\/\{\{context\.patientId\}\}\): the FHIR server redirected \(302\) outside fhirServer/,
    );
    // Had the redirect been followed, the answer would be an unreachable/time-out 412 (code transient or
    // timeout), not "forbidden": the request never left for 169.254.169.254.
    const logged = service.logs
      .lines()
      .filter((l) => l['reqId'] === res.headers['x-request-id'] && l['msg'] === 'FHIR query failed');
    expect(logged).toEqual([expect.objectContaining({ prefetchKey: 'patient', reason: 'not-allowed' })]);
  });

  test('a redirect to another host is not followed, and that host gets nothing (not the token either)', async () => {
    fhir.mode = { kind: 'redirect', location: `${elsewhere.url}/fhir/Patient/x`, only: /\/Patient\// };
    const before = elsewhere.hits.length;
    const res = await call(fetchingRequest(`${fhir.url}/fhir`));
    expect(res.status).toBe(412);
    expect(first(res.body)).toMatchObject({ code: 'forbidden', expression: ['prefetch.patient'] });
    expect(elsewhere.hits.length).toBe(before);
  });

  test('a redirect to the same host outside the fhirServer path is not followed either', async () => {
    fhir.mode = { kind: 'redirect', location: '/admin/secrets', only: /\/Patient\// };
    const res = await call(fetchingRequest(`${fhir.url}/fhir`));
    expect(res.status).toBe(412);
    expect(first(res.body)).toMatchObject({ code: 'forbidden', expression: ['prefetch.patient'] });
    expect(fhir.hits.some((h) => h.path.startsWith('/admin'))).toBe(false);
  });

  test("a next link in the FHIR server's answer pointing elsewhere is not followed", async () => {
    fhir.mode = { kind: 'next', url: `${elsewhere.url}/steal?page=2`, only: /\/Condition/ };
    const before = elsewhere.hits.length;
    const res = await call(fetchingRequest(`${fhir.url}/fhir`));
    expect(res.status).toBe(412);
    expect(first(res.body)).toMatchObject({ code: 'forbidden', expression: ['prefetch.conditions'] });
    expect(first(res.body).diagnostics).toContain('a next link points outside fhirServer; it was not followed');
    expect(elsewhere.hits.length).toBe(before);
  });

  test('a host name that resolves to a forbidden address is refused at connect time (412 forbidden), nothing is sent', async () => {
    // The real fetcher, told that loopback is forbidden too, so that `localhost` (resolved through the system
    // resolver, no network) stands for a name that resolves to a metadata address.
    const strict = await testService(
      { RATE_LIMIT_PER_ADDRESS: '0' },
      {
        fetcher: new FhirHttpFetcher({
          maxPages: 5,
          pageSize: 200,
          forbiddenAddress: (a) => isForbiddenAddress(a) || a === '127.0.0.1' || a === '::1',
        }),
      },
    );
    try {
      const before = fhir.hits.length;
      const res = await call(fetchingRequest(`http://localhost:${fhir.port}/fhir`), strict);
      expect(res.status).toBe(412);
      expect(first(res.body)).toMatchObject({ code: 'forbidden' });
      expect(first(res.body).diagnostics).toContain('fhirServer resolves to a forbidden address');
      expect(fhir.hits.length).toBe(before);
    } finally {
      await strict.close();
    }
  });

  test('a next link in the *client-sent* prefetch pointing elsewhere is not followed (nothing reaches the other host; its type is unknown)', async () => {
    const body = validPatientView(service.registry);
    const prefetch = body.prefetch as Record<string, unknown>;
    prefetch['conditions'] = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [],
      link: [{ relation: 'next', url: `${elsewhere.url}/steal` }],
    };
    body.fhirServer = `${fhir.url}/fhir`;
    body.fhirAuthorization = {
      access_token: TOKEN,
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'user/*.read',
      subject: 'cds',
    };
    const before = elsewhere.hits.length;
    const res = await call(body);
    expect(elsewhere.hits.length).toBe(before);
    // Partial data is an answer: Condition is unknown, and no rule that needs it runs.
    expect(res.status).toBe(200);
    const topics = (res.body as { cards: { source: { topic?: { code?: string } } }[] }).cards.map((c) => c.source.topic?.code);
    expect(topics).not.toContain('radiographs-first');
    expect(service.logs.lines().some((l) => JSON.stringify(l['unknownTypes']) === '["Condition"]')).toBe(true);
  });
});

describe('a configured allowlist (ALLOWED_FHIR_SERVERS) is exact', () => {
  test('only the listed base and what is below it; not a sibling path, not another port', async () => {
    const svc = await testService({ RATE_LIMIT_PER_ADDRESS: '0', ALLOWED_FHIR_SERVERS: `${fhir.url}/fhir` });
    try {
      expect((await call(fetchingRequest(`${fhir.url}/fhir`), svc)).status).toBe(200);
      expect((await call(fetchingRequest(`${fhir.url}/fhir/`), svc)).status).toBe(200);
      for (const other of [
        `${fhir.url}/fhir-b`,
        `${fhir.url}/other`,
        `http://127.0.0.1:${fhir.port + 1}/fhir`,
        `http://localhost:${fhir.port}/fhir`,
      ]) {
        const res = await call(fetchingRequest(other), svc);
        expect(res.body).toEqual(fhirServerForbidden('it is not on the allowlist (ALLOWED_FHIR_SERVERS)'));
      }
    } finally {
      await svc.close();
    }
  });

  test('ALLOW_HTTP_FHIR=false refuses plain http even for a listed server', async () => {
    const svc = await testService({ RATE_LIMIT_PER_ADDRESS: '0', ALLOW_HTTP_FHIR: 'false' });
    try {
      const res = await call(fetchingRequest(`${fhir.url}/fhir`), svc);
      expect(res.status).toBe(412);
      expect(res.body).toEqual(fhirServerForbidden('https is required'));
    } finally {
      await svc.close();
    }
  });
});

describe('address and URL rules', () => {
  test.each([
    ['169.254.169.254', true],
    ['169.254.0.1', true],
    ['0.0.0.0', true],
    ['100.100.100.200', true],
    ['192.0.0.192', true],
    ['168.63.129.16', true],
    ['::ffff:169.254.169.254', true],
    ['::ffff:a9fe:a9fe', true],
    ['[::ffff:a9fe:a9fe]', true],
    ['0:0:0:0:0:ffff:a9fe:a9fe', true],
    ['::ffff:0:a9fe:a9fe', true],
    ['::a9fe:a9fe', true],
    ['64:ff9b::a9fe:a9fe', true],
    ['64:ff9b::169.254.169.254', true],
    ['2002:a9fe:a9fe::1', true],
    ['fe80::1', true],
    ['FE80::abcd%eth0', true],
    ['febf::1', true],
    ['fd00:ec2::254', true],
    ['fd00:0ec2:0000:0000:0000:0000:0000:0254', true],
    ['::', true],
    ['127.0.0.1', false],
    ['::1', false],
    ['10.0.0.1', false],
    ['192.168.1.10', false],
    ['169.253.255.255', false],
    ['170.254.169.254', false],
    ['::ffff:127.0.0.1', false],
    ['fec0::1', false],
    ['2001:db8::1', false],
    ['ehr.example.org', false],
  ])('isForbiddenAddress(%s) = %s', (address, expected) => {
    expect(isForbiddenAddress(address)).toBe(expected);
  });

  test.each([
    ['metadata.google.internal', true],
    ['METADATA.google.internal.', true],
    ['metadata', true],
    ['instance-data.ec2.internal', true],
    ['169.254.169.254', true],
    ['[fe80::1]', true],
    ['localhost', false],
    ['metadata.example.org', false],
  ])('isForbiddenHost(%s) = %s', (host, expected) => {
    expect(isForbiddenHost(host)).toBe(expected);
  });

  test.each([
    ['https://ehr.example.org/fhir/R4', 'https://ehr.example.org/fhir/R4', true],
    ['https://ehr.example.org/fhir/R4/', 'https://ehr.example.org/fhir/R4', true],
    ['https://EHR.example.org:443/fhir/R4/Patient', 'https://ehr.example.org/fhir/R4', true],
    ['https://ehr.example.org/fhir/R4-evil', 'https://ehr.example.org/fhir/R4', false],
    ['https://ehr.example.org/fhir', 'https://ehr.example.org/fhir/R4', false],
    ['https://ehr.example.org/fhir/R4/../../admin', 'https://ehr.example.org/fhir/R4', false],
    ['https://ehr.example.org/fhir/R4/%2e%2e/%2e%2e/admin', 'https://ehr.example.org/fhir/R4', false],
    ['https://ehr.example.org.evil.com/fhir/R4', 'https://ehr.example.org/fhir/R4', false],
    ['http://ehr.example.org/fhir/R4', 'https://ehr.example.org/fhir/R4', false],
    ['https://u:p@ehr.example.org/fhir/R4', 'https://ehr.example.org/fhir/R4', false],
    ['http://localhost:8080/fhir', 'http://localhost:*', true],
    ['http://localhost/fhir', 'http://localhost:*', true],
    ['http://localhost.evil.com:8080/fhir', 'http://localhost:*', false],
    ['https://localhost:8080/fhir', 'http://localhost:*', false],
    ['http://127.0.0.1:9/x', 'http://127.0.0.1:*/fhir', false],
  ])('isUnder(%s, %s) = %s', (url, base, expected) => {
    expect(isUnder(url, base)).toBe(expected);
  });

  test('normaliseBaseUrl', () => {
    expect(normaliseBaseUrl('HTTPS://Ehr.Example.org:443/fhir/R4//')).toBe('https://ehr.example.org/fhir/R4');
    expect(normaliseBaseUrl('ftp://ehr.example.org/fhir')).toBeUndefined();
    expect(normaliseBaseUrl('https://user@ehr.example.org/fhir')).toBeUndefined();
    expect(normaliseBaseUrl('not a url')).toBeUndefined();
  });

  test.each([
    ['https://ehr.example.org/fhir', false, undefined],
    ['http://localhost:*', false, undefined],
    ['http://localhost:*', true, 'plain http (https is required in production)'],
    ['http://169.254.169.254/', false, 'a link-local or cloud metadata address'],
    ['http://metadata.google.internal:*', false, 'a link-local or cloud metadata address'],
    ['https://u:p@ehr.example.org/fhir', false, 'credentials in the URL'],
    ['https://ehr.example.org/fhir?x=1', false, 'a query or fragment in the URL'],
    ['ftp://ehr.example.org/', false, 'not an http(s) URL'],
    ['ehr.example.org/fhir', false, 'not a URL'],
  ])('allowlistEntryProblem(%s, httpsOnly=%s) = %s', (entry, httpsOnly, expected) => {
    expect(allowlistEntryProblem(entry, httpsOnly)).toBe(expected);
  });
});
