/**
 * Small, strict readers for environment variables. A bad value stops start-up with a message naming the
 * variable, instead of running with a surprising default.
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** The modes NODE_ENV may name. Anything else (`prod`, `Production`, `staging`) refuses to start. */
export const MODES = ['development', 'test', 'production'] as const;
export type Mode = (typeof MODES)[number];

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function str(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

export function optionalStr(env: Env, name: string): string | undefined {
  return raw(env, name);
}

export function int(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new ConfigError(`${name} must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function bool(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${name} must be true or false, got "${value}"`);
}

export function list(env: Env, name: string, fallback: readonly string[]): string[] {
  const value = raw(env, name);
  if (value === undefined) return [...fallback];
  return value
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

/** Bytes in one unit of a size setting (b, or no unit, is 1). */
const SIZE_UNITS: Readonly<Record<string, number>> = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** Sizes such as "5mb", "512kb" or a number of bytes. */
export function bytes(env: Env, name: string, fallback: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(value);
  if (m?.[1] === undefined) throw new ConfigError(`${name} must be a size such as 5mb or 1048576, got "${value}"`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = SIZE_UNITS[unit] ?? 1;
  return Math.floor(Number(m[1]) * factor);
}

function isMode(value: string): value is Mode {
  return (MODES as readonly string[]).includes(value);
}

/**
 * NODE_ENV, exactly one of MODES (unset: development). An unknown value is refused rather than read as
 * development: `NODE_ENV=prod` meant production, and development runs with authentication off.
 */
export function nodeEnv(env: Env): Mode {
  const value = raw(env, 'NODE_ENV');
  if (value === undefined) return 'development';
  if (!isMode(value)) {
    throw new ConfigError(
      `NODE_ENV must be one of ${MODES.join(', ')} (exactly, in lower case), got "${value}": ` +
        'an unknown mode is refused because development runs with authentication off',
    );
  }
  return value;
}
