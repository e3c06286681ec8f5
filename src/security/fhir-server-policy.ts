import { isIP } from 'node:net';
import { HttpError } from '../http/operation-outcome.js';
import type { Caller } from './types.js';

/**
 * Which fhirServer the service may call on a caller's behalf (server-side request forgery defence):
 *  - an authenticated caller: only base URLs allowlisted for its issuer;
 *  - authentication off: the configured list (default: loopback only);
 *  - in every mode: never link-local or cloud metadata addresses, never userinfo in the URL, and https only
 *    when plain http is not allowed (production).
 * Host names are resolved again at connect time by the FHIR client, which refuses the same addresses, so DNS
 * cannot be used to slip past this check.
 */

const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata',
  'metadata.azure.com',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** Link-local and metadata addresses, refused in every mode. */
export function isForbiddenAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, '').toLowerCase();
  const kind = isIP(ip);
  if (kind === 4) {
    const [a, b] = ip.split('.').map(Number);
    if (a === 169 && b === 254) return true; // link-local, incl. 169.254.169.254 (AWS, GCP, Azure, OpenStack)
    if (ip === '100.100.100.200') return true; // Alibaba Cloud metadata
    if (ip === '192.0.0.192') return true; // Oracle Cloud metadata (legacy)
    if (a === 0) return true; // "this network"
    return false;
  }
  if (kind === 6) {
    if (/^fe[89ab][0-9a-f]:/.test(ip)) return true; // fe80::/10 link-local
    if (ip === 'fd00:ec2::254') return true; // AWS metadata over IPv6
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
    if (mapped?.[1] !== undefined) return isForbiddenAddress(mapped[1]);
    if (ip === '::') return true;
    return false;
  }
  return false;
}

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

/**
 * Whether `url` is `base` or below it (path boundary respected: /fhir does not allow /fhir-evil). A base may
 * give `*` as its port (`http://localhost:*`) to allow any port of that host.
 */
export function isUnder(url: string, base: string): boolean {
  const anyPort = /^(https?:\/\/(?:\[[^\]]+\]|[^/:]+)):\*(\/.*)?$/i.exec(base);
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

export interface FhirServerPolicyOptions {
  allowHttp: boolean;
  /** Allowlist when authentication is off. */
  openModeServers: readonly string[];
  /** Allowlist per trusted issuer. */
  serversForIssuer: (issuer: string) => readonly string[];
}

export class FhirServerPolicy {
  constructor(private readonly options: FhirServerPolicyOptions) {}

  /** Throws 403 (OperationOutcome `forbidden`) when this caller may not have the service call `fhirServer`. */
  check(fhirServer: string, caller: Caller | undefined): void {
    const refuse = (why: string): never => {
      throw new HttpError(403, { code: 'forbidden', expression: 'fhirServer', diagnostics: `fhirServer is not allowed: ${why}` });
    };
    const normalised = normaliseBaseUrl(fhirServer);
    if (normalised === undefined) refuse('it must be an http(s) URL without credentials');
    const url = new URL(fhirServer);
    if (url.protocol === 'http:' && !this.options.allowHttp) refuse('https is required');
    if (isForbiddenHost(url.hostname)) refuse('link-local and cloud metadata addresses are never called');
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
