/**
 * `node --require=tsx/cjs bench/middleware-micro.ts`: case 2's code of ours, without HTTP and without express-session.
 * In one process against a private redis-server: `anon.middleware()` on a fake request whose express-session holds a
 * returning guest, beside the floor (one raw `EVALSHA` of the same read script) and `RedisStore.get()` alone. 10 in
 * flight, interleaved rounds, client CPU µs per request and the median of the paired differences to the floor: it
 * resolves the few µs an HTTP run's ±10% hides. `METRICS=0` turns the OpenTelemetry wrapper off. `ROUNDS` (default
 * 30) and `N` (requests per round, default 4000).
 */
import type { Request, RequestHandler, Response } from 'express';
import { anonymousSessions, RedisStore } from '../lib';
import { TEST_KEYS } from '../spec/support/keys';
import { GET } from '../lib/store/redis-scripts';
import { privateRedis } from './lib/redis';
import { cpuPerOp, median, type Op } from './lib/cpu';

const ROUNDS = Number(process.env.ROUNDS ?? 30);
const N = Number(process.env.N ?? 4000);
const IN_FLIGHT = 10;


/** A request as express-session leaves it for a returning guest: a session object holding the binding. */
function fakeRequest(sessionId: string): Request {
  return { method: 'GET', path: '/', url: '/', headers: { 'user-agent': 'Mozilla/5.0' }, sessionID: 'sid', session: { anonymous: sessionId, cookie: { originalMaxAge: 2_592_000_000 } }, get: () => undefined } as unknown as Request;
}

function run(middleware: RequestHandler, sessionId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = fakeRequest(sessionId);
    void middleware(req, {} as Response, (err?: unknown) => {
      if (err) return reject(err as Error);
      if (!req.anonymous) return reject(new Error('no guest loaded'));
      resolve();
    });
  });
}

async function main(): Promise<void> {
  const { server, client } = await privateRedis();
  try {
    const store = new RedisStore({ client, prefix: 'micro:' });
    const anon = anonymousSessions({
      issuer: 'http://127.0.0.1',
      audience: 'bench-api',
      keys: TEST_KEYS,
      store,
      rateLimit: false,
      lifecycle: { reaper: false },
      ...(process.env.METRICS === '0' ? { metrics: false as const } : {}),
    });
    const record = await anon.createSession({ metadata: { cart: ['tea'] } });
    const middleware = anon.middleware();
    const sha = (await client.scriptLoad(GET.source)) as string;
    const key = store.key(record.sessionId);
    const ops: Record<string, Op> = {
      'floor: raw EVALSHA': async () => JSON.parse((await client.evalSha(sha, { keys: [key], arguments: [] })) as string),
      'RedisStore.get()': () => store.get(record.sessionId),
      'anon.middleware(), returning guest': () => run(middleware, record.sessionId),
    };
    const names = Object.keys(ops);
    const samples: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
    for (const op of Object.values(ops)) await cpuPerOp(op, N, IN_FLIGHT); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of round % 2 ? [...names].reverse() : names) samples[name].push(await cpuPerOp(ops[name], N, IN_FLIGHT));
    }
    const floor = samples[names[0]];
    console.log(`client CPU µs per request, ${IN_FLIGHT} in flight, median of ${ROUNDS} rounds of ${N}${process.env.METRICS === '0' ? ' (metrics: false)' : ''}`);
    for (const name of names) {
      const diff = median(samples[name].map((x, i) => x - floor[i]));
      console.log(`  ${name.padEnd(36)} ${median(samples[name]).toFixed(1).padStart(6)}   over the floor ${diff >= 0 ? '+' : ''}${diff.toFixed(1)}`);
    }
    anon.close();
  } finally {
    client.destroy();
    await server.stop();
  }
}

void main();
