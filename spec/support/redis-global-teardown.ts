import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

export default async function globalTeardown(): Promise<void> {
  const file = join(tmpdir(), `eas-redis-${process.pid}.pid`);
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8'));
  } catch {
    return; // REDIS_URL was given: not ours to stop
  }
  rmSync(file, { force: true });
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
}
