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
}

/** The app's own user store: in memory, or in Redis when the shop runs on Redis. */
export interface Accounts {
  find(username: string): Promise<Account | undefined>;
  save(account: Account): Promise<void>;
}

export function memoryAccounts(): Accounts {
  const all = new Map<string, Account>();
  return { find: async (u) => all.get(u.toLowerCase()), save: async (a) => void all.set(a.username.toLowerCase(), a) };
}

export function redisAccounts(client: RedisClientType, prefix = 'shop:user:'): Accounts {
  return {
    find: async (u) => {
      const json = await client.get(prefix + u.toLowerCase());
      return json ? (JSON.parse(json) as Account) : undefined;
    },
    save: async (a) => void (await client.set(prefix + a.username.toLowerCase(), JSON.stringify(a))),
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
