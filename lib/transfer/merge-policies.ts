import type { JsonValue, Metadata } from '../session/metadata';
import { FORBIDDEN_KEYS } from '../session/metadata';

/** Merges one top-level metadata key: `user` is the account's value, `guest` the anonymous one. */
export type MergePolicy = (user: JsonValue | undefined, guest: JsonValue | undefined) => JsonValue | undefined;

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

/** Merges two carts (arrays of `{ sku, quantity, … }`) by SKU, bounded in lines and quantity. */
export function cartBySku(options: CartOptions = {}): MergePolicy {
  const skuKey = options.sku ?? 'sku';
  const qtyKey = options.quantity ?? 'quantity';
  const maxLines = options.maxLines ?? 100;
  const maxQuantity = options.maxQuantity ?? 99;
  return (user, guest) => {
    const lines = new Map<string, { [key: string]: JsonValue }>();
    for (const cart of [user, guest]) {
      if (!Array.isArray(cart)) continue;
      for (const line of cart) {
        if (!isObject(line) || typeof line[skuKey] !== 'string') continue;
        const sku = line[skuKey] as string;
        const qty = Number.isFinite(line[qtyKey]) ? Math.max(0, Math.floor(line[qtyKey] as number)) : 1;
        const existing = lines.get(sku);
        if (!existing) {
          if (lines.size < maxLines) lines.set(sku, { ...line, [qtyKey]: Math.min(qty, maxQuantity) });
          continue;
        }
        const before = existing[qtyKey] as number;
        existing[qtyKey] = Math.min(options.mode === 'max' ? Math.max(before, qty) : before + qty, maxQuantity);
      }
    }
    if (user === undefined && guest === undefined) return undefined;
    return [...lines.values()];
  };
}

/**
 * Merges guest metadata into the user's, key by key: each top-level key by its policy, others by `fallback`
 * (default: keep the user's, fill from the guest).
 *
 * @example
 * const merged = mergeMetadata({ cart: cartBySku(), consents: union(), prefs: keepUser() }, user.data, anonymous.metadata);
 */
export function mergeMetadata(policies: Record<string, MergePolicy>, user: Metadata, guest: Metadata, fallback: MergePolicy = keepUser()): Metadata {
  const out: Metadata = {};
  for (const key of new Set([...Object.keys(user), ...Object.keys(guest)])) {
    if (FORBIDDEN_KEYS.has(key)) continue;
    const policy = Object.hasOwn(policies, key) ? policies[key] : fallback;
    const value = policy(user[key], guest[key]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}
