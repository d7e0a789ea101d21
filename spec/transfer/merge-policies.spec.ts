import { cartBySku, deepMerge, keepUser, mergeMetadata, replace, union, type DroppedValue, type JsonValue } from '../../lib';

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
    expect(cartBySku()(undefined, [{ sku: 'x' }, 42, { quantity: 2 }])).toEqual([{ sku: 'x', quantity: 1 }]);
  });

  it('cartBySku takes carts of SKU strings (one unit each), as `cart: [...cart, sku]` builds them', () => {
    expect(cartBySku()(['tea'], ['tea', 'mug', 'tea'])).toEqual(['tea', 'tea', 'tea', 'mug']);
    expect(cartBySku()(undefined, ['tea', 'tea'])).toEqual(['tea', 'tea']);
    // mixed forms merge into lines
    expect(cartBySku()([{ sku: 'tea', quantity: 2 }], ['tea', 'mug'])).toEqual([{ sku: 'tea', quantity: 3 }, { sku: 'mug', quantity: 1 }]);
    // a cart's repeated SKUs add up before `max` compares the two carts
    expect(cartBySku({ mode: 'max' })(['tea', 'tea'], ['tea'])).toEqual(['tea', 'tea']);
    expect(cartBySku({ mode: 'max' })([{ sku: 'tea', quantity: 1 }, { sku: 'tea', quantity: 2 }], [{ sku: 'tea', quantity: 2 }])).toEqual([{ sku: 'tea', quantity: 3 }]);
  });

  it('cartBySku reports every line it cannot use, whose it was and why; the rest merges', () => {
    const dropped: Array<[JsonValue, string, string]> = [];
    const drop = (value: JsonValue, from: 'user' | 'guest', reason: string) => void dropped.push([value, from, reason]);
    const merged = cartBySku({ maxLines: 2, maxQuantity: 5 })(
      [{ sku: 'tea', quantity: 4 }, { sku: 'bad', quantity: -1 }],
      [{ sku: 'tea', quantity: 3 }, 7, { qty: 1 }, { sku: 'mug', quantity: 'two' }, 'mug', 'pen'],
      drop,
    );
    expect(merged).toEqual([{ sku: 'tea', quantity: 5 }, { sku: 'mug', quantity: 1 }]);
    expect(dropped).toEqual([
      [{ sku: 'bad', quantity: -1 }, 'user', 'quantity is not a number of at least 0'],
      [7, 'guest', 'not a { sku, quantity } line or a SKU string'],
      [{ qty: 1 }, 'guest', 'not a { sku, quantity } line or a SKU string'],
      [{ sku: 'mug', quantity: 'two' }, 'guest', 'quantity is not a number of at least 0'],
      [{ sku: 'tea', quantity: 2 }, 'guest', 'over maxQuantity (5)'], // the units left out
      [{ sku: 'pen', quantity: 1 }, 'guest', 'over maxLines (2)'],
    ]);
    const whole: Array<[JsonValue, string, string]> = [];
    expect(cartBySku()({ tea: 1 }, undefined, (v, from, why) => void whole.push([v, from, why]))).toEqual([]);
    expect(whole).toEqual([[{ tea: 1 }, 'user', 'not an array of cart lines']]);
  });

  it('mergeMetadata hands dropped values to onDrop, with their key', () => {
    const dropped: DroppedValue[] = [];
    const merged = mergeMetadata({ cart: cartBySku() }, { cart: ['tea'] }, { cart: ['mug', { note: 'x' }] }, { onDrop: (d) => dropped.push(d) });
    expect(merged).toEqual({ cart: ['tea', 'mug'] });
    expect(dropped).toEqual([{ key: 'cart', from: 'guest', value: { note: 'x' }, reason: 'not a { sku, quantity } line or a SKU string' }]);
    // The fallback may still be given as the fourth argument.
    expect(mergeMetadata({}, { a: 1 }, { a: 2 }, replace())).toEqual({ a: 2 });
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
