import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { TYPESCRIPT_CHILD } from '../support/typescript-child';

const ROOT = join(__dirname, '..', '..');
const START_TIMEOUT_MS = 20_000;

/**
 * The example shop as `npm start` runs it (`node --require=tsx/cjs example-app/server.ts`, the script in package.json),
 * in its own process, with only the environment a test gives it: not the test runner's REDIS_URL or NODE_ENV.
 */
export interface ShopProcess {
  /** Where it listens, from its "open on" line. */
  url: string;
  pid: number;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** SIGTERM, then the exit code once it has exited. */
  stop(): Promise<number | null>;
}

function spawnShop(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [...TYPESCRIPT_CHILD, 'example-app/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  return { child, output: () => text };
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Starts the shop and resolves once it says it is open; a shop that exits or stays silent for 20 s fails the test. */
export function startShopProcess(env: Record<string, string>): Promise<ShopProcess> {
  const { child, output } = spawnShop(env);
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${why}:\n${output()}`));
    };
    const timer = setTimeout(() => fail(`the shop did not open within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    child.once('exit', (code) => fail(`the shop exited (${code}) before opening`));
    child.stdout!.on('data', () => {
      const match = /is open on (http:\/\/127\.0\.0\.1:\d+)/.exec(output());
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        url: match[1],
        pid: child.pid!,
        output,
        stop: () => {
          const done = exited(child);
          child.kill('SIGTERM');
          return done;
        },
      });
    });
  });
}

/** Runs the shop expecting it to refuse to start: its exit code and what it printed (killed after 20 s if it does not exit). */
export async function refusedStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnShop(env);
  const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
  const code = await exited(child);
  clearTimeout(timer);
  return { code, output: output() };
}

/** `npm run -s keygen`, as the README tells people to make ANON_KEYS. */
export function npmKeygen(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('npm', ['run', '-s', 'keygen'], { cwd: ROOT, timeout: START_TIMEOUT_MS }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

/** Whether a process id is still running. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The ids of a process's children (procps `pgrep -P`). */
export function childrenOf(pid: number): Promise<number[]> {
  return new Promise((resolve) => {
    execFile('pgrep', ['-P', String(pid)], (_err, stdout) => resolve(stdout.split('\n').filter(Boolean).map(Number)));
  });
}
