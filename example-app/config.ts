import { randomBytes } from 'node:crypto';
import express from 'express';
import { keygen, type KeysOption } from '../lib';

/**
 * Everything the shop reads from its environment, checked once at start-up. Each refusal names the variable and
 * says how to fix it; the README's "Configuration" table lists the same variables.
 */
export interface ShopConfig {
  /** PORT: where to listen (0 picks a free port). Default 3000. */
  port: number;
  /** HOST: the address to listen on. Default 127.0.0.1. */
  host: string;
  /** PUBLIC_URL: the origin clients use, and the issuer of tokens. Default http://HOST:PORT as listened. */
  publicUrl?: string;
  /** REDIS_URL: sessions, guests and accounts in Redis. Default: all in memory. */
  redisUrl?: string;
  /** ANON_KEYS: the signing keys (JSON from `npm run -s keygen`). Required in production; else made at start-up, with a warning. */
  keys: KeysOption;
  /** SESSION_SECRET: signs the session cookie. Required in production; else made at start-up, with a warning. */
  sessionSecret: string;
  /** TRUST_PROXY: Express's `trust proxy`, for a reverse proxy in front. Default: none trusted. */
  trustProxy?: boolean | number | string;
  /** WORKERS: processes to run on this machine (node:cluster), sharing the port. Default 1. */
  workers: number;
  /** ACCESS_TOKEN_LIFETIME: seconds an access token lives, 1 to 3600. Default: the library's (900). */
  accessTokenLifetime?: number;
}

/** A setting the shop cannot start with. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const KEYGEN_HINT = 'make one with `npm run -s keygen`';
const SECRET_HINT = "e.g. SESSION_SECRET=$(node -p \"require('crypto').randomBytes(32).toString('base64url')\")";

/** Reads and checks the environment; `warnings` are for development defaults that must not reach production. */
export function readConfig(env: NodeJS.ProcessEnv): { config: ShopConfig; warnings: string[] } {
  const warnings: string[] = [];
  const production = env.NODE_ENV === 'production';
  if (env.ISSUER !== undefined) warnings.push('ISSUER is not read: the issuer of tokens is PUBLIC_URL, the URL clients use for the shop');
  const config: ShopConfig = {
    port: port(env.PORT),
    host: set(env.HOST) ?? '127.0.0.1',
    publicUrl: publicUrl(set(env.PUBLIC_URL)),
    redisUrl: redisUrl(set(env.REDIS_URL)),
    keys: keys(set(env.ANON_KEYS), production, warnings),
    sessionSecret: sessionSecret(set(env.SESSION_SECRET), production, warnings),
    trustProxy: trustProxy(set(env.TRUST_PROXY)),
    workers: workers(set(env.WORKERS)),
    accessTokenLifetime: accessTokenLifetime(set(env.ACCESS_TOKEN_LIFETIME)),
  };
  if (config.workers > 1 && !config.redisUrl) {
    throw new ConfigError(`WORKERS=${config.workers} needs REDIS_URL: in memory, each worker would keep its own guests, sessions and accounts`);
  }
  if (!config.publicUrl && (config.host === '0.0.0.0' || config.host === '::')) {
    warnings.push(`PUBLIC_URL is not set, so tokens name http://${config.host}:… as their issuer; set PUBLIC_URL to the URL clients use`);
  }
  return { config, warnings };
}

/** What PUBLIC_URL defaults to: the address the shop listens on. */
export function defaultPublicUrl(host: string, port: number): string {
  return `http://${hostInUrl(host)}:${port}`;
}

export function hostInUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** An empty variable counts as unset (`REDIS_URL= npm start` means no Redis). */
function set(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function port(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 3000;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535) throw new ConfigError(`PORT must be a port number from 0 to 65535, got ${JSON.stringify(value)}`);
  return n;
}

function publicUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    url = new URL('invalid:');
  }
  const originOnly = (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash;
  if (!originOnly) {
    throw new ConfigError(`PUBLIC_URL must be the origin clients use, like https://shop.example or http://127.0.0.1:3000 (no path, query or fragment), got ${JSON.stringify(value)}`);
  }
  return url.origin;
}

function redisUrl(value: string | undefined): string | undefined {
  if (value !== undefined && !/^rediss?:\/\/[^/]/.test(value)) throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL, like redis://127.0.0.1:6379');
  return value;
}

/** Not configured: refused in production; in development made here, once, and shared with any WORKERS. */
function keys(value: string | undefined, production: boolean, warnings: string[]): KeysOption {
  if (value === undefined) {
    if (production) throw new ConfigError(`ANON_KEYS is required when NODE_ENV=production (every process must share it); ${KEYGEN_HINT}: ANON_KEYS="$(npm run -s keygen)"`);
    warnings.push(
      'ANON_KEYS is not set: signing keys were made at start-up, so tokens stop verifying when the shop restarts, and a ' +
        'shop started separately cannot verify them. Set ANON_KEYS="$(npm run -s keygen)" to keep them; NODE_ENV=production refuses to start without it.',
    );
    return keygen();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new ConfigError(`ANON_KEYS is not JSON (${(err as Error).message}); ${KEYGEN_HINT}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`ANON_KEYS must be a JSON object; ${KEYGEN_HINT}`);
  return parsed as KeysOption; // the library checks the keys themselves, naming the one it refuses
}

/** Not configured: refused in production; in development made here, once, and shared with any WORKERS. */
function sessionSecret(value: string | undefined, production: boolean, warnings: string[]): string {
  if (value !== undefined) {
    if (value.length < 32) throw new ConfigError(`SESSION_SECRET must be at least 32 random characters, got ${value.length}; ${SECRET_HINT}`);
    return value;
  }
  if (production) throw new ConfigError(`SESSION_SECRET is required when NODE_ENV=production (every process must share it); ${SECRET_HINT}`);
  warnings.push(
    'SESSION_SECRET is not set: cookies are signed with a secret made at start-up, so sessions end when the shop restarts ' +
      `and a shop started separately cannot read them. Set it to keep them (${SECRET_HINT}); NODE_ENV=production refuses to start without it.`,
  );
  return randomBytes(32).toString('base64url');
}

function trustProxy(value: string | undefined): boolean | number | string | undefined {
  if (value === undefined) return undefined;
  const setting = value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value;
  try {
    express().set('trust proxy', setting); // compiles addresses and subnets, throwing on a bad one
  } catch (err) {
    throw new ConfigError(`TRUST_PROXY must be true, a hop count, or addresses/subnets such as "loopback, 10.0.0.0/8" (${(err as Error).message})`);
  }
  return setting;
}

/** Short lifetimes make renewal visible on the API cart page (the browser test uses a few seconds). */
function accessTokenLifetime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 3600) throw new ConfigError(`ACCESS_TOKEN_LIFETIME must be a whole number of seconds from 1 to 3600, got ${JSON.stringify(value)}`);
  return n;
}

function workers(value: string | undefined): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 64) throw new ConfigError(`WORKERS must be a whole number from 1 to 64, got ${JSON.stringify(value)}`);
  return n;
}
