import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { freePort } from '../support/redis-server';
import { eventually } from '../support/eventually';
import { TYPESCRIPT_CHILD } from '../support/typescript-child';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { driveCompleteApp, driveQuickStart } = require('../support/complete-app-flows.cjs') as {
  driveCompleteApp(base: string): Promise<string[]>;
  driveQuickStart(base: string): Promise<string[]>;
};

/**
 * Every TypeScript block in README.md and docs/*.md, type-checked against the library as a user pastes it (strict),
 * and the runnable ones run. A block may be a fragment: names it uses without declaring (`app`, `anon`, `secret`…)
 * come from a small prelude, and imports it leaves out (express, express-session, passport, the library's exports)
 * are added. `<!-- doc-check: skip (why) -->` before a block skips it; `<!-- doc-check: run <name> -->` runs it.
 */
const ROOT = join(__dirname, '../..');
const OUT = join(ROOT, 'artifacts/doc-blocks');

interface Block {
  id: string;
  where: string;
  code: string;
  run?: string;
  skip: boolean;
}

function extract(): Block[] {
  const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const blocks: Block[] = [];
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/(<!-- doc-check: ([^>]*) -->\n)?```(?:ts|typescript)\n([\s\S]*?)```/g)) {
      const line = text.slice(0, m.index).split('\n').length;
      const directive = m[2] ?? '';
      blocks.push({
        id: `${file.replace(/[/.]/g, '-')}-${line}`,
        where: `${file}:${line}`,
        code: m[3],
        run: /^run (\S+)/.exec(directive)?.[1],
        skip: directive.startsWith('skip'),
      });
    }
  }
  return blocks;
}

/** Names a fragment may use without declaring, and what they are. */
const AMBIENT: Record<string, string> = {
  app: "declare const app: import('express').Express;",
  anon: "declare const anon: import('express-anonymous-session').AnonymousSessions;",
  secret: 'declare const secret: string;',
  issuer: 'declare const issuer: string;',
  audience: 'declare const audience: string;',
  keys: "declare const keys: import('express-anonymous-session').KeysOption;",
  store: "declare const store: import('express-anonymous-session').AnonymousStore;",
  users: 'declare const users: { create(input: unknown): Promise<Express.User & { id: string }> };',
  db: `interface DocAccount { id: string; data: import('express-anonymous-session').Metadata; fence: number }
declare const db: { transaction<T>(work: (tx: { users: { get(id: string): Promise<DocAccount>; update(id: string, patch: Partial<DocAccount>): Promise<DocAccount> }; appliedTransfers: { insertIfAbsent(id: string): Promise<boolean> } }) => Promise<T>): Promise<T> };`,
  verifyTurnstile: 'declare function verifyTurnstile(token: string | undefined): Promise<boolean>;',
  clearCachedCart: 'declare function clearCachedCart(): void;',
  body: 'declare const body: string;',
  username: 'declare const username: string;',
  password: 'declare const password: string;',
  log: 'declare const log: { warn(message: unknown): void };',
  meterProvider: "declare const meterProvider: import('@opentelemetry/api').MeterProvider;",
  client: "declare const client: import('redis').RedisClientType;",
  analytics: 'declare const analytics: { track(event: string, id: string): void };',
  uploads: 'declare const uploads: { reassign(from: string, to: string): Promise<void> };',
  pool: "declare const pool: { query(sql: string, params: unknown[]): Promise<unknown> };",
  onlyFromTheMonitoringNetwork: "declare const onlyFromTheMonitoringNetwork: import('express').RequestHandler;",
};

/** Imports a fragment may leave out. */
const IMPORTS: Record<string, string> = {
  express: "import express from 'express';",
  session: "import session from 'express-session';",
  passport: "import passport from 'passport';",
  createClient: "import { createClient } from 'redis';",
  // Cluster snippets are for node-redis 6 (failover needs it: docs/scaling.md).
  createCluster: "import { createCluster } from 'redis6';",
  MeterProvider: "import { MeterProvider } from '@opentelemetry/sdk-metrics';",
  PrometheusExporter: "import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';",
  createAnonymousClient: "import { createAnonymousClient } from 'express-anonymous-session/client';",
  ...Object.fromEntries(
    ['anonymousSessions', 'sessionCookieDefaults', 'isAnonymousUser', 'AnonymousStrategy', 'RedisStore', 'MemoryStore', 'cartBySku', 'union', 'keepUser', 'deepMerge', 'replace', 'mergeMetadata', 'sameOriginOnly', 'csrfToken'].map((name) => [
      name,
      `import { ${name} } from 'express-anonymous-session';`,
    ]),
  ),
};

const declares = (code: string, name: string) =>
  new RegExp(`\\b(const|let|var|function|class|interface|type)\\s+${name}\\b|import[^;]*\\b${name}\\b[^;]*from`).test(code);
const uses = (code: string, name: string) => new RegExp(`(^|[^.\\w'"\`])${name}\\b`).test(code.replace(/\/\/.*$/gm, '').replaceAll('...', ' '));

