import { parentPort, workerData } from 'node:worker_threads';
import type { WorkUnit } from './input.js';
import { UnitRunner } from './runner.js';

/** A worker thread of `npm run burden --workers N`: evaluates the units the main thread sends, one at a time. */
interface Init {
  asOf: string;
  pathwayConfigFile?: string;
  medicationsFile?: string;
  clock: string;
}

const init = workerData as Init;
const runner = new UnitRunner({
  asOf: init.asOf,
  clock: new Date(init.clock),
  ...(init.pathwayConfigFile !== undefined ? { pathwayConfigFile: init.pathwayConfigFile } : {}),
  ...(init.medicationsFile !== undefined ? { medicationsFile: init.medicationsFile } : {}),
});

parentPort?.on('message', (unit: WorkUnit) => {
  runner.run(unit).then(
    (outcomes) => parentPort?.postMessage({ outcomes }),
    (err: unknown) => parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) }),
  );
});
