import { isIPv4, isIPv6 } from 'node:net';
import type { Request } from 'express';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AnonymousStore } from './store/types';
import type { RateLimitOption } from './token-options';
import { RedisStore } from './store/redis';
import { AnonymousSessionError, StoreUnavailableError } from './errors';

/** Too many sessions created from one address: 429 with `Retry-After`. */
export class RateLimitedError extends AnonymousSessionError {
  constructor(retryAfterSeconds: number) {
    super('rate_limited', 'Too many anonymous sessions created from this address; retry later', {
      status: 429,
      expose: true,
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

/**
 * Limits session creation per client address, counted where the sessions live: in Redis for a `RedisStore`
 * (the limit holds across processes), in memory otherwise. rate-limiter-flexible does the counting.
 */
export class CreationLimiter {
  private readonly limiter: RateLimiterAbstract;

  constructor(
    store: AnonymousStore,
    private readonly options: Required<RateLimitOption>,
  ) {
    const common = { points: options.points, duration: options.duration, keyPrefix: 'eas-create' };
    this.limiter =
      store instanceof RedisStore
        ? new RateLimiterRedis({ ...common, storeClient: store.redisClient, useRedisPackage: true, rejectIfRedisNotReady: true, keyPrefix: `${store.keyPrefix}rl` })
        : new RateLimiterMemory(common);
  }

  /** Counts one creation for the request's address (`req.ip`, which honours Express's `trust proxy`). */
  async consume(req: Request): Promise<void> {
    try {
      await this.limiter.consume(clientKey(req.ip ?? 'unknown', this.options.ipv6Prefix));
    } catch (err) {
      if (err instanceof RateLimiterRes) throw new RateLimitedError(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
      throw new StoreUnavailableError('The rate-limit store is unavailable', 5, err);
    }
  }
}

/** IPv4 as is (also when IPv4-mapped); IPv6 reduced to its first `prefix` bits. */
export function clientKey(ip: string, prefix: number): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const groups = expandIPv6(ip);
  let bits = '';
  for (const g of groups) bits += parseInt(g, 16).toString(2).padStart(16, '0');
  const kept = bits.slice(0, prefix).padEnd(128, '0');
  const out: string[] = [];
  for (let i = 0; i < 128; i += 16) out.push(parseInt(kept.slice(i, i + 16), 2).toString(16));
  return `${out.join(':')}/${prefix}`;
}

function expandIPv6(ip: string): string[] {
  const clean = ip.split('%')[0];
  const [head, tail] = clean.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t];
}
