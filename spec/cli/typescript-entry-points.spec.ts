import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '../..');

/** Every text file under `dir` that could start a Node process (scripts, specs, bench, docs). */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'results' || name === 'peer') return [];
    if (statSync(path).isDirectory()) return files(path);
    return /\.(ts|mjs|cjs|js|md|json)$/.test(name) ? [path] : [];
  });
}

// `npm start`, `npm run keygen`, `npm run bench` and the tests' child processes start TypeScript through tsx. On
// Node 20, `--import=tsx` runs tsx's ESM hooks on a hooks thread that deadlocked about one start in twenty here (a
// silent hang with no CPU); `--require=tsx/cjs` has no hooks thread. See spec/support/typescript-child.ts.
describe('TypeScript entry points', () => {
  it('the package.json scripts start TypeScript through the CommonJS hook', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'keygen', 'bench']) expect(scripts[name]).toMatch(/^node --require=tsx\/cjs /);
    expect(Object.entries(scripts).filter(([, command]) => /--import[= ]tsx|(^|\s)tsx\s/.test(command))).toEqual([]);
  });

  it('no child process, benchmark or doc starts TypeScript through the hooks thread', () => {
    const offenders = ['spec', 'bench', 'docs', 'example-app', 'lib', 'scripts', 'README.md']
      .flatMap((p) => (statSync(join(ROOT, p)).isDirectory() ? files(join(ROOT, p)) : [join(ROOT, p)]))
      // fresh-app.mjs runs the README's app as a stranger would, in an ESM package (see there); typescript-child.ts says why.
      .filter((path) => !/(typescript-entry-points\.spec\.ts|typescript-child\.ts|fresh-app\.mjs)$/.test(path))
      .filter((path) => /--import[= ]tsx\b|'--import', 'tsx'/.test(readFileSync(path, 'utf8')))
      .map((path) => relative(ROOT, path));
    expect(offenders).toEqual([]);
  });
});
