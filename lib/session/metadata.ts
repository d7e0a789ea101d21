import { MetadataError } from '../errors';

/** A JSON value, as stored in anonymous session metadata. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** Application-defined metadata: a JSON object (cart reference, preferences, consents). Never a secure store. */
export type Metadata = { [key: string]: JsonValue };

/**
 * Declare your metadata's shape once, and `req.anonymous.metadata`, `update()`, `onTransfer`'s guest and the
 * merge helpers are typed with it everywhere:
 *
 * @example
 * declare module 'express-anonymous-session' {
 *   interface Register { metadata: { cart?: Array<{ sku: string; quantity: number }>; prefs?: { currency: string } } }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Register {}

/** The metadata type declared in `Register`, or plain JSON `Metadata`. */
export type RegisteredMetadata = Register extends { metadata: infer M extends object } ? M : Metadata;

/** What a frozen metadata snapshot is: read-only all the way down (mutating it throws at run time). */
export type DeepReadonly<T> = T extends (infer U)[] ? ReadonlyArray<DeepReadonly<U>> : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** An RFC 7396 merge patch of `M`: listed keys are replaced or merged, `null` deletes one. */
export type MetadataPatch<M> = { [K in keyof M]?: M[K] | null };

export interface MetadataLimits {
  /** Largest serialized size in UTF-8 bytes. */
  metadataBytes: number;
  /** Deepest nesting; the top-level object is depth 1. */
  metadataDepth: number;
  /** Most keys, counted over every nested object. */
  metadataKeys: number;
}

/** Keys that could reach an object's prototype: refused in metadata, in merges and in claim paths. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Checks that `value` is plain JSON inside the limits and returns its serialization.
 * Throws a `MetadataError` naming the broken limit; callers write nothing when it throws.
 */
export function serializeMetadata(value: unknown, limits: MetadataLimits): string {
  if (!isPlainObject(value)) {
    throw new MetadataError('metadata_invalid', 'Metadata must be a plain JSON object');
  }
  const counter = { keys: 0 };
  checkValue(value, 1, limits, counter);
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > limits.metadataBytes) {
    throw new MetadataError(
      'metadata_too_large',
      `Metadata is ${bytes} bytes; the limit (limits.metadataBytes) is ${limits.metadataBytes}`,
      'limits.metadataBytes',
    );
  }
  return json;
}

function checkValue(value: unknown, depth: number, limits: MetadataLimits, counter: { keys: number }): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new MetadataError('metadata_invalid', 'Metadata numbers must be finite');
    return;
  }
  const container = Array.isArray(value) || isPlainObject(value);
  if (!container) {
    throw new MetadataError('metadata_invalid', 'Metadata holds only JSON values (objects, arrays, strings, finite numbers, booleans, null)');
  }
  if (depth > limits.metadataDepth) {
    throw new MetadataError(
      'metadata_too_deep',
      `Metadata nests deeper than the limit (limits.metadataDepth) of ${limits.metadataDepth}`,
      'limits.metadataDepth',
    );
  }
  if (Array.isArray(value)) {
    for (const item of value) checkValue(item, depth + 1, limits, counter);
    return;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) {
      throw new MetadataError('metadata_forbidden_key', 'Metadata cannot use the keys __proto__, constructor or prototype');
    }
    counter.keys += 1;
    if (counter.keys > limits.metadataKeys) {
      throw new MetadataError(
        'metadata_too_many_keys',
        `Metadata has more keys than the limit (limits.metadataKeys) of ${limits.metadataKeys}`,
        'limits.metadataKeys',
      );
    }
    checkValue((value as Record<string, unknown>)[key], depth + 1, limits, counter);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Parses stored metadata. Stored metadata passed `serializeMetadata`, so it is trusted to be an object. */
export function parseMetadata(json: string): Metadata {
  return JSON.parse(json) as Metadata;
}

/**
 * RFC 7396 JSON Merge Patch: objects merge key by key, `null` deletes a key, anything else replaces.
 * Returns a new object; `target` is not modified.
 */
export function mergePatch(target: Metadata, patch: Metadata): Metadata {
  const result: Metadata = { ...target };
  for (const key of Object.keys(patch)) {
    if (FORBIDDEN_KEYS.has(key)) {
      throw new MetadataError('metadata_forbidden_key', 'Metadata cannot use the keys __proto__, constructor or prototype');
    }
    const value = patch[key];
    if (value === null) {
      delete result[key];
    } else if (isJsonObject(value) && isJsonObject(result[key])) {
      result[key] = mergePatch(result[key], value);
    } else {
      result[key] = value;
    }
  }
  return result;
}

function isJsonObject(value: JsonValue | undefined): value is Metadata {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Freezes a parsed metadata snapshot so code that mutates it by mistake fails loudly instead of silently. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
