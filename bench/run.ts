/**
 * `npm run bench` (full) and `npm run bench -- --quick` (a smoke run proving the harness works).
 * Each case is an Express server in its own process; this process is the load generator (autocannon). Cases and
 * baselines run interleaved (A B, then B A, …) at full speed, for req/s and latency; then in duet rounds (both at
 * once, each at a fixed share of its own full speed, so this VM's ±10–20% swings in CPU speed hit both alike: "duet
 * benchmarking", Bulej et al., ICPE 2020), for the CPU ratio, the median of the rounds' paired ratios. Targets are
 * checked against those. `--repeat N` runs the cases N times (fresh servers each time) and reports each ratio's median and
 * spread; a row passes only if every run met its target. Progress goes to stderr as the run goes; results: a table
 * on stdout, JSON in bench/results/. `--cpu-prof` writes a V8 CPU profile of every server to bench/results/profiles/.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { startServer, type BenchServer } from './lib/processes';
import { load, type LoadSpec, type LoadResult } from './lib/load';
import { connect, redisBytesPerSession } from './lib/memory';
import { scale } from './lib/scale';
import { Progress, clock } from './lib/progress';
import { reapBench, reapClusterBench, type ReapResult } from './lib/reap';
import { startRedisServer, type RedisServer } from '../spec/support/redis-server';

const ARGS = process.argv.slice(2);
const QUICK = ARGS.includes('--quick');
const ROUNDS = QUICK ? 1 : 3;
const SECONDS = QUICK ? 1 : 5;
const WARMUP = QUICK ? 0 : 1;
/** A server's first warm-up: V8 takes 2–3 s of this load to settle (µs/request falls ~45% over the first 3 s). */
const FIRST_WARMUP = QUICK ? 0 : 3;
const CONNECTIONS = QUICK ? 4 : 10;
/** Duet rounds per comparison, and each side's fixed rate as a share of its own full-speed req/s. */
const DUET_ROUNDS = QUICK ? 1 : 5;
const DUET_LOAD = 0.35;
/** Duet servers whose full-speed req/s are within this factor run at one rate; farther apart, each at its own share. */
const SAME_RATE_WITHIN = 1.5;
/** About how long `tsc -p tsconfig.build.json` takes here. */
const BUILD_SECONDS = 10;
const REPEAT = repeatArg();
const PROFILE = ARGS.includes('--cpu-prof');
const ONLY = ARGS.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const wanted = (n: string) => !ONLY || ONLY.includes(n);
const CASE_SERVER = join(__dirname, 'servers', 'case-server.ts');
const PEER_DIR = join(__dirname, 'peer');
const PEER_INSTALLED = () => existsSync(join(PEER_DIR, 'node_modules', 'better-auth'));
const PROFILE_DIR = join(__dirname, 'results', 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));
const progress = new Progress();

