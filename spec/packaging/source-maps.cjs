// The tarball ships only dist/: every source map must carry its sources inline (never point at lib/ files the package
// does not ship), and no declaration map may point a consumer's "go to definition" at them either.
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const dist = join(__dirname, '../../dist');
const files = readdirSync(dist, { recursive: true }).map(String);
const problems = [];
for (const f of files.filter((f) => f.endsWith('.map'))) {
  if (f.endsWith('.d.ts.map')) problems.push(`${f}: a declaration map (its sources are not shipped)`);
  const map = JSON.parse(readFileSync(join(dist, f), 'utf8'));
  if (!Array.isArray(map.sourcesContent) || map.sourcesContent.length !== map.sources.length || map.sourcesContent.some((c) => typeof c !== 'string')) {
    problems.push(`${f}: sources not inlined (${map.sources.join(', ')})`);
  }
}
if (problems.length) {
  console.error(`Source maps point at files the package does not ship:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`source maps ok: ${files.filter((f) => f.endsWith('.map')).length} maps, every source inlined`);
