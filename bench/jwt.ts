import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * A trusted issuer for the benchmark, and a fresh signed JWT per request (a new jti each time, so every call
 * goes through the replay check as a real client's would). Signing is synchronous (node:crypto, ES256) so that
 * autocannon can call it for each request.
 */
export const BENCH_ISS = 'https://bench-ehr.test';
export const BENCH_BASE_URL = 'http://bench.test';

export interface BenchIssuer {
  /** Environment for the service: TRUSTED_ISSUERS_FILE and PUBLIC_BASE_URL. */
  env: Record<string, string>;
  /** `Bearer <jwt>` for a call to `path`. */
  authorization(path: string): string;
}

const b64 = (x: unknown): string => Buffer.from(JSON.stringify(x)).toString('base64url');

export function benchIssuer(): BenchIssuer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomUUID();
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid, alg: 'ES256', use: 'sig' };
  const dir = mkdtempSync(join(tmpdir(), 'hip-pain-cds-bench-'));
  const file = join(dir, 'trusted-issuers.yaml');
  writeFileSync(file, stringify({ issuers: [{ iss: BENCH_ISS, jwks: { keys: [jwk] }, fhirServers: [] }] }));
  const header = b64({ alg: 'ES256', typ: 'JWT', kid });
  const key: KeyObject = privateKey;
  return {
    env: { TRUSTED_ISSUERS_FILE: file, PUBLIC_BASE_URL: BENCH_BASE_URL },
    authorization(path: string): string {
      const now = Math.floor(Date.now() / 1000);
      const payload = b64({ iss: BENCH_ISS, aud: `${BENCH_BASE_URL}${path}`, iat: now, exp: now + 300, jti: randomUUID() });
      const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }).toString(
        'base64url',
      );
      return `Bearer ${header}.${payload}.${signature}`;
    },
  };
}
