/**
 * Node-side CPU of one store read, in one process against a private redis-server: `RedisStore.get()` beside the raw
 * `EVALSHA` it sends (`cjson.encode(HGETALL)` + `JSON.parse`), the plain `HGETALL` array reply it sent before (node-redis
 * decodes each of its ~20 elements: ~1.5× the CPU), and connect-redis's `GET` + `JSON.parse` (the baseline's read). Client CPU per operation
 * (`process.cpuUsage`), interleaved rounds, medians; "1 in flight" is how a server issues a returning guest's read.
 *
 *   node --require=tsx/cjs bench/store-micro.ts [--rounds=15] [--ops=4000]
 */
import { RedisStore } from '../lib';
import { newRecord } from '../lib/session/record';
import { GET } from '../lib/store/redis-scripts';
import { privateRedis } from './lib/redis';
import { cpuPerOp, median, type Op } from './lib/cpu';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const ROUNDS = arg('rounds', 15);
const OPS = arg('ops', 4000);


async function main(): Promise<void> {
  const { server, client } = await privateRedis();
  try {
    const store = new RedisStore({ client, prefix: 'micro:' });
    const record = newRecord({ userId: 'anon|micro', metadata: '{"cart":["tea"]}', now: Date.now(), lifetimes: { idle: 3600, absolute: 86400 } });
    await store.create(record);
    await client.set('sess:micro', JSON.stringify({ cookie: { originalMaxAge: 86400000, expires: new Date(Date.now() + 86400000), httpOnly: true, path: '/' }, anonymous: record.sessionId }));
    const key = store.key(record.sessionId);
    const sha = (await client.scriptLoad("return redis.call('HGETALL', KEYS[1])")) as string;
    const joined = (await client.scriptLoad("return table.concat(redis.call('HGETALL', KEYS[1]), '\\n')")) as string;
    const cjson = (await client.scriptLoad(GET.source)) as string;
    const ops: Record<string, Op> = {
      'raw EVALSHA (cjson) + JSON.parse': async () => JSON.parse((await client.evalSha(cjson, { keys: [key], arguments: [] })) as string),
      'raw EVALSHA (one joined string)': async () => ((await client.evalSha(joined, { keys: [key], arguments: [] })) as string).split('\n'),
      'connect-redis GET + JSON.parse': async () => JSON.parse((await client.get('sess:micro'))!),
      'raw EVALSHA (HGETALL array)': () => client.evalSha(sha, { keys: [key], arguments: [] }),
      'RedisStore.get()': () => store.get(record.sessionId),
    };
    for (const inFlight of [1, 10]) {
      const samples: Record<string, number[]> = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
      for (const op of Object.values(ops)) await cpuPerOp(op, OPS, inFlight); // warm-up
      for (let round = 0; round < ROUNDS; round++) {
        const names = round % 2 ? Object.keys(ops).reverse() : Object.keys(ops);
        for (const name of names) samples[name].push(await cpuPerOp(ops[name], OPS, inFlight));
      }
      console.log(`\n${inFlight} in flight (client CPU µs per operation, median of ${ROUNDS} rounds of ${OPS})`);
      for (const [name, xs] of Object.entries(samples)) console.log(`  ${name.padEnd(34)} ${median(xs).toFixed(1)}`);
    }
  } finally {
    client.destroy();
    await server.stop();
  }
}

void main();
