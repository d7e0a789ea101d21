/**
 * `npm run bench` (full) and `npm run bench -- --quick` (a smoke run proving the harness works).
 * Each case is an Express server in its own process; this process is the load generator (autocannon). Cases and
 * baselines run interleaved (A B A B …); medians are reported with ratios to the baseline and checked against the
 * targets. Results: a table here, JSON in bench/results/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { startServer, type BenchServer } from './lib/processes';
import { load, type LoadSpec, type LoadResult } from './lib/load';
import { connect, redisBytesPerSession } from './lib/memory';
import { scale } from './lib/scale';
import { reapBench, reapClusterBench, type ReapResult } from './lib/reap';
import { startRedisServer, type RedisServer } from '../spec/support/redis-server';

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 1 : 3;
const SECONDS = QUICK ? 1 : 5;
const CONNECTIONS = QUICK ? 4 : 10;
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const wanted = (n: string) => !ONLY || ONLY.includes(n);
const CASE_SERVER = join(__dirname, 'servers', 'case-server.ts');
const PEER_DIR = join(__dirname, 'peer');

interface Measure {
  rps: number;
  p50: number;
  p99: number;
  cpuPerRequest: number;
  redisCommandsPerRequest?: number;
}

interface Row {
  case: string;
  ours: Measure;
  baseline: Measure;
  baselineName: string;
  /** ours / baseline CPU per request. */
  cpuRatio: number;
  /** ours / baseline requests per second. */
  rpsRatio: number;
  target: string;
  pass: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(server: BenchServer, spec: LoadSpec, redis?: Awaited<ReturnType<typeof connect>>): Promise<Measure> {
  const commands = async () => (redis ? roundTrips(await redis.info('commandstats')) : 0);
  const c0 = await commands();
  const cpu0 = await server.cpu();
  const r: LoadResult = await load(server.url, spec, SECONDS, CONNECTIONS);
  const cpu1 = await server.cpu();
  const c1 = await commands();
  if (r.requests === 0) throw new Error(`${server.name}: no successful request (${r.non2xx} non-2xx, ${r.errors} errors)`);
  const m: Measure = { rps: r.rps, p50: r.p50, p99: r.p99, cpuPerRequest: (cpu1 - cpu0) / r.requests };
  if (redis) m.redisCommandsPerRequest = (c1 - c0) / r.requests;
  return m;
}

/** Commands run inside our Lua scripts (the RedisStore sends only EVAL/EVALSHA itself). */
const SCRIPT_INNER = new Set(['hgetall', 'hget', 'hmget', 'hset', 'hdel', 'pexpireat', 'exists', 'hincrby', 'append']);

/** Round trips the apps made: every top-level command, not counting commands run inside scripts nor our INFO. */
function roundTrips(commandstats: string): number {
  let total = 0;
  for (const m of commandstats.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) {
    if (!SCRIPT_INNER.has(m[1]) && m[1] !== 'info') total += Number(m[2]);
  }
  return total;
}

/** Interleaved rounds of two servers; medians of each metric. */
async function pair(ours: BenchServer, base: BenchServer, specOurs: LoadSpec, specBase: LoadSpec, redis?: Awaited<ReturnType<typeof connect>>): Promise<[Measure, Measure]> {
  if (!QUICK) {
    await load(ours.url, specOurs, 1, CONNECTIONS);
    await load(base.url, specBase, 1, CONNECTIONS);
  }
  const a: Measure[] = [];
  const b: Measure[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    a.push(await measure(ours, specOurs, redis));
    b.push(await measure(base, specBase, redis));
  }
  const med = (ms: Measure[]): Measure => ({
    rps: median(ms.map((m) => m.rps)),
    p50: median(ms.map((m) => m.p50)),
    p99: median(ms.map((m) => m.p99)),
    cpuPerRequest: median(ms.map((m) => m.cpuPerRequest)),
    redisCommandsPerRequest: ms[0].redisCommandsPerRequest === undefined ? undefined : median(ms.map((m) => m.redisCommandsPerRequest!)),
  });
  return [med(a), med(b)];
}

async function cookieOf(url: string, path = '/'): Promise<string> {
  const res = await fetch(url + path);
  const cookie = res.headers.get('set-cookie');
  if (!cookie) throw new Error(`no cookie from ${url}${path}`);
  return cookie.split(';')[0];
}

