import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/**
 * Every link in the docs goes somewhere: a relative link names a file of the repository and, with `#…`, one of its
 * headings; and what README.md links to ships in the package, since npm and node_modules show the README without
 * the repository around it.
 */
const ROOT = join(__dirname, '../..');
const DOCS = ['README.md', 'SECURITY.md', 'docs/scaling.md', 'docs/metrics.md', 'bench/README.md'];

interface Link {
  from: string;
  target: string;
  fragment: string | undefined;
}

/** Markdown links outside code: `[text](target)`, the target possibly on the next line after the `]`. */
function linksOf(file: string): Link[] {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\s*\(([^)\s]+)\)/g)]
    .map((m) => m[1])
    .filter((href) => !/^[a-z][a-z0-9+.-]*:/i.test(href))
    .map((href) => {
      const [path, fragment] = href.split('#');
      return { from: file, target: path === '' ? file : normalize(join(dirname(file), path)), fragment };
    });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(file: string): Set<string> {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of text.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = heading
      .replace(/`/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

const links = DOCS.flatMap(linksOf);

describe('links in the docs', () => {
  it('finds the links it checks (the pattern still matches the docs)', () => {
    expect(links.filter((l) => l.from === 'README.md' && l.fragment !== undefined).length).toBeGreaterThan(10);
    expect(links.some((l) => l.target.startsWith('docs/'))).toBe(true);
  });

  it('name files that exist and headings those files have', () => {
    const broken = links.filter((l) => !existsSync(join(ROOT, l.target)) || (l.fragment !== undefined && l.target.endsWith('.md') && !anchorsOf(l.target).has(l.fragment)));
    expect(broken.map((l) => `${l.from} → ${l.target}${l.fragment === undefined ? '' : `#${l.fragment}`}`)).toEqual([]);
  });

  it("ship in the package when README.md links to them (npm shows the README without the repository)", () => {
    const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as [{ files: { path: string }[] }];
    const shipped = new Set(pack.files.map((f) => f.path));
    const targets = [...new Set(links.filter((l) => l.from === 'README.md').map((l) => relative(ROOT, join(ROOT, l.target))))];
    expect(targets.filter((t) => !shipped.has(t))).toEqual([]);
    // package.json says MIT: the licence text travels with the code
    expect(shipped.has('LICENSE')).toBe(true);
  });
});
