/**
 * Another Redis client, in its own process: PINGs one at a time until told to stop, then reports its latency
 * percentiles over IPC. Run while the reaper works, it shows what the reaper's scripts cost everyone else.
 */
import { createClient } from 'redis';

async function main(): Promise<void> {
  const client = createClient({ url: process.env.REDIS_URL });
  client.on('error', () => undefined);
  await client.connect();
  const samples: number[] = [];
  let running = true;
  process.on('message', (msg) => {
    if (msg === 'stop') running = false;
  });
  process.send?.('ready');
  while (running) {
    const t = process.hrtime.bigint();
    await client.ping();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(samples.length * q))] ?? 0;
  process.send?.({ samples: samples.length, p50: at(0.5), p99: at(0.99), max: samples[samples.length - 1] ?? 0 });
  await client.close();
  process.disconnect();
}

void main();
