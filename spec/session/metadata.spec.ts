import { MetadataError } from '../../lib';
import { mergePatch, serializeMetadata } from '../../lib/session/metadata';

const limits = { metadataBytes: 64, metadataDepth: 3, metadataKeys: 4 };

function expectMetadataError(fn: () => unknown, code: string, limit?: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MetadataError);
    expect((err as MetadataError).code).toBe(code);
    expect((err as MetadataError).limit).toBe(limit);
    expect((err as MetadataError).status).toBe(400);
    return;
  }
  throw new Error(`expected a MetadataError ${code}`);
}

describe('metadata limits', () => {
  it('accepts plain JSON within the limits and returns its serialization', () => {
    expect(serializeMetadata({ cart: ['a', 1, true, null], p: { c: 'EUR' } }, limits)).toBe(
      '{"cart":["a",1,true,null],"p":{"c":"EUR"}}',
    );
  });

  it('counts bytes in UTF-8, naming limits.metadataBytes', () => {
    expectMetadataError(() => serializeMetadata({ s: 'é'.repeat(30) }, limits), 'metadata_too_large', 'limits.metadataBytes');
    expect(() => serializeMetadata({ s: 'e'.repeat(50) }, limits)).not.toThrow();
  });

  it('bounds depth, naming limits.metadataDepth', () => {
    // the top-level object is depth 1; each nested object or array adds one
    expect(() => serializeMetadata({ a: { b: { c: 1 } } }, limits)).not.toThrow();
    expectMetadataError(() => serializeMetadata({ a: { b: { c: {} } } }, limits), 'metadata_too_deep', 'limits.metadataDepth');
    expectMetadataError(() => serializeMetadata({ a: [[[1]]] }, limits), 'metadata_too_deep', 'limits.metadataDepth');
  });

  it('counts keys across nested objects, naming limits.metadataKeys', () => {
    expect(() => serializeMetadata({ a: 1, b: { c: 1, d: 1 } }, limits)).not.toThrow();
    expectMetadataError(() => serializeMetadata({ a: 1, b: { c: 1, d: 1, e: 1 } }, limits), 'metadata_too_many_keys', 'limits.metadataKeys');
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the key %s at any depth', (key) => {
    const nested = JSON.parse(`{"a":{"${key}":{"polluted":true}}}`);
    expectMetadataError(() => serializeMetadata(nested, limits), 'metadata_forbidden_key');
    expectMetadataError(() => serializeMetadata(JSON.parse(`{"${key}":1}`), limits), 'metadata_forbidden_key');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['an array', []],
    ['a string', 'x'],
    ['null', null],
    ['a Date inside', { d: new Date() }],
    ['a function inside', { f: () => 1 }],
    ['undefined inside', { u: undefined }],
    ['NaN inside', { n: NaN }],
    ['a class instance', new (class Cart {})()],
  ])('refuses %s as not plain JSON', (_label, value) => {
    expectMetadataError(() => serializeMetadata(value, limits), 'metadata_invalid');
  });
});

describe('merge patch (RFC 7396)', () => {
  it('merges objects, replaces other values, deletes on null', () => {
    expect(mergePatch({ a: 1, p: { c: 'EUR', l: 'en' }, x: [1] }, { p: { c: 'USD', l: null }, x: [2], n: 'new', a: null })).toEqual({
      p: { c: 'USD' },
      x: [2],
      n: 'new',
    });
  });

  it('refuses forbidden keys in the patch', () => {
    expectMetadataError(() => mergePatch({}, JSON.parse('{"__proto__":{"x":1}}')), 'metadata_forbidden_key');
  });
});
