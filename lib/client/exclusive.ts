import { sleep } from './retry';

/** How long a Web Lock is kept after its task, for the task's storage writes to reach the other tabs (ms). */
const GRACE = 100;

/** The part of the Web Locks API (`navigator.locks`) the client uses. */
export interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** The page's `navigator.locks`, where there is one (browsers; not Node or React Native). */
export function webLocks(): LockManagerLike | undefined {
  return (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
}

/**
 * `queue` runs this client's tasks one at a time, in call order (a logout waits for a creation asked for before it).
 * `locked` runs a task under the Web Lock `name`, where there is one, so that tabs sharing a storage take turns:
 * such a task reads the storage again once it runs, since another tab may have done its work already.
 */
export function exclusive(name: string, locks: LockManagerLike | undefined) {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    queue<T>(task: () => Promise<T>): Promise<T> {
      const result = tail.then(task);
      tail = result.catch(() => undefined);
      return result;
    },
    locked<T>(task: () => Promise<T>): Promise<T> {
      // The caller has its result at once, but the lock is held a moment longer: a browser passes a localStorage
      // write to its other tabs asynchronously, and the next holder must read it.
      return locks
        ? new Promise<T>((resolve, reject) => {
            locks.request(name, () => task().then((result) => (resolve(result), sleep(GRACE)), reject)).catch(reject);
          })
        : task();
    },
  };
}
