import type { RedisScriptClient } from '../store/redis';
import type { Logger } from '../config/logger';
import { RedisStore } from '../store/redis';
import { AdminService } from '../admin/admin';
import { LifecycleEmitter } from '../lifecycle/events';
import { Reaper } from '../lifecycle/reaper';
import { DEFAULT_REAPER } from '../lifecycle/options';

export const ADMIN_COMMANDS = ['inspect', 'export', 'erase', 'erase-links', 'count', 'list', 'reap', 'reindex'] as const;
export type AdminCommand = (typeof ADMIN_COMMANDS)[number];

export const ADMIN_USAGE = `Guests in a RedisStore (data rights, audits, the reaper):
  inspect <anonymous-user-id>   the guest's sessions (any state, with metadata) and transfer link, as JSON
  export <anonymous-user-id>    everything stored about the guest, as JSON (right of access)
  erase <anonymous-user-id>     deletes its sessions, tickets, idempotency entries and transfer link (right to erasure)
  erase-links <user-id>         deletes the transfer links into a real user who leaves
  count [--exact]               guests and sessions from the index; --exact walks every record (SCAN on each node)
  list [--cursor c] [--limit n] a page of guests, as JSON; pass the printed cursor back for the next page
  reap [--dry-run] [--limit n]  prints expired guests as NDJSON (one final record per line), deleting each once
                                written; --dry-run only counts them
  reindex                       indexes sessions stored before this version (run once after upgrading)

  --redis-url <url>[,<url>…]    the Redis (required); several URLs, or --cluster, for a Redis Cluster
  --cluster                     connect with createCluster()
  --prefix <prefix>             the RedisStore prefix (default eas:)
  --grace <seconds>             the RedisStore grace (default 86400): reindex extends records to expiry + grace`;

interface Flags {
  positional: string[];
  urls: string[];
  cluster: boolean;
  prefix: string;
  grace: number;
  exact: boolean;
  dryRun: boolean;
  limit: number | undefined;
  cursor: string | undefined;
}

interface Connection {
  client: RedisScriptClient;
  close(): Promise<unknown>;
}

interface Io {
  out(text: string): Promise<void>;
  err(text: string): void;
}

const stdio: Io = {
  out: (text) => new Promise((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve()))),
  err: (text) => process.stderr.write(`${text}\n`),
};

/** Runs one admin command against a RedisStore; answers the process exit code. */
export async function runAdmin(command: AdminCommand, argv: string[], io: Io = stdio): Promise<number> {
  const flags = parseFlags(argv);
  if (typeof flags === 'string' || flags.urls.length === 0) {
    io.err(`${typeof flags === 'string' ? flags : 'Missing --redis-url'}\n\n${ADMIN_USAGE}`);
    return 2;
  }
  const needsId = ['inspect', 'export', 'erase', 'erase-links'].includes(command);
  if (needsId !== (flags.positional.length === 1)) {
    io.err(`${command}: ${needsId ? 'expects one id' : 'takes no id'}\n\n${ADMIN_USAGE}`);
    return 2;
  }
  const connection = await connect(flags);
  try {
    const logger: Logger = { warn: (m) => io.err(m), error: (m, e) => io.err(`${m}: ${e instanceof Error ? e.message : String(e)}`) };
    const store = new RedisStore({ client: connection.client, prefix: flags.prefix, grace: flags.grace, timeout: 30_000, cache: false }); // one command: nothing to reuse
    const events = new LifecycleEmitter(logger);
    const reaper = new Reaper(store.guests, events, { ...DEFAULT_REAPER, concurrency: 1 }, Date.now, logger);
    const admin = new AdminService({ store, lifecycle: store.guests, reaper, clock: Date.now });
    const json = (value: unknown) => io.out(`${JSON.stringify(value ?? null, null, 2)}\n`);
    const [id] = flags.positional;
    switch (command) {
      case 'inspect':
        return (await json(await admin.find(id)), 0);
      case 'export':
        return (await json(await admin.export(id)), 0);
      case 'erase':
        return (await json(await admin.erase(id)), 0);
      case 'erase-links':
        return (await json({ userId: id, anonymousUserIds: await admin.eraseLinksOf(id) }), 0);
      case 'count':
        return (await json(flags.exact ? { ...(await admin.count()), ...(await admin.countSessions()) } : await admin.count()), 0);
      case 'list':
        return (await json(await admin.list({ cursor: flags.cursor, limit: flags.limit })), 0);
      case 'reindex':
        return (await json(await store.reindex()), 0);
      case 'reap': {
        // A record is deleted only after its line reached stdout: a crash re-prints it on the next run (at least once).
        events.on('expired', ({ record, attempt }) => io.out(`${JSON.stringify({ ...record, attempt })}\n`));
        const report = await admin.reap({ dryRun: flags.dryRun, limit: flags.limit });
        io.err(JSON.stringify(report));
        return 0;
      }
    }
  } finally {
    await connection.close();
  }
}

function parseFlags(argv: string[]): Flags | string {
  const flags: Flags = { positional: [], urls: [], cluster: false, prefix: 'eas:', grace: 86_400, exact: false, dryRun: false, limit: undefined, cursor: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${arg} needs a value`);
      return v;
    };
    try {
      if (arg === '--redis-url') flags.urls = value().split(',');
      else if (arg === '--cluster') flags.cluster = true;
      else if (arg === '--prefix') flags.prefix = value();
      else if (arg === '--grace') flags.grace = Number(value());
      else if (arg === '--exact') flags.exact = true;
      else if (arg === '--dry-run') flags.dryRun = true;
      else if (arg === '--limit') flags.limit = Number(value());
      else if (arg === '--cursor') flags.cursor = value();
      else if (arg.startsWith('--')) return `Unknown option: ${arg}`;
      else flags.positional.push(arg);
    } catch (err) {
      return (err as Error).message;
    }
  }
  if (flags.limit !== undefined && !(Number.isSafeInteger(flags.limit) && flags.limit > 0)) return '--limit must be a positive integer';
  return flags;
}

async function connect(flags: Flags): Promise<Connection> {
  let redis: typeof import('redis');
  try {
    redis = await import('redis');
  } catch {
    throw new Error('The admin commands need the `redis` package (npm install redis)');
  }
  if (flags.cluster || flags.urls.length > 1) {
    const cluster = redis.createCluster({ rootNodes: flags.urls.map((url) => ({ url })), defaults: { disableOfflineQueue: true } });
    cluster.on('error', () => undefined);
    await cluster.connect();
    return { client: cluster as unknown as RedisScriptClient, close: () => cluster.close() };
  }
  const client = redis.createClient({ url: flags.urls[0], disableOfflineQueue: true });
  client.on('error', () => undefined);
  await client.connect();
  return { client: client as unknown as RedisScriptClient, close: () => client.close() };
}
