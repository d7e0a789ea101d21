import type { ClientStorage } from '../../../lib/client';

/**
 * A frozen clock for the client's tests: Date and timers are fake (Retry-After waits, backoff, timeouts, expiry);
 * promises and microtasks stay real so awaited work runs.
 */
export function useFakeClock(start = Date.UTC(2026, 0, 1)): void {
  jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate', 'clearImmediate'], now: start });
}

/** Moves the fake clock by `ms`, running the timers due and the promise callbacks they free. */
export async function advance(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

/** Lets already-settled promise chains run to their end (no time passes). */
export async function settle(): Promise<void> {
  await jest.advanceTimersByTimeAsync(0);
}

/** `localStorage`/`sessionStorage` as the Web Storage API has them: strings in, strings or null out. */
export class FakeWebStorage implements ClientStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, String(value));
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/**
 * localStorage as Chromium gives it to tabs in different processes: each tab reads its own copy, and a write reaches
 * the other tabs' copies `lagMs` later. `tab()` makes one tab's view.
 */
export class LaggingLocalStorage {
  private readonly views: Map<string, string>[] = [];
  constructor(private readonly lagMs: number) {}
  tab(): FakeWebStorage {
    const own = new FakeWebStorage();
    this.views.push(own.items);
    const propagate = (change: (items: Map<string, string>) => void) => {
      change(own.items);
      for (const other of this.views) if (other !== own.items) setTimeout(() => change(other), this.lagMs);
    };
    own.setItem = (key, value) => propagate((items) => items.set(key, value));
    own.removeItem = (key) => propagate((items) => items.delete(key));
    return own;
  }
}

/** AsyncStorage / expo-secure-store: every method answers a promise, after a turn of the event loop. */
export class FakeAsyncStorage {
  readonly items = new Map<string, string>();
  readonly calls: string[] = [];
  async getItem(key: string): Promise<string | null> {
    this.calls.push(`get ${key}`);
    await Promise.resolve();
    return this.items.get(key) ?? null;
  }
  async setItem(key: string, value: string): Promise<void> {
    this.calls.push(`set ${key}`);
    await Promise.resolve();
    this.items.set(key, value);
  }
  async removeItem(key: string): Promise<void> {
    this.calls.push(`remove ${key}`);
    await Promise.resolve();
    this.items.delete(key);
  }
}

/**
 * `navigator.locks` as browsers have it: one holder per name at a time, the others queued in order; shared by the
 * "tabs" (clients) of one test.
 */
export class FakeLockManager {
  readonly requests: string[] = [];
  private readonly tails = new Map<string, Promise<unknown>>();
  request<T>(name: string, callback: () => Promise<T>): Promise<T> {
    this.requests.push(name);
    const result = (this.tails.get(name) ?? Promise.resolve()).then(() => callback());
    this.tails.set(name, result.catch(() => undefined));
    return result;
  }
}

/** Puts `value` at `globalThis[name]` (navigator, localStorage…) until the returned function restores it. */
export function setGlobal(name: string, value: unknown): () => void {
  const had = Object.getOwnPropertyDescriptor(globalThis, name);
  Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  return () => {
    if (had) Object.defineProperty(globalThis, name, had);
    else delete (globalThis as Record<string, unknown>)[name];
  };
}
