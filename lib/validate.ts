import { ConfigurationError } from './errors';

/** RFC 6749 section 3.3 scope-token. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** Characters allowed inside an RFC 6750 challenge quoted-string. */
export const CHALLENGE_CHARS = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;
/** An idempotency key, as clients send it in `Idempotency-Key`. */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,64}$/;

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
