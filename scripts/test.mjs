// `npm test`: every test. The jest suite on Express 5, the same suite on Express 4, then the browser tests in
// headless Chromium. Each run writes its JSON report to artifacts/; the last line is `N passed, N failed`.
// Extra arguments go to every jest run (`npm test -- --ci`). `npm run test:unit` runs the first pass alone.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const runs = [
  { name: 'Express 5', config: 'jest.config.js', report: 'artifacts/jest.json' },
  { name: 'Express 4', config: 'jest.express4.config.js', report: 'artifacts/jest-express4.json' },
  { name: 'browser (Chromium)', config: 'jest.e2e.config.js', report: 'artifacts/e2e.json' },
];
const extra = process.argv.slice(2);
mkdirSync('artifacts', { recursive: true });

let passed = 0;
let failed = 0;
let ran = 0;
for (const run of runs) {
  rmSync(run.report, { force: true });
  console.log(`\n== jest: ${run.name} (${run.config})`);
  const result = spawnSync(process.execPath, ['node_modules/jest/bin/jest.js', '-c', run.config, '--json', `--outputFile=${run.report}`, ...extra], { stdio: 'inherit' });
  if (!existsSync(run.report)) {
    console.error(`${run.name}: jest wrote no report (exit ${result.status ?? result.signal})`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(run.report, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests + report.numRuntimeErrorTestSuites;
  ran += report.numTotalTests;
  if (result.status !== 0 && report.numFailedTests + report.numRuntimeErrorTestSuites === 0) failed += 1; // a crash after the tests
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = ran > 0 && failed === 0 ? 0 : 1;
