import type { DeepReadonly, JsonValue, Metadata } from '../session/metadata';
import type { DroppedValue } from './drops';
import { FORBIDDEN_KEYS } from '../session/metadata';
import { reportDrop } from './drops';

/** Tells `mergeMetadata()` that a policy left a value out of the merge, and why. */
export type DropReporter = (value: JsonValue, from: 'user' | 'guest', reason: string) => void;

/**
 * Merges one top-level metadata key: `user` is the account's value, `guest` the anonymous one. A policy that
 * leaves (part of) a value out says so through `drop`, so nothing disappears silently.
 */
export type MergePolicy = (user: JsonValue | undefined, guest: JsonValue | undefined, drop?: DropReporter) => JsonValue | undefined;

const isObject = (v: JsonValue | undefined): v is { [key: string]: JsonValue } => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The guest's value replaces the user's (when the guest has one). */
export function replace(): MergePolicy {
  return (user, guest) => (guest === undefined ? user : guest);
}

/** The user's value stays; the guest's fills it only when the user has none. */
export function keepUser(): MergePolicy {
  return (user, guest) => (user === undefined ? guest : user);
}

/** Objects merge key by key, recursively; on a conflicting leaf `prefer` wins (default: the guest's newer value). */
export function deepMerge(options: { prefer?: 'guest' | 'user' } = {}): MergePolicy {
  const preferGuest = (options.prefer ?? 'guest') === 'guest';
  const merge = (user: JsonValue | undefined, guest: JsonValue | undefined): JsonValue | undefined => {
    if (isObject(user) && isObject(guest)) {
      const out: { [key: string]: JsonValue } = { ...user };
      for (const key of Object.keys(guest)) out[key] = merge(user[key], guest[key]) as JsonValue;
      return out;
    }
    if (user === undefined) return guest;
    if (guest === undefined) return user;
    return preferGuest ? guest : user;
  };
  return merge;
}

/**
 * Arrays: the union (user's order first, no duplicates). Objects such as consents: every key of both, and where
 * both recorded a choice the user's recorded choice wins.
 */
export function union(): MergePolicy {
  return (user, guest) => {
    if (Array.isArray(user) && Array.isArray(guest)) {
      const seen = new Set(user.map((v) => JSON.stringify(v)));
      return [...user, ...guest.filter((v) => !seen.has(JSON.stringify(v)))];
    }
    if (isObject(user) && isObject(guest)) return { ...guest, ...user };
    return user === undefined ? guest : user;
  };
}

export interface CartOptions {
  /** Field naming the line's product. Default `sku`. */
  sku?: string;
  /** Field holding the quantity. Default `quantity`. */
  quantity?: string;
  /** `add` quantities of the same SKU, or keep the `max`. Default `add`. */
  mode?: 'add' | 'max';
  /** Most lines kept (the user's lines first). Default 100. */
  maxLines?: number;
  /** Most units of one SKU. Default 99. */
  maxQuantity?: number;
}

type Line = { [key: string]: JsonValue };

/**
 * Merges two carts by SKU, bounded in lines and quantity. A cart is an array of `{ sku, quantity, … }` lines (a
 * missing quantity counts 1) or of SKU strings (each one unit, as `cart: [...cart, sku]` builds it); mixed is fine.
 * When every line was a string the merged cart is strings too (one per unit), else `{ sku, quantity }` lines.
 * Repeated lines of one SKU in one cart add up; `mode` then combines the two carts. Anything else (a line that is
 * neither, a bad quantity, a line past `maxLines`, units past `maxQuantity`, a cart that is not an array) is
 * reported through `drop`: a transfer's outcome lists it in `dropped`, and it is logged.
 *
 * @example
 * cartBySku()(['tea', 'tea'], [{ sku: 'tea', quantity: 1 }, { sku: 'mug' }]); // [{ sku: 'tea', quantity: 3 }, { sku: 'mug', quantity: 1 }]
 * cartBySku()(['tea'], ['tea', 'mug']); // ['tea', 'tea', 'mug']
 */
