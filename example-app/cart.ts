import type { Metadata } from '../lib';
import { findProduct } from './catalog';

/** One line of a cart, as it is kept in guest metadata and in account data: `{ sku, quantity }`. */
export interface CartLine {
  sku: string;
  quantity: number;
}

export const MAX_QUANTITY = 99;

/** The cart in `data`, keeping only lines that name a product with a quantity of 1 to 99 (the data is the client's). */
export function cartOf(data: Metadata): CartLine[] {
  const raw = Array.isArray(data.cart) ? data.cart : [];
  return raw.flatMap((line) => {
    const l = line as { sku?: unknown; quantity?: unknown };
    return typeof l?.sku === 'string' && findProduct(l.sku) && Number.isInteger(l.quantity) && (l.quantity as number) > 0
      ? [{ sku: l.sku, quantity: Math.min(l.quantity as number, MAX_QUANTITY) }]
      : [];
  });
}

/** The cart with `sku`'s quantity changed by `next` (0 removes the line), as metadata. */
export function setQuantity(cart: CartLine[], sku: string, next: (current: number) => number): Metadata[] {
  const current = cart.find((l) => l.sku === sku)?.quantity ?? 0;
  const quantity = next(current);
  const others = cart.filter((l) => l.sku !== sku);
  const lines = quantity > 0 ? (current ? cart.map((l) => (l.sku === sku ? { sku, quantity } : l)) : [...others, { sku, quantity }]) : others;
  return lines as unknown as Metadata[];
}
