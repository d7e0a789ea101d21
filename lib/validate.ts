import { ConfigurationError } from './errors';

/** Option checks shared by every constructor; each message names the option path. */

export function positiveInteger(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(option, `must be a positive integer, got ${show(value)}`);
  }
  return value;
}

export function nonEmptyString(value: unknown, option: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ConfigurationError(option, `must be a non-empty string, got ${show(value)}`);
  }
  return value;
}

export function optionalFunction<T>(value: T | undefined, option: string): T | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new ConfigurationError(option, `must be a function, got ${show(value)}`);
  }
  return value;
}

export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