function row(name: string, ours: Measure, baseline: Measure, baselineName: string, target: string, pass: (cpuRatio: number, rpsRatio: number) => boolean): Row {
  const cpuRatio = ours.cpuPerRequest / baseline.cpuPerRequest;
  const rpsRatio = ours.rps / baseline.rps;
  return { case: name, ours, baseline, baselineName, cpuRatio, rpsRatio, target, pass: pass(cpuRatio, rpsRatio) };
}

async function main(): Promise<void> {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const env = { EAS_BENCH_KEYS: JSON.stringify({ pem, secret: randomBytes(32).toString('base64url') }) };
  const redisServer: RedisServer = await startRedisServer();
  const redis = await connect(redisServer.url);
  const servers: BenchServer[] = [];
  const start = async (name: string, extra: Record<string, string> = {}, script = CASE_SERVER) => {
    const s = await startServer(name, script, { ...env, REDIS_URL: redisServer.url, ...extra });
    servers.push(s);
    return s;
  };
  const rows: Row[] = [];
  const notes: string[] = [];
  const memory: Record<string, number> = {};
  let scaleResult: Awaited<ReturnType<typeof scale>> | undefined;
  let reapResult: ReapResult | undefined;
  let reapCluster: ReapResult | undefined;

  try {
    // 1-3: cookie path, memory and Redis, returning and new guests.
    for (const kind of (['memory', 'redis'] as const).filter((k) => wanted(k === 'memory' ? '1' : '2') || wanted('3'))) {
      const ours = await start(`anon:${kind}`, { CASE: `anon:${kind}` });
      const base = await start(`session:${kind}`, { CASE: `session:${kind}` });
      const [oc, bc] = [await cookieOf(ours.url), await cookieOf(base.url)];
      const [o, b] = await pair(ours, base, { path: '/', headers: { cookie: oc } }, { path: '/', headers: { cookie: bc } }, kind === 'redis' ? redis : undefined);
      rows.push(
        kind === 'memory'
          ? row('1 returning guest, cookie, memory', o, b, 'express-session', 'CPU ≤ 1.15×', (c) => c <= 1.15)
          : row('2 returning guest, cookie, Redis', o, b, 'express-session + connect-redis', 'CPU ≤ 1.25×, ≤ 1 extra Redis round trip', (c) => c <= 1.25 && o.redisCommandsPerRequest! - b.redisCommandsPerRequest! <= 1.01),
      );
      const [no, nb] = await pair(ours, base, { path: '/' }, { path: '/' }, kind === 'redis' ? redis : undefined);
      rows.push(row(`3 new guest (auto-issue), ${kind}`, no, nb, 'express-session new session', 'CPU ≤ 1.30×', (c) => c <= 1.3));
      await ours.stop();
      await base.stop();
    }

    // 4: bearer route.
    if (wanted('4')) {
    const bearerOurs = await start('bearer:anon', { CASE: 'bearer:anon' });
    const bearerJose = await start('bearer:jose', { CASE: 'bearer:jose' });
    const bearerPj = await start('bearer:passport-jwt', { CASE: 'bearer:passport-jwt' });
    const bearerNoCache = await start('bearer:anon-nocache', { CASE: 'bearer:anon-nocache' });
    const token = ((await (await fetch(`${bearerOurs.url}/anonymous/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { access_token: string }).access_token;
    const bearerSpec = { path: '/api', headers: { authorization: `Bearer ${token}` } };
    const [bo, bj] = await pair(bearerOurs, bearerJose, bearerSpec, bearerSpec);
    rows.push(row('4 bearer route', bo, bj, 'passport + jose jwtVerify strategy', 'CPU ≤ 1.10×', (c) => c <= 1.1));
    const [bo2, bp] = await pair(bearerOurs, bearerPj, bearerSpec, bearerSpec);
    rows.push(row('4 bearer route', bo2, bp, 'passport-jwt', 'req/s ≥ 2.5×', (_c, r) => r >= 2.5));
    // Without the verified-token cache: every request pays the signature check, as the jose baseline does.
    const [bn, bj2] = await pair(bearerNoCache, bearerJose, bearerSpec, bearerSpec);
    rows.push(row('4 bearer route, cacheSize 0', bn, bj2, 'passport + jose jwtVerify strategy', 'CPU ≤ 1.10×', (c) => c <= 1.1));
    const [bn2, bp2] = await pair(bearerNoCache, bearerPj, bearerSpec, bearerSpec);
    rows.push(row('4 bearer route, cacheSize 0', bn2, bp2, 'passport-jwt', 'informational (req/s)', () => true));
    for (const s of [bearerOurs, bearerJose, bearerPj, bearerNoCache]) await s.stop();
    }

    // 5: token endpoint create (its server also serves the peer comparison).
    const tokenOurs = await start('token:anon', { CASE: 'token:anon' });
    const tokenJose = await start('token:jose', { CASE: 'token:jose' });
    const createSpec: LoadSpec = { path: '/anonymous/token', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' };
    if (wanted('5')) {
      const [to, tj] = await pair(tokenOurs, tokenJose, createSpec, createSpec);
      rows.push(row('5 POST /anonymous/token create', to, tj, 'jose sign ×2 + one store write', 'CPU ≤ 1.15×', (c) => c <= 1.15));
    }
    await tokenJose.stop();

    // 6: the peer, better-auth's anonymous plugin.
    if (!existsSync(join(PEER_DIR, 'node_modules', 'better-auth')) && !QUICK) {
      execFileSync('npm', ['ci', '--prefix', PEER_DIR], { stdio: 'inherit' });
    }
    if (!wanted('6')) {
      // not asked for
    } else if (existsSync(join(PEER_DIR, 'node_modules', 'better-auth'))) {
      const oursCookie = await start('anon:memory (peer)', { CASE: 'anon:memory' });
      for (const backend of ['memory', 'sqlite']) {
        // A fresh peer process for each measurement: the create run fills its store, which would slow the lookups.
        const creator = await start(`better-auth:${backend}`, { BACKEND: backend }, join(PEER_DIR, 'server.mjs'));
        const createHeaders = { origin: creator.url, 'content-type': 'application/json' };
        const [pc, bc] = await pair(tokenOurs, creator, createSpec, { path: '/api/auth/sign-in/anonymous', method: 'POST', headers: createHeaders, body: '{}' });
        rows.push(row(`6 peer: create (better-auth ${backend})`, pc, bc, `better-auth POST /sign-in/anonymous`, 'peer CPU ≥ 3× ours', (c) => 1 / c >= 3));
        await creator.stop();
        const peer = await start(`better-auth:${backend}`, { BACKEND: backend }, join(PEER_DIR, 'server.mjs'));
        const signIn = await fetch(`${peer.url}/api/auth/sign-in/anonymous`, { method: 'POST', headers: { origin: peer.url, 'content-type': 'application/json' }, body: '{}' });
        const peerCookie = signIn.headers.get('set-cookie')!.split(';')[0];
        const oc = await cookieOf(oursCookie.url);
        const [pr, br] = await pair(oursCookie, peer, { path: '/', headers: { cookie: oc } }, { path: '/api/auth/get-session', headers: { cookie: peerCookie } });
        rows.push(row(`6 peer: returning guest (better-auth ${backend})`, pr, br, 'better-auth GET /get-session', 'peer CPU ≥ 4× ours', (c) => 1 / c >= 4));
        await peer.stop();
      }
      await oursCookie.stop();
    } else {
      notes.push('6 peer: bench/peer not installed (the quick mode does not install it; `npm ci --prefix bench/peer`)');
    }
    await tokenOurs.stop();

    // Memory per session.
    if (wanted('memory')) {
    const count = QUICK ? 10_000 : 100_000;
    memory.redisBytesPerEmptySession = await redisBytesPerSession(redisServer.url, count, 'empty');
    memory.redisBytesPer1KiBSession = await redisBytesPerSession(redisServer.url, count, '1KiB');
    const heap = execFileSync(process.execPath, ['--expose-gc', '--import=tsx', join(__dirname, 'lib', 'heap-probe.ts')], { encoding: 'utf8', env: { ...process.env, COUNT: String(count) } });
    memory.memoryStoreHeapBytesPerSession = Number(heap.trim().split('\n').pop());
    }

    // Lifecycle: the reaper handing out expired guests (an in-process listener counts them) while another client PINGs.
    if (wanted('reap')) {
      reapResult = await reapBench(redisServer.url, QUICK ? 10_000 : 100_000);
    }
    if (wanted('reap-cluster')) {
      reapCluster = await reapClusterBench(QUICK ? 10_000 : 50_000);
    }

    // 7: scale.
    if (!wanted('7')) {
      // not asked for
    } else if (!QUICK || process.argv.includes('--scale')) {
      scaleResult = await scale(redisServer.url, QUICK ? 100_000 : 1_000_000);
    } else {
      notes.push('7 scale: 1,000,000 sessions run in the full mode only');
    }
  } finally {
    for (const s of servers) await s.stop();
    await redis.close();
    await redisServer.stop();
  }

  report(rows, memory, scaleResult, notes, reapResult, reapCluster);
}

function report(rows: Row[], memory: Record<string, number>, scaleResult: Awaited<ReturnType<typeof scale>> | undefined, notes: string[], reapResult?: ReapResult, reapCluster?: ReapResult): void {
  const f = (n: number, d = 0) => n.toFixed(d);
  console.log(`\nexpress-anonymous-session benchmarks (${QUICK ? 'quick' : 'full'}: ${ROUNDS} round(s) × ${SECONDS} s, ${CONNECTIONS} connections, medians)\n`);
  console.log(['case', 'baseline', 'ours req/s', 'base req/s', 'ours p50/p99 ms', 'base p50/p99 ms', 'ours CPU µs/req', 'base CPU µs/req', 'CPU ratio', 'req/s ratio', 'target', ''].join(' | '));
  for (const r of rows) {
    const redisNote = r.ours.redisCommandsPerRequest !== undefined ? ` (Redis round trips/req ${f(r.ours.redisCommandsPerRequest, 2)} vs ${f(r.baseline.redisCommandsPerRequest!, 2)})` : '';
    console.log([r.case, r.baselineName, f(r.ours.rps), f(r.baseline.rps), `${r.ours.p50}/${r.ours.p99}`, `${r.baseline.p50}/${r.baseline.p99}`, f(r.ours.cpuPerRequest, 1), f(r.baseline.cpuPerRequest, 1), f(r.cpuRatio, 2), f(r.rpsRatio, 2), r.target + redisNote, r.pass ? 'PASS' : 'MISS'].join(' | '));
  }
  console.log('\nmemory');
  for (const [k, v] of Object.entries(memory)) console.log(`  ${k}: ${f(v)} bytes`);
  if (memory.redisBytesPerEmptySession !== undefined) {
    console.log(`  (Redis, index included: target < 450 bytes per empty guest: ${memory.redisBytesPerEmptySession < 450 ? 'PASS' : 'MISS'})`);
  }
  for (const [label, r] of [['one Redis', reapResult], ['local 3-master Redis Cluster', reapCluster]] as const) {
    if (!r) continue;
    console.log(`\nreap, ${label} (${r.guests} expired guests, default reaper, one process): ${f(r.perSecond)} guests/s (${r === reapResult ? `target ≥ 50000: ${r.perSecond >= 50_000 ? 'PASS' : 'MISS'}` : "informational: three masters and the reaper share this machine's cores"}); ` +
      `another client's PING p50/p99/max ${r.probe.p50.toFixed(2)}/${r.probe.p99.toFixed(2)}/${r.probe.max.toFixed(1)} ms over ${r.probe.samples} samples (target p99 < 10 ms: ${r.probe.p99 < 10 ? 'PASS' : 'MISS'}); ` +
      `reaper scripts p99/p99.9 ${f(r.scriptP99Usec ?? 0)}/${f(r.scriptMaxUsec ?? 0)} µs; Redis busy ${f(r.redisBusy * 100)}% of the time; reaper process ${f(r.reaperCpuPerGuest, 1)} µs CPU per guest`);
  }
  if (scaleResult) {
    console.log(`\n7 scale (${scaleResult.sessions} sessions in Redis): create p99 ${f(scaleResult.small.create)} → ${f(scaleResult.large.create)} µs (${f(scaleResult.large.create / scaleResult.small.create, 2)}×, target ≤ 1.5×); lookup p99 ${f(scaleResult.small.lookup)} → ${f(scaleResult.large.lookup)} µs (${f(scaleResult.large.lookup / scaleResult.small.lookup, 2)}×); ${f(scaleResult.bytesPerSession)} bytes/empty session (target ≤ 400)`);
  }
  for (const n of notes) console.log(`note: ${n}`);
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const out = { mode: QUICK ? 'quick' : 'full', date: new Date().toISOString(), node: process.version, rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, rows, memory, scale: scaleResult, reap: reapResult, reapCluster, notes };
  const name = QUICK ? 'quick' : ONLY ? 'partial' : 'latest';
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nwritten: bench/results/${name}.json`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
