import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ConfigError, MODES } from '../../src/config/env.js';
import { loadServiceConfig } from '../../src/config/service-config.js';
import { projectPath } from '../../src/data-files.js';
import { loadPathwayConfig } from '../../src/pathway/config.js';
import { readTrustedIssuers, sandboxPreset } from '../../src/security/trusted-issuers.js';
import { testService } from '../helpers/service.js';
import { serviceConfigVariables } from './variables.js';

/**
 * Safe by default: a start-up error names the variable or the file, and the key, so whoever deploys can fix
 * it without reading the code. And an unknown NODE_ENV stops start-up instead of running in development mode,
 * where authentication is off.
 */

function tempFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'hip-pain-cds-config-')), name);
  writeFileSync(file, text);
  return file;
}

describe('NODE_ENV', () => {
  test.each([['prod'], ['Production'], ['PRODUCTION'], ['staging'], ['dev'], ['test ing']])(
    'NODE_ENV=%s refuses to start, naming the variable and the allowed values',
    (value) => {
      expect(() => loadServiceConfig({ NODE_ENV: value })).toThrow(ConfigError);
      expect(() => loadServiceConfig({ NODE_ENV: value })).toThrow(
        `NODE_ENV must be one of development, test, production (exactly, in lower case), got "${value}"`,
      );
    },
  );

  test.each(MODES.map((m) => [m]))('NODE_ENV=%s is that mode', (mode) => {
    const env: Record<string, string> =
      mode === 'production'
        ? {
            NODE_ENV: mode,
            TRUSTED_ISSUERS_FILE: 'issuers.yaml',
            PUBLIC_BASE_URL: 'https://cds.example.org',
            PATIENT_HASH_SECRET: 'a-production-secret-of-32-characters!',
          }
        : { NODE_ENV: mode };
    expect(loadServiceConfig(env).mode).toBe(mode);
  });

  test('unset or empty, NODE_ENV is development', () => {
    expect(loadServiceConfig({}).mode).toBe('development');
    expect(loadServiceConfig({ NODE_ENV: ' ' }).mode).toBe('development');
  });

  test('the compiled server with NODE_ENV=prod exits 1 with the message, before listening', async () => {
    const child = spawn(process.execPath, [projectPath('dist', 'src', 'server.js')], {
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'prod', HOST: '127.0.0.1', PORT: '0', FEEDBACK_STORE: 'memory' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => { resolve(c); }));
    expect(code).toBe(1);
    expect(err).toContain('hip-pain-cds: configuration error: NODE_ENV must be one of development, test, production');
    expect(out).not.toContain('listening');
  });
});

describe('environment variables', () => {
  const variables = serviceConfigVariables();

  test('the service reads the variables this test knows how to find', () => {
    expect(variables).toEqual(expect.arrayContaining(['NODE_ENV', 'PORT', 'TRUSTED_ISSUERS_FILE', 'PATHWAY_CONFIG']));
  });

  // Every variable, set to a value no reader accepts: it is either taken as text (HOST, FEEDBACK_FILE...) or
  // refused with a message that names it.
  test.each(variables.map((v) => [v]))('%s=<nonsense> is accepted as text or refused by name', (name) => {
    let error: unknown;
    try {
      loadServiceConfig({ [name]: 'no such value ?!' });
    } catch (e) {
      error = e;
    }
    if (error !== undefined) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(name);
    }
  });

  test.each([
    [{ PORT: 'eighty' }, 'PORT must be a whole number, got "eighty"'],
    [{ PORT: '70000' }, 'PORT must be between 0 and 65535, got 70000'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
    [{ BODY_LIMIT: 'lots' }, 'BODY_LIMIT must be a size such as 5mb or 1048576, got "lots"'],
    [{ AUTH_REQUIRED: 'maybe' }, 'AUTH_REQUIRED must be true or false, got "maybe"'],
    [{ ALLOWED_FHIR_SERVERS: 'ftp://x' }, 'ALLOWED_FHIR_SERVERS: ftp://x:'],
    [{ PUBLIC_BASE_URL: 'cds.example.org' }, 'PUBLIC_BASE_URL must be an absolute URL'],
    [{ REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '2000' }, 'HEADERS_TIMEOUT_MS (2000) must not be longer than REQUEST_TIMEOUT_MS (1000)'],
  ])('%j: %s', (env, message) => {
    expect(() => loadServiceConfig(env)).toThrow(message);
  });
});

