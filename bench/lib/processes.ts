import { fork, type ChildProcess } from 'node:child_process';

export interface BenchServer {
  name: string;
  url: string;
  child: ChildProcess;
  /** The server process's own CPU time in microseconds (user + system). */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Forks a server script (TypeScript through tsx, or plain .mjs) and waits for `listening <port>`. `nodeArgs` go to
 * the child's node (e.g. `--cpu-prof`).
 */
export function startServer(name: string, script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<BenchServer> {
  const execArgv = [...(script.endsWith('.ts') ? ['--require=tsx/cjs'] : []), ...nodeArgs];
  const child = fork(script, [], { env: { ...process.env, ...env, NODE_ENV: 'production' }, execArgv, silent: true });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start: ${stderr}`));
    }, 30_000);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${stderr}`)));
    child.stdout?.on('data', (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        name,
        url: `http://127.0.0.1:${m[1]}`,
        child,
        cpu: () =>
          new Promise((done) => {
            child.once('message', (msg: { cpu: { user: number; system: number } }) => done(msg.cpu.user + msg.cpu.system));
            child.send('cpu');
          }),
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
