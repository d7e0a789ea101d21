// The ESM build of express-anonymous-session/client: one self-contained file, dist/client/index.mjs, that bundlers
// import and a page can load as it is (<script type="module">). Its types, index.d.mts, are the ones tsc wrote for
// the CommonJS build (dist/client/*.d.ts), re-exported as an ES module so that TypeScript under node16/bundler
// resolution sees an ESM entry for the "import" condition.
import { writeFileSync } from 'node:fs';
import { build } from 'esbuild';

await build({
  entryPoints: ['lib/client/index.ts'],
  outfile: 'dist/client/index.mjs',
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2020',
  legalComments: 'none',
  logLevel: 'warning',
});
writeFileSync('dist/client/index.d.mts', "export * from './index.js';\n");
console.log('client: dist/client/index.mjs, dist/client/index.d.mts');
