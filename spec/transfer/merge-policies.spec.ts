import { cartBySku, deepMerge, keepUser, mergeMetadata, replace, union, type JsonValue } from '../../lib';

describe('merge policies, per top-level metadata key', () => {
  it('replace: the guest value wins when there is one', () => {
    expect(replace()('user', 'guest')).toBe('guest');
    expect(replace()('user', undefined)).toBe('user');
  });

  it("keepUser: the user's value stays; the guest fills a gap", () => {
    expect(keepUser()('user', 'guest')).toBe('user');
    expect(keepUser()(undefined, 'guest')).toBe('guest');
  });

  it('deepMerge: objects merge recursively; conflicting leaves prefer the guest unless told otherwise', () => {
    const user = { currency: 'EUR', ui: { theme: 'dark', font: 'big' } };
    const guest = { currency: 'USD', ui: { theme: 'light' }, lang: 'fr' };
    expect(deepMerge()(user, guest)).toEqual({ currency: 'USD', ui: { theme: 'light', font: 'big' }, lang: 'fr' });
    expect(deepMerge({ prefer: 'user' })(user, guest)).toEqual({ currency: 'EUR', ui: { theme: 'dark', font: 'big' }, lang: 'fr' });
  });

  it("union: arrays without duplicates; consents keep the user's recorded choices", () => {
    expect(union()(['a', 'b'], ['b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(union()({ email: false, sms: true }, { email: true, analytics: true })).toEqual({ email: false, sms: true, analytics: true });
  });

  it('cartBySku: adds quantities of the same SKU, or keeps the larger, bounded', () => {
    const user: JsonValue[] = [{ sku: 'tea', quantity: 2, note: 'gift' }, { sku: 'mug', quantity: 1 }];
    const guest = [{ sku: 'tea', quantity: 3 }, { sku: 'pen', quantity: 1 }];
    expect(cartBySku()(user, guest)).toEqual([{ sku: 'tea', quantity: 5, note: 'gift' }, { sku: 'mug', quantity: 1 }, { sku: 'pen', quantity: 1 }]);
    expect(cartBySku({ mode: 'max' })(user, guest)).toEqual([{ sku: 'tea', quantity: 3, note: 'gift' }, { sku: 'mug', quantity: 1 }, { sku: 'pen', quantity: 1 }]);
    expect(cartBySku({ maxQuantity: 4, maxLines: 2 })(user, guest)).toEqual([{ sku: 'tea', quantity: 4, note: 'gift' }, { sku: 'mug', quantity: 1 }]);
    expect(cartBySku()(undefined, [{ sku: 'x' }, 'junk', { quantity: 2 }])).toEqual([{ sku: 'x', quantity: 1 }]);
  });

  it('mergeMetadata applies each key its policy and the fallback (keep the user) elsewhere', () => {
    const merged = mergeMetadata(
      { cart: cartBySku(), consents: union() },
      { cart: [{ sku: 'a', quantity: 1 }], consents: { email: false }, currency: 'EUR' },
      { cart: [{ sku: 'a', quantity: 1 }], consents: { email: true, ads: false }, currency: 'USD', lang: 'de' },
    );
    expect(merged).toEqual({ cart: [{ sku: 'a', quantity: 2 }], consents: { email: false, ads: false }, currency: 'EUR', lang: 'de' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
