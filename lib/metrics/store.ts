import type { AnonymousStore } from '../store/types';
import type { Instrumentation } from './instrumentation';
import { AnonymousSessionError, isStoreOutage } from '../errors';
import { MemoryStore } from '../store/memory';
import { RedisStore } from '../store/redis';

/**
 * The store, with every asynchronous method timed: `anonymous_session.store.operation.duration` by method, and
 * `anonymous_session.store.errors` for each failure. A Proxy, so methods a store adds (or a later version of the
 * contract) are measured too, and `instanceof` still sees the store's class. Calls a store makes on itself are not
 * counted twice: the method runs with the store itself as `this`.
 */
export function measureStore<S extends AnonymousStore>(store: S, metrics: Instrumentation): S {
  const kind = store instanceof RedisStore ? 'redis' : store instanceof MemoryStore ? 'memory' : 'custom';
  // Keyed by the method itself, not its name: a method replaced later (a test's spy) is measured as it is now.
  const measured = new WeakMap<object, (...args: unknown[]) => unknown>();
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || typeof property !== 'string' || property === 'constructor') return value;
      const method = value as (...args: unknown[]) => unknown;
      let wrapper = measured.get(method);
      if (!wrapper) {
        wrapper = function measuredStoreOperation(...args: unknown[]): unknown {
          if (!metrics.timesStore()) return method.apply(target, args);
          const started = performance.now();
          const result = method.apply(target, args);
          if (!isThenable(result)) return result;
          return result.then(
            (value) => {
              metrics.storeOperation(property, kind, (performance.now() - started) / 1000);
              return value;
            },
            (err: unknown) => {
              metrics.storeOperation(property, kind, (performance.now() - started) / 1000, errorType(err));
              throw err;
            },
          );
        };
        measured.set(method, wrapper);
      }
      return wrapper;
    },
  });
}

function isThenable(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** A low-cardinality `error.type`: the library's error code, `temporarily_unavailable` for an outage, else the class. */
export function errorType(err: unknown): string {
  if (err instanceof AnonymousSessionError) return err.code;
  if (isStoreOutage(err)) return 'temporarily_unavailable';
  return err instanceof Error ? err.constructor.name : '_OTHER';
}
