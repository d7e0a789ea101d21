import { AsyncLocalStorage } from 'node:async_hooks';
import type { JsonValue } from '../session/metadata';

/** A value a merge policy could not use: it is not in the merged metadata. */
export interface DroppedValue {
  /** The top-level metadata key. */
  key: string;
  /** Whose value it was: the account's or the guest's. */
  from: 'user' | 'guest';
  value: JsonValue;
  /** Why, in words (`not a { sku, quantity } line or a SKU string`, `over maxLines (100)`). */
  reason: string;
}

const collector = new AsyncLocalStorage<DroppedValue[]>();

/**
 * Runs the merge hook with a collector: every value `mergeMetadata()` drops while the hook runs (awaits included)
 * is recorded, so the transfer outcome reports it without the hook passing anything along.
 */
export async function collectDrops<T>(run: () => T | Promise<T>): Promise<{ result: T; dropped: DroppedValue[] }> {
  const dropped: DroppedValue[] = [];
  const result = await collector.run(dropped, run);
  return { result, dropped };
}

/** Records a dropped value with the transfer running in this async context; false outside a transfer. */
export function reportDrop(drop: DroppedValue): boolean {
  const dropped = collector.getStore();
  if (!dropped) return false;
  dropped.push(drop);
  return true;
}
