/**
 * How a test starts a TypeScript file in its own Node process: tsx's CommonJS hook (`--require=tsx/cjs`), as the
 * package.json scripts do. Not `--import=tsx`: that registers tsx's ESM hooks with `module.register()`, which on
 * Node 20 runs them on a separate hooks thread that the main thread waits on with `Atomics.wait`; about one start in
 * twenty on a loaded 2-core machine deadlocked there (main thread in a futex wait, hooks thread idle, no CPU, no
 * output) and held CI until it was killed. This package is CommonJS, so the CommonJS hook is all it needs.
 */
export const TYPESCRIPT_CHILD: readonly string[] = ['--require=tsx/cjs'];
