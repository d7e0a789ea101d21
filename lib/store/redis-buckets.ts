import type { AnonymousSessionRecord } from '../session/record';
import type { Script } from './redis-scripts';
import { INDEX_BUCKETS } from './lifecycle';
import { READ_MANY } from './redis-lifecycle-scripts';

/** What the indexes need from their RedisStore. */
export interface IndexHost {
  readonly prefix: string;
  /** Whether scripts must keep to one cluster slot (a cluster client, or a proxy that refuses cross-slot scripts). */
  readonly cluster: boolean;
  readonly graceMs: number;
  readonly client: unknown;
  /** True once the app closed the client. */
  closed(): boolean;
  run(script: Script, keys: string[], args: string[]): Promise<unknown>;
  key(sessionId: string): string;
  toRecord(sessionId: string, flat: string[]): AnonymousSessionRecord;
}

/** The keys of one index bucket; all share the hash tag `{<n>}`, so every bucket script runs on one slot. */
export interface BucketKeys {
  /** hash: 6-byte user hash → session ids */
  u: string;
  /** hash: the expiry index's position (c, o) and the bucket's session count (n) */
  m: string;
  /** a reaper's lease */
  l: string;
  /** the batch a reaper holds */
  w: string;
  /** prefix of the slot strings, `q:<slot>` */
  q: string;
}

/** A record as stored, with its count of failed deliveries. */
export interface Stored {
  record: AnonymousSessionRecord | undefined;
  attempts: number;
}

/** Keys per multi-key script on standalone Redis: keeps each script around a millisecond. */
const CHUNK = 500;

/** The bucket keys, and reads of session records in bulk, shared by the guest index and the expiry index. */
export class Buckets {
  readonly names: readonly string[] = Array.from({ length: INDEX_BUCKETS }, (_, b) => String(b));
  private readonly all: readonly BucketKeys[];

  constructor(readonly host: IndexHost) {
    this.all = this.names.map((b) => {
      const t = `${host.prefix}b:{${b}}:`;
      return { u: `${t}u`, m: `${t}m`, l: `${t}l`, w: `${t}w`, q: `${t}q:` };
    });
  }

  keys(bucket: number | string): BucketKeys {
    return this.all[Number(bucket)];
  }

  /** Records and failed-delivery counts by session id (a missing one maps to an undefined record). */
  async read(ids: string[]): Promise<Map<string, Stored>> {
    const replies = ids.length === 0 ? [] : await this.multi(READ_MANY, ids.map((id) => this.host.key(id)), [], true);
    const out = new Map<string, Stored>();
    ids.forEach((id, i) => {
      const flat = Array.isArray(replies[i]) ? (replies[i] as string[]) : []; // cjson writes an empty table as {}
      const rt = flat.indexOf('rt');
      out.set(id, { record: flat.length === 0 ? undefined : this.host.toRecord(id, flat), attempts: rt >= 0 && rt % 2 === 0 ? Number(flat[rt + 1]) : 0 });
    });
    return out;
  }

  /**
   * A script that loops over KEYS: one call per chunk on standalone Redis, one per key (pipelined) on a cluster.
   * With `json`, the script answers one JSON array (cjson) instead of a nested reply.
   */
  async multi(script: Script, keys: string[], args: string[], json = false): Promise<unknown[]> {
    const call = async (chunk: string[]) => {
      const reply = await this.host.run(script, chunk, args);
      return json ? (JSON.parse(String(reply)) as unknown[]) : (reply as unknown[]);
    };
    if (this.host.cluster) return (await Promise.all(keys.map((key) => call([key])))).map((r) => r[0]);
    const out: unknown[] = [];
    for (let i = 0; i < keys.length; i += CHUNK) out.push(...(await call(keys.slice(i, i + CHUNK))));
    return out;
  }
}

export function split(value: unknown): string[] {
  return typeof value === 'string' && value.length > 0 ? value.split(' ') : [];
}
