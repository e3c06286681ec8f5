import { isIP } from 'node:net';
import { HttpError } from '../http/operation-outcome.js';
import type { Caller } from './types.js';

/**
 * Which fhirServer the service may call on a caller's behalf (server-side request forgery defence):
 *  - an authenticated caller: only base URLs allowlisted for its issuer (TRUSTED_ISSUERS_FILE `fhirServers`);
 *  - authentication off: the configured list (ALLOWED_FHIR_SERVERS; default: loopback only);
 *  - in every mode: never link-local or cloud metadata addresses (in any spelling: decimal, hex, octal,
 *    IPv4-mapped/-compatible/NAT64/6to4 IPv6), never credentials, a query or a fragment in the URL, and https
 *    only when plain http is not allowed (production).
 * Host names are resolved again at connect time by the FHIR client (src/fhir/fhir-client.ts), which refuses the
 * same addresses, so DNS cannot be used to slip past this check; IP literals never reach that resolver, which
 * is why this check must understand every way of writing an address.
 */

/** Names of cloud metadata services (they also resolve to forbidden addresses; refused by name as well). */
const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'metadata.azure.com',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** IPv4 as four numbers, or undefined. Only the dotted-quad form (URLs and DNS give that form). */
function ipv4Parts(ip: string): [number, number, number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (m === null) return undefined;
  const parts = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] as [number, number, number, number];
  return parts.every((p) => p <= 255) ? parts : undefined;
}

function isForbiddenIpv4([a, b, c, d]: readonly [number, number, number, number]): boolean {
  if (a === 169 && b === 254) return true; // 169.254.0.0/16 link-local, incl. 169.254.169.254 (AWS, GCP, Azure, OpenStack...)
  if (a === 0) return true; // 0.0.0.0/8 "this network" (0.0.0.0 reaches this host on Linux)
  if (a === 100 && b === 100 && c === 100 && d === 200) return true; // Alibaba Cloud metadata
  if (a === 192 && b === 0 && c === 0 && d === 192) return true; // Oracle Cloud metadata (legacy)
  if (a === 168 && b === 63 && c === 129 && d === 16) return true; // Azure WireServer (host agent)
  return false;
}

