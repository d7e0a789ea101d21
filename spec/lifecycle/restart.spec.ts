import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { anonymousSessions, RedisStore, type GuestExpiredEvent } from '../../lib';
import { TEST_KEYS } from '../support/keys';
import { useRedisClient } from '../support/redis-client';
import { redisUrl, uniquePrefix } from '../support/redis';
import { TYPESCRIPT_CHILD } from '../support/typescript-child';

const client = useRedisClient();
/** Past the guests' idle expiry (an hour) and the expiry index's 10-minute slot. */
const OFFSET_MS = (3600 + 11 * 60) * 1000;

/** Runs spec/support/lifecycle-process.ts to its end (or its death); answers its stdout and how it ended. */
function run(env: Record<string, string>): Promise<{ stdout: string; signal: NodeJS.Signals | null; code: number | null }> {
  const child = spawn(process.execPath, [...TYPESCRIPT_CHILD, join(__dirname, '../support/lifecycle-process.ts')], {
    env: { ...process.env, REDIS_URL: redisUrl(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`lifecycle process failed (${code}): ${stderr}`));
      else resolve({ stdout, signal, code });
    });
  });
}

describe('expired events survive process restarts (Redis)', () => {
  it('delivers the guests another process stored, including the batch a process died holding', async () => {
    const prefix = uniquePrefix('restart');
    // 1. A process stores guests, then exits: nothing of it keeps running.
    const created = JSON.parse((await run({ MODE: 'create', PREFIX: prefix, COUNT: '5' })).stdout) as string[];
    expect(created).toHaveLength(5);
    // 2. An hour later another process claims them for its listener and is killed before any listener resolves.
    const crashed = await run({ MODE: 'crash', PREFIX: prefix, OFFSET_MS: String(OFFSET_MS) });
    expect({ signal: crashed.signal, stdout: crashed.stdout }).toEqual({ signal: 'SIGKILL', stdout: 'claimed\n' });

    // 3. A fresh process, once the dead one's lease lapsed, gets every guest with its final record, then they are gone.
    const anon = anonymousSessions({
      issuer: 'https://shop.test',
      audience: 'https://api.shop.test',
      keys: TEST_KEYS,
      store: new RedisStore({ client: client(), prefix }),
      clock: () => Date.now() + OFFSET_MS,
      rateLimit: false,
      lifecycle: { reaper: false },
    });
    const delivered: GuestExpiredEvent[] = [];
    anon.on('expired', (e) => void delivered.push(e));
    // Every bucket but the one the dead process held under its lease (5 s)…
    const first = await anon.admin.reap();
    expect(first.expired).toBeLessThan(5);
    await new Promise((resolve) => setTimeout(resolve, 5500));
    // …and that one once the lease lapsed.
    const second = await anon.admin.reap();
    expect(second.expired).toBeGreaterThan(0);
    expect({ expired: first.expired + second.expired, delivered: first.delivered + second.delivered }).toEqual({ expired: 5, delivered: 5 });
    expect(delivered.map((e) => e.sessionId).sort()).toEqual([...created].sort());
    expect(delivered.map((e) => e.record.metadata)).toEqual(expect.arrayContaining([{ cart: ['item-0'] }, { cart: ['item-4'] }]));
    expect(await anon.admin.count()).toEqual({ guests: 0, sessions: 0 });
    anon.close();
  }, 60_000);
});
