// `npm test`: every test. The jest suite on Express 5, the same suite on Express 4, then the browser tests in
// headless Chromium. Each run writes its JSON report to artifacts/; the last line is `N passed, N failed`.
// Extra arguments go to every jest run (`npm test -- --ci`). `npm run test:unit` runs the first pass alone.
//
// A watchdog ends a jest run that prints nothing for SILENT_LIMIT_MS (default 6 minutes; the slowest spec file takes
// about one): it prints what the run's processes were doing, kills them, and runs that pass once more. A CI run once
// sat for 20 minutes with jest's main thread in a futex wait and no CPU; jest's own testTimeout cannot end that.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const runs = [
  { name: 'Express 5', config: 'jest.config.js', report: 'artifacts/jest.json' },
  { name: 'Express 4', config: 'jest.express4.config.js', report: 'artifacts/jest-express4.json' },
  { name: 'browser (Chromium)', config: 'jest.e2e.config.js', report: 'artifacts/e2e.json' },
];
const extra = process.argv.slice(2);
const SILENT_LIMIT_MS = Number(process.env.TEST_SILENT_LIMIT_MS ?? 6 * 60_000);
mkdirSync('artifacts', { recursive: true });

/** Runs one jest pass in its own process group; resolves with its exit status, or 'silent' if the watchdog ended it. */
function jest(run) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['node_modules/jest/bin/jest.js', '-c', run.config, '--json', `--outputFile=${run.report}`, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: the watchdog ends jest and everything it started (redis-server, children)
    });
    let last = Date.now();
    child.stdout.on('data', (d) => ((last = Date.now()), process.stdout.write(d)));
    child.stderr.on('data', (d) => ((last = Date.now()), process.stderr.write(d)));
    const watchdog = setInterval(() => {
      if (Date.now() - last < SILENT_LIMIT_MS) return;
      clearInterval(watchdog);
      console.error(`\n${run.name}: jest printed nothing for ${Math.round(SILENT_LIMIT_MS / 1000)} s; its processes:`);
      spawnSync('ps', ['-o', 'pid,ppid,stat,wchan:24,pcpu,etime,args', '--forest', '-g', String(child.pid)], { stdio: 'inherit' });
      spawnSync('sh', ['-c', `for t in /proc/${child.pid}/task/*; do printf '%s %s\\n' "$(cat $t/comm)" "$(cat $t/wchan)"; done`], { stdio: 'inherit' });
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      resolve('silent');
    }, 5_000);
    child.on('exit', (code, signal) => {
      clearInterval(watchdog);
      resolve(code ?? signal);
    });
  });
}

let passed = 0;
let failed = 0;
let ran = 0;
for (const run of runs) {
  rmSync(run.report, { force: true });
  console.log(`\n== jest: ${run.name} (${run.config})`);
  let status = await jest(run);
  if (status === 'silent') {
    console.error(`${run.name}: ended by the watchdog; running this pass once more`);
    rmSync(run.report, { force: true });
    status = await jest(run);
  }
  if (!existsSync(run.report)) {
    console.error(`${run.name}: jest wrote no report (exit ${status})`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(run.report, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests + report.numRuntimeErrorTestSuites;
  ran += report.numTotalTests;
  if (status !== 0 && report.numFailedTests + report.numRuntimeErrorTestSuites === 0) failed += 1; // a crash after the tests
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = ran > 0 && failed === 0 ? 0 : 1;
