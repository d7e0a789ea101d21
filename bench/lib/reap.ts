import { fork } from 'node:child_process';
import { join } from 'node:path';
import { RedisStore } from '../../lib';
import { newRecord } from '../../lib/session/record';
import { LifecycleEmitter } from '../../lib/lifecycle/events';
import { Reaper } from '../../lib/lifecycle/reaper';
import { DEFAULT_REAPER } from '../../lib/lifecycle/options';
import { createCluster } from 'redis';
import { connect } from './memory';
import { startCluster } from '../../spec/support/redis-cluster';

export interface ReapResult {
  guests: number;
  seconds: number;
  perSecond: number;
  /** Another client's PING latency while the reaper ran (ms). */
  probe: { samples: number; p50: number; p99: number; max: number };
  /** Redis's own per-call execution time of EVALSHA while the reaper ran (µs, INFO latencystats). */
  scriptP99Usec: number | undefined;
  scriptMaxUsec: number | undefined;
  /** Share of the wall time Redis spent running the reaper's scripts. */
  redisBusy: number;
  /** The reaper process's own CPU per guest handed out (µs). */
  reaperCpuPerGuest: number;
}

/** Stores `count` guests that expired an hour ago, then times one reaper (default options) handing them all out. */
export async function reapBench(url: string, count: number, batch = DEFAULT_REAPER.batch): Promise<ReapResult> {
  const client = await connect(url);
  await client.flushAll();
  const store = new RedisStore({ client, prefix: 'eas:', timeout: 10_000 });
  const lifetimes = { idle: 3600, absolute: 86_400 };
  const then = Date.now() - 2 * 3_600_000;
  for (let done = 0; done < count; done += 2000) {
    const n = Math.min(2000, count - done);
    await Promise.all(Array.from({ length: n }, () => store.create(newRecord({ userId: `anon|${crypto.randomUUID()}`, metadata: '{"cart":["tea"]}', now: then, lifetimes }))));
  }
  const logger = { warn: (m: string) => console.warn(m) };
  const events = new LifecycleEmitter(logger);
  let delivered = 0;
  events.on('expired', () => void delivered++);
  const reaper = new Reaper(store.guests, events, { ...DEFAULT_REAPER, batch }, Date.now, logger);

  const probe = fork(join(__dirname, 'latency-probe.ts'), [], { execArgv: ['--require=tsx/cjs'], env: { ...process.env, REDIS_URL: url } });
  await new Promise((resolve) => probe.once('message', resolve));
  await client.configResetStat();
  const t = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  while (delivered < count) {
    const report = await reaper.run();
    if (report.expired === 0) break;
  }
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const stats = await client.info('latencystats');
  const evalUsec = Number(/cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(await client.info('commandstats'))?.[1] ?? 0);
  const probed = await new Promise<ReapResult['probe']>((resolve) => {
    probe.once('message', (m) => resolve(m as ReapResult['probe']));
    probe.send('stop');
  });
  probe.disconnect();
  const evalsha = /latency_percentiles_usec_evalsha:p50=[\d.]+,p99=([\d.]+),p99\.9=([\d.]+)/.exec(stats);
  const left = (await store.guests.countGuests()).sessions;
  await client.flushAll();
  await client.close();
  if (delivered !== count || left !== 0) throw new Error(`reap bench: ${delivered} of ${count} delivered, ${left} left`);
  return { guests: count, seconds, perSecond: count / seconds, probe: probed, scriptP99Usec: evalsha ? Number(evalsha[1]) : undefined, scriptMaxUsec: evalsha ? Number(evalsha[2]) : undefined, redisBusy: evalUsec / 1e6 / seconds, reaperCpuPerGuest: (cpu.user + cpu.system) / count };
}

/**
 * The same on a local 3-master Redis Cluster on this machine: records are read and deleted with one script per
 * record (pipelined), each bucket's scripts on its own slot. The probe PINGs one master; script percentiles are the
 * worst master's; Redis busy is the masters' script time over the wall time, summed.
 */
export async function reapClusterBench(count: number): Promise<ReapResult & { masters: number }> {
  const local = await startCluster();
  const cluster = createCluster({ rootNodes: local.urls.map((url) => ({ url })) });
  cluster.on('error', () => undefined);
  await cluster.connect();
  const nodes = await Promise.all(local.urls.map((url) => connect(url)));
  try {
    const store = new RedisStore({ client: cluster, prefix: 'eas:', timeout: 10_000 });
    const then = Date.now() - 2 * 3_600_000;
    for (let done = 0; done < count; done += 2000) {
      const n = Math.min(2000, count - done);
      await Promise.all(Array.from({ length: n }, () => store.create(newRecord({ userId: `anon|${crypto.randomUUID()}`, metadata: '{"cart":["tea"]}', now: then, lifetimes: { idle: 3600, absolute: 86_400 } }))));
    }
    const logger = { warn: (m: string) => console.warn(m) };
    const events = new LifecycleEmitter(logger);
    let delivered = 0;
    events.on('expired', () => void delivered++);
    const reaper = new Reaper(store.guests, events, DEFAULT_REAPER, Date.now, logger);
    const probe = fork(join(__dirname, 'latency-probe.ts'), [], { execArgv: ['--require=tsx/cjs'], env: { ...process.env, REDIS_URL: local.urls[0] } });
    await new Promise((resolve) => probe.once('message', resolve));
    for (const node of nodes) await node.configResetStat();
    const t = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    while (delivered < count) if ((await reaper.run()).expired === 0) break;
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const probed = await new Promise<ReapResult['probe']>((resolve) => {
      probe.once('message', (m) => resolve(m as ReapResult['probe']));
      probe.send('stop');
    });
    probe.disconnect();
    let busy = 0;
    let p99 = 0;
    let p999 = 0;
    for (const node of nodes) {
      busy += Number(/cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(await node.info('commandstats'))?.[1] ?? 0) / 1e6 / seconds;
      const m = /latency_percentiles_usec_evalsha:p50=[\d.]+,p99=([\d.]+),p99\.9=([\d.]+)/.exec(await node.info('latencystats'));
      if (m) [p99, p999] = [Math.max(p99, Number(m[1])), Math.max(p999, Number(m[2]))];
    }
    if (delivered !== count) throw new Error(`reap cluster bench: ${delivered} of ${count} delivered`);
    return { guests: count, seconds, perSecond: count / seconds, probe: probed, scriptP99Usec: p99, scriptMaxUsec: p999, redisBusy: busy, reaperCpuPerGuest: (cpu.user + cpu.system) / count, masters: nodes.length };
  } finally {
    for (const node of nodes) await node.close();
    await cluster.close();
    await local.stop();
  }
}
