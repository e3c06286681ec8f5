import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServiceRegistry } from '../src/cds/registry.js';
import { loadServiceConfig } from '../src/config/service-config.js';
import { fixtureBundles } from './fixtures/fhir-load.js';
import { SERVICE_FOR_HOOK, scenarioRequest } from './fixtures/requests.js';
import { loadScenario, scenarioNames } from './fixtures/scenarios.js';
import { startServer } from '../src/server.js';
import { loadTerminology } from '../src/terminology/valuesets.js';
import { startFhirServer } from './fhir-server/index.js';

/**
 * npm run demo [-- --port 3000 --fhir-port 8080 --host 127.0.0.1 --dir <folder for request files>]
 *
 * Starts a FHIR R4 server (Medplum's engine, in memory) seeded with fhir-fixtures, and the CDS service, then prints
 * for every scenario a ready-to-paste curl command (a hook call WITHOUT prefetch: the service fetches the
 * patient's data from the demo FHIR server with the token in the request) and the CDS Hooks sandbox address that
 * shows the patient in a browser. Stops on Ctrl-C. The service's settings come from the environment as for
 * `npm start` (LOG_LEVEL defaults to warn here, FEEDBACK_STORE to memory).
 */

const SANDBOX = 'https://sandbox.cds-hooks.org/';
const TOKEN = 'demo-token';

function arg(args: readonly string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
}

async function main(args: readonly string[]): Promise<void> {
  const host = arg(args, 'host', '127.0.0.1');
  const fhirPort = Number(arg(args, 'fhir-port', '8080'));
  const port = arg(args, 'port', process.env['PORT'] ?? '3000');
  const dir = arg(args, 'dir', join(tmpdir(), 'hip-pain-cds-demo'));
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const now = new Date();

  const t0 = performance.now();
  const fixtures = fixtureBundles(now);
  const fhir = await startFhirServer({ port: fhirPort, host, seed: fixtures.map((f) => f.bundle), recordRequests: false });
  const fhirUrl = `http://${shown}:${fhir.port}/fhir`;
  const fhirMs = Math.round(performance.now() - t0);

  const config = loadServiceConfig({ LOG_LEVEL: 'warn', FEEDBACK_STORE: 'memory', ...process.env, PORT: port, HOST: host });
  const cds = await startServer(config);
  const address = cds.server.address();
  const cdsPort = typeof address === 'object' && address !== null ? address.port : config.port;
  const cdsUrl = `http://${shown}:${cdsPort}`;

  const registry = loadServiceRegistry(loadTerminology());
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  const print = (line = ''): void => {
    out.push(line);
  };
  const sandboxUrl = (patientId: string): string =>
    `${SANDBOX}?${new URLSearchParams({ serviceDiscoveryURL: `${cdsUrl}/cds-services`, fhirServiceUrl: fhirUrl, patientId }).toString()}`;

  print(`FHIR server   ${fhirUrl}   (Medplum in memory: ${fixtures.length} patients from fhir-fixtures, ${fhirMs} ms)`);
  print(`CDS service   ${cdsUrl}/cds-services`);
  print(`request files ${dir}   (no prefetch: the service queries the FHIR server with the token "${TOKEN}")`);
  print();
  print('CDS Hooks sandbox (browser): open the sandbox address of a patient below, or set by hand');
  print(`  serviceDiscoveryURL = ${cdsUrl}/cds-services`);
  print(`  fhirServiceUrl      = ${fhirUrl}`);
  print('  patientId           = the patient id below');
  print('The sandbox shows patient-view cards; order scenarios also show their order cards with the curl command.');
  print('The sandbox signs its calls (verified with CDS_SANDBOX_PRESET=true, which ships its public key set); the curl');
  print('commands below carry no JWT and work in development with or without the preset, not with AUTH_REQUIRED=true.');
  print();

  for (const name of scenarioNames()) {
    const s = loadScenario(name, now);
    const request = scenarioRequest(s, registry, { prefetch: 'none', fhirServer: fhirUrl, token: TOKEN });
    const file = join(dir, `${name}.json`);
    writeFileSync(file, `${JSON.stringify(request, null, 2)}\n`);
    print(`${name}  [${s.hook}]  expect: ${s.expect.topics.length > 0 ? s.expect.topics.join(', ') : 'no card'}`);
    print(`  curl -s ${cdsUrl}/cds-services/${SERVICE_FOR_HOOK[s.hook]} -H 'Content-Type: application/json' --data @${file}`);
    print(`  sandbox: ${sandboxUrl(s.patientId)}`);
  }
  print();
  print('Synthea records (patient-view):');
  for (const f of fixtures.filter((x) => x.kind === 'synthea')) {
    const request = {
      hook: 'patient-view',
      hookInstance: randomUUID(),
      context: { userId: 'Practitioner/demo-clinician', patientId: f.patientId },
      fhirServer: fhirUrl,
      fhirAuthorization: {
        access_token: TOKEN,
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'user/*.read',
        subject: 'hip-pain-cds',
      },
    };
    const file = join(dir, `${f.name}.json`);
    writeFileSync(file, `${JSON.stringify(request, null, 2)}\n`);
    print(`${f.name.split('_').slice(0, 2).join(' ')}  Patient/${f.patientId}`);
    print(
      `  curl -s ${cdsUrl}/cds-services/${SERVICE_FOR_HOOK['patient-view']} -H 'Content-Type: application/json' --data @${file}`,
    );
    print(`  sandbox: ${sandboxUrl(f.patientId)}`);
  }
  print();
  print(`ready: FHIR server ${fhirUrl}, CDS service ${cdsUrl} (Ctrl-C stops both)`);
  process.stdout.write(`${out.join('\n')}\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    Promise.all([cds.close(), fhir.close()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
    setTimeout(() => process.exit(1), 5000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`demo: ${(err as Error).message}\n`);
  process.exit(1);
});
