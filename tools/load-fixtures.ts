import { fixtureBundles, uploadBundle, waitForFhirServer } from './fixtures/fhir-load.js';

/**
 * npm run load-fixtures -- --fhir <base URL> [--only scenarios|synthea] [--token <bearer>] [--wait <seconds>]
 *
 * Loads fhir-fixtures into any FHIR R4 server, one transaction per patient, every resource PUT by its id (so the
 * scenario names and Synthea ids are the patient ids there too). Scenario dates are relative to now: run it again
 * to bring them up to date. `--wait` first waits for the server's /metadata (a server still starting, as in
 * docker compose). Exits 1 naming the first Bundle the server refused.
 */

const USAGE =
  'usage: load-fixtures --fhir <FHIR base URL> [--only scenarios|synthea] [--token <bearer token>] [--wait <seconds>]\n';

function arg(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: readonly string[]): Promise<number> {
  const fhir = arg(args, 'fhir');
  const only = arg(args, 'only');
  const waitSeconds = Number(arg(args, 'wait') ?? 0);
  const token = arg(args, 'token') ?? process.env['FHIR_TOKEN'];
  if (args.includes('--help') || fhir === undefined || !/^https?:\/\//.test(fhir)) {
    process.stderr.write(USAGE);
    return args.includes('--help') ? 0 : 2;
  }
  if ((only !== undefined && only !== 'scenarios' && only !== 'synthea') || !Number.isFinite(waitSeconds) || waitSeconds < 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (waitSeconds > 0) {
    process.stdout.write(`waiting up to ${waitSeconds} s for ${fhir}/metadata\n`);
    await waitForFhirServer(fhir, waitSeconds * 1000);
  }
  const fixtures = fixtureBundles(new Date(), { scenarios: only !== 'synthea', synthea: only !== 'scenarios' });
  const started = performance.now();
  let resources = 0;
  for (const f of fixtures) {
    try {
      const n = await uploadBundle(fhir, f.bundle, {
        ...(token !== undefined ? { token } : {}),
        signal: AbortSignal.timeout(120_000),
      });
      resources += n;
      process.stdout.write(`${f.kind.padEnd(8)} Patient/${f.patientId}  ${n} resources  (${f.name})\n`);
    } catch (err) {
      process.stderr.write(`load-fixtures: ${f.kind} ${f.name}: ${(err as Error).message}\n`);
      return 1;
    }
  }
  process.stdout.write(
    `loaded ${fixtures.length} patients, ${resources} resources into ${fhir} in ${Math.round(performance.now() - started)} ms\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`load-fixtures: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
