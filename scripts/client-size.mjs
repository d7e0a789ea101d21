// Size budget of the browser client: bundles lib/client with esbuild as a page would get it (minified, platform
// browser, nothing external), refuses any Node built-in, and fails when the gzip of the bundle exceeds the budget.
import { builtinModules } from 'node:module';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const BUDGET = 3072; // bytes, minified and gzipped
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

const refuseNodeBuiltins = {
  name: 'refuse-node-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) =>
      builtins.has(args.path) || args.path.startsWith('node:')
        ? { errors: [{ text: `the browser client imports the Node built-in "${args.path}" (from ${args.importer})` }] }
        : undefined,
    );
  },
};

const result = await build({
  entryPoints: ['lib/client/index.ts'],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  write: false,
  logLevel: 'silent',
  plugins: [refuseNodeBuiltins],
}).catch((err) => {
  console.error(`client size: the bundle failed: ${err.message}`);
  process.exit(1);
});

const code = result.outputFiles[0].contents;
const gzipped = gzipSync(code, { level: 9 }).length;
console.log(`client size: ${code.length} bytes minified, ${gzipped} bytes gzipped (budget ${BUDGET})`);
if (gzipped > BUDGET) {
  console.error(`client size: over budget by ${gzipped - BUDGET} bytes`);
  process.exit(1);
}