export function cartBySku(options: CartOptions = {}): MergePolicy {
  const skuKey = options.sku ?? 'sku';
  const qtyKey = options.quantity ?? 'quantity';
  const maxLines = options.maxLines ?? 100;
  const maxQuantity = options.maxQuantity ?? 99;
  return (user, guest, drop = () => undefined) => {
    const merged = new Map<string, Line>();
    let onlyStrings = true;
    for (const [from, cart] of [['user', user], ['guest', guest]] as const) {
      if (cart === undefined) continue;
      if (!Array.isArray(cart)) {
        drop(cart, from, 'not an array of cart lines');
        continue;
      }
      // One cart's lines by SKU: repeated lines (and repeated SKU strings) add up.
      const own = new Map<string, Line>();
      for (const raw of cart) {
        const line = cartLine(raw, skuKey, qtyKey);
        if (typeof line === 'string') {
          drop(raw, from, line);
          continue;
        }
        if (typeof raw !== 'string') onlyStrings = false;
        const same = own.get(line[skuKey] as string);
        if (same) same[qtyKey] = (same[qtyKey] as number) + (line[qtyKey] as number);
        else own.set(line[skuKey] as string, line);
      }
      for (const [sku, line] of own) {
        const existing = merged.get(sku);
        if (!existing && merged.size >= maxLines) {
          drop(line, from, `over maxLines (${maxLines})`);
          continue;
        }
        const qty = line[qtyKey] as number;
        const before = existing ? (existing[qtyKey] as number) : 0;
        const wanted = existing && options.mode === 'max' ? Math.max(before, qty) : before + qty;
        if (wanted > maxQuantity) drop({ ...line, [qtyKey]: wanted - maxQuantity }, from, `over maxQuantity (${maxQuantity})`);
        if (existing) existing[qtyKey] = Math.min(wanted, maxQuantity);
        else merged.set(sku, { ...line, [qtyKey]: Math.min(wanted, maxQuantity) });
      }
    }
    if (user === undefined && guest === undefined) return undefined;
    if (onlyStrings) return [...merged.values()].flatMap((l) => Array<string>(l[qtyKey] as number).fill(l[skuKey] as string));
    return [...merged.values()];
  };
}

/** A cart line as `{ sku, quantity, … }`, or why it cannot be one. */
function cartLine(raw: JsonValue, skuKey: string, qtyKey: string): Line | string {
  if (typeof raw === 'string' && raw.length > 0) return { [skuKey]: raw, [qtyKey]: 1 };
  if (!isObject(raw) || typeof raw[skuKey] !== 'string' || raw[skuKey] === '') return `not a { ${skuKey}, ${qtyKey} } line or a SKU string`;
  const qty = raw[qtyKey];
  if (qty === undefined) return { ...raw, [qtyKey]: 1 };
  if (typeof qty !== 'number' || !Number.isFinite(qty) || qty < 0) return `${qtyKey} is not a number of at least 0`;
  return { ...raw, [qtyKey]: Math.floor(qty) };
}

/** How `mergeMetadata()` treats keys without a policy, and where dropped values go. */
export interface MergeOptions {
  /** The policy of keys not in `policies`. Default `keepUser()`. */
  fallback?: MergePolicy;
  /**
   * Receives every value a policy dropped. Default: inside `onTransfer`, the transfer records them (the outcome's
   * `dropped`, the event, a warning in the log); elsewhere they are only left out.
   */
  onDrop?: (dropped: DroppedValue) => void;
}

/**
 * Merges guest metadata into the user's, key by key: each top-level key by its policy, others by `fallback`
 * (default: keep the user's, fill from the guest). Values a policy cannot use are reported, never dropped silently.
 *
 * @example
 * const merged = mergeMetadata({ cart: cartBySku(), consents: union(), prefs: keepUser() }, user.data, anonymous.metadata);
 */
export function mergeMetadata<M extends object = Metadata>(
  policies: { [K in keyof M]?: MergePolicy },
  user: M | DeepReadonly<M>,
  guest: M | DeepReadonly<M>,
  options: MergeOptions | MergePolicy = {},
): M {
  const { fallback = keepUser(), onDrop = reportDrop } = typeof options === 'function' ? { fallback: options } : options;
  // Metadata is JSON at run time; `M` (an interface is fine) is only the app's view of it.
  const [u, g, p] = [user as unknown as Metadata, guest as unknown as Metadata, policies as Record<string, MergePolicy>];
  const out: Metadata = {};
  for (const key of new Set([...Object.keys(u), ...Object.keys(g)])) {
    if (FORBIDDEN_KEYS.has(key)) continue;
    const policy = Object.hasOwn(p, key) ? p[key] : fallback;
    const value = policy(u[key], g[key], (dropped, from, reason) => void onDrop({ key, from, value: dropped, reason }));
    if (value !== undefined) out[key] = value;
  }
  return out as unknown as M;
}