function source(block: Block): string {
  const wanted = (table: Record<string, string>) => Object.keys(table).filter((n) => uses(block.code, n) && !declares(block.code, n)).map((n) => table[n]);
  // An augmentation needs the module it augments in the program.
  const augmented = /declare module 'express-anonymous-session'/.test(block.code) ? ["import type {} from 'express-anonymous-session';"] : [];
  return [...augmented, ...wanted(IMPORTS), ...wanted(AMBIENT), 'export {};', block.code].join('\n');
}

const blocks = extract();
const checked = blocks.filter((b) => !b.skip);
const fileOf = (b: Block) => join(OUT, `${b.id}.${/^await |\n\s*await /.test(b.code) && !/async/.test(b.code.split('await')[0].split('\n').pop() ?? '') ? 'mts' : 'ts'}`);

const options: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.Node16,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  esModuleInterop: true,
  skipLibCheck: true,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
  types: ['node'],
  baseUrl: ROOT,
  paths: { 'express-anonymous-session': ['lib/index.ts'], 'express-anonymous-session/client': ['lib/client/index.ts'] },
};

describe('README.md and docs/: every TypeScript block', () => {
  const diagnostics = new Map<string, string[]>();

  beforeAll(() => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'tsconfig.json'), JSON.stringify({ compilerOptions: { baseUrl: ROOT, paths: options.paths, esModuleInterop: true, module: 'node16', moduleResolution: 'node16', target: 'ES2022' } }));
    for (const b of checked) writeFileSync(fileOf(b), source(b));
    // Blocks that augment modules or globals are checked alone, so their declarations do not leak into the others.
    const alone = checked.filter((b) => /declare (module|global)/.test(b.code));
    const together = checked.filter((b) => !alone.includes(b));
    // The app's own user type, as every app with accounts declares it (fragments read `user.id`).
    const userType = join(OUT, 'app-user.d.ts');
    writeFileSync(userType, 'declare namespace Express { interface User { id: string } }\n');
    for (const group of [together, ...alone.map((b) => [b])]) {
      const program = ts.createProgram([...group.map(fileOf), ...(group === together ? [userType] : [])], options);
      for (const b of group) {
        const file = program.getSourceFile(fileOf(b))!;
        const found = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
        diagnostics.set(b.id, found.map((d) => `${d.file ? d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1 : '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`));
      }
    }
    // The runnable apps once more, with the Typed metadata declaration pasted beside them (as the README invites).
    const register = checked.find((b) => /interface Register\b/.test(b.code));
    for (const b of checked.filter((x) => x.run !== undefined && register)) {
      const program = ts.createProgram([fileOf(register!), fileOf(b)], options);
      const file = program.getSourceFile(fileOf(b))!;
      const found = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
      diagnostics.set(`${b.run}+register`, found.map((d) => `${d.file ? d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1 : '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`));
    }
  }, 120_000);

  it('finds the blocks (and skips only those marked)', () => {
    expect(checked.length).toBeGreaterThanOrEqual(12);
    expect(blocks.filter((b) => b.skip).map((b) => b.where)).toEqual([expect.stringMatching(/^README\.md:/)]);
  });

  it.each(checked.map((b) => [b.where, b] as const))('%s type-checks', (_where, b) => {
    expect(diagnostics.get(b.id)).toEqual([]);
  });

  it.each(['quick-start', 'complete-app'])('%s still type-checks with the Typed metadata declaration beside it', (name) => {
    expect(diagnostics.get(`${name}+register`)).toEqual([]);
  });
});

describe('README.md: the runnable blocks run as pasted', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  async function start(name: string): Promise<string> {
    const block = blocks.find((b) => b.run === name);
    if (!block) throw new Error(`no block marked <!-- doc-check: run ${name} -->`);
    const port = await freePort();
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, `run-${name}.ts`);
    writeFileSync(file, block.code);
    let stderr = '';
    child = spawn(process.execPath, [...TYPESCRIPT_CHILD, file], { cwd: OUT, env: { ...process.env, PORT: String(port), NODE_ENV: 'development' }, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const base = `http://127.0.0.1:${port}`;
    const up = await eventually(() => fetch(`${base}/`).then(() => true, () => false), (ok) => ok, 20_000, 100);
    if (!up) throw new Error(`${block.where} did not start: ${stderr}`);
    return base;
  }

  it('the quick start: a cookie cart across requests; a garbage bearer token is a 401', async () => {
    expect(await driveQuickStart(await start('quick-start'))).toEqual(['cookie cart', 'bad token']);
  }, 60_000);

  it('the complete app: cookie cart, sign-up transfer, tokens, bearer calls, login transfer, revocation', async () => {
    expect(await driveCompleteApp(await start('complete-app'))).toEqual(['cookie cart', 'sign-up transfer', 'tokens and a bearer call', 'login transfer', 'revocation and bad tokens']);
  }, 60_000);
});