describe('TRUSTED_ISSUERS_FILE', () => {
  const issuer = { iss: 'https://ehr.example.org', jwksUrl: 'https://ehr.example.org/jwks', fhirServers: [] };
  const yaml = (issuers: unknown[]): string => JSON.stringify({ issuers });

  test('an unknown key is named with where it is', () => {
    const file = tempFile('issuers.yaml', yaml([{ ...issuer, jwks_url: 'https://e/jwks' }]));
    expect(() => readTrustedIssuers(file, { setting: 'TRUSTED_ISSUERS_FILE' })).toThrow(
      `TRUSTED_ISSUERS_FILE ${file}: unknown key issuers[0].jwks_url (must NOT have additional properties)`,
    );
  });

  test('a missing key is named', () => {
    const { fhirServers: _, ...noServers } = issuer;
    const file = tempFile('issuers.yaml', yaml([issuer, noServers]));
    expect(() => readTrustedIssuers(file, { setting: 'TRUSTED_ISSUERS_FILE' })).toThrow(
      `TRUSTED_ISSUERS_FILE ${file}: missing key issuers[1].fhirServers (must have required property 'fhirServers')`,
    );
  });

  test('a bad value is named with its key and the allowed values', () => {
    const file = tempFile('issuers.yaml', yaml([{ ...issuer, algorithms: ['HS256'] }]));
    expect(() => readTrustedIssuers(file, { setting: 'TRUSTED_ISSUERS_FILE' })).toThrow(
      `TRUSTED_ISSUERS_FILE ${file}: issuers[0].algorithms[0] must be equal to one of the allowed values: ES256, ES384`,
    );
  });

  test('at start-up: a missing file names the variable and the path', async () => {
    await expect(testService({ TRUSTED_ISSUERS_FILE: '/nonexistent/issuers.yaml' })).rejects.toThrow(
      'TRUSTED_ISSUERS_FILE: cannot read /nonexistent/issuers.yaml',
    );
  });

  test('at start-up: a problem in the file names the variable, the file and the key', async () => {
    const file = tempFile('issuers.yaml', yaml([{ ...issuer, tenants: [] }]));
    await expect(testService({ TRUSTED_ISSUERS_FILE: file })).rejects.toThrow(
      `TRUSTED_ISSUERS_FILE ${file}: issuers[0].tenants must NOT have fewer than 1 items`,
    );
  });
});

describe('CDS_SANDBOX_PRESET (config/presets/cds-hooks-sandbox.yaml)', () => {
  test('the shipped preset loads', () => {
    expect(sandboxPreset().map((i) => i.iss)).toEqual(['https://sandbox.cds-hooks.org']);
  });

  test('a broken preset names the setting, the file and the key', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hip-pain-cds-preset-')), 'cds-hooks-sandbox.yaml');
    copyFileSync(projectPath('config', 'presets', 'cds-hooks-sandbox.yaml'), file);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^(\s+)fhirServers:/m, '$1fhirServer:'));
    expect(() => sandboxPreset(file)).toThrow(
      `CDS_SANDBOX_PRESET ${file}: missing key issuers[0].fhirServers (must have required property 'fhirServers'); ` +
        'unknown key issuers[0].fhirServer (must NOT have additional properties)',
    );
  });
});

describe('PATHWAY_CONFIG', () => {
  test('the defaults load, and an override changes only its keys', () => {
    const file = tempFile('pathway.yaml', 'persistentPainWeeks: 8\nacetaminophen: { maxDailyMg: 3000 }\n');
    const defaults = loadPathwayConfig();
    const config = loadPathwayConfig(file);
    expect(config).toEqual({
      ...defaults,
      persistentPainWeeks: 8,
      acetaminophen: { ...defaults.acetaminophen, maxDailyMg: 3000 },
    });
  });

  test.each([
    ['persistentPainWeek: 8\n', 'unknown key persistentPainWeek (must NOT have additional properties)'],
    ['minimalImportantChange: { scale0to10: 0 }\n', 'minimalImportantChange.scale0to10 must be > 0'],
    ['acetaminophen: { regimens: [ { doseMg: 500 } ] }\n', 'missing key acetaminophen.regimens[0].everyHours'],
    ['promRecentWeeks: six\n', 'promRecentWeeks must be integer'],
    ['- 1\n- 2\n', 'the file must be object'],
  ])('%j: names PATHWAY_CONFIG, the file and the key', (text, message) => {
    const file = tempFile('pathway.yaml', text);
    expect(() => loadPathwayConfig(file)).toThrow(`PATHWAY_CONFIG ${file}: ${message}`);
  });

  test('at start-up: a missing or unreadable file names the variable and the path', async () => {
    await expect(testService({ PATHWAY_CONFIG: '/nonexistent/pathway.yaml' })).rejects.toThrow(
      'PATHWAY_CONFIG: cannot read /nonexistent/pathway.yaml',
    );
    const file = tempFile('pathway.yaml', 'persistentPainWeeks: [\n');
    await expect(testService({ PATHWAY_CONFIG: file })).rejects.toThrow(`PATHWAY_CONFIG: cannot read ${file}`);
  });
});

describe('HOST and PORT', () => {
  test('a port already in use: the compiled server exits 1 naming HOST and PORT', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const child = spawn(process.execPath, [projectPath('dist', 'src', 'server.js')], {
        env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', PORT: String(port), FEEDBACK_STORE: 'memory' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => { resolve(c); }));
      expect(code).toBe(1);
      expect(err).toContain(`hip-pain-cds: cannot start: cannot listen on HOST 127.0.0.1 PORT ${port}: listen EADDRINUSE`);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => { resolve(); }));
    }
  });
});
