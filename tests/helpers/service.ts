import type { Express } from 'express';
import { loadServiceConfig, type ServiceConfig } from '../../src/config/service-config.js';
import { buildService, type Service, type ServiceOverrides } from '../../src/service.js';
import { captureLogs } from './log-capture.js';

export interface TestService extends Service {
  app: Express;
  logs: ReturnType<typeof captureLogs>;
}

/** The real service, configured as `npm start` would be from these environment variables (NODE_ENV=test). */
export async function testService(env: Record<string, string> = {}, overrides: ServiceOverrides = {}): Promise<TestService> {
  const config: ServiceConfig = loadServiceConfig({ NODE_ENV: 'test', FEEDBACK_STORE: 'memory', ...env });
  const logs = captureLogs();
  const service = await buildService(config, { log: logs.log, ...overrides });
  return { ...service, logs };
}
