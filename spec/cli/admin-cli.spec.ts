import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RedisStore } from '../../lib';
import { newRecord, type ActiveRecord } from '../../lib/session/record';
import { useRedisClient } from '../support/redis-client';
import { redisUrl, uniquePrefix } from '../support/redis';
import { TYPESCRIPT_CHILD } from '../support/typescript-child';

const client = useRedisClient();
const MAIN = join(__dirname, '../../lib/cli/main.ts');

/** Runs the CLI to its end: exit code, stdout, stderr. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [...TYPESCRIPT_CHILD, MAIN, ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('express-anonymous-session inspect|export|erase|count|list|reap|reindex', () => {
  let prefix: string;
  let store: RedisStore;
  let live: ActiveRecord;
  let second: ActiveRecord;
  let expired: ActiveRecord[];
  const redis = () => ['--redis-url', redisUrl(), '--prefix', prefix];

  beforeEach(async () => {
    prefix = uniquePrefix('cli');
    store = new RedisStore({ client: client(), prefix });
    const lifetimes = { idle: 3600, absolute: 86_400 };
    live = newRecord({ userId: 'anon|live', metadata: '{"cart":["tea"]}', now: Date.now(), lifetimes });
    second = newRecord({ userId: 'anon|live', metadata: '{}', now: Date.now(), lifetimes });
    // Two guests that expired an hour ago (their records are kept for the reaper).
    expired = [1, 2].map((n) => newRecord({ userId: `anon|gone-${n}`, metadata: `{"n":${n}}`, now: Date.now() - 2 * 3_600_000, lifetimes }));
    for (const r of [live, second, ...expired]) await store.create(r);
  });

  it('counts guests from the index, and every record by state with --exact', async () => {
    expect(JSON.parse((await cli('count', ...redis())).stdout)).toEqual({ guests: 3, sessions: 4 });
    expect(JSON.parse((await cli('count', '--exact', ...redis())).stdout)).toEqual({ guests: 3, sessions: 4, active: 4, revoked: 0, transferred: 0, expired: 2 });
  });

  it('inspects and exports a guest by anonymous id, and prints null for an unknown one', async () => {
    const inspected = JSON.parse((await cli('inspect', 'anon|live', ...redis())).stdout);
    expect(inspected.sessions.map((s: { sessionId: string }) => s.sessionId).sort()).toEqual([live.sessionId, second.sessionId].sort());
    const exported = JSON.parse((await cli('export', 'anon|live', ...redis())).stdout);
    expect(exported.sessions).toEqual(expect.arrayContaining([expect.objectContaining({ sessionId: live.sessionId, metadata: { cart: ['tea'] } })]));
    expect((await cli('inspect', 'anon|nobody', ...redis())).stdout.trim()).toBe('null');
  });

  it('reaps expired guests as NDJSON (a dry run only counts), then they are gone', async () => {
    const dry = await cli('reap', '--dry-run', ...redis());
    expect(dry.stdout).toBe('');
    expect(JSON.parse(dry.stderr)).toMatchObject({ expired: 2, dryRun: true });
    const reaped = await cli('reap', ...redis());
    const lines = reaped.stdout.trim().split('\n').map((l) => JSON.parse(l) as { sessionId: string; metadata: string; attempt: number });
    expect(lines.map((l) => l.sessionId).sort()).toEqual(expired.map((r) => r.sessionId).sort());
    expect(lines[0]).toMatchObject({ attempt: 1, state: 'active' });
    expect(JSON.parse(reaped.stderr)).toMatchObject({ expired: 2, delivered: 2 });
    expect(JSON.parse((await cli('count', ...redis())).stdout)).toEqual({ guests: 1, sessions: 2 });
  });

  it('erases a guest and prints what was deleted', async () => {
    const erased = JSON.parse((await cli('erase', 'anon|live', ...redis())).stdout);
    expect(erased).toMatchObject({ anonymousUserId: 'anon|live', tickets: 0, idempotencyKeys: 0 });
    expect(erased.sessionIds.sort()).toEqual([live.sessionId, second.sessionId].sort());
    expect((await cli('inspect', 'anon|live', ...redis())).stdout.trim()).toBe('null');
  });

  it('lists guests a page at a time and re-indexes idempotently', async () => {
    const page = JSON.parse((await cli('list', '--limit', '10', ...redis())).stdout);
    expect(page.guests.map((g: { anonymousUserId: string }) => g.anonymousUserId).sort()).toEqual(['anon|gone-1', 'anon|gone-2', 'anon|live']);
    expect(JSON.parse((await cli('reindex', ...redis())).stdout)).toEqual({ scanned: 4, indexed: 0 });
  });

  it('refuses a missing --redis-url, a missing id and an unknown option, with the usage', async () => {
    for (const args of [['count'], ['inspect', '--redis-url', redisUrl()], ['count', '--redis-url', redisUrl(), '--fast']]) {
      const res = await cli(...args);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('--redis-url <url>');
    }
  });

  it('opens no read-cache connection for one command: a user whose ACL has no CLIENT gets its answer and no warning', async () => {
    const user = `eas-cli-${process.pid}-${Date.now()}`;
    await client().sendCommand(['ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', '-client']);
    try {
      const url = new URL(redisUrl());
      url.username = user;
      url.password = 'pw';
      const res = await cli('inspect', 'anon|live', '--redis-url', url.toString(), '--prefix', prefix);
      expect(res.code).toBe(0);
      expect(JSON.parse(res.stdout).sessions).toHaveLength(2);
      expect(res.stderr).toBe('');
    } finally {
      await client().sendCommand(['ACL', 'DELUSER', user]);
    }
  });
});
