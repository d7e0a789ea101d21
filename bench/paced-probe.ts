/**
 * `node --require=tsx/cjs bench/paced-probe.ts`: case servers side by side at the same fixed rate, all under load at
 * once, CPU µs per request of each per round and the median ratio to the first. A quick look at one operating point
 * (the harness's duets give each side a share of its own speed instead). `CASES` (comma-separated case names of
 * bench/servers/case-server.ts; `name#lib` runs lib/ through tsx instead of dist/, `name@{json}` merges options into
 * ours), `RATE` (req/s each, default 600), `ROUNDS` (6), `SECONDS` (5), `PROF=1` (CPU profiles in /tmp/prof/).
 * Needs `npx tsc -p tsconfig.build.json` first (dist/).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startServer, type BenchServer } from './lib/processes';
import { load, type LoadSpec } from './lib/load';
import { startRedisServer } from '../spec/support/redis-server';

const RATE = Number(process.env.RATE ?? 600);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const SECONDS = Number(process.env.SECONDS ?? 5);
const CASES = (process.env.CASES ?? 'session:redis,session:redis-floor,anon:redis').split(',');

async function main(): Promise<void> {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const env = { EAS_BENCH_KEYS: JSON.stringify({ pem, secret: randomBytes(32).toString('base64url') }) };
  const redis = await startRedisServer();
  const servers: BenchServer[] = [];
  try {
    for (const c of CASES) {
      const [spec0, extra] = c.split('@');
      const [name, lib] = spec0.split('#');
      servers.push(await startServer(c, join(__dirname, 'servers/case-server.ts'), { ...env, REDIS_URL: redis.url, CASE: name, ...(lib ? { BENCH_LIB: lib } : {}), ...(extra ? { BENCH_ANON_OPTIONS: extra } : {}) }, process.env.PROF ? ['--cpu-prof', `--cpu-prof-dir=/tmp/prof/${spec0.replace(/\W/g, '_')}`] : []));
    }
    const token = CASES.map((c) => c.startsWith('token:'));
    const bearer = CASES.map((c) => c.startsWith('bearer:'));
    // One access token from the first bearer server serves them all (they share the keys).
    const firstBearer = servers[bearer.indexOf(true)];
    const accessToken = firstBearer
      ? ((await (await fetch(`${firstBearer.url}/anonymous/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { access_token: string }).access_token
      : '';
    const cookies = await Promise.all(servers.map(async (s, i) => (token[i] || bearer[i] ? '' : (await fetch(s.url + '/')).headers.get('set-cookie')!.split(';')[0])));
    const spec = (i: number): LoadSpec =>
      token[i]
        ? { path: '/anonymous/token', method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: '{}' }
        : bearer[i]
          ? { path: '/api', headers: { authorization: `Bearer ${accessToken}` } }
          : { path: '/', headers: { cookie: cookies[i] } };
    for (let w = 0; w < 3; w++) await Promise.all(servers.map((s, i) => load(s.url, spec(i), 4, 10)));
    const per: number[][] = servers.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      const before = await Promise.all(servers.map((s) => s.cpu()));
      const res = await Promise.all(servers.map((s, i) => load(s.url, spec(i), SECONDS, 10, RATE)));
      const after = await Promise.all(servers.map((s) => s.cpu()));
      servers.forEach((_, i) => per[i].push((after[i] - before[i]) / res[i].requests));
      console.log(servers.map((s, i) => `${s.name} ${per[i][r].toFixed(0)}`).join('  '), ' ratios vs first:', servers.slice(1).map((_, i) => (per[i + 1][r] / per[0][r]).toFixed(3)).join(' '));
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log('median ratio vs first:', servers.slice(1).map((s, i) => `${s.name} ${med(per[i + 1].map((x, k) => x / per[0][k])).toFixed(3)}`).join('  '));
  } finally {
    for (const s of servers) await s.stop();
    await redis.stop();
  }
}
void main();
