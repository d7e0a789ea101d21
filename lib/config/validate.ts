import { ConfigurationError } from '../errors';

/** RFC 6749 section 3.3 scope-token. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** Characters RFC 6749 section 5.2 and RFC 6750 section 3 allow in `error_description` and challenge values. */
export const DESCRIPTION_CHARS = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;
/** A metadata update's idempotency key: scoped to one session, so it need not be secret. */
export const UPDATE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
/**
 * An `Idempotency-Key` at guest creation: whoever repeats it gets the first caller's guest, so it is a credential
 * and must be unguessable. 22 characters of this 66-symbol alphabet are more than 128 bits; a UUID passes.
 */
export const CREATION_KEY = /^[A-Za-z0-9_.:-]{22,255}$/;

/** Option checks shared by every constructor; each message names the option path. */

export function positiveInteger(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(option, `must be a positive integer, got ${show(value)}`);
  }
  return value;
}

export function integerInRange(value: unknown, option: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigurationError(option, `must be an integer from ${min} to ${max}, got ${show(value)}`);
  }
  return value;
}

export function nonEmptyString(value: unknown, option: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ConfigurationError(option, `must be a non-empty string, got ${show(value)}`);
  }
  return value;
}

export function boolean(value: unknown, option: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigurationError(option, `must be true or false, got ${show(value)}`);
  return value;
}

export function optionalFunction<T>(value: T | undefined, option: string): T | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new ConfigurationError(option, `must be a function, got ${show(value)}`);
  }
  return value;
}

/** An options object (or undefined), every key of which is known; an unknown key is refused with the nearest name. */
export function optionsObject<T extends object>(value: T | undefined, option: string, known: readonly string[]): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError(option, `must be an object, got ${show(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const path = option === 'options' ? key : `${option}.${key}`;
    const near = nearest(key, known);
    throw new ConfigurationError(path, `is not an option${near ? `; did you mean ${option === 'options' ? near : `${option}.${near}`}?` : ''} (known: ${known.join(', ')})`);
  }
  return value;
}

/** The known name closest to `name` (case, `_`/`-` and small typos forgiven), if any is close enough. */
export function nearest(name: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(norm(name), norm(candidate));
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  if (a.startsWith(b) || b.startsWith(a)) return Math.abs(a.length - b.length) > 2 ? 2 : Math.abs(a.length - b.length);
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
