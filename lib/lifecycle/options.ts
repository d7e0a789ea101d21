import { boolean, optionsObject, positiveInteger } from '../config/validate';

/** The in-app reaper: hands expired guests to `expired` listeners and deletes them. */
export interface ReaperOptions {
  /** Seconds between passes. Default 10. */
  interval?: number;
  /** Records per claimed batch: one lease; on Redis each of its scripts stays around a millisecond or two. Default 250. */
  batch?: number;
  /** Seconds a batch is held; renewed while listeners run; another process takes it over once it lapses. Default 30. */
  lease?: number;
  /** `expired` listeners running at once. Default 16. */
  concurrency?: number;
}

export interface LifecycleOptions {
  /**
   * Run the reaper in this process (any number of processes may: each batch is leased to one). `false` to run it
   * elsewhere (`npx express-anonymous-session reap`); the RedisStore's index is cleaned by the reaper. Default `true`.
   */
  reaper?: boolean | ReaperOptions;
}

export interface ResolvedReaperOptions {
  interval: number;
  batch: number;
  lease: number;
  concurrency: number;
}

export interface ResolvedLifecycleOptions {
  reaper: ResolvedReaperOptions | false;
}

export const DEFAULT_REAPER: ResolvedReaperOptions = { interval: 10, batch: 250, lease: 30, concurrency: 16 };

export function resolveLifecycleOptions(options: LifecycleOptions | undefined): ResolvedLifecycleOptions {
  const o = optionsObject(options, 'lifecycle', ['reaper']);
  if (o.reaper === undefined || typeof o.reaper === 'boolean') {
    return { reaper: boolean(o.reaper ?? true, 'lifecycle.reaper') ? DEFAULT_REAPER : false };
  }
  return { reaper: resolveReaperOptions(o.reaper, 'lifecycle.reaper') };
}

export function resolveReaperOptions(options: ReaperOptions, path: string): ResolvedReaperOptions {
  const r = optionsObject(options, path, ['interval', 'batch', 'lease', 'concurrency']);
  return {
    interval: positiveInteger(r.interval ?? DEFAULT_REAPER.interval, `${path}.interval`),
    batch: positiveInteger(r.batch ?? DEFAULT_REAPER.batch, `${path}.batch`),
    lease: positiveInteger(r.lease ?? DEFAULT_REAPER.lease, `${path}.lease`),
    concurrency: positiveInteger(r.concurrency ?? DEFAULT_REAPER.concurrency, `${path}.concurrency`),
  };
}