/** An IPv6 address as eight 16-bit groups (zone id ignored), or undefined. */
export function ipv6Groups(ip: string): number[] | undefined {
  let s = ip.replace(/%.*$/, '');
  // An embedded dotted IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const tail = /(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(s);
  if (tail?.[1] !== undefined) {
    const v4 = ipv4Parts(tail[1]);
    if (v4 === undefined) return undefined;
    s = `${s.slice(0, -tail[1].length)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    if (groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
    return groups.map((g) => parseInt(g, 16));
  };
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - rest.length;
  if (missing < 1) return undefined;
  return [...head, ...(new Array(missing).fill(0) as number[]), ...rest];
}

function v4Of(hi: number, lo: number): [number, number, number, number] {
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];
}

function isForbiddenIpv6(g: readonly number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const zeroTo = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  if (g.every((x) => x === 0)) return true; // :: unspecified (reaches this host)
  if ((g0 & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0x254) return true; // AWS metadata over IPv6 (fd00:ec2::254)
  // IPv4 inside IPv6: the IPv4 rules apply to the address inside.
  if (zeroTo(5) && g5 === 0xffff) return isForbiddenIpv4(v4Of(g6, g7)); // ::ffff:a.b.c.d mapped
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) return isForbiddenIpv4(v4Of(g6, g7)); // ::ffff:0:a.b.c.d translated
  if (zeroTo(6) && !(g6 === 0 && g7 <= 1)) return isForbiddenIpv4(v4Of(g6, g7)); // ::a.b.c.d compatible (not ::1)
  if (g0 === 0x64 && g1 === 0xff9b && (g2 === 1 || (g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0)))
    return isForbiddenIpv4(v4Of(g6, g7)); // 64:ff9b::/96 and 64:ff9b:1::/48 NAT64
  if (g0 === 0x2002) return isForbiddenIpv4(v4Of(g1, g2)); // 2002::/16 6to4
  return false;
}

/** Link-local and metadata addresses, refused in every mode (any textual form of IPv4 or IPv6). */
export function isForbiddenAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, '').toLowerCase();
  const kind = isIP(ip.replace(/%.*$/, ''));
  if (kind === 4) {
    const v4 = ipv4Parts(ip);
    return v4 === undefined ? true : isForbiddenIpv4(v4);
  }
  if (kind === 6) {
    const groups = ipv6Groups(ip);
    return groups === undefined ? true : isForbiddenIpv6(groups);
  }
  return false;
}

/** A URL host name (as `URL.hostname` gives it) that may never be called. */
export function isForbiddenHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return METADATA_HOSTS.has(host) || isForbiddenAddress(host);
}

/** Normalised `scheme://host[:port]/path` without trailing slash, or undefined for an unusable URL. */
export function normaliseBaseUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  if (u.username !== '' || u.password !== '') return undefined;
  const path = u.pathname.replace(/\/+$/, '');
  return `${u.protocol}//${u.host.toLowerCase()}${path}`;
}

const ANY_PORT = /^(https?:\/\/(?:\[[^\]]+\]|[^/:?#@]+)):\*(\/[^?#]*)?$/i;

/**
 * Whether `url` is `base` or below it (path boundary respected: /fhir does not allow /fhir-evil). A base may
 * give `*` as its port (`http://localhost:*`) to allow any port of that host.
 */
export function isUnder(url: string, base: string): boolean {
  const anyPort = ANY_PORT.exec(base);
  const u = normaliseBaseUrl(url);
  if (u === undefined) return false;
  if (anyPort?.[1] !== undefined) {
    const host = normaliseBaseUrl(anyPort[1] + (anyPort[2] ?? ''));
    if (host === undefined) return false;
    const parsed = new URL(url);
    const withoutPort = `${parsed.protocol}//${parsed.hostname.toLowerCase()}${parsed.pathname.replace(/\/+$/, '')}`;
    return withoutPort === host || withoutPort.startsWith(`${host}/`);
  }
  const b = normaliseBaseUrl(base);
  if (b === undefined) return false;
  return u === b || u.startsWith(`${b}/`);
}

/**
 * Checks one allowlist entry (ALLOWED_FHIR_SERVERS, an issuer's `fhirServers`) at start-up: an http(s) base URL,
 * optionally with `:*` as port, without credentials, query or fragment, not a forbidden host, and https when
 * `httpsOnly`. Returns why it is unusable, or undefined when it is fine.
 */
export function allowlistEntryProblem(entry: string, httpsOnly: boolean): string | undefined {
  const anyPort = ANY_PORT.exec(entry);
  const probe = anyPort?.[1] !== undefined ? `${anyPort[1]}${anyPort[2] ?? ''}` : entry;
  let u: URL;
  try {
    u = new URL(probe);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'not an http(s) URL';
  if (u.username !== '' || u.password !== '') return 'credentials in the URL';
  if (u.search !== '' || u.hash !== '' || /[?#]/.test(probe)) return 'a query or fragment in the URL';
  if (isForbiddenHost(u.hostname)) return 'a link-local or cloud metadata address';
  if (httpsOnly && u.protocol !== 'https:') return 'plain http (https is required in production)';
  return undefined;
}

export interface FhirServerPolicyOptions {
  allowHttp: boolean;
  /** Allowlist when authentication is off. */
  openModeServers: readonly string[];
  /** Allowlist per trusted issuer. */
  serversForIssuer: (issuer: string) => readonly string[];
}

export class FhirServerPolicy {
  constructor(private readonly options: FhirServerPolicyOptions) {}

  /**
   * Throws 412 (OperationOutcome `forbidden`) when this caller may not have the service call `fhirServer`: the
   * data prefetch lacks cannot be had, which CDS Hooks 2.0.1 answers with 412 ("unable to obtain required data
   * because it cannot access the FHIR server"); the issue code says why.
   */
  check(fhirServer: string, caller: Caller | undefined): void {
    const refuse = (why: string): never => {
      throw new HttpError(412, { code: 'forbidden', expression: 'fhirServer', diagnostics: `fhirServer is not allowed: ${why}` });
    };
    const normalised = normaliseBaseUrl(fhirServer);
    if (normalised === undefined) refuse('it must be an http(s) URL without credentials');
    const url = new URL(fhirServer);
    if (url.search !== '' || url.hash !== '' || /[?#]/.test(fhirServer)) refuse('a base URL has no query or fragment');
    if (isForbiddenHost(url.hostname)) refuse('link-local and cloud metadata addresses are never called');
    if (url.protocol === 'http:' && !this.options.allowHttp) refuse('https is required');
    const allowed =
      caller?.authenticated === true && caller.issuer !== undefined
        ? this.options.serversForIssuer(caller.issuer)
        : this.options.openModeServers;
    if (!allowed.some((base) => isUnder(fhirServer, base))) {
      refuse(
        caller?.authenticated === true
          ? 'it is not on the allowlist of the calling issuer'
          : 'it is not on the allowlist (ALLOWED_FHIR_SERVERS)',
      );
    }
  }
}
