import { basename } from 'node:path';
import { dataFiles, projectPath, readJsonFile } from '../../src/data-files.js';
import { loadTerminology } from '../../src/terminology/valuesets.js';

/**
 * Provenance a reviewer can check: every code in valuesets/ (and every product of medication-products.json) names,
 * in `source`, the one public place where it was verified. A source is either
 *   - an absolute https URL on a public terminology host or a GitHub file (github.com/<owner>/<repo>/blob/<ref>/<path>,
 *     raw.githubusercontent.com/<owner>/<repo>/<ref>/<path>), best pinned to a commit, or
 *   - a repository and path, `<owner>/<repo>:<path>` (optionally `<owner>/<repo>@<ref>:<path>`).
 * Never prose, a machine path, an id of a search result, or a law firm's or clinic's marketing page.
 * A value set may list its sources once, with a title (`sources: [{ url, title }]`); then every code's source is
 * one of them and every one of them is used.
 */

/** Public hosts a source URL may point to (GitHub only with a file path, see below). */
const PUBLIC_SOURCE_HOSTS: readonly string[] = [
  'github.com',
  'raw.githubusercontent.com',
  'vsac.nlm.nih.gov',
  'mor.nlm.nih.gov',
  'rxnav.nlm.nih.gov',
  'www.nlm.nih.gov',
  'loinc.org',
  'browser.ihtsdotools.org',
  'www.icd10data.com',
  'www.cms.gov',
  'www.cdc.gov',
  'ftp.cdc.gov',
  'dicom.nema.org',
  'hl7.org',
  'build.fhir.org',
  'terminology.hl7.org',
  'tx.fhir.org',
  'ncit.nci.nih.gov',
  'standardterms.edqm.eu',
];

/** Law-firm and marketing sites that were once cited as sources: never again, wherever they appear. */
const REJECTED_SOURCE_SITES: readonly string[] = ['legalclarity.org', 'eorif.com', 'mirahealth.care'];

const REPO_PATH = /^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*(@[A-Za-z0-9_./-]+)?:([^\s:*?]+)$/;
const GITHUB_FILE = /^\/[^/]+\/[^/]+\/blob\/[^/]+\/.+[^/]$/;
const RAW_GITHUB_FILE = /^\/[^/]+\/[^/]+\/[^/]+\/.+[^/]$/;

