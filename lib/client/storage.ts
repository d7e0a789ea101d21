/**
 * Where the client keeps its one record. `localStorage` and `sessionStorage` fit as they are; React Native's
 * AsyncStorage too; expo-secure-store through a three-line adapter. Methods may return promises.
 *
 * @example
 * ```ts
 * import * as SecureStore from 'expo-secure-store';
 * const storage: ClientStorage = {
 *   getItem: (key) => SecureStore.getItemAsync(key),
 *   setItem: (key, value) => SecureStore.setItemAsync(key, value),
 *   removeItem: (key) => SecureStore.deleteItemAsync(key),
 * };
 * ```
 */
export interface ClientStorage {
  getItem(key: string): string | null | undefined | Promise<string | null | undefined>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

/**
 * The storages the client can name; `memory` is the default and keeps nothing past the page or process.
 *
 * @example
 * ```ts
 * const storage: StorageName = navigator.cookieEnabled ? 'sessionStorage' : 'memory';
 * ```
 */
export type StorageName = 'memory' | 'localStorage' | 'sessionStorage';

/**
 * A storage in this client's memory only: nothing outlives the page, nothing is readable from another tab. It holds
 * the one record of its client (whatever the key).
 */
export function memoryStorage(): ClientStorage {
  let record: string | undefined;
  return {
    getItem: () => record,
    setItem: (_key, value) => void (record = value),
    removeItem: () => void (record = undefined),
  };
}

/** The named Web Storage of this page, or undefined where there is none (Node, React Native, storage disabled). */
export function webStorage(name: 'localStorage' | 'sessionStorage'): ClientStorage | undefined {
  try {
    return (globalThis as unknown as Partial<Record<string, ClientStorage>>)[name];
  } catch {
    return undefined; // reading it throws where the user blocked site data
  }
}
