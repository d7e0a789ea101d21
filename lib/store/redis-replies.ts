import { ConfigurationError } from '../errors';
import { optionsObject, positiveInteger } from '../config/validate';

/** `WAIT` after a transfer completes: how many replicas must have the write, and how long to wait for them. */
export interface WaitForReplicas {
  /** Replicas that must acknowledge. On Redis Cluster with one replica per master, 1. */
  replicas: number;
  /** Milliseconds `WAIT` blocks at most (it holds the connection meanwhile); below the store's `timeout`. */
  timeout: number;
  /**
   * Fewer replicas in time: `continue` (default) answers the login and the transfer logs a warning (after a failover
   * the new master has no replica until one is back, and logins keep working); `fail` answers 503 instead (its retry
   * finds the transfer done).
   */
  onShortfall?: 'continue' | 'fail';
}

/** The part of a node-redis client or cluster client `WAIT` is sent through. */
interface CommandClient {
  sendCommand?: (...args: never[]) => Promise<unknown>;
}

/**
 * Error replies that mean "not now" rather than "wrong": a cluster without a master for a slot (`CLUSTERDOWN`, while
 * a failover runs), a slot in migration (`TRYAGAIN`), a node loading its data, a demoted master answering a write
 * (`READONLY`), a master without its replicas (`NOREPLICAS`), a busy script, no memory. They become a 503.
 */
const TRANSIENT_REPLIES = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY|NOREPLICAS|BUSY|OOM|MOVED|ASK)\b/;

/** Redis answered with an error that is a bug, not an outage: surfaced as is (a 500), not as a 503. */
export function isServerError(err: unknown): boolean {
  return isErrorReply(err) && !TRANSIENT_REPLIES.test((err as Error).message);
}

/** node-redis's `ErrorReply` or a subclass (`SimpleError`, `BlobError`), by class name: the store imports nothing from redis. */
function isErrorReply(err: unknown): boolean {
  for (let c: unknown = (err as object | null)?.constructor; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) {
    if (c.name === 'ErrorReply') return true;
  }
  return false;
}

/**
 * `WAIT replicas timeout` on the connection that wrote `key`: a client's own, or on a cluster client the master of
 * the key's slot (node-redis keeps one connection per node, so it is the one the script ran on).
 */
export function sendWait(client: CommandClient, key: string, replicas: number, timeout: number): Promise<unknown> {
  const args = ['WAIT', String(replicas), String(timeout)];
  const send = client.sendCommand as unknown as (...a: unknown[]) => Promise<unknown>;
  return isCluster(client) ? send.call(client, key, false, args) : send.call(client, args);
}

/** A node-redis cluster client: it routes by key, and its `sendCommand` takes the key first. */
function isCluster(client: CommandClient): boolean {
  return 'masters' in client && 'nodeClient' in client;
}

export function resolveWait(value: WaitForReplicas, client: CommandClient, storeTimeout: number): Required<WaitForReplicas> {
  const w = optionsObject(value, 'RedisStore.waitForReplicas', ['replicas', 'timeout', 'onShortfall']);
  const replicas = positiveInteger(w.replicas, 'RedisStore.waitForReplicas.replicas');
  // WAIT 0 blocks forever; one that outlasts the store's timeout would be cut off by it.
  const timeout = positiveInteger(w.timeout, 'RedisStore.waitForReplicas.timeout');
  if (timeout >= storeTimeout) {
    throw new ConfigurationError('RedisStore.waitForReplicas.timeout', `must be below RedisStore.timeout (${storeTimeout} ms), got ${timeout}`);
  }
  if (typeof client.sendCommand !== 'function') throw new ConfigurationError('RedisStore.waitForReplicas', 'needs a node-redis client (one with sendCommand)');
  const onShortfall = w.onShortfall ?? 'continue';
  if (onShortfall !== 'continue' && onShortfall !== 'fail') {
    throw new ConfigurationError('RedisStore.waitForReplicas.onShortfall', `must be 'continue' or 'fail', got ${JSON.stringify(onShortfall)}`);
  }
  return { replicas, timeout, onShortfall };
}
