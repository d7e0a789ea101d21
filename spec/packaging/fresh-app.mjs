// The stranger's first hour, automated: pack the library, install the tarball into a brand-new ESM TypeScript app
// with today's newest peers and type packages (and once with Express 4), paste the README's complete app into it,
// type-check it under `strict` without `skipLibCheck` (the newest TypeScript, and 5.9), run it, and drive it through
// the cookie cart, sign-up transfer, tokens and a bearer call, login transfer and revocation.
// `npm run test:fresh-app` (needs the npm registry). Prints one line per check and exits non-zero on any failure.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { driveCompleteApp } = require('../support/complete-app-flows.cjs');
const ROOT = new URL('../..', import.meta.url).pathname;
function run(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${String(err.stdout ?? '').trim()}\n${String(err.stderr ?? '').trim()}`.trim());
  }
}

function readmeBlock(name) {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- doc-check: run ${name} -->\\n\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!m) throw new Error(`README.md has no block marked <!-- doc-check: run ${name} -->`);
  return m[1];
}

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

// A stranger's app is an ESM package run with `node --import=tsx`. On Node 20 that puts tsx's hooks on a hooks thread,
// which about one start in twenty deadlocks on a loaded machine (no output, no CPU; see spec/support/typescript-child.ts).
// A start that times out is retried once, and said: the app itself failing (an exit, an error) is never retried.
async function startApp(dir) {
  try {
    return await startAppOnce(dir);
  } catch (err) {
    if (!(err instanceof StartTimeout)) throw err;
    console.log(`note: ${err.message}; starting it once more`);
    return startAppOnce(dir);
  }
}

class StartTimeout extends Error {}

async function startAppOnce(dir) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import=tsx', 'app.ts'], { cwd: dir, env: { ...process.env, PORT: String(port), NODE_ENV: 'development' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`the app exited: ${stderr}`);
    if (await fetch(`${base}/cart`).then(() => true, () => false)) return { base, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new StartTimeout(`the app did not start in 20 s${stderr ? `: ${stderr}` : ' (no output)'}`);
}

const results = [];
async function check(name, fn) {
  try {
    const detail = await fn();
    results.push(true);
    console.log(`ok   ${name}${detail ? `: ${detail}` : ''}`);
  } catch (err) {
    results.push(false);
    console.log(`FAIL ${name}: ${err instanceof Error ? err.message : err}`);
  }
}

const work = mkdtempSync(join(tmpdir(), 'eas-fresh-'));
try {
  run('npm', ['run', 'build'], ROOT);
  const tarball = join(work, run('npm', ['pack', '--pack-destination', work], ROOT).trim().split('\n').pop());
  const app = readmeBlock('complete-app');

  for (const variant of [
    { label: 'Express 5 (newest peers)', express: 'express@latest', types: '@types/express@latest' },
    { label: 'Express 4', express: 'express@4', types: '@types/express@4' },
  ]) {
    const dir = join(work, variant.label.replace(/\W+/g, '-'));
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fresh-shop', private: true, type: 'module' }));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] }, files: ['app.ts'] }),
    );
    writeFileSync(join(dir, 'app.ts'), app);
    await check(`${variant.label}: npm install the tarball with its peers`, async () => {
      run('npm', ['install', tarball, variant.express, 'express-session@latest', 'passport@latest', 'passport-local@latest', 'redis@latest', 'connect-redis@latest', 'tsx@latest', 'typescript@latest', '@types/node@latest', variant.types, '@types/express-session@latest', '@types/passport@latest', '@types/passport-local@latest'], dir);
      const v = (p) => JSON.parse(readFileSync(join(dir, 'node_modules', p, 'package.json'), 'utf8')).version;
      return `express ${v('express')}, typescript ${v('typescript')}, @types/node ${v('@types/node')}, @types/express ${v('@types/express')}`;
    });
    await check(`${variant.label}: the README's complete app type-checks (strict, no skipLibCheck, newest TypeScript)`, async () => {
      run('npx', ['--no-install', 'tsc', '-p', '.'], dir);
    });
    await check(`${variant.label}: the same with TypeScript 5.9`, async () => {
      run('npx', ['-y', '-p', 'typescript@5.9', 'tsc', '-p', '.'], dir);
    });
    await check(`${variant.label}: the app runs: cookie cart, sign-up transfer, tokens, bearer call, login transfer, revocation`, async () => {
      const started = await startApp(dir);
      try {
        return (await driveCompleteApp(started.base)).join(', ');
      } finally {
        await started.stop();
      }
    });
  }
} finally {
  if (process.env.KEEP_FRESH_APP) console.log(`kept: ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
const failed = results.filter((ok) => !ok).length;
console.log(`fresh app: ${results.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