/** Why a source cannot be opened by a reviewer, or undefined when it can. */
function sourceProblem(source: string): string | undefined {
  const s = source.trim();
  if (s === '') return 'is empty';
  const rejected = REJECTED_SOURCE_SITES.find((site) => s.toLowerCase().includes(site));
  if (rejected !== undefined) return `cites ${rejected}, a law or marketing site, not a terminology source`;
  if (/\bsearch (?:id|result)|\bcorpus\b|\bids? \d{4,}/i.test(s))
    return 'cites the id of a search result, which no reader can open';
  if (/^\d+$/.test(s)) return 'is a bare numeric id';
  if (/^file:/i.test(s) || /^[A-Za-z]:[\\/]/.test(s) || s.startsWith('/') || s.startsWith('~') || s.includes('\\'))
    return 'is a path on a build machine';
  if (/(^|[\s(])\/(work|home|tmp|Users|mnt|var|srv|opt)\//.test(s)) return 'contains a path on a build machine';
  if (/\s/.test(s)) return 'must be one URL or <owner>/<repo>:<path>, not prose';
  if (/^https?:\/\//i.test(s)) return urlProblem(s);
  const repo = REPO_PATH.exec(s);
  if (repo !== null) {
    const path = repo[2] ?? '';
    if (path.startsWith('/') || path.split('/').includes('..')) return 'has a repository path that leaves the repository';
    return undefined;
  }
  if (s.includes('*')) return 'names files with a wildcard, not one file';
  return 'is neither an https URL nor <owner>/<repo>:<path>';
}

function urlProblem(s: string): string | undefined {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'https:') return 'must be an https URL';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  const host = url.hostname.toLowerCase();
  if (!PUBLIC_SOURCE_HOSTS.includes(host)) return `is on ${host}, not one of the public terminology hosts or GitHub`;
  const path = decodeURIComponent(url.pathname);
  if (path.includes('*')) return 'names files with a wildcard, not one file';
  if (host === 'github.com' && !GITHUB_FILE.test(path))
    return 'must name one file: https://github.com/<owner>/<repo>/blob/<ref>/<path>';
  if (host === 'raw.githubusercontent.com' && !RAW_GITHUB_FILE.test(path))
    return 'must name one file: https://raw.githubusercontent.com/<owner>/<repo>/<ref>/<path>';
  if (path === '/' && url.search === '') return 'names a site, not a page of it';
  return undefined;
}

interface Coded {
  system?: unknown;
  code?: unknown;
  display?: unknown;
  source?: unknown;
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** Every problem with the fields the loader needs and with the sources, one message per problem. */
function problemsOf(file: string, data: unknown): string[] {
  const name = basename(file);
  const problems: string[] = [];
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return [`${name}: is not a JSON object`];
  const d = data as Record<string, unknown>;
  const isProducts = basename(file, '.json') === 'medication-products';
  if (d.id !== basename(file, '.json'))
    problems.push(`${name}: id must be "${basename(file, '.json')}" (the file name), is ${JSON.stringify(d.id)}`);
  if (!isProducts) {
    if (!isText(d.title)) problems.push(`${name}: has no title`);
    if (!isText(d.purpose)) problems.push(`${name}: has no purpose`);
  }
  const listName = isProducts ? 'products' : 'codes';
  const list = d[listName];
  if (!Array.isArray(list)) return [...problems, `${name}: has no "${listName}" array`];
  if (isProducts && list.length === 0) problems.push(`${name}: has no products`);

  let listed: Map<string, number> | undefined;
  if (d.sources !== undefined) {
    listed = new Map();
    if (!Array.isArray(d.sources)) problems.push(`${name}: "sources" must be an array of { url, title }`);
    else
      for (const [i, s] of (d.sources as unknown[]).entries()) {
        const { url, title } = (typeof s === 'object' && s !== null ? s : {}) as { url?: unknown; title?: unknown };
        if (!isText(url) || !isText(title)) {
          problems.push(`${name}: sources[${i}] must have a url and a title`);
          continue;
        }
        const why = sourceProblem(url);
        if (why !== undefined) problems.push(`${name}: sources[${i}] "${url}" ${why}`);
        if (listed.has(url)) problems.push(`${name}: sources[${i}] "${url}" is listed twice`);
        listed.set(url, 0);
      }
  }

  for (const [i, item] of (list as unknown[]).entries()) {
    const c = (typeof item === 'object' && item !== null ? item : {}) as Coded;
    const where = `${name}: ${listName}[${i}] ${String(c.system)}|${String(c.code)}`;
    for (const field of ['system', 'code', 'display', 'source'] as const)
      if (!isText(c[field])) problems.push(`${where}: has no ${field}`);
    if (isProducts) {
      const p = item as { doseForm?: unknown; ingredients?: unknown };
      if (!isText(p.doseForm)) problems.push(`${where}: has no doseForm`);
      if (!Array.isArray(p.ingredients) || p.ingredients.length === 0) problems.push(`${where}: has no ingredients`);
    }
    if (!isText(c.source)) continue;
    const why = sourceProblem(c.source);
    if (why !== undefined) problems.push(`${where}: source "${c.source}" ${why}`);
    if (listed !== undefined) {
      const uses = listed.get(c.source);
      if (uses === undefined) problems.push(`${where}: source "${c.source}" is not in the value set's "sources"`);
      else listed.set(c.source, uses + 1);
    }
  }
  for (const [url, uses] of listed ?? [])
    if (uses === 0) problems.push(`${name}: sources "${url}" is listed but no code cites it`);
  return problems;
}

const files = dataFiles(projectPath('valuesets'), ['.json']);

describe('value set provenance (valuesets/*.json)', () => {
  test('there are value set files, and the products file among them', () => {
    expect(files.length).toBeGreaterThan(30);
    expect(files.map((f) => basename(f))).toContain('medication-products.json');
  });

  test.each(files.map((f) => [basename(f), f]))(
    '%s: fields the loader needs, and every source a reviewer can open',
    (_name, file) => {
      expect(problemsOf(file, readJsonFile(file))).toEqual([]);
    },
  );

  test('the loader accepts every file', () => {
    expect(() => loadTerminology()).not.toThrow();
  });
});

describe('what counts as a source a reviewer can open', () => {
  test.each([
    'https://github.com/cqframework/opioid-cds-r4/blob/b29bdcbf6db6f3de26486dbc3820572ee9a78b89/input/vocabulary/valueset/naloxone-medications.json',
    'https://github.com/synthetichealth/synthea/blob/master/src/main/resources/modules/osteoarthritis.json',
    'https://raw.githubusercontent.com/synthetichealth/synthea/master/src/main/resources/costs/medications.csv',
    'https://vsac.nlm.nih.gov/valueset/2.16.840.1.113883.3.464.1003.1178/expansion',
    'https://mor.nlm.nih.gov/RxNav/search?searchBy=RXCUI&searchTerm=161',
    'https://loinc.org/72514-3',
    'https://browser.ihtsdotools.org/?perspective=full&conceptId1=24136001&edition=MAIN',
    'https://www.icd10data.com/ICD10CM/Codes/M00-M99/M15-M19/M16-/M16.11',
    'https://dicom.nema.org/medical/dicom/current/output/chtml/part16/sect_CID_29.html',
    'cqframework/ecqm-content-qicore-2024:input/vocabulary/valueset/external/valueset-2.16.840.1.113883.3.464.1003.1178.json',
    'medtrack-io/icd_code@4c625733f92b7b1d616e272abc3009bb8b916c0c:lib/codes/codes_m16.ex',
  ])('accepted: %s', (source) => {
    expect(sourceProblem(source)).toBeUndefined();
  });

  // The kinds of sources found in valuesets/ before this test existed, and a few more of the same kinds.
  test.each([
    ['', 'is empty'],
    ['48213377', 'bare numeric id'],
    ['SNOMED CT FSNs; looked up by search id 48213377', 'id of a search result'],
    ["public FSH ValueSet (search result 90211: 'SCT#24136001')", 'id of a search result'],
    ["mirahealth.care glossary 'HOOS' (a web page)", 'cites mirahealth.care, a law or marketing site'],
    ["legalclarity.org 'Right Hip Labral Tear ICD-10'", 'cites legalclarity.org, a law or marketing site'],
    ["eorif.com 'Acetabular Labral Tear S73.199A'", 'cites eorif.com, a law or marketing site'],
    ['https://www.legalclarity.org/right-hip-labral-tear-icd-10/', 'cites legalclarity.org, a law or marketing site'],
    ['Synthea sample records /home/build/synthea (generated sample data)', 'path on a build machine'],
    ['/home/build/valuesets/hip.json', 'path on a build machine'],
    ['file:///home/build/valuesets/hip.json', 'path on a build machine'],
    ['C:\\data\\valuesets\\hip.json', 'path on a build machine'],
    ['lkowalcz/hospital-price-history:data/*/summary.csv', 'wildcard'],
    ["VSAC value set 'Referral' in cqframework/ecqm-content-qicore-2024:input/x.json", 'not prose'],
    ['http://loinc.org/72514-3', 'must be an https URL'],
    ['https://example.com/valuesets/hip.json', 'is on example.com, not one of the public terminology hosts'],
    ['https://github.com/cqframework/opioid-cds-r4', 'must name one file'],
    ['https://loinc.org/', 'names a site, not a page of it'],
    ['cqframework/opioid-cds-r4:../../etc/passwd', 'leaves the repository'],
  ])('rejected: %j (%s)', (source, why) => {
    expect(sourceProblem(source)).toContain(why);
  });

  test('a value set that lists its sources: every code cites one of them, and every one is cited', () => {
    const url = 'https://loinc.org/72514-3';
    const other = 'https://loinc.org/38208-5';
    const vs = (sources: unknown, codes: unknown[]) => ({ id: 'x', title: 'X', purpose: 'p', sources, codes });
    const code = (source: string) => ({ system: 'http://loinc.org', code: '72514-3', display: 'Pain', source });
    expect(problemsOf('valuesets/x.json', vs([{ url, title: 'LOINC' }], [code(url)]))).toEqual([]);
    expect(problemsOf('valuesets/x.json', vs([{ url, title: 'LOINC' }], [code(other)]))).toEqual([
      `x.json: codes[0] http://loinc.org|72514-3: source "${other}" is not in the value set's "sources"`,
      `x.json: sources "${url}" is listed but no code cites it`,
    ]);
    expect(problemsOf('valuesets/x.json', vs([{ url: '48213377', title: 'search' }], [code('48213377')]))).toEqual([
      'x.json: sources[0] "48213377" is a bare numeric id',
      'x.json: codes[0] http://loinc.org|72514-3: source "48213377" is a bare numeric id',
    ]);
  });

  test('the fields the loader needs: the message names the file, the code and the missing field', () => {
    expect(
      problemsOf('valuesets/y.json', { id: 'y', title: 'Y', codes: [{ system: 'http://loinc.org', code: '1-8', display: 'd' }] }),
    ).toEqual(['y.json: has no purpose', 'y.json: codes[0] http://loinc.org|1-8: has no source']);
    expect(problemsOf('valuesets/z.json', { id: 'y', title: 'Z', purpose: 'p', codes: [] })).toEqual([
      'z.json: id must be "z" (the file name), is "y"',
    ]);
  });
});
