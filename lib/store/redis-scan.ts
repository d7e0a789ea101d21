/** The node-redis calls SCAN needs; RedisStore's public client type stays eval/evalSha only, so these are probed. */
interface Scanner {
  scan(cursor: string, options: { MATCH: string; COUNT: number }): Promise<{ cursor: string | number; keys: string[] }>;
}
interface ClusterLike {
  readonly masters: readonly unknown[];
  nodeClient(node: unknown): Scanner | Promise<Scanner>;
}

/** Whether a client is a node-redis cluster client (`createCluster()`). */
export function isClusterClient(client: unknown): boolean {
  const c = client as Partial<ClusterLike> | null;
  return c !== null && typeof c === 'object' && Array.isArray(c.masters) && typeof c.nodeClient === 'function';
}

/**
 * Walks every key matching `pattern` with SCAN (never KEYS): on each master of a cluster client, else on the one
 * server the client talks to.
 * `onBatch` gets up to ~`count` keys at a time; SCAN's guarantee holds: a key present throughout is seen at least once.
 */
export async function scanKeys(client: unknown, pattern: string, onBatch: (keys: string[]) => Promise<void>, count = 1000): Promise<void> {
  const nodes: Scanner[] = [];
  if (isClusterClient(client)) {
    const c = client as ClusterLike;
    for (const master of c.masters) nodes.push(await c.nodeClient(master));
  } else if (typeof (client as Partial<Scanner>).scan === 'function') {
    nodes.push(client as Scanner);
  } else {
    throw new TypeError('RedisStore: walking the keyspace needs a node-redis client or cluster client (SCAN)');
  }
  for (const node of nodes) {
    let cursor = '0';
    do {
      const reply = await node.scan(cursor, { MATCH: pattern, COUNT: count });
      cursor = String(reply.cursor);
      if (reply.keys.length > 0) await onBatch(reply.keys);
    } while (cursor !== '0');
  }
}
