import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { RedisClientType } from 'redis';
import type { Metadata } from '../lib';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** An account of the shop. `data` holds the same shape as guest metadata: cart, prefs, consents. */
export interface Account {
  id: string;
  username: string;
  passwordHash: string;
  data: Metadata;
  /** Guest transfers already merged into this account (the last 100 transfer ids), written with the merge. */
  transfers?: string[];
  /** The fence of the last transfer written: a write with a smaller one comes from an attempt that lost its lease. */
  fence?: number;
}

/** The app's own user store: in memory, or in Redis when the shop runs on Redis. */
export interface Accounts {
  find(username: string): Promise<Account | undefined>;
  save(account: Account): Promise<void>;
  /**
   * Merges a guest into the account once: reads the account now (not as it was at the password check), skips a
   * `transferId` already applied, refuses a stale `fence`, and writes the merge, the id and the fence together.
   */
  applyTransfer(username: string, transferId: string, fence: number, merge: (account: Account) => Account): Promise<Account>;
}

/** A transfer whose lease lapsed while it ran: a newer transfer into the account has written since. */
export class StaleTransferError extends Error {}

const KEPT_TRANSFER_IDS = 100;

/** The account after one transfer, or the account as it is when `transferId` was applied before. */
function transferred(account: Account, transferId: string, fence: number, merge: (account: Account) => Account): Account {
  if (account.transfers?.includes(transferId)) return account;
  if ((account.fence ?? 0) > fence) throw new StaleTransferError(`transfer ${transferId} lost its lease: fence ${fence} < ${account.fence}`);
  return { ...merge(account), transfers: [...(account.transfers ?? []), transferId].slice(-KEPT_TRANSFER_IDS), fence };
}

export function memoryAccounts(): Accounts {
  const all = new Map<string, Account>();
  return {
    find: async (u) => all.get(u.toLowerCase()),
    save: async (a) => void all.set(a.username.toLowerCase(), a),
    applyTransfer: async (u, transferId, fence, merge) => {
      const account = all.get(u.toLowerCase());
      if (!account) throw new Error(`no account ${u}`);
      const next = transferred(account, transferId, fence, merge);
      all.set(u.toLowerCase(), next);
      return next;
    },
  };
}

/** Writes `next` only if the key still holds `expected`: the read, the checks and the write act as one. */
const COMPARE_AND_SET = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end redis.call('SET', KEYS[1], ARGV[2]) return 1`;

export function redisAccounts(client: RedisClientType, prefix = 'shop:user:'): Accounts {
  return {
    find: async (u) => {
      const json = await client.get(prefix + u.toLowerCase());
      return json ? (JSON.parse(json) as Account) : undefined;
    },
    save: async (a) => void (await client.set(prefix + a.username.toLowerCase(), JSON.stringify(a))),
    applyTransfer: async (u, transferId, fence, merge) => {
      const key = prefix + u.toLowerCase();
      for (let attempt = 0; attempt < 10; attempt++) {
        const json = await client.get(key);
        if (!json) throw new Error(`no account ${u}`);
        const account = JSON.parse(json) as Account;
        const next = transferred(account, transferId, fence, merge);
        if (next === account) return account; // applied before: nothing to write
        if ((await client.eval(COMPARE_AND_SET, { keys: [key], arguments: [json, JSON.stringify(next)] })) === 1) return next;
        // Another write to the account (not a transfer: those hold its lease) came in between: read again.
      }
      throw new Error(`account ${u} kept changing during a transfer`);
    },
  };
}

/** scrypt with a random 16-byte salt: `scrypt$<salt>$<hash>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32);
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [, salt, hash] = stored.split('$');
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length);
  return timingSafeEqual(actual, expected);
}