/** `--repeat N` or `--repeat=N`: how many times every case runs. */
function repeatArg(): number {
  const i = ARGS.findIndex((a) => a === '--repeat' || a.startsWith('--repeat='));
  if (i === -1) return 1;
  const value = ARGS[i].includes('=') ? ARGS[i].slice('--repeat='.length) : ARGS[i + 1];
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--repeat needs a whole number ≥ 1 (got ${value})`);
  return n;
}

interface Measure {
  rps: number;
  p50: number;
  p99: number;
  /** CPU µs per request in the duet rounds (both sides under the same fixed load at once). */
  cpuPerRequest: number;
  /** CPU µs per request in the full-speed rounds, one side at a time. */
  sequentialCpuPerRequest: number;
  redisCommandsPerRequest?: number;
}

interface Row {
  case: string;
  ours: Measure;
  baseline: Measure;
  baselineName: string;
  /** ours / baseline CPU per request: the median of the duet rounds' paired ratios. */
  cpuRatio: number;
  /** Each duet round's ours / baseline CPU per request. */
  duetRatios: number[];
  /** The duet rounds' rates, ours and base (req/s): equal, or each side's own share (see pair()). */
  duetRates: [number, number];
  /** ours / baseline CPU per request from the full-speed rounds, one side at a time (informational). */
  sequentialCpuRatio: number;
  /** ours / baseline requests per second. */
  rpsRatio: number;
  target: string;
  pass: boolean;
  /** Shown as "peer N× ours" (the peer rows' targets are on base / ours). */
  inverse?: boolean;
}

/** One row over the `--repeat` runs. */
interface Summary {
  case: string;
  baselineName: string;
  target: string;
  inverse?: boolean;
  runs: Row[];
  cpuRatio: Spread;
  sequentialCpuRatio: Spread;
  rpsRatio: Spread;
  oursCpu: number;
  baseCpu: number;
  oursRps: number;
  baseRps: number;
  roundTrips?: { ours: number; baseline: number };
  /** Runs that met the target. */
  passes: number;
  /** Every run met the target (the issue's "in every run"). */
  pass: boolean;
}

interface Spread {
  median: number;
  min: number;
  max: number;
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
  const perRequest = (cpu1 - cpu0) / r.requests;
  const m: Measure = { rps: r.rps, p50: r.p50, p99: r.p99, cpuPerRequest: perRequest, sequentialCpuPerRequest: perRequest };
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

/** What a pair of measurements is, for the progress lines. */
interface Step {
  label: string;
  run: number;
}

/** Seconds of one `pair()`: warm-ups, each round's two load runs (plus ~0.3 s of IPC and set-up each), the duets. */
const PAIR_SECONDS = 2 * WARMUP + ROUNDS * 2 * (SECONDS + 0.3) + DUET_ROUNDS * (SECONDS + 0.3);
/** Servers that have had their first (longer) warm-up. */
const warmed = new WeakSet<BenchServer>();
const SERVER_START_SECONDS = 1.5;

/** A comparison's two sides: the medians of the full-speed rounds, CPU from the duets, and each duet's ratio. */
interface Paired {
  ours: Measure;
  base: Measure;
  duetRatios: number[];
  /** The duet rounds' rates, ours and base (req/s). */
  duetRates: [number, number];
}

/**
 * Interleaved full-speed rounds of two servers, the order alternating (A B, B A, A B…) so that neither side always
 * runs first after the other: req/s, latency, round trips. Then duet rounds: both servers under load at the same
 * time, each at the same share of its own full speed, CPU per request of each, their ratio per round. One side at a time, a ratio moved by up to
 * ±20% on this VM as its CPU speed swung between the two measurements; at the same time, both see the same swing.
 */
async function pair(step: Step, ours: BenchServer, base: BenchServer, specOurs: LoadSpec, specBase: LoadSpec, redis?: Awaited<ReturnType<typeof connect>>): Promise<Paired> {
  const where = `${step.label}${REPEAT > 1 ? ` · run ${step.run}/${REPEAT}` : ''}`;
  if (WARMUP) {
    // A server meeting its second baseline (the jose strategy, our token server) has long been warm; a new one
    // gets the longer first warm-up, so neither side of a pair runs with a colder JIT than the other.
    const seconds = (s: BenchServer) => (warmed.has(s) ? WARMUP : FIRST_WARMUP);
    progress.step(`${where} · warm-up ${ours.name} (${seconds(ours)} s), ${base.name} (${seconds(base)} s)`, seconds(ours) + seconds(base));
    await load(ours.url, specOurs, seconds(ours), CONNECTIONS);
    await load(base.url, specBase, seconds(base), CONNECTIONS);
    warmed.add(ours);
    warmed.add(base);
  }
  const a: Measure[] = [];
  const b: Measure[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const oursFirst = round % 2 === 0;
    const [first, second] = oursFirst ? [ours, base] : [base, ours];
    progress.step(`${where} · round ${round + 1}/${ROUNDS}: ${first.name}, then ${second.name} (${SECONDS} s each)`, 2 * (SECONDS + 0.3));
    if (oursFirst) {
      a.push(await measure(ours, specOurs, redis));
      b.push(await measure(base, specBase, redis));
    } else {
      b.push(await measure(base, specBase, redis));
      a.push(await measure(ours, specOurs, redis));
    }
  }
  const med = (ms: Measure[]): Measure => ({
    rps: median(ms.map((m) => m.rps)),
    p50: median(ms.map((m) => m.p50)),
    p99: median(ms.map((m) => m.p99)),
    cpuPerRequest: median(ms.map((m) => m.cpuPerRequest)),
    sequentialCpuPerRequest: median(ms.map((m) => m.sequentialCpuPerRequest)),
    redisCommandsPerRequest: ms[0].redisCommandsPerRequest === undefined ? undefined : median(ms.map((m) => m.redisCommandsPerRequest!)),
  });
  const [o, bm] = [med(a), med(b)];

  // Duets: both servers under load at once, well below full speed (neither waits for a core the other holds).
  // Servers within 1.5× of each other's full speed (ours against its hand-written baseline) run at the SAME rate,
  // 35% of the slower one's: CPU per request at one load, with the same requests batched per event-loop turn. Below
  // saturation a server's CPU per request grows with the idle wake-ups between requests, so giving each side a share
  // of its own speed charged the slower side for its lower rate. Farther apart (ours against the 4×-slower peer), the
  // same rate would idle the faster side instead, so each side gets the same share of its own speed.
  const rateOf = (m: Measure) => Math.max(50, Math.round(DUET_LOAD * m.rps));
  const sameRate = Math.max(o.rps, bm.rps) <= SAME_RATE_WITHIN * Math.min(o.rps, bm.rps);
  const [rateOurs, rateBase] = sameRate ? [rateOf(o.rps < bm.rps ? o : bm), rateOf(o.rps < bm.rps ? o : bm)] : [rateOf(o), rateOf(bm)];
  const oursCpu: number[] = [];
  const baseCpu: number[] = [];
  for (let round = 0; round < DUET_ROUNDS; round++) {
    progress.step(`${where} · duet ${round + 1}/${DUET_ROUNDS}: ${ours.name} (${rateOurs} req/s) and ${base.name} (${rateBase} req/s) at once (${SECONDS} s)`, SECONDS + 0.3);
    const [o0, b0] = await Promise.all([ours.cpu(), base.cpu()]);
    const [ro, rb] = await Promise.all([load(ours.url, specOurs, SECONDS, CONNECTIONS, rateOurs), load(base.url, specBase, SECONDS, CONNECTIONS, rateBase)]);
    const [o1, b1] = await Promise.all([ours.cpu(), base.cpu()]);
    if (ro.requests === 0 || rb.requests === 0) throw new Error(`${where}: a duet round had no successful request (${ro.non2xx + rb.non2xx} non-2xx, ${ro.errors + rb.errors} errors)`);
    oursCpu.push((o1 - o0) / ro.requests);
    baseCpu.push((b1 - b0) / rb.requests);
  }
  return {
    ours: { ...o, cpuPerRequest: median(oursCpu) },
    base: { ...bm, cpuPerRequest: median(baseCpu) },
    duetRatios: oursCpu.map((x, i) => x / baseCpu[i]),
    duetRates: [rateOurs, rateBase],
  };
}

async function cookieOf(url: string, path = '/'): Promise<string> {
  const res = await fetch(url + path);
  const cookie = res.headers.get('set-cookie');
  if (!cookie) throw new Error(`no cookie from ${url}${path}`);
  return cookie.split(';')[0];
}

function row(name: string, p: Paired, baselineName: string, target: string, pass: (cpuRatio: number, rpsRatio: number) => boolean, inverse = false): Row {
  const { ours, base: baseline, duetRatios, duetRates } = p;
  const cpuRatio = median(duetRatios);
  const rpsRatio = ours.rps / baseline.rps;
  const sequentialCpuRatio = ours.sequentialCpuPerRequest / baseline.sequentialCpuPerRequest;
  const r: Row = { case: name, ours, baseline, baselineName, cpuRatio, duetRatios, duetRates, sequentialCpuRatio, rpsRatio, target, pass: pass(cpuRatio, rpsRatio) };
  if (inverse) r.inverse = true;
  return r;
}

/** Which measurements the options ask for, so the plan (and the time estimate) matches the run. */
function planned(peerAvailable: boolean) {
  const kinds = (['memory', 'redis'] as const).filter((k) => wanted(k === 'memory' ? '1' : '2') || wanted('3'));
  const peer = wanted('6') && peerAvailable;
  const pairs = kinds.length * 2 + (kinds.includes('redis') ? 2 : 0) + (wanted('4') ? 4 : 0) + (wanted('5') ? 1 : 0) + (peer ? 4 : 0);
  const servers = kinds.length * 2 + (kinds.includes('redis') ? 2 : 0) + (wanted('4') ? 4 : 0) + (wanted('5') ? 2 : peer ? 1 : 0) + (peer ? 5 : 0);
  const memory = wanted('memory');
  const runScale = wanted('7') && (!QUICK || ARGS.includes('--scale'));
  const reap = wanted('reap');
  const reapCluster = wanted('reap-cluster');
  return { kinds, peer, pairs, servers, memory, runScale, reap, reapCluster };
}

async function main(): Promise<void> {
  const installPeerFirst = wanted('6') && !QUICK && !PEER_INSTALLED();
  const plan = planned(PEER_INSTALLED() || installPeerFirst);
  const memorySeconds = QUICK ? 3 : 10;
  const scaleSeconds = QUICK ? 10 : 30;
  const peerInstallSeconds = 90;
  if (process.env.BENCH_LIB !== 'lib') progress.plan(BUILD_SECONDS);
  const reapSeconds = QUICK ? 5 : 20;
  progress.plan(REPEAT * (plan.pairs * PAIR_SECONDS + plan.servers * (SERVER_START_SECONDS + FIRST_WARMUP - WARMUP)));
  if (plan.memory) progress.plan(memorySeconds);
  if (plan.runScale) progress.plan(scaleSeconds);
  if (plan.reap) progress.plan(reapSeconds);
  if (plan.reapCluster) progress.plan(reapSeconds * 2);
  if (installPeerFirst) progress.plan(peerInstallSeconds);
  progress.note(
    `${QUICK ? 'quick' : 'full'} run: ${plan.pairs} comparison(s) × ${REPEAT} run(s), each ${ROUNDS} round(s) of ${SECONDS} s per side` +
      `${WARMUP ? ` after a ${WARMUP} s warm-up` : ''}${plan.memory ? ', memory' : ''}${plan.reap ? ', reap' : ''}${plan.reapCluster ? ', reap-cluster' : ''}${plan.runScale ? ', scale' : ''}` +
      `${PROFILE ? `; CPU profiles in ${PROFILE_DIR}` : ''}`,
  );

  // The peer is installed before anything is measured: npm's CPU would disturb a measurement running beside it.
  if (installPeerFirst) await installPeer(peerInstallSeconds);

  // The servers run the library as published (dist/, see bench/servers/case-server.ts): built from lib/ now.
  if (process.env.BENCH_LIB !== 'lib') {
    progress.step('building the library into dist/ (tsc): the servers run it as it is published', BUILD_SECONDS);
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(__dirname, '..', 'tsconfig.build.json')], { stdio: 'inherit' });
  }

  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const env = { EAS_BENCH_KEYS: JSON.stringify({ pem, secret: randomBytes(32).toString('base64url') }) };
  const redisServer: RedisServer = await startRedisServer();
  const redis = await connect(redisServer.url);
  const runs: Row[][] = [];
  const notes: string[] = [];
  const memory: Record<string, number> = {};
  let scaleResult: Awaited<ReturnType<typeof scale>> | undefined;
  let reapResult: ReapResult | undefined;
  let reapCluster: ReapResult | undefined;

  try {
    for (let run = 1; run <= REPEAT; run++) runs.push(await runCases(run, env, redisServer, redis, notes));

    // Memory per session.
    if (plan.memory) {
      const count = QUICK ? 10_000 : 100_000;
      progress.step(`memory: ${count.toLocaleString('en')} sessions into Redis (empty metadata, then 1 KiB), then into the MemoryStore`, memorySeconds);
      memory.redisBytesPerEmptySession = await redisBytesPerSession(redisServer.url, count, 'empty');
      memory.redisBytesPer1KiBSession = await redisBytesPerSession(redisServer.url, count, '1KiB');
      const heap = execFileSync(process.execPath, ['--expose-gc', '--require=tsx/cjs', join(__dirname, 'lib', 'heap-probe.ts')], { encoding: 'utf8', env: { ...process.env, COUNT: String(count) } });
      memory.memoryStoreHeapBytesPerSession = Number(heap.trim().split('\n').pop());
    }

    // Lifecycle: the reaper handing out expired guests (an in-process listener counts them) while another client PINGs.
    if (plan.reap) {
      const guests = QUICK ? 10_000 : 100_000;
      progress.step(`reap: ${guests.toLocaleString('en')} expired guests through the reaper on one Redis, PING latency alongside`, reapSeconds);
      reapResult = await reapBench(redisServer.url, guests);
    }
    if (plan.reapCluster) {
      const guests = QUICK ? 10_000 : 50_000;
      progress.step(`reap-cluster: ${guests.toLocaleString('en')} expired guests on a local 3-master Redis Cluster`, reapSeconds * 2);
      reapCluster = await reapClusterBench(guests);
    }

    // 7: scale.
    if (plan.runScale) {
      const sessions = QUICK ? 100_000 : 1_000_000;
      progress.step(`7 scale: ${sessions.toLocaleString('en')} sessions into Redis, p99 of creates and lookups at 10,000 and at ${sessions.toLocaleString('en')}`, scaleSeconds);
      scaleResult = await scale(redisServer.url, sessions);
    } else if (wanted('7')) {
      notes.push('7 scale: 1,000,000 sessions run in the full mode only');
    }
  } finally {
    await redis.close();
    await redisServer.stop();
  }

  progress.note('done');
  report(runs, memory, scaleResult, notes, reapResult, reapCluster);
}

/** One run of every selected case, on fresh server processes. */
async function runCases(run: number, env: Record<string, string>, redisServer: RedisServer, redis: Awaited<ReturnType<typeof connect>>, notes: string[]): Promise<Row[]> {
  const servers: BenchServer[] = [];
  const start = async (name: string, extra: Record<string, string> = {}, script = CASE_SERVER) => {
    const nodeArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, `run${run}-${name.replace(/[^A-Za-z0-9-]+/g, '_')}`)}`] : [];
    const s = await startServer(name, script, { ...env, REDIS_URL: redisServer.url, ...extra }, nodeArgs);
    servers.push(s);
    progress.advance(SERVER_START_SECONDS);
    return s;
  };
  const rows: Row[] = [];
  const step = (label: string): Step => ({ label, run });

  try {
    // 1-3: cookie path, memory and Redis, returning and new guests.
    for (const kind of planned(false).kinds) {
      progress.step(`cases ${kind === 'memory' ? 1 : 2} and 3 (${kind === 'memory' ? 'memory' : 'Redis'}): starting our server and express-session's`);
      const ours = await start(`anon:${kind}`, { CASE: `anon:${kind}` });
      const base = await start(`session:${kind}`, { CASE: `session:${kind}` });
      const [oc, bc] = [await cookieOf(ours.url), await cookieOf(base.url)];
      const returning = kind === 'memory' ? '1 returning guest, cookie, memory' : '2 returning guest, cookie, Redis';
      const o = await pair(step(returning), ours, base, { path: '/', headers: { cookie: oc } }, { path: '/', headers: { cookie: bc } }, kind === 'redis' ? redis : undefined);
      rows.push(
        kind === 'memory'
          ? row(returning, o, 'express-session', 'CPU ≤ 1.15×', (c) => c <= 1.15)
          : row(returning, o, 'express-session + connect-redis', 'CPU ≤ 1.15× (issue #16), ≤ 1 extra Redis round trip', (c) => c <= 1.15 && o.ours.redisCommandsPerRequest! - o.base.redisCommandsPerRequest! <= 1.01),
      );
      if (kind === 'redis') {
        // `cache: false`: every returning guest reads its record from Redis, one round trip more than express-session.
        const uncached = await start('anon:redis-nocache', { CASE: 'anon:redis-nocache' });
        const uc = await cookieOf(uncached.url);
        const uncachedName = `${returning}, RedisStore cache: false`;
        const uo = await pair(step(uncachedName), uncached, base, { path: '/', headers: { cookie: uc } }, { path: '/', headers: { cookie: bc } }, redis);
        rows.push(row(uncachedName, uo, 'express-session + connect-redis', 'informational (one extra round trip by design)', () => true));
        // Where that one extra round trip alone puts it: the same baseline plus one raw EVALSHA of our read script.
        const floor = await start('session:redis-floor', { CASE: 'session:redis-floor' });
        const fc = await cookieOf(floor.url);
        const fo = await pair(step(`${uncachedName} vs its floor`), uncached, floor, { path: '/', headers: { cookie: uc } }, { path: '/', headers: { cookie: fc } }, redis);
        rows.push(row(uncachedName, fo, 'express-session + connect-redis + one raw EVALSHA (the floor)', 'informational', () => true));
        await floor.stop();
        await uncached.stop();
      }
      const fresh = `3 new guest (auto-issue), ${kind}`;
      const no = await pair(step(fresh), ours, base, { path: '/' }, { path: '/' }, kind === 'redis' ? redis : undefined);
      rows.push(row(fresh, no, 'express-session new session', 'CPU ≤ 1.30×', (c) => c <= 1.3));
      await ours.stop();
      await base.stop();
    }

    // 4: bearer route.
    if (wanted('4')) {
      progress.step('case 4 (bearer): starting our strategy (cached, cacheSize 0), the minimal jose strategy, passport-jwt');
      const bearerOurs = await start('bearer:anon', { CASE: 'bearer:anon' });
      const bearerJose = await start('bearer:jose', { CASE: 'bearer:jose' });
      const bearerPj = await start('bearer:passport-jwt', { CASE: 'bearer:passport-jwt' });
      const bearerNoCache = await start('bearer:anon-nocache', { CASE: 'bearer:anon-nocache' });
      const token = ((await (await fetch(`${bearerOurs.url}/anonymous/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { access_token: string }).access_token;
      const bearerSpec = { path: '/api', headers: { authorization: `Bearer ${token}` } };
      const bo = await pair(step('4 bearer route vs jose'), bearerOurs, bearerJose, bearerSpec, bearerSpec);
      rows.push(row('4 bearer route', bo, 'passport + jose jwtVerify strategy', 'CPU ≤ 1.10×', (c) => c <= 1.1));
      const bo2 = await pair(step('4 bearer route vs passport-jwt'), bearerOurs, bearerPj, bearerSpec, bearerSpec);
      rows.push(row('4 bearer route', bo2, 'passport-jwt', 'req/s ≥ 2.5×', (_c, r) => r >= 2.5));
      // Without the verified-token cache: every request pays the signature check, as the jose baseline does.
      const bn = await pair(step('4 bearer route, cacheSize 0, vs jose'), bearerNoCache, bearerJose, bearerSpec, bearerSpec);
      rows.push(row('4 bearer route, cacheSize 0', bn, 'passport + jose jwtVerify strategy', 'CPU ≤ 1.10×', (c) => c <= 1.1));
      const bn2 = await pair(step('4 bearer route, cacheSize 0, vs passport-jwt'), bearerNoCache, bearerPj, bearerSpec, bearerSpec);
      rows.push(row('4 bearer route, cacheSize 0', bn2, 'passport-jwt', 'informational (req/s)', () => true));
      for (const s of [bearerOurs, bearerJose, bearerPj, bearerNoCache]) await s.stop();
    }

    // 5: token endpoint create (its server also serves the peer comparison).
    const peer = wanted('6') && PEER_INSTALLED();
    const createSpec: LoadSpec = { path: '/anonymous/token', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' };
    const tokenOurs = wanted('5') || peer ? await start('token:anon', { CASE: 'token:anon' }) : undefined;
    if (wanted('5')) {
      progress.step('case 5 (token endpoint): starting the jose sign + store write baseline');
      const tokenJose = await start('token:jose', { CASE: 'token:jose' });
      const to = await pair(step('5 POST /anonymous/token create'), tokenOurs!, tokenJose, createSpec, createSpec);
      rows.push(row('5 POST /anonymous/token create', to, 'jose sign ×2 + one store write', 'CPU ≤ 1.15×', (c) => c <= 1.15));
      await tokenJose.stop();
    }

    // 6: the peer, better-auth's anonymous plugin.
    if (peer) {
      const oursCookie = await start('anon:memory (peer)', { CASE: 'anon:memory' });
      for (const backend of ['memory', 'sqlite']) {
        // A fresh peer process for each measurement: the create run fills its store, which would slow the lookups.
        progress.step(`case 6 (peer, ${backend}): starting better-auth for the create run`);
        const creator = await start(`better-auth:${backend}`, { BACKEND: backend }, join(PEER_DIR, 'server.mjs'));
        const createHeaders = { origin: creator.url, 'content-type': 'application/json' };
        const pc = await pair(step(`6 peer: create (better-auth ${backend})`), tokenOurs!, creator, createSpec, { path: '/api/auth/sign-in/anonymous', method: 'POST', headers: createHeaders, body: '{}' });
        rows.push(row(`6 peer: create (better-auth ${backend})`, pc, `better-auth POST /sign-in/anonymous`, 'peer CPU ≥ 3× ours', (c) => 1 / c >= 3, true));
        await creator.stop();
        progress.step(`case 6 (peer, ${backend}): starting a fresh better-auth for the returning-guest run`);
        const peerServer = await start(`better-auth:${backend}`, { BACKEND: backend }, join(PEER_DIR, 'server.mjs'));
        const signIn = await fetch(`${peerServer.url}/api/auth/sign-in/anonymous`, { method: 'POST', headers: { origin: peerServer.url, 'content-type': 'application/json' }, body: '{}' });
        const peerCookie = signIn.headers.get('set-cookie')!.split(';')[0];
        const oc = await cookieOf(oursCookie.url);
        const pr = await pair(step(`6 peer: returning guest (better-auth ${backend})`), oursCookie, peerServer, { path: '/', headers: { cookie: oc } }, { path: '/api/auth/get-session', headers: { cookie: peerCookie } });
        rows.push(row(`6 peer: returning guest (better-auth ${backend})`, pr, 'better-auth GET /get-session', 'peer CPU ≥ 4× ours', (c) => 1 / c >= 4, true));
        await peerServer.stop();
      }
      await oursCookie.stop();
    } else if (wanted('6') && run === 1) {
      notes.push('6 peer: bench/peer not installed (the quick mode does not install it; `npm ci --prefix bench/peer`)');
    }
    await tokenOurs?.stop();
  } finally {
    for (const s of servers) await s.stop();
  }
  if (REPEAT > 1) {
    const ratios = rows.map((r) => `${r.case} vs ${r.baselineName} ${r.inverse ? `peer ${(1 / r.cpuRatio).toFixed(1)}× ours` : r.cpuRatio.toFixed(2)}${r.pass ? '' : ' MISS'}`);
    progress.note(`run ${run}/${REPEAT} done (CPU ratios): ${ratios.join('; ')}`);
  }
  return rows;
}

/** `npm ci` of the peer, with a heartbeat: it prints nothing for a minute or more. */
async function installPeer(plannedSeconds: number): Promise<void> {
  progress.step(`case 6: installing the peer (npm ci --prefix bench/peer: better-auth, better-sqlite3); its output follows`, plannedSeconds);
  const started = Date.now();
  const child = spawn('npm', ['ci', '--prefix', PEER_DIR], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => process.stderr.write(d));
  child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  const heartbeat = setInterval(() => progress.note(`still installing the peer (${clock((Date.now() - started) / 1000)})`), 15_000);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (code !== 0) throw new Error(`npm ci --prefix bench/peer exited with ${code}`);
  } finally {
    clearInterval(heartbeat);
  }
  progress.note(`peer installed in ${clock((Date.now() - started) / 1000)}`);
}

const spread = (xs: number[]): Spread => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

/** Rows of every run, grouped by case and baseline (every run has the same rows in the same order). */
function summarize(runs: Row[][]): Summary[] {
  return runs[0].map((first, i) => {
    const each = runs.map((rows) => rows[i]);
    const passes = each.filter((r) => r.pass).length;
    const s: Summary = {
      case: first.case,
      baselineName: first.baselineName,
      target: first.target,
      runs: each,
      cpuRatio: spread(each.map((r) => r.cpuRatio)),
      sequentialCpuRatio: spread(each.map((r) => r.sequentialCpuRatio)),
      rpsRatio: spread(each.map((r) => r.rpsRatio)),
      oursCpu: median(each.map((r) => r.ours.cpuPerRequest)),
      baseCpu: median(each.map((r) => r.baseline.cpuPerRequest)),
      oursRps: median(each.map((r) => r.ours.rps)),
      baseRps: median(each.map((r) => r.baseline.rps)),
      passes,
      pass: passes === each.length,
    };
    if (first.inverse) s.inverse = true;
    if (first.ours.redisCommandsPerRequest !== undefined) {
      s.roundTrips = { ours: median(each.map((r) => r.ours.redisCommandsPerRequest!)), baseline: median(each.map((r) => r.baseline.redisCommandsPerRequest!)) };
    }
    return s;
  });
}

function report(runs: Row[][], memory: Record<string, number>, scaleResult: Awaited<ReturnType<typeof scale>> | undefined, notes: string[], reapResult?: ReapResult, reapCluster?: ReapResult): void {
  const f = (n: number, d = 0) => n.toFixed(d);
  const rates = ([a, b]: [number, number]) => (a === b ? `both at ${a} req/s` : `at ${a} and ${b} req/s`);
  const summaries = summarize(runs);
  const mode = QUICK ? 'quick' : 'full';
  console.log(`\nexpress-anonymous-session benchmarks (${mode}: ${REPEAT > 1 ? `${REPEAT} runs × ` : ''}${ROUNDS} full-speed round(s) per side and ${DUET_ROUNDS} duet round(s) × ${SECONDS} s, ${CONNECTIONS} connections, medians)`);
  console.log(`CPU ratios: both sides at once at fixed rates (the same rate, ${DUET_LOAD * 100}% of the slower side's full-speed req/s, when the two are within ${SAME_RATE_WITHIN}× of each other; else each at ${DUET_LOAD * 100}% of its own), the median of the rounds' ratios; "one at a time": the full-speed rounds' ratio, informational\n`);
  if (REPEAT === 1) {
    console.log(['case', 'baseline', 'ours req/s', 'base req/s', 'ours p50/p99 ms', 'base p50/p99 ms', 'ours CPU µs/req (duet)', 'base CPU µs/req (duet)', 'CPU ratio (duet median)', 'duet ratios', 'CPU ratio one at a time', 'req/s ratio', 'target', ''].join(' | '));
    for (const r of runs[0]) {
      const redisNote = r.ours.redisCommandsPerRequest !== undefined ? ` (Redis round trips/req ${f(r.ours.redisCommandsPerRequest, 2)} vs ${f(r.baseline.redisCommandsPerRequest!, 2)})` : '';
      const cpu = r.inverse ? `${f(r.cpuRatio, 2)} (peer ${f(1 / r.cpuRatio, 1)}× ours)` : f(r.cpuRatio, 2);
      const duets = `${r.duetRatios.map((x) => f(x, 2)).join(' ')} (${rates(r.duetRates)})`;
      console.log([r.case, r.baselineName, f(r.ours.rps), f(r.baseline.rps), `${r.ours.p50}/${r.ours.p99}`, `${r.baseline.p50}/${r.baseline.p99}`, f(r.ours.cpuPerRequest, 1), f(r.baseline.cpuPerRequest, 1), cpu, duets, f(r.sequentialCpuRatio, 2), f(r.rpsRatio, 2), r.target + redisNote, r.pass ? 'PASS' : 'MISS'].join(' | '));
    }
  } else {
    // Median and spread of each ratio over the runs; a row passes when every run met its target.
    const ratio = (x: Spread, d = 2) => `${f(x.median, d)} (${f(x.min, d)}–${f(x.max, d)})`;
    const inv = (x: Spread): Spread => ({ median: 1 / x.median, min: 1 / x.max, max: 1 / x.min });
    console.log(['case', 'baseline', 'ours CPU µs/req (duet)', 'base CPU µs/req (duet)', 'CPU ratio median (min–max)', 'CPU ratio per run', 'one at a time, per run', 'req/s ratio median (min–max)', 'target', 'runs meeting it', ''].join(' | '));
    for (const s of summaries) {
      const redisNote = s.roundTrips ? ` (Redis round trips/req ${f(s.roundTrips.ours, 2)} vs ${f(s.roundTrips.baseline, 2)})` : '';
      const cpu = s.inverse ? `peer ${ratio(inv(s.cpuRatio), 1)}× ours` : ratio(s.cpuRatio);
      const perRun = s.runs.map((r) => `${s.inverse ? `${f(1 / r.cpuRatio, 1)}×` : f(r.cpuRatio, 2)} (${rates(r.duetRates)})`).join(' ');
      const oneAtATime = s.runs.map((r) => (s.inverse ? `${f(1 / r.sequentialCpuRatio, 1)}×` : f(r.sequentialCpuRatio, 2))).join(' ');
      console.log([s.case, s.baselineName, f(s.oursCpu, 1), f(s.baseCpu, 1), cpu, perRun, oneAtATime, ratio(s.rpsRatio), s.target + redisNote, `${s.passes}/${s.runs.length}`, s.pass ? 'PASS' : 'MISS'].join(' | '));
    }
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
    console.log(`\n7 scale (${scaleResult.sessions} sessions in Redis): create p99 ${f(scaleResult.small.create)} → ${f(scaleResult.large.create)} µs (${f(scaleResult.large.create / scaleResult.small.create, 2)}×, target ≤ 1.5×); lookup p99 ${f(scaleResult.small.lookup)} → ${f(scaleResult.large.lookup)} µs (${f(scaleResult.large.lookup / scaleResult.small.lookup, 2)}×); ${f(scaleResult.bytesPerSession)} bytes/empty session, guest index included (target < 450, issue #17)`);
  }
  for (const n of notes) console.log(`note: ${n}`);
  if (PROFILE) console.log(`\nCPU profiles: ${PROFILE_DIR} (one directory per server and run; summarize with \`node bench/lib/profile-summary.mjs <file.cpuprofile>\`)`);
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const out = { mode, date: new Date().toISOString(), node: process.version, rounds: ROUNDS, duetRounds: DUET_ROUNDS, duetLoad: DUET_LOAD, seconds: SECONDS, connections: CONNECTIONS, repeat: REPEAT, rows: REPEAT === 1 ? runs[0] : summaries, runs: REPEAT > 1 ? runs : undefined, memory, scale: scaleResult, reap: reapResult, reapCluster, notes };
  const name = QUICK ? 'quick' : ONLY ? 'partial' : 'latest';
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nwritten: bench/results/${name}.json`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
